#!/usr/bin/env bash
# Checks deploy/hookbird.service with `systemd-analyze verify` (and prints `systemd-analyze security`'s exposure
# score). verify looks for the ExecStart binary and the units the service orders itself after, so it runs against a
# scratch root holding the unit, a stand-in /usr/local/bin/hookbird and the host's own unit files. verify exits 0
# on an unknown or misspelt key and only warns, so any output at all fails this check.
#
#   bash tests/deploy/verify-unit.sh [unit file, default deploy/hookbird.service]
#
# Skipped (exit 0, with a note) where systemd-analyze is not installed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
UNIT="${1:-deploy/hookbird.service}"

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "skip: systemd-analyze not installed; $UNIT not checked"
  exit 0
fi

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/local/bin" "$root/etc/systemd/system" "$root/usr/lib/systemd"
printf '#!/bin/sh\n' >"$root/usr/local/bin/hookbird"
chmod 0755 "$root/usr/local/bin/hookbird"
cp "$UNIT" "$root/etc/systemd/system/hookbird.service"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"

out="$(systemd-analyze verify --root="$root" hookbird.service 2>&1)" || {
  echo "$out" >&2
  echo "FAIL: systemd-analyze verify $UNIT" >&2
  exit 1
}
if [[ -n "$out" ]]; then
  echo "$out" >&2
  echo "FAIL: systemd-analyze verify $UNIT printed warnings (above)" >&2
  exit 1
fi
echo "ok: systemd-analyze verify $UNIT ($(systemd-analyze --version | head -n 1))"
systemd-analyze security --offline=yes --root="$root" hookbird.service 2>&1 | tail -n 1 || true
