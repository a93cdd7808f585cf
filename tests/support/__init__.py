"""The Python harness every pytest suite shares (import it as `tests.support`; pytest.ini puts the repository root
on the path, and the root conftest.py has the shared fixtures):

  binary    HOOKBIRD_BIN, waited for, or a private copy a rebuild cannot swap (`stable_copy`)
  database  the --database of a test server: an SQLite file, or a new PostgreSQL database
  process   `Hookbird`, one `hookbird serve` process and a client of its API; `ServerFactory`
  receiver  `Receiver`, the recording, scriptable webhook receiver (`Respond`, `Reset`, `Stream`, `redirect`)
  waiting   `wait_until` and `poll` (deadlines, never blind sleeps), `free_port`, `tail`, `unique`
  listener  `Listener`, a `hookbird listen` process whose output lines a test can wait for
  dashboard `DashboardClient`, a cookie-keeping, CSRF-reading client of the dashboard
"""

from tests.support.binary import REPO_ROOT, binary_path, clean_env, source_binary, stable_copy
from tests.support.dashboard import DashboardClient, csrf_of
from tests.support.database import backend, database_url, new_postgres_database
from tests.support.listener import Listener
from tests.support.process import FAST_FLAGS, HEALTH_TIMEOUT_S, SHUTDOWN_TIMEOUT_S, Hookbird, ServerFactory
from tests.support.receiver import Received, Receiver, Reset, Respond, Stream, redirect
from tests.support.waiting import free_port, poll, tail, unique, wait_until

__all__ = [
    "FAST_FLAGS", "HEALTH_TIMEOUT_S", "REPO_ROOT", "SHUTDOWN_TIMEOUT_S", "DashboardClient", "Hookbird", "Listener",
    "Received", "Receiver", "Reset", "Respond", "ServerFactory", "Stream", "backend", "binary_path", "clean_env",
    "csrf_of", "database_url", "free_port", "new_postgres_database", "poll", "redirect", "source_binary",
    "stable_copy", "tail", "unique", "wait_until",
]
