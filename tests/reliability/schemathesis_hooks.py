"""schemathesis hooks for tests/reliability/schemathesis.mjs (SCHEMATHESIS_HOOKS).

The API's contract says an Idempotency-Key names one request: the same key
with a different request is refused (422 idempotency_key_reused). Generators
reuse small values ("0", "a") across unrelated requests, which would turn
schema-valid requests into that refusal. So each *valid* key (1-255 visible
ASCII characters, as documented) is made unique per call; invalid keys are
sent as generated, so their rejection is still tested. Key reuse and replay
are tested on purpose in idempotency.test.mjs.
"""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() != "idempotency-key":
            continue
        value = headers[name]
        if isinstance(value, str) and VALID_KEY.match(value):
            headers[name] = f"{value[:200]}-{uuid.uuid4().hex}"
