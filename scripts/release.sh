#!/usr/bin/env bash
# Builds the release binary of hookbird with the Swift runtime inside (--static-swift-stdlib: the Swift standard
# library, Foundation and Dispatch are linked statically), checks that it needs no library of the Swift toolchain,
# and prints where it is, its size and its `ldd` output. What remains dynamic is the C and C++ runtime of the
# system (libc, libm, libstdc++, libgcc_s) and zlib, which a bare Debian has.
#
#   bash scripts/release.sh [extra `swift build` arguments]
#
# The last line of stdout is the binary's path. scripts/test.sh runs the pytest suites against this binary.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

args=(-c release --static-swift-stdlib --product hookbird "$@")
echo "==> swift build ${args[*]}" >&2
start=$SECONDS
swift build "${args[@]}" >&2
echo "==> built in $((SECONDS - start)) s" >&2

BIN="$(swift build -c release --static-swift-stdlib "$@" --show-bin-path)/hookbird"
if [[ ! -x "$BIN" ]]; then
  echo "error: no binary at $BIN" >&2
  exit 1
fi

deps="$(ldd "$BIN" 2>&1 || true)"
echo "==> ldd $BIN" >&2
echo "$deps" >&2
# Anything from the toolchain (libswift*, libFoundation*, libdispatch, libBlocksRuntime) means the binary only runs
# where Swift is installed.
if grep -Eq 'libswift|libFoundation|libdispatch|libBlocksRuntime|/opt/swift|/usr/lib/swift' <<<"$deps"; then
  echo "error: $BIN still needs libraries of the Swift toolchain (above)" >&2
  exit 1
fi
echo "==> size: $(du -h "$BIN" | cut -f1) ($(stat -c %s "$BIN") bytes)" >&2
echo "$BIN"
