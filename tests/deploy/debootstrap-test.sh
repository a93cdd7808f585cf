#!/usr/bin/env bash
# The one-file promise, checked: the release binary in a minimal Debian (debootstrap --variant=minbase: no Swift, no
# compiler, fewer packages than debian:bookworm-slim), set up as deploy/Dockerfile sets up the image (ca-certificates,
# user hookbird 10001:10001, the SQLite file in /var/lib/hookbird), runs `hookbird --help`, serves on SQLite on
# loopback, answers /api/v1/health and delivers a message, signed, to a receiver outside the root (loopback is
# shared). tests/deploy/deploy_check.py does the talking; this script makes the root file system and the chroot.
#
#   bash tests/deploy/debootstrap-test.sh [BINARY]   # default: $HOOKBIRD_BIN, else what scripts/release.sh builds
#
# Needs root (debootstrap, mount, chroot; CI runs as root) and debootstrap (.ci/run installs it). The root file
# system is made once per suite and architecture and kept in .build/debootstrap-rootfs/<suite>-<arch>/ (a new
# machine makes it: about a minute from deb.debian.org); each run works on a copy of it, so no run sees another's
# files. Mounts (/proc, /dev, /sys) are made in a mount namespace of their own (unshare), so they go away with the
# process and never show on the host.
#
# Environment:
#   DEBOOTSTRAP_SUITE   default bookworm (what debian:bookworm-slim is)
#   DEBOOTSTRAP_MIRROR  default http://deb.debian.org/debian
#   DEBOOTSTRAP_CACHE   default .build/debootstrap-rootfs
#   DEBOOTSTRAP_REFRESH=1  make the root file system again
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT_DIR="$(pwd)"

BIN="${1:-${HOOKBIRD_BIN:-}}"
if [[ -z "$BIN" ]]; then
  BIN="$(bash scripts/release.sh | tail -n 1)"
fi
if [[ ! -x "$BIN" ]]; then
  echo "error: no executable binary at '$BIN'" >&2
  exit 1
fi
if [[ "$(id -u)" -ne 0 ]]; then
  echo "error: needs root (debootstrap, mount and chroot); CI runs as root" >&2
  exit 1
fi
DEBOOTSTRAP="$(command -v debootstrap || echo /usr/sbin/debootstrap)"
if [[ ! -x "$DEBOOTSTRAP" ]]; then
  echo "error: debootstrap is not installed (apt-get install debootstrap; .ci/run does)" >&2
  exit 1
fi

SUITE="${DEBOOTSTRAP_SUITE:-bookworm}"
MIRROR="${DEBOOTSTRAP_MIRROR:-http://deb.debian.org/debian}"
ARCH="$(dpkg --print-architecture)"
CACHE="${DEBOOTSTRAP_CACHE:-$ROOT_DIR/.build/debootstrap-rootfs}"
# What deploy/Dockerfile adds to bookworm-slim. A change here makes a new root file system (the stamp below).
INCLUDE="ca-certificates"
PRISTINE="$CACHE/$SUITE-$ARCH"
STAMP="$PRISTINE.stamp"
WANT_STAMP="suite=$SUITE arch=$ARCH variant=minbase include=$INCLUDE mirror=$MIRROR"

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9   # one maker of the root file system at a time

if [[ "${DEBOOTSTRAP_REFRESH:-0}" == "1" || ! -d "$PRISTINE" || "$(cat "$STAMP" 2>/dev/null)" != "$WANT_STAMP" ]]; then
  echo "==> debootstrap --variant=minbase --include=$INCLUDE $SUITE ($ARCH) from $MIRROR"
  start=$SECONDS
  rm -rf "$PRISTINE" "$STAMP" "$PRISTINE.new"
  if ! "$DEBOOTSTRAP" --variant=minbase --include="$INCLUDE" --arch="$ARCH" "$SUITE" "$PRISTINE.new" "$MIRROR" \
      >"$CACHE/debootstrap.log" 2>&1; then
    tail -n 30 "$CACHE/debootstrap.log" >&2
    echo "error: debootstrap failed (log: $CACHE/debootstrap.log)" >&2
    exit 1
  fi
  rm -rf "$PRISTINE.new/var/cache/apt/archives/"*.deb
  mv "$PRISTINE.new" "$PRISTINE"
  echo "$WANT_STAMP" >"$STAMP"
  echo "==> root file system made in $((SECONDS - start)) s: $PRISTINE ($(du -sh "$PRISTINE" | cut -f1))"
else
  echo "==> reusing $PRISTINE ($(cat "$STAMP"))"
fi

WORK="$(mktemp -d "$CACHE/run.XXXXXX")"
cleanup() {
  # The mounts live in the chroot's own mount namespace, so nothing is mounted here; refuse to delete through a
  # mount all the same.
  if grep -q " $WORK/" /proc/self/mountinfo; then
    echo "warning: something is still mounted under $WORK; not deleting it" >&2
    return
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
start=$SECONDS
cp -a "$PRISTINE" "$WORK/root"
flock -u 9
ROOTFS="$WORK/root"

# As deploy/Dockerfile does it.
chroot "$ROOTFS" groupadd --gid 10001 hookbird
chroot "$ROOTFS" useradd --uid 10001 --gid hookbird --home-dir /var/lib/hookbird --no-create-home \
  --shell /usr/sbin/nologin hookbird
install -d -o 10001 -g 10001 -m 0700 "$ROOTFS/var/lib/hookbird"
install -m 0755 "$BIN" "$ROOTFS/usr/local/bin/hookbird"
echo "==> root ready in $((SECONDS - start)) s ($(du -sh "$ROOTFS" | cut -f1) with the binary)"

# No Swift in there: the check below would prove nothing if the toolchain's libraries were in the root.
if find "$ROOTFS" -name 'libswiftCore.so*' -o -name 'libFoundation*.so*' | grep -q .; then
  echo "error: the root file system has Swift's runtime libraries" >&2
  exit 1
fi

# run-in-root: runs a command in the root as user hookbird, from /var/lib/hookbird, with an empty environment but for
# PATH, HOME and the HOOKBIRD_* variables given as NAME=VALUE arguments before the command.
RUNNER="$WORK/run-in-root.sh"
cat >"$RUNNER" <<'RUNNER_EOF'
#!/usr/bin/env bash
set -euo pipefail
root="$1"; shift
exec unshare --mount --propagation private -- bash -c '
  set -euo pipefail
  root="$1"; shift
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount -t sysfs -o ro sysfs "$root/sys"
  exec chroot --userspec=10001:10001 "$root" /usr/bin/env -i -C /var/lib/hookbird \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/var/lib/hookbird "$@"
' run-in-root "$root" "$@"
RUNNER_EOF
chmod 0755 "$RUNNER"

python3 tests/deploy/deploy_check.py --runner "$RUNNER" --root "$ROOTFS" --unit deploy/hookbird.service
echo "==> debootstrap test passed in $((SECONDS - start)) s after the root file system was ready"
