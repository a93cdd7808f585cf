# What the benchmark scripts share; each sources it from the repository root:
#
#   cd "$(dirname "$0")/.."
#   source bench/lib.sh
#
#   ROOT                         the repository root
#   wrk_load                     the load of the wrk runs unless the environment sets it: DURATION seconds (10) after
#                                a WARMUP (3 s), CONNECTIONS (64) from THREADS (2)
#   need TOOL...                 dies unless each TOOL is on the PATH (wrk: installs the Debian package if it is not)
#   die MESSAGE                  "<script>.sh: FAIL: MESSAGE" on stderr, exit 1
#   field LINE KEY               the value of KEY=value in a line (a BENCH line of wrk or hookbird-loadgen)
#   wait_http URL PID [TRIES [LOG...]]
#                                until URL answers 2xx, every 0.1 s, TRIES times (default 100); dies if process PID
#                                exits first (showing the end of each LOG) or if URL never answers
#   wait_port PORT PATH [TRIES]  until http://127.0.0.1:PORT/PATH answers at all (any status), every 0.1 s, TRIES
#                                times (default 100); returns 1 if it never does
#   busy_note                    what else is using the CPU right now (load, running Swift compilers)
#   TICKS, pid_ticks PID         clock ticks per second; utime + stime of one process in ticks (0 once it is gone)
#   machine_cpu                  jiffies of the whole machine: busy (user nice system irq softirq), steal (taken by
#                                the hypervisor for other guests), idle (idle + iowait)
#   wrk_cpu USER_SYS M0 M1 SERVER_TICKS LINE
#                                the CPU figures of a wrk run, to append to its BENCH line LINE, in cores (1.00 = one
#                                core busy for the whole run): server_us_per_req, server_cores, wrk_cores, other_cores,
#                                steal_cores, idle_cores; from wrk's user and system seconds (`/usr/bin/time -f '%U
#                                %S'`), machine_cpu before and after, and the server's ticks in between
#   machine                      the lines that describe the machine at the top of a report (cores, cpu, memory,
#                                kernel, swift)
#   release_binaries NOTE PRODUCT...
#                                builds the products with `swift build -c release` in $SCRATCH (default .build-bench)
#                                unless SKIP_BUILD=1, writing what they were built from to $SCRATCH/NOTE; sets BIN to
#                                the directory they are in (BIN given: that directory, and no swift at all)

ROOT=$(pwd)
SCRATCH=${SCRATCH:-.build-bench}
BENCH_SCRIPT=$(basename "$0")

die() { echo "$BENCH_SCRIPT: FAIL: $*" >&2; exit 1; }

wrk_load() {
    DURATION=${DURATION:-10}
    WARMUP=${WARMUP:-3}
    CONNECTIONS=${CONNECTIONS:-64}
    THREADS=${THREADS:-2}
}

need() { # TOOL...
    local tool
    for tool in "$@"; do
        if [[ "$tool" == wrk ]] && ! command -v wrk >/dev/null; then
            echo "wrk missing; installing the Debian package" >&2
            apt-get install -y wrk >/dev/null || die "cannot install wrk"
        fi
        command -v "$tool" >/dev/null || die "$tool is required"
    done
}

field() { sed -n "s/.*[[:space:]]$2=\([^[:space:]]*\).*/\1/p" <<<"$1"; }

wait_http() { # URL PID [TRIES [LOG...]]
    local url=$1 pid=$2 tries=${3:-100}
    for _ in $(seq 1 "$tries"); do
        curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            (($# > 3)) && tail -20 "${@:4}" >&2
            die "process $pid exited during start-up"
        fi
        sleep 0.1
    done
    die "no answer from $url"
}

wait_port() { # PORT PATH [TRIES]
    for _ in $(seq 1 "${3:-100}"); do
        curl -s -o /dev/null "http://127.0.0.1:$1$2" && return 0
        sleep 0.1
    done
    return 1
}

busy_note() {
    local compilers
    compilers=$(pgrep -c -x swift-frontend || true)
    echo "load $(cut -d' ' -f1-3 /proc/loadavg), swift-frontend processes: ${compilers:-0}"
}

TICKS=$(getconf CLK_TCK)
pid_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
machine_cpu() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $9, $5 + $6 }' /proc/stat; }

wrk_cpu() { # USER_SYS M0 M1 SERVER_TICKS LINE
    awk -v w="$1" -v m0="$2" -v m1="$3" -v s="$4" -v hz="$TICKS" -v n="$(field "$5" requests)" \
        -v t="$(field "$5" duration_us)" 'BEGIN {
        split(w, wc, " "); split(m0, a, " "); split(m1, b, " "); secs = t / 1e6
        wrk = (wc[1] + wc[2]) / secs; server = s / hz / secs
        busy = (b[1] - a[1]) / hz / secs; steal = (b[2] - a[2]) / hz / secs; idle = (b[3] - a[3]) / hz / secs
        other = busy - wrk - server; if (other < 0) other = 0
        printf " server_us_per_req=%.0f server_cores=%.2f wrk_cores=%.2f other_cores=%.2f steal_cores=%.2f idle_cores=%.2f",
            1e6 * s / hz / n, server, wrk, other, steal, idle }'
}

machine() {
    echo "cores (nproc):  $(nproc)"
    echo "cpu:            $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo "memory:         $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel:         $(uname -sr)"
    echo "swift:          $(swift --version 2>/dev/null | head -1)"
}

release_binaries() { # NOTE PRODUCT...
    local note=$1 product
    shift
    if [[ "${SKIP_BUILD:-0}" != 1 && -z "${BIN:-}" ]]; then
        echo "building release binaries ($*) in $SCRATCH (a clean build takes 10+ min on 2 cores)..." >&2
        for product in "$@"; do
            swift build -c release --scratch-path "$SCRATCH" --product "$product" >&2
        done
        echo "$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- Sources Package.swift \
            2>/dev/null || echo ' + uncommitted changes in Sources/ or Package.swift') (built $(date -u +%FT%TZ))" \
            >"$SCRATCH/$note"
    fi
    BIN=${BIN:-$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)}
}
