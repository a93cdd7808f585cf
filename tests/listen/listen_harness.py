"""Helpers for the `hookbird listen` suite (tests/listen): the retry schedules of its servers. The server process
(`Hookbird`), the scriptable local receiver (`Receiver`) and `Listener`, a `hookbird listen` subprocess whose output
lines tests wait for, are the shared ones (tests/support).
"""

from __future__ import annotations

# Retries far apart: a message that waited for a listener arrives only if reconnecting makes it due at once.
SLOW_RETRIES = {"--retry-schedule": "1m,1m,1m,1m", "--request-timeout": "5s"}
# Retries within a second, for the tests that watch failing attempts being retried.
FAST_RETRIES = {"--retry-schedule": "300ms,300ms,300ms", "--request-timeout": "5s"}
