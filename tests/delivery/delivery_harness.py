"""What only the delivery suite (tests/delivery) needs beyond the shared harness in tests/support (the `Hookbird`
process, the scriptable `Receiver`, `wait_until`): timestamps for the API's `since`/`before` parameters.

Every wait is a poll with a deadline (`wait_until`), never a blind sleep; the only sleeps are "nothing more happens
for N seconds" checks.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def iso_ago(seconds: float) -> str:
    return iso(datetime.now(timezone.utc) - timedelta(seconds=seconds))
