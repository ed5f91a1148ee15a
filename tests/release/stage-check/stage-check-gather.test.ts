/**
 * The stage check's gathering on a fake clock and a fake stage: its bounds, and routes judged
 * one by one. The invoke permission's SourceArn can name one stage, method and path
 * (`arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<resource-path>`, the form of
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-iam-policy-examples-for-api-execution.html;
 * the policy example at https://repost.aws/questions/QUizsg_qznQLWKtqUD8Ruszw scopes it to GET
 * on the root path of any stage), so API Gateway may invoke the alias for one route and answer every other
 * with its 500 ("Execution failed due to configuration error: Invalid permissions on Lambda
 * function ... Method completed with status: 500",
 * https://repost.aws/knowledge-center/api-gateway-rest-api-lambda-integrations).
 */
import assert from "node:assert/strict";
import { judgeAnswer, judgeStage, type StageExpectation, type StageRoute } from "../../../release/stage-check/judge";
import { fetchStagePort, gatherStage, type StageHttpPort, type StageHttpRequest } from "../../../release/stage-check/http";
import { FakeClock, T0 } from "../harness";
import { Progress } from "../../../release/engine/report";
import { stageCheckSchema } from "../../../release/inputs/settings";
import { StageChecker, syntheticAt } from "../../../release/engine/stage-check-run";
import type { StageOutput } from "../../../release/inputs/stack-outputs";
import { smokeEvents } from "../../../lambda-src/smoke-events";

const HEALTH: StageRoute = { name: "GET /health", path: "/health", handler: "health" };
const TODO: StageRoute = { name: "GET /todo/{todoId} (smoke item)", path: "/todo/smoke-x", handler: "getTodo", pathParameters: { todoId: "smoke-x" } };
const AT_10: StageExpectation = { versions: ["41", "42"], target: "42", requireTarget: false, smokeItemWritten: true };
const AT_100: StageExpectation = { ...AT_10, requireTarget: true };
const URL = "https://abc.execute-api.eu-west-1.amazonaws.com/prod";

const functionAnswer = (url: string, version: string) =>
  url.endsWith("/health")
    ? { status: 200, version, body: JSON.stringify({ status: "ok", functionVersion: version }) }
    : { status: 200, version, body: JSON.stringify({ todoId: "smoke-x", title: "release smoke check" }) };
const internalServerError = { status: 500, errorType: "InternalServerErrorException", body: '{"message": "Internal server error"}' };

describe("stage check: gathering", () => {
  it("a permission scoped to GET /health only: every GET /todo answered by API Gateway's 500 fails the check, though /health is answered well", async () => {
    for (const expect of [AT_10, AT_100]) {
      const clock = new FakeClock();
      const http: StageHttpPort = async ({ url }) => (url.endsWith("/health") ? functionAnswer(url, "42") : internalServerError);
      const limits = { maxRequests: 100, maxSeconds: 60, timeoutMs: 10_000, intervalMs: 200 };
      const judged = await gatherStage({ http, clock }, URL, [HEALTH, TODO], expect, limits);
      const verdict = judgeStage(judged, 2, expect, limits);
      assert.equal(verdict.ok, false, `at ${expect.requireTarget ? 100 : 10}%: ${JSON.stringify(verdict)}`);
      assert.match(verdict.reason ?? "", /GET \/todo\/\{todoId\} \(smoke item\) → 500/);
    }
  });

  it("a route answered only by a failure does not pass at 10%, though the other route and the target answered well", async () => {
    const clock = new FakeClock();
    const answers = [
      functionAnswer("/health", "42"),
      // The previous version's own 500 once on GET /todo (transient): not yet a failed check, nor a route answered.
      { status: 500, version: "41", body: JSON.stringify({ message: "internal error", errors: [] }) },
      functionAnswer("/health", "41"),
      functionAnswer("/todo/smoke-x", "41"),
    ];
    let n = 0;
    const http: StageHttpPort = async () => answers[Math.min(n++, answers.length - 1)];
    const limits = { maxRequests: 100, maxSeconds: 60, timeoutMs: 10_000, intervalMs: 200 };
    const judged = await gatherStage({ http, clock }, URL, [HEALTH, TODO], AT_10, limits);
    assert.equal(judged.length, 4, "it sends until GET /todo was answered well");
    assert.equal(judgeStage(judged, 2, AT_10, limits).ok, true);
    assert.equal(judgeStage(judged.slice(0, 3), 2, AT_10, limits).ok, false, "GET /todo had no good answer after three requests");
  });

  it("never runs past maxSeconds: the pause and the last request's timeout are cut to the time left, and a request cut short is no answer", async () => {
    const clock = new FakeClock();
    const sent: Array<{ at: number; timeoutMs: number }> = [];
    // A stage that throttles every request and takes 900 ms to say so; it ends a request at its timeout.
    const http: StageHttpPort = async ({ timeoutMs }: StageHttpRequest) => {
      sent.push({ at: clock.now(), timeoutMs });
      await clock.sleep(Math.min(900, timeoutMs));
      if (timeoutMs < 900) return { body: "", failure: { kind: "timeout", detail: `no answer within ${timeoutMs} ms` } };
      return { status: 429, errorType: "ThrottlingException", body: '{"message":"Too Many Requests"}' };
    };
    const limits = { maxRequests: 1000, maxSeconds: 10, timeoutMs: 5_000, intervalMs: 200 };
    const judged = await gatherStage({ http, clock }, URL, [HEALTH], AT_10, limits);
    assert.ok(clock.now() - T0 <= 10_000, `the check took ${clock.now() - T0} ms, more than maxSeconds 10`);
    for (const s of sent) assert.ok(s.at + s.timeoutMs <= T0 + 10_000, `a request sent at +${s.at - T0} ms with a ${s.timeoutMs} ms timeout could run past maxSeconds`);
    assert.ok(judged.every((j) => j.answer.failure === undefined), "a request the bound cut short is not judged as the stage's timeout");
    assert.match(judgeStage(judged, 1, AT_10, limits).reason ?? "", /too few answers within 1000 requests and 10 s/);
  });

  it("a stage that throttles (429): the check resubmits rate-limited, at least a second apart and backing off, not at intervalMs", async () => {
    // "Upon catching such exceptions, the client can resubmit the failed requests in a way that is
    // rate limiting" (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html):
    // the stage's token bucket is shared with users, so a check that keeps its pace takes their tokens.
    const clock = new FakeClock();
    const sent: number[] = [];
    const http: StageHttpPort = async () => (sent.push(clock.now()), { status: 429, errorType: "ThrottlingException", body: '{"message":"Too Many Requests"}' });
    const limits = { maxRequests: 100, maxSeconds: 60, timeoutMs: 10_000, intervalMs: 200 };
    await gatherStage({ http, clock }, URL, [HEALTH], AT_10, limits);
    const gaps = sent.slice(1).map((t, i) => t - sent[i]);
    assert.ok(gaps.every((g) => g >= 1000), `gaps after a 429: ${gaps.join(", ")} ms`);
    assert.ok(gaps.every((g, i) => i === 0 || g >= gaps[i - 1] || clock.now() - T0 >= 60_000), `not backing off: ${gaps.join(", ")} ms`);
    assert.ok(sent.length <= 15, `${sent.length} requests into a throttling stage in 60 s`);
  });

  it("after a throttled answer and a good one, it keeps its own pace again", async () => {
    const clock = new FakeClock();
    const sent: number[] = [];
    let n = 0;
    const http: StageHttpPort = async ({ url }) => (sent.push(clock.now()), ++n === 1 ? { status: 429, body: '{"message":"Too Many Requests"}' } : functionAnswer(url, n >= 4 ? "42" : "41"));
    await gatherStage({ http, clock }, URL, [HEALTH], AT_10, { maxRequests: 100, maxSeconds: 60, timeoutMs: 10_000, intervalMs: 200 });
    assert.deepEqual(sent.slice(1).map((t, i) => t - sent[i]), [1000, 200, 200]);
  });

  it("never sends more than maxRequests", async () => {
    const clock = new FakeClock();
    let sent = 0;
    const http: StageHttpPort = async () => (sent++, { status: 429, body: '{"message":"Too Many Requests"}' });
    await gatherStage({ http, clock }, URL, [HEALTH, TODO], AT_10, { maxRequests: 7, maxSeconds: 600, timeoutMs: 1000, intervalMs: 0 });
    assert.equal(sent, 7);
  });
});

describe("stage check: the fetch port", () => {
  it("takes a redirect as the stage's answer: Node's fetch with redirect manual gives the 3xx itself (nodejs/undici#1193), which no function answer is", async () => {
    const { createServer } = await import("node:http");
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.writeHead(301, { location: "https://example.com/elsewhere" });
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as { port: number };
      const got = await fetchStagePort()({ url: `http://127.0.0.1:${port}/prod/health`, timeoutMs: 5000 });
      assert.equal(got.status, 301);
      assert.equal(requests, 1, "not followed");
      const verdict = judgeAnswer(HEALTH, { ...got, route: HEALTH.name, at: 0, latencyMs: 1 }, AT_10);
      assert.equal(verdict.kind, "fail");
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("stage check: its answers leave the health counts only once the metrics can hold them", () => {
  it("EMF requests after evidenceDelaySeconds, Lambda's invocations after metricDelaySeconds, its 5xx answers with them", async () => {
    const clock = new FakeClock();
    let n = 0;
    const http: StageHttpPort = async ({ url }) => (++n === 2 ? { status: 500, version: "41", body: JSON.stringify({ message: "internal error", errors: [] }) } : functionAnswer(url, n >= 3 ? "42" : "41"));
    const settings = stageCheckSchema.parse({ intervalMs: 1000 });
    const progress = new Progress({ write: () => true }, false);
    const checker = new StageChecker(
      { alias: "live", stages: [{ stageName: "prod", invokeUrl: URL, restApiId: "abc" } as StageOutput], settings, smokeEvents: smokeEvents({ label: "prod-live", nonce: "0".repeat(32) }).filter((e) => e.name === "GET /health"), skipped: [] },
      { http, clock, signal: new AbortController().signal, progress },
    );
    await checker.check(10, { previous: "41", target: "42" }, true);
    // Answers at +0, +1 and +2 s: 41, 41 (its 500), then 42, which ends the check at 10%.
    const delays = { evidenceDelaySeconds: 10, metricDelaySeconds: 60 };
    assert.deepEqual(syntheticAt(checker, T0 + 9_000, delays), { emf: {}, emfServerErrors: {}, lambda: {} }, "nothing yet: the metrics cannot hold them");
    assert.deepEqual(syntheticAt(checker, T0 + 11_500, delays), { emf: { "41": 2 }, emfServerErrors: { "41": 1 }, lambda: {} });
    assert.deepEqual(syntheticAt(checker, T0 + 63_000, delays), { emf: { "41": 2, "42": 1 }, emfServerErrors: { "41": 1 }, lambda: { "41": 2, "42": 1 } });
  });
});
