#!/usr/bin/env bash
# Hookbird's full test run: the Swift unit/integration tests on the debug build, then the release binary
# (scripts/release.sh, the one users run) and every pytest suite against it, which drive the real `hookbird`
# processes (server and CLI) with the official svix SDK; tests/cli also runs against the debug binary. Before the
# pytest suites, the deploy checks: deploy/hookbird.service through systemd-analyze (tests/deploy/verify-unit.sh), and
# the release binary in a minimal Debian without Swift (tests/deploy/debootstrap-test.sh; as root, with debootstrap).
#
#   bash scripts/test.sh
#
# Environment:
#   PYTHON          interpreter used to create the venv (default: python3)
#   VENV            venv directory (default: .venv-test in the repo root)
#   SKIP_SWIFT=1    skip `swift build`/`swift test` (reuse an existing debug build)
#   SKIP_RELEASE=1  skip scripts/release.sh (reuse an existing release binary)
#   HOOKBIRD_BIN    binary for the pytest suites (default: the release binary scripts/release.sh builds)
#   HOOKBIRD_TEST_POSTGRES_URL
#                 PostgreSQL server for the storage conformance suite, e.g.
#                 postgres://postgres@127.0.0.1:5432/postgres (each test creates
#                 and drops a database of its own there). When unset and the
#                 PostgreSQL server binaries are installed, a throwaway server
#                 is started (scripts/pg-throwaway.sh) and stopped at exit;
#                 otherwise the PostgreSQL cases are skipped. With a server,
#                 the Swift API tests run on it too (a database per test),
#                 tests/sdk, tests/e2e, tests/delivery, tests/inbound,
#                 tests/dashboard, tests/listen, tests/cli and tests/contract run a second time
#                 on it (HOOKBIRD_TEST_DATABASE=postgres: a database per server;
#                 tests/e2e skips its tests about the SQLite file and those that
#                 never reach the database), and tests/cluster runs several
#                 nodes on one database.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-$ROOT/.venv-test}"

if [[ -z "${HOOKBIRD_TEST_POSTGRES_URL:-}" ]] && compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  echo "==> starting a throwaway PostgreSQL server"
  if PG_THROWAWAY_URL=$(bash scripts/pg-throwaway.sh start); then
    trap 'bash scripts/pg-throwaway.sh stop "$PG_THROWAWAY_URL"' EXIT
    export HOOKBIRD_TEST_POSTGRES_URL="$PG_THROWAWAY_URL"
    echo "    $HOOKBIRD_TEST_POSTGRES_URL"
  else
    echo "warning: could not start PostgreSQL; its storage tests will be skipped" >&2
  fi
fi
if [[ -z "${HOOKBIRD_TEST_POSTGRES_URL:-}" ]]; then
  echo "==> no PostgreSQL (HOOKBIRD_TEST_POSTGRES_URL unset): its storage tests will be skipped"
fi

swift_status=0
if [[ "${SKIP_SWIFT:-0}" != "1" ]]; then
  echo "==> swift build --build-tests"
  swift build --build-tests
  echo "==> swift test"
  # Keep going on failure so the end-to-end suite still reports; the exit
  # status below accounts for it.
  swift test --skip-build || swift_status=$?
fi
DEBUG_BIN="$ROOT/.build/debug/hookbird"

# The pytest suites run against the release binary: an optimised build can behave differently (issue 21: a
# miscompiled task group crashed `message send --file` in release builds only).
if [[ -n "${HOOKBIRD_BIN:-}" ]]; then
  BIN="$HOOKBIRD_BIN"
elif [[ "${SKIP_RELEASE:-0}" == "1" ]]; then
  BIN="$(swift build -c release --static-swift-stdlib --show-bin-path)/hookbird"
else
  echo "==> scripts/release.sh"
  release_start=$SECONDS
  BIN="$(bash scripts/release.sh | tail -n 1)"
  echo "==> release binary built in $((SECONDS - release_start)) s: $BIN"
fi
if [[ ! -x "$BIN" ]]; then
  echo "error: binary not found at $BIN (run scripts/release.sh)" >&2
  exit 1
fi

deploy_status=0
echo "==> tests/deploy/verify-unit.sh (deploy/hookbird.service)"
bash tests/deploy/verify-unit.sh || deploy_status=$?
# The binary in a minimal Debian without Swift (debootstrap, chroot): needs root and debootstrap, which CI has
# (.ci/run installs it); the root file system is kept in .build/debootstrap-rootfs/ for the next run.
if [[ "$(id -u)" -ne 0 ]]; then
  echo "==> skipping tests/deploy/debootstrap-test.sh: needs root"
elif ldd "$BIN" 2>/dev/null | grep -q libswiftCore; then
  echo "==> skipping tests/deploy/debootstrap-test.sh: $BIN needs the Swift runtime (not a scripts/release.sh build)"
else
  echo "==> tests/deploy/debootstrap-test.sh $BIN"
  deploy_start=$SECONDS
  bash tests/deploy/debootstrap-test.sh "$BIN" || deploy_status=$?
  echo "==> debootstrap test took $((SECONDS - deploy_start)) s"
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "==> creating venv $VENV"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi
echo "==> installing Python test dependencies"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check \
  svix==2.9.1 standardwebhooks pytest requests cryptography stripe slack-sdk selenium schemathesis==4.32.5

SUITES=(tests/sdk tests/e2e tests/delivery tests/inbound tests/dashboard tests/listen tests/cli tests/contract)
pytest_status=0
# The PostgreSQL pass runs beside the SQLite one: the suites mostly wait (on servers, receivers, timers), and the two
# side by side took 10.4 min here against 15.5 one after the other, all passing. Its output is kept in a file and
# shown when it ends, so that the two do not interleave.
pg_pid=""
PG_LOG="$ROOT/.build/pytest-postgres.log"
if [[ -n "${HOOKBIRD_TEST_POSTGRES_URL:-}" ]]; then
  # Every suite that starts servers, again, each server on a new database of that server (tests/e2e skips, with a
  # reason, its tests of the SQLite file itself and those that never reach the database).
  echo "==> pytest ${SUITES[*]} on PostgreSQL (HOOKBIRD_TEST_DATABASE=postgres), beside the SQLite pass; output: $PG_LOG"
  mkdir -p "$(dirname "$PG_LOG")"
  HOOKBIRD_BIN="$BIN" HOOKBIRD_TEST_DATABASE=postgres \
    "$VENV/bin/python" -m pytest -q "${SUITES[@]}" >"$PG_LOG" 2>&1 &
  pg_pid=$!
fi

echo "==> pytest ${SUITES[*]} (HOOKBIRD_BIN=$BIN)"
# tests/dashboard drives headless Chromium (Debian's chromium + chromium-driver, which .ci/run installs) and keeps
# its screenshots in .build/artifacts/dashboard/.
HOOKBIRD_BIN="$BIN" "$VENV/bin/python" -m pytest -q "${SUITES[@]}" || pytest_status=$?

# The CLI's process tests against the debug binary as well (its many-runs test is about optimised builds and
# takes minutes on a debug server, so it runs on the release binary only).
if [[ -x "$DEBUG_BIN" && "$DEBUG_BIN" != "$BIN" ]]; then
  echo "==> pytest tests/cli (HOOKBIRD_BIN=$DEBUG_BIN)"
  HOOKBIRD_BIN="$DEBUG_BIN" "$VENV/bin/python" -m pytest -q tests/cli -k "not twenty_runs" || pytest_status=$?
fi

if [[ -n "$pg_pid" ]]; then
  pg_status=0
  wait "$pg_pid" || pg_status=$?
  echo "==> pytest on PostgreSQL (exit $pg_status):"
  cat "$PG_LOG"
  [[ $pg_status -eq 0 ]] || pytest_status=$pg_status
  # Several nodes on one database (each test makes a database of its own; the outage test starts its own server).
  echo "==> pytest tests/cluster (several nodes on PostgreSQL)"
  HOOKBIRD_BIN="$BIN" "$VENV/bin/python" -m pytest -q -rs tests/cluster || pytest_status=$?
fi

if [[ $swift_status -ne 0 || $pytest_status -ne 0 || $deploy_status -ne 0 ]]; then
  echo "FAILED: swift test exit $swift_status, pytest exit $pytest_status, deploy checks exit $deploy_status" >&2
  exit 1
fi
echo "==> all tests passed"
