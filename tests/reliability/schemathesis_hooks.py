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
sent as generated, so their rejection is still tested.

`filter_failure` drops a "schema-valid request rejected" (ST202) in exactly
these cases, and no other:

- the answer is 422 `already_exists`: some checks send a case again (without
  these hooks), and the provider then rightly says the user exists;
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

An import file sent as `text/csv` is text whatever a generator meant: a
"schema-violating" body such as `{}` or `null` arrives as the characters
`{}`, a CSV header. So for `text/csv` bodies, `filter_failure` also drops a
"schema-violating request accepted" (ST201), and a "schema-valid request
rejected" (ST202) answered with 400 `invalid_csv`: CSV's grammar (quotes,
a header row, unique column names; docs/csv.md) is no JSON Schema's
business. And an import's rows are checked one by one: a row that breaks
the provider's schema is reported `invalid` in the job (or the dry run's
report) and skipped, so an ST201 on an import answered 200 or 202 is
dropped too (a malformed envelope, such as `rows` not being an array, is
still a 422 and still judged).
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
    """Prefixes the local part of every `email` string in a JSON body."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "email" and isinstance(value, str) and value.count("@") == 1:
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
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() != "idempotency-key":
            continue
        value = headers[name]
        if isinstance(value, str) and VALID_KEY.match(value):
            headers[name] = f"{value[:200]}-{uuid.uuid4().hex}"
    if case.method.upper() == "POST" and isinstance(case.body, (dict, list)):
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
    media = getattr(case, "media_type", None) or ""
    for name, value in (case.headers or {}).items():
        if name.lower() == "content-type" and isinstance(value, str):
            media = value
    media = media.split(";")[0].strip().lower()
    if media == "text/csv" and code == "ST201":
        return _dropped("import: a text/csv body is text")
    is_import = case.method.upper() == "POST" and case.path.endswith("/imports")
    if is_import and code == "ST201" and response is not None and response.status_code in (200, 202):
        return _dropped("import: invalid rows are reported per row")
    if media == "text/csv" and code == "ST202" and response is not None and response.status_code == 400:
        try:
            if json.loads(response.content).get("type") == "urn:enlist:problem:invalid_csv":
                return _dropped("import: CSV grammar")
        except (ValueError, AttributeError):
            pass
        return True
    if code != "ST202" or response is None or response.status_code != 422:
        return True
    try:
        problem = json.loads(response.content)
    except ValueError:
        return True
    if not isinstance(problem, dict):
        return True
    if problem.get("type") == "urn:enlist:problem:already_exists":
        return _dropped("already_exists (a case sent again)")
    errors = problem.get("errors") or []
    if problem.get("type") == "urn:enlist:problem:validation" and errors and all(map(_unknown_workspace, errors)):
        return _dropped("provider: no such workspace")
    if problem.get("type") == "urn:enlist:problem:validation" and errors and all(map(_inexpressible, errors)):
        codes = sorted({e.get("code") for e in errors})
        return _dropped("validation: " + ", ".join("integer written with a fraction" if c == "type" else "duplicate list item" for c in codes))
    return True
