"""schemathesis hooks for tests/reliability/schemathesis.mjs (SCHEMATHESIS_HOOKS).

Two things in the API's contract depend on what came before, and generators
reuse small values ("0", "0@0.com") across unrelated test cases:

- an Idempotency-Key names one request: the same key with a different
  request is refused (422 idempotency_key_reused);
- a provider has one user per email: creating it again is refused
  (422 already_exists).

So that a schema-valid request is judged on its own, each call gets a fresh
value for both, keeping its shape: a *valid* key (1-255 visible ASCII
characters, as documented) gets a unique suffix, and an email (an `email`
member, or a SCIM `userName`) whose local part is a plain dot-atom gets a
unique prefix. Invalid keys and emails are sent as generated, so their
rejection is still tested.

Tokens: every call to a SCIM path (/scim/) gets `Authorization: Bearer
$ENLIST_SCIM_TOKEN`, and in admin mode every other call `Authorization:
Bearer $ENLIST_CLIENT_TOKEN`, in place of any generated value (the SCIM
service has its own tokens, so one header for every path will not do).

`filter_failure` drops a "schema-valid request rejected" (ST202) in exactly
these cases, and no other:

- the answer is 422 `already_exists`, or a SCIM 409 `uniqueness`: some
  checks send a case again (without these hooks), and the provider then
  rightly says the user exists;
- the answer is 422 `validation` and *every* issue is the provider refusing
  a workspace it does not have (path `/workspaces`, code `rejected`: the
  mock upstream, like PandaDoc, knows only letter-and-digit workspace ids, and
  which workspaces exist is no schema's business);
- the answer is 422 `validation` and *every* issue is one of two rules JSON
  Schema cannot state: an integer written with a fraction or exponent
  (`1416.0`: JSON Schema compares values, and 1416.0 is the integer 1416;
  enlist requires the digits) — code `type` with params expected "integer",
  found "number"; and a list item repeating another's key (two PandaDoc
  workspaces with the same `workspace_id`: "each once" in the document) —
  code `duplicate`.

Any other 422 (a rule the document could state and does not) still fails.

Import files sent as `text/csv` are documented as a string, which JSON
Schema cannot describe as a well-formed CSV with a header row. So, for a
`text/csv` body and no other, a schema-valid file refused as 400
`invalid_csv` (ST202), and a "schema-violating" one accepted (ST201: the
object or number schemathesis generated reaches the server as text, such as
`{}`, a header-only CSV) are dropped too.
Each dropped failure's reason is appended to the file named by
ENLIST_FILTER_LOG, which schemathesis.mjs tallies after the run.

Key reuse, replays and duplicate users are tested on purpose elsewhere
(idempotency.test.mjs, faults.test.mjs, tests/worker/).
"""

import json
import os
import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[!-~]{1,255}$")
FRESH = re.compile(r"^u[0-9a-f]{12}\.")
DOT_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


def _fresh_emails(node):
    """Prefixes the local part of every `email` (or SCIM `userName`) string in a JSON body."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name in ("email", "userName") and isinstance(value, str) and value.count("@") == 1:
                local, domain = value.split("@")
                local = FRESH.sub("", local)  # a case sent again: replace, not stack
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
    scim = case.path.startswith("/scim/")
    token = os.environ.get("ENLIST_SCIM_TOKEN" if scim else "ENLIST_CLIENT_TOKEN")
    if token and case.headers is not None:
        for name in [n for n in case.headers if n.lower() == "authorization"]:
            del case.headers[name]
        case.headers["Authorization"] = f"Bearer {token}"
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() != "idempotency-key":
            continue
        value = headers[name]
        if isinstance(value, str) and VALID_KEY.match(value):
            headers[name] = f"{value[:200]}-{uuid.uuid4().hex}"
    if case.method.upper() in ("POST", "PUT", "PATCH") and isinstance(case.body, (dict, list)):
        _fresh_emails(case.body)


def _inexpressible(issue):
    """An issue from a rule JSON Schema cannot state (see the module doc)."""
    if not isinstance(issue, dict):
        return False
    params = issue.get("params") or {}
    if issue.get("code") == "type":
        return params.get("expected") == "integer" and params.get("found") == "number"
    return issue.get("code") == "duplicate"


def _unknown_workspace(issue):
    """The provider's refusal of a workspace id (see the module doc)."""
    return isinstance(issue, dict) and issue.get("path") == "/workspaces" and issue.get("code") == "rejected"


def _dropped(reason):
    """Records why a failure was dropped (see ENLIST_FILTER_LOG)."""
    path = os.environ.get("ENLIST_FILTER_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(reason + "\n")
    return False


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """False drops the failure (see the module doc); True keeps it."""
    code = getattr(failure, "code", None)
    if (case.media_type or "").startswith("text/csv") and response is not None:
        if code == "ST201" and 200 <= response.status_code < 300:
            return _dropped("text/csv: a generated non-string sent as text")
        if code == "ST202" and response.status_code == 400 and b"urn:enlist:problem:invalid_csv" in response.content:
            return _dropped("text/csv: not a well-formed CSV file")
    if getattr(failure, "code", None) != "ST202" or response is None or response.status_code not in (409, 422):
        return True
    try:
        problem = json.loads(response.content)
    except ValueError:
        return True
    if not isinstance(problem, dict):
        return True
    if problem.get("type") == "urn:enlist:problem:already_exists" or (response.status_code == 409 and problem.get("scimType") == "uniqueness"):
        return _dropped("already_exists (a case sent again)")
    if response.status_code != 422:
        return True
    errors = problem.get("errors") or []
    if problem.get("type") == "urn:enlist:problem:validation" and errors and all(map(_unknown_workspace, errors)):
        return _dropped("provider: no such workspace")
    if problem.get("type") == "urn:enlist:problem:validation" and errors and all(map(_inexpressible, errors)):
        codes = sorted({e.get("code") for e in errors})
        return _dropped("validation: " + ", ".join("integer written with a fraction" if c == "type" else "duplicate list item" for c in codes))
    return True
