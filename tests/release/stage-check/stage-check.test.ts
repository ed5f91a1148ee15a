/**
 * The stage check's judging, as tables: whose answer each one is (the function stamps
 * x-function-version on every answer, lambda-src/app.ts; API Gateway's gateway responses carry
 * `{"message": …}` and x-amzn-ErrorType instead), what each route documents
 * (lambda-src/handlers), and when a check has seen enough. Plus the discount that keeps the
 * check's own requests out of the health counts.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ValidationError } from "../../../lib/validation";
import { loadOutputs, resolveInputs } from "../../../release/inputs/resolve";
import { stageCheckSchema } from "../../../release/inputs/settings";
import { PROD } from "../harness";
import { noRouteBody } from "../../../components/openapi";
import { enoughAnswers, judgeAnswer, judgeStage, type JudgedAnswer, type StageAnswer, type StageExpectation, type StageRoute } from "../../../release/stage-check/judge";
import { discountFigures, discountSample, stageRoutes } from "../../../release/engine/stage-check-run";
import { stageUrl } from "../../../release/stage-check/http";
import { smokeEvents } from "../../../lambda-src/smoke-events";

const HEALTH: StageRoute = { name: "GET /health", path: "/health", handler: "health" };
const TODO: StageRoute = { name: "GET /todo/{todoId} (smoke item)", path: "/todo/smoke-x", handler: "getTodo", pathParameters: { todoId: "smoke-x" } };
const AT_10: StageExpectation = { versions: ["41", "42"], target: "42", requireTarget: false, smokeItemWritten: true };
const AT_100: StageExpectation = { ...AT_10, requireTarget: true };

const fn = (version: string, status: number, body: unknown): StageAnswer => ({ route: "r", at: 0, latencyMs: 1, status, version, body: JSON.stringify(body) });
const gw = (status: number, body: string, errorType?: string): StageAnswer => ({ route: "r", at: 0, latencyMs: 1, status, errorType, body });
const healthy = (version: string) => fn(version, 200, { status: "ok", functionVersion: version });

describe("stage check: judging one answer", () => {
  const cases: Array<[string, StageRoute, StageAnswer, StageExpectation, "ok" | "retry" | "fail", RegExp?]> = [
    ["the previous version's healthy answer at 10%", HEALTH, healthy("41"), AT_10, "ok"],
    ["the target's healthy answer at 100%", HEALTH, healthy("42"), AT_100, "ok"],
    ["the previous version answering at 100%", HEALTH, healthy("41"), AT_100, "fail", /version 41 while the target 42 carries all traffic/],
    ["a version not on the alias (another alias's stage variable)", HEALTH, healthy("40"), AT_10, "fail", /version 40, which is not on the alias \(41, 42\).*lambdaAlias/],
    ["API Gateway's 500: no invoke permission on the alias", HEALTH, gw(500, '{"message": "Internal server error"}', "InternalServerErrorException"), AT_10, "fail", /API Gateway answered 500 \(x-amzn-ErrorType InternalServerErrorException\): .*lambda:InvokeFunction permission/],
    // The same answer when Lambda throttles the invocation: a REST proxy integration does not forward the 429.
    ["API Gateway's 500 names a Lambda throttle as a cause too", HEALTH, gw(500, '{"message": "Internal server error"}', "InternalServerErrorException"), AT_10, "fail", /API Gateway answered 500 .*Lambda throttled it .*a REST proxy integration answers a throttle this way/],
    ["API Gateway's 403 Missing Authentication Token: no deployed method", HEALTH, gw(403, '{"message":"Missing Authentication Token"}', "MissingAuthenticationTokenException"), AT_10, "fail", /MISSING_AUTHENTICATION_TOKEN/],
    ["API Gateway's 403 Forbidden: stage not deployed, or a resource policy", HEALTH, gw(403, '{"message":"Forbidden"}', "ForbiddenException"), AT_10, "fail", /stage is not deployed/],
    ["API Gateway's 502: the function failed or gave no proxy result", HEALTH, gw(502, '{"message": "Internal server error"}'), AT_10, "fail", /unhandled error or a Lambda timeout/],
    ["API Gateway's 504: integration timeout", HEALTH, gw(504, '{"message": "Endpoint request timed out"}'), AT_10, "fail", /INTEGRATION_TIMEOUT/],
    ["the stack's own 404 for an unmatched path (its MISSING_AUTHENTICATION_TOKEN response)", HEALTH, gw(404, noRouteBody("/prod/health")), AT_10, "fail", /the stack's MISSING_AUTHENTICATION_TOKEN response/],
    ["API Gateway's 429: throttled, no evidence either way", HEALTH, gw(429, '{"message":"Too Many Requests"}'), AT_10, "retry"],
    ["the function's own 500 (it carries the header): transient, the health judgement's to weigh", HEALTH, fn("42", 500, { message: "internal error", errors: [] }), AT_10, "fail", /the function answered 500/],
    ["a health body that is not {status: ok}", HEALTH, fn("42", 200, { status: "degraded", functionVersion: "42" }), AT_10, "fail", /body is not \{"status":"ok"/],
    ["a health body naming another version than its header", HEALTH, fn("42", 200, { status: "ok", functionVersion: "41" }), AT_10, "fail", /body names version 41, the header 42/],
    ["the smoke item, stored by the smoke gate", TODO, fn("42", 200, { todoId: "smoke-x", title: "release smoke check" }), AT_10, "ok"],
    ["the smoke item missing although the smoke gate stored it", TODO, fn("42", 404, { message: "no todo", errors: [] }), AT_10, "fail", /status 404, not 200 \(the smoke gate stored this item\)/],
    ["the smoke item's documented 404 when the smoke gate was off", TODO, fn("42", 404, { message: "no todo", errors: [] }), { ...AT_10, smokeItemWritten: false }, "ok"],
    ["another item's body", TODO, fn("42", 200, { todoId: "other" }), AT_10, "fail", /body is not the item smoke-x/],
    ["a route with no documented shape: any 2xx", { name: "GET /x", path: "/x" }, fn("41", 204, ""), AT_10, "ok"],
    ["no answer in time", HEALTH, { route: "r", at: 0, latencyMs: 5000, body: "", failure: { kind: "timeout", detail: "no answer within 5000 ms" } }, AT_10, "fail", /no answer: no answer within 5000 ms/],
    ["a refused connection (transient)", HEALTH, { route: "r", at: 0, latencyMs: 1, body: "", failure: { kind: "network", detail: "fetch failed (ECONNREFUSED)" } }, AT_10, "fail", /connection failed \(fetch failed \(ECONNREFUSED\)\)/],
  ];
  for (const [what, route, answer, expect, kind, problem] of cases) {
    it(`${what}: ${kind}`, () => {
      const v = judgeAnswer(route, answer, expect);
      assert.equal(v.kind, kind, JSON.stringify(v));
      if (problem !== undefined && v.kind === "fail") assert.match(v.problem, problem);
      if (v.kind === "fail" && answer.version === undefined && answer.failure === undefined) assert.equal(v.gatewayBody, answer.body, "API Gateway's own body is kept for the report");
      if (v.kind === "fail" && answer.version !== undefined) assert.equal(v.gatewayBody, undefined, "the function's answer is not API Gateway's");
    });
  }
});

describe("stage check: when a check has seen enough, and its verdict", () => {
  const judged = (answers: StageAnswer[], expect: StageExpectation, route = HEALTH): JudgedAnswer[] => answers.map((answer) => ({ answer, verdict: judgeAnswer(route, answer, expect) }));
  const bounds = { maxRequests: 100, maxSeconds: 60 };
  const cases: Array<[string, StageAnswer[], StageExpectation, boolean, boolean, RegExp?]> = [
    ["10%: previous only, so far", [healthy("41"), healthy("41")], AT_10, false, false, /target version 42 answered none of 2 requests within 100 requests and 60 s/],
    ["10%: the target answered once", [healthy("41"), healthy("42")], AT_10, true, true],
    ["100%: one round is not enough", [healthy("42")], AT_100, false, false, /too few answers/],
    ["100%: two rounds from the target", [healthy("42"), healthy("42")], AT_100, true, true],
    // Lambda documents no bound on when a changed alias reaches every invoke frontend: the previous version may still answer for a moment.
    ["100%: the previous version within the settle window, then the target", [{ ...healthy("41"), at: 9_999 }, { ...healthy("42"), at: 10_500 }, { ...healthy("42"), at: 10_700 }], { ...AT_100, settleUntil: 10_000 }, true, true],
    ["100%: the previous version after the settle window fails", [{ ...healthy("42"), at: 9_000 }, { ...healthy("41"), at: 10_000 }], { ...AT_100, settleUntil: 10_000 }, false, false, /answered by version 41 while the target 42 carries all traffic/],
    ["100%: only the previous version within the window is too few answers, not throttling", [{ ...healthy("41"), at: 1 }, { ...healthy("41"), at: 2 }], { ...AT_100, settleUntil: 10_000 }, false, false, /2 requests, 0 throttled/],
    ["100%: a version not on the alias fails even within the window", [{ ...healthy("40"), at: 1 }], { ...AT_100, settleUntil: 10_000 }, false, false, /version 40, which is not on the alias/],
    ["10%: throttled throughout", [gw(429, '{"message":"Too Many Requests"}'), gw(429, '{"message":"Too Many Requests"}')], AT_10, false, false, /2 requests, 2 throttled by API Gateway/],
    ["10%: a 403 after the target answered still fails", [healthy("42"), gw(403, '{"message":"Forbidden"}', "ForbiddenException")], AT_10, true, false, /r → 403: API Gateway answered 403/],
    ["10%: one 502 (a crash of the previous version) among good answers passes", [healthy("41"), gw(502, '{"message": "Internal server error"}'), healthy("42")], AT_10, true, true],
    ["10%: three 500s before the target answered fail", [gw(500, '{"message": "Internal server error"}'), gw(500, '{"message": "Internal server error"}'), gw(500, '{"message": "Internal server error"}')], AT_10, false, false, /r → 500: .*3 of 3 requests failed so, and none was answered well by the target 42/],
    // The previous version failed 20% unhandled before the release: API Gateway's 502s carry no version, so at a
    // partial weight they are its, not the target's (found replaying releases: the fix of a failing version was rolled back).
    ["10%, previous version failing: three 502s, then the target answers", [...Array.from({ length: 3 }, () => gw(502, '{"message": "Internal server error"}')), healthy("41"), healthy("42")], { ...AT_10, previousUnattributedRate: 0.2 }, true, true],
    ["10%, previous version failing: 502s alone are not the target's failure, only too few answers", [...Array.from({ length: 4 }, () => gw(502, '{"message": "Internal server error"}'))], { ...AT_10, previousUnattributedRate: 0.2 }, false, false, /too few answers within 100 requests/],
    ["10%, previous version failing: the target's own 500s still count", [fn("42", 500, { message: "x", errors: [] }), fn("42", 500, { message: "x", errors: [] }), fn("42", 500, { message: "x", errors: [] })], { ...AT_10, previousUnattributedRate: 0.2 }, false, false, /the function answered 500/],
    ["100%, previous version failing: every 502 is the target's", [...Array.from({ length: 3 }, () => gw(502, '{"message": "Internal server error"}'))], { ...AT_100, previousUnattributedRate: 0.2 }, false, false, /3 of 3 requests failed so/],
  ];
  for (const [what, answers, expect, enough, ok, reason] of cases) {
    it(`${what}: enough ${enough}, ok ${ok}`, () => {
      const j = judged(answers, expect);
      assert.equal(enoughAnswers(j, 1, expect), enough);
      const v = judgeStage(j, 1, expect, bounds);
      assert.equal(v.ok, ok, v.reason);
      if (reason !== undefined) assert.match(v.reason ?? "", reason);
      assert.equal(v.requests, answers.length);
    });
  }

  it("counts answers per x-function-version, API Gateway's own answers under none", () => {
    const v = judgeStage(judged([healthy("41"), healthy("42"), healthy("41")], AT_10), 1, AT_10, bounds);
    assert.deepEqual(v.byVersion, { "41": 2, "42": 1 });
  });
});

describe("stage check: requests", () => {
  it("are the smoke gate's GETs (never its POST), with their handlers and path parameters", () => {
    const routes = stageRoutes(smokeEvents({ label: "prod-live", nonce: "0".repeat(32) }));
    assert.deepEqual(
      routes.map((r) => [r.name, r.path, r.handler, r.pathParameters]),
      [
        ["GET /health", "/health", "health", {}],
        ["GET /todo/{todoId} (smoke item)", `/todo/smoke-prod-live-${"0".repeat(32)}`, "getTodo", { todoId: `smoke-prod-live-${"0".repeat(32)}` }],
      ],
    );
  });

  it("go below the stage's invokeUrl with exactly one slash", () => {
    assert.equal(stageUrl("https://a.execute-api.eu-west-1.amazonaws.com/prod", "/health"), "https://a.execute-api.eu-west-1.amazonaws.com/prod/health");
    assert.equal(stageUrl("https://a.execute-api.eu-west-1.amazonaws.com/prod/", "/health"), "https://a.execute-api.eu-west-1.amazonaws.com/prod/health");
  });
});

describe("stage check: its own answers are no user's in the health counts", () => {
  it("takes them out of requests and invocations, never out of errors, and keeps every count within its exposure", () => {
    const cases: Array<[[Parameters<typeof discountFigures>[0], number, number, number?], ReturnType<typeof discountFigures>]> = [
      [[{ requests: 10, serverErrors: 1, invocations: 10, unhandledErrors: 0 }, 4, 3], { requests: 6, serverErrors: 1, invocations: 7, unhandledErrors: 0 }],
      // Only check requests so far: nothing is left to judge, rather than the check's own successes.
      [[{ requests: 4, serverErrors: 0, invocations: 4 }, 4, 4], { requests: 0, serverErrors: 0, invocations: 0 }],
      [[{ requests: 3, serverErrors: 3, invocations: 3, unhandledErrors: 3 }, 5, 5], { requests: 0, serverErrors: 0, invocations: 0, unhandledErrors: 0 }],
      [[{ requests: 10, serverErrors: 0, latency: { timedRequests: 10, slowRequests: 2 } }, 4, 0], { requests: 6, serverErrors: 0, latency: { timedRequests: 6, slowRequests: 2 } }],
      // The check's own 5xx answers are taken out with their requests.
      [[{ requests: 10, serverErrors: 3, invocations: 10 }, 4, 4, 1], { requests: 6, serverErrors: 2, invocations: 6 }],
    ];
    for (const [[figures, emf, lambda, errors], expected] of cases) assert.deepEqual(discountFigures(figures, emf, lambda, errors), expected);
  });

  it("takes them out of Lambda's invocations for the fixed-count rule, per version", () => {
    const sample = { alarms: {}, target: { invocations: 21, errors: 1 }, previous: { invocations: 100, errors: 0 }, throttles: 0 };
    const out = discountSample(sample, { previous: "41", target: "42" }, { emf: {}, lambda: { "42": 2, "41": 18 } });
    assert.deepEqual([out.target, out.previous], [
      { invocations: 19, errors: 1 },
      { invocations: 82, errors: 0 },
    ]);
  });
});

describe("stage check: settings at the boundary", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "shiftline-stage-settings-"));
  const prodJson = JSON.parse(readFileSync(PROD, "utf8")) as Record<string, unknown> & { release: Record<string, unknown> };
  const withStageCheck = (name: string, stageCheck: unknown) => {
    const file = path.join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify({ ...prodJson, release: { ...prodJson.release, stageCheck } }));
    return file;
  };
  const problemsFor = (stageCheck: unknown): string[] => {
    try {
      const file = withStageCheck(Math.random().toString(36).slice(2), stageCheck);
      resolveInputs({ outputs: file }, loadOutputs({ outputs: file }), {});
      return [];
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      return e.problems.map((p) => `${p.field} = ${p.value}: ${p.message}`);
    }
  };

  it("defaults: on, 100 requests, 60 s, 10 s timeout, 200 ms apart, no private stage", () => {
    assert.deepEqual(stageCheckSchema.parse({}), { enabled: true, maxRequests: 100, maxSeconds: 60, timeoutMs: 10_000, intervalMs: 200, privateStages: [] });
  });

  const cases: Array<[string, unknown, RegExp]> = [
    ["no requests", { maxRequests: 0 }, /release\.stageCheck\.maxRequests = 0: stageCheck\.maxRequests must be at least 1\./],
    ["too long", { maxSeconds: 601 }, /stageCheck\.maxSeconds must be at most 600 seconds\./],
    ["a fractional timeout", { timeoutMs: 1.5 }, /stageCheck\.timeoutMs must be a whole number of milliseconds\./],
    ["a timeout under 100 ms", { timeoutMs: 50 }, /stageCheck\.timeoutMs must be at least 100 milliseconds\./],
    ["an interval that would let the check take the stage's throttle (staging: 20 rps)", { intervalMs: 0 }, /stageCheck\.intervalMs must be at least 100 milliseconds\./],
    ["an unknown key", { maxRequest: 10 }, /maxRequest/],
    ["a private stage the stack does not have", { privateStages: ["nope"] }, /outputs\.release\.stageCheck\.privateStages = "nope": no such stage \(stages: prod\); remove it/],
  ];
  for (const [what, value, message] of cases) {
    it(`refuses ${what}, naming field, value and rule`, () => {
      const found = problemsFor(value);
      assert.ok(found.some((p) => message.test(p)), found.join("\n"));
    });
  }
});
