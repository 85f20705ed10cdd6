"""schemathesis hooks for tests/reliability/schemathesis.mjs (SCHEMATHESIS_HOOKS).

Two things in the API's contract depend on what came before, and generators
reuse small values ("0", "0@0.com") across unrelated test cases:

- an Idempotency-Key names one request: the same key with a different
  request is refused (422 idempotency_key_reused);
- a provider has one user per email: creating it again is refused
  (422 already_exists).

So that a schema-valid request is judged on its own, each call gets a fresh
value for both, keeping its shape: a *valid* key (1-255 visible ASCII
characters, as documented) gets a unique suffix, and an email whose local
part is a plain dot-atom gets a unique prefix. Invalid keys and emails are
sent as generated, so their rejection is still tested. Key reuse, replays and
duplicate users are tested on purpose elsewhere (idempotency.test.mjs,
faults.test.mjs, tests/worker/).
"""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[!-~]{1,255}$")
DOT_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


def _fresh_emails(node):
    """Prefixes the local part of every `email` string in a JSON body."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "email" and isinstance(value, str) and value.count("@") == 1:
                local, domain = value.split("@")
                fresh = f"u{uuid.uuid4().hex[:12]}.{local}"
                if DOT_ATOM.match(local) and len(fresh) <= 64:
                    node[name] = f"{fresh}@{domain}"
            else:
                _fresh_emails(value)
    elif isinstance(node, list):
        for item in node:
            _fresh_emails(item)


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() != "idempotency-key":
            continue
        value = headers[name]
        if isinstance(value, str) and VALID_KEY.match(value):
            headers[name] = f"{value[:200]}-{uuid.uuid4().hex}"
    if case.method.upper() == "POST" and isinstance(case.body, (dict, list)):
        _fresh_emails(case.body)
