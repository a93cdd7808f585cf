"""schemathesis hooks for tests/contract (loaded through SCHEMATHESIS_HOOKS=st_hooks).

Every generated request that carries an `Idempotency-Key` gets a fresh one. The key is a header of every POST in
Svix's document, so schemathesis draws values for it, and draws the same short ones ("0", "") again and again; the
server then answers a later request with a different body by replaying the first 2xx answer under that key, as
Svix's idempotency promises. That is the feature working, not a wrong answer to the later request, and it would hide
what the later request itself gets. Keys that are not sent stay unsent.
"""

from __future__ import annotations

import uuid

import schemathesis


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key":
            headers[name] = "contract-" + uuid.uuid4().hex
