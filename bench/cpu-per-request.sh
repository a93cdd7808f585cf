#!/usr/bin/env bash
# CPU cost per request of a running server: drives it with wrk (bench/msg.lua) and divides the server's CPU time
# (user + system, from /proc/PID/stat) by the number of responses. Less sensitive to a busy machine than req/s.
#
#   bench/cpu-per-request.sh PID BASE_URL PATH [SECONDS]
#   BENCH_TOKEN=T bench/cpu-per-request.sh 1234 http://127.0.0.1:18181 /api/v1/app/bench/msg 10
set -euo pipefail
pid=$1 base=$2 path=$3 seconds=${4:-10}
lua="$(cd "$(dirname "$0")" && pwd)/msg.lua"
ticks=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
before=$(cpu)
out=$(BENCH_PATH="$path" wrk -t"${THREADS:-2}" -c"${CONNECTIONS:-64}" -d"${seconds}s" -s "$lua" "$base")
after=$(cpu)
line=$(grep '^BENCH ' <<<"$out")
requests=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$line")
rps=$(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' <<<"$line")
non2xx=$(sed -n 's/.* non2xx=\([0-9]*\).*/\1/p' <<<"$line")
[[ "$non2xx" == 0 ]] || echo "WARNING: $non2xx responses were not 2xx" >&2
awk -v t=$((after - before)) -v hz="$ticks" -v n="$requests" -v rps="$rps" -v s="$seconds" -v bad="$non2xx" 'BEGIN {
    printf "requests=%d non2xx=%d rps=%.0f server_cpu_s=%.2f server_cores=%.2f cpu_us_per_request=%.0f\n",
        n, bad, rps, t / hz, t / hz / s, 1e6 * t / hz / n }'
