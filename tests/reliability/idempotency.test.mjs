// Idempotency under concurrency: 20 rounds (a new Idempotency-Key per round,
// alternating Partoo and PandaDoc), each firing 50 identical requests with
// that key at once. Exactly one upstream create per round — 20 in all — and
// every caller gets either the created user (fresh or replayed, all with the
// same id) or 409 idempotency_in_flight, never a second user.
// Odd rounds slow the upstream down (300 ms) so that the 49 followers arrive
// while the first call is in flight; even rounds let it answer at once, so
// followers mostly get the stored answer.
//
// Needs the Worker built (`cargo xtask build worker`).
// Run: node --test tests/reliability/idempotency.test.mjs
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { all, assertProblem, report, startStack, tally } from "./harness.mjs";

const ROUNDS = 20;
const PARALLEL = 50;

let stack;
before(async () => {
  stack = await startStack();
});
after(() => stack?.close());

test(`${PARALLEL} parallel same-key requests × ${ROUNDS} rounds → exactly ${ROUNDS} upstream creates`, { timeout: 120_000 }, async () => {
  const perRound = [];
  for (let round = 0; round < ROUNDS; round++) {
    const provider = round % 2 === 0 ? "partoo" : "pandadoc";
    const { route, user } = stack.providers[provider];
    const payload = user();
    const key = `reliability-${round}-${randomUUID()}`;
    if (round % 2 === 1) stack.upstream.script({ delayMs: 300 });

    const answers = await all(PARALLEL, () => stack.post(route, payload, { headers: { "idempotency-key": key } }));

    const statuses = answers.map((a) => a.status);
    const what = `round ${round} (${provider}, key ${key}): statuses ${JSON.stringify(tally(statuses))}`;
    for (const a of answers) {
      if (a.status === 409) {
        assertProblem(a, 409, "idempotency_in_flight", what);
        assert.ok(a.headers.get("retry-after"), `${what}: a 409 without Retry-After`);
      } else {
        assert.equal(a.status, 201, `${what}: unexpected answer ${a.status} ${a.text.slice(0, 300)}`);
      }
    }
    const created = answers.filter((a) => a.status === 201);
    const fresh = created.filter((a) => a.headers.get("idempotent-replayed") !== "true");
    assert.equal(fresh.length, 1, `${what}: ${fresh.length} answers were not replays (want exactly 1)`);
    const ids = new Set(created.map((a) => a.json?.id));
    assert.equal(ids.size, 1, `${what}: ${ids.size} different user ids in the 201 answers`);

    // A retry after the dust settles is a replay of the same answer.
    const retry = await stack.post(route, payload, { headers: { "idempotency-key": key } });
    assert.equal(retry.status, 201, `${what}: retry answered ${retry.status} ${retry.text.slice(0, 200)}`);
    assert.equal(retry.headers.get("idempotent-replayed"), "true", `${what}: retry was not a replay`);
    assert.equal(retry.json.id, fresh[0].json.id, `${what}: retry replayed another id`);

    const email = provider === "partoo" ? payload.email : payload.user.email;
    const creates = stack.creates(provider, email).length;
    assert.equal(creates, 1, `${what}: the mock recorded ${creates} create calls for this round's user`);
    perRound.push({ round, provider, statuses: tally(statuses) });
  }
  const total = stack.creates("partoo").length + stack.creates("pandadoc").length;
  assert.equal(total, ROUNDS, `upstream creates: ${total}, want ${ROUNDS}`);
  const summary = tally(perRound.flatMap((r) => Object.entries(r.statuses).flatMap(([s, n]) => Array(n).fill(s))));
  report(`idempotency: ${ROUNDS} rounds × ${PARALLEL} → ${total} upstream creates; answers ${JSON.stringify(summary)}`);
});

test("the same key with a different body is 422 idempotency_key_reused, and nothing is forwarded", async () => {
  const key = `reliability-reuse-${randomUUID()}`;
  const { route, user } = stack.providers.partoo;
  const first = await stack.post(route, user(), { headers: { "idempotency-key": key } });
  assert.equal(first.status, 201, first.text);
  const before = stack.creates("partoo").length;
  const other = await stack.post(route, user(), { headers: { "idempotency-key": key } });
  assertProblem(other, 422, "idempotency_key_reused");
  assert.equal(stack.creates("partoo").length, before, "a reused key reached the upstream");
});
