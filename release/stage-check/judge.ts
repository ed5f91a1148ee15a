// Wing stage-check/: requests through each public stage after a shift: judged here, gathered in http.ts. May import: core.
/**
 * The stage check's judging: pure functions over the answers the stage gave
 * (release/stage-check/http.ts gathers them). Seed 001's third level of tests: a client through
 * API Gateway, which sees what the smoke gate (Invoke on the version) cannot: a missing or
 * mis-scoped invoke permission on the alias, a wrong stage variable, a stage that is not
 * deployed, a gateway response that does not match.
 *
 * Whose answer is it? The function stamps `x-function-version` on every answer it gives, errors
 * included (lambda-src/app.ts). An answer without it was made by API Gateway itself: a gateway
 * response, whose default body is `{"message": "..."}` and whose `x-amzn-ErrorType` header names
 * the error (e.g. `MissingAuthenticationTokenException`, as in aws/chalice#12). The gateway
 * response types and their default status codes are listed at
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html;
 * a missing `lambda:InvokeFunction` permission shows as a 500 `Internal server error`
 * ("Invalid permissions on Lambda function" in the execution log,
 * https://repost.aws/knowledge-center/api-gateway-internal-server-error).
 */
import { NO_ROUTE_TEMPLATE } from "../../components/openapi";
import type { HandlerName } from "../../lambda-src/routes";

/** One read-only request of the check: a GET of the smoke gate's, sent through the stage. */
export interface StageRoute {
  /** As the smoke gate names it, e.g. `GET /health`. */
  readonly name: string;
  /** Path below the stage's invokeUrl, e.g. `/health`. */
  readonly path: string;
  /** The route table's handler serving it, when known: its documented answer is checked. */
  readonly handler?: HandlerName;
  /** Path parameters, e.g. the smoke item's todoId. */
  readonly pathParameters?: Readonly<Record<string, string>>;
}

/** What one request got back (or why it got nothing). */
export interface StageAnswer {
  readonly route: string;
  /** Fake or real epoch ms the answer arrived. */
  readonly at: number;
  readonly latencyMs: number;
  readonly status?: number;
  /** `x-function-version`: present only on the function's own answers. */
  readonly version?: string;
  /** `x-amzn-ErrorType`, set by API Gateway on its own error answers. */
  readonly errorType?: string;
  /**
   * `x-amzn-RequestId`: API Gateway returns it on its answers and logs it as `$context.requestId`
   * (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-access-logging.html),
   * so it finds the failed request in the stage's execution and access logs.
   */
  readonly requestId?: string;
  /** The body, cut to MAX_BODY characters. */
  readonly body: string;
  /** Set when no answer came: the request timed out, or the connection failed. */
  readonly failure?: { readonly kind: "timeout" | "network"; readonly detail: string };
}

/** What the answers must show at one weight. */
export interface StageExpectation {
  /** The versions on the alias: previous and target. */
  readonly versions: readonly string[];
  readonly target: string;
  /** The target carries all traffic: every answer must come from it. */
  readonly requireTarget: boolean;
  /**
   * With requireTarget: until this epoch ms, an answer from the previous version is a reason to
   * send more, not a failure. UpdateAlias returns once the alias is stored, and Lambda documents
   * no bound on when every invoke frontend routes by it (the API reference's UpdateAlias and
   * https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html say nothing of
   * propagation), so a good release must not fail on a request routed by the weights it just
   * replaced. After this time the previous version's answers fail the check as before.
   */
  readonly settleUntil?: number;
  /** The smoke gate wrote the smoke item in this run, so its GET must find it (200); otherwise a 404 is its documented answer. */
  readonly smokeItemWritten: boolean;
  /**
   * The previous version's share of invocations that failed unhandled before the release
   * (Lambda's Errors over Invocations, measured): API Gateway answers each such failure with
   * its own 5xx and no x-function-version, so at a partial weight an answer like that cannot
   * be told apart from one of the target's. Where the previous version fails so, those answers
   * are not blamed on the target at a partial weight (the evidence rule judges the target's own
   * errors per version); at 100% every answer is the target's again. Defaults to 0.
   */
  readonly previousUnattributedRate?: number;
}

export type AnswerVerdict =
  | { readonly kind: "ok"; readonly version: string }
  /** API Gateway throttled the request (429): no evidence either way; the check sends more, within its bounds. */
  | { readonly kind: "retry"; readonly why: string }
  /**
   * `transient`: a 5xx (API Gateway's or the function's own), a timeout or a dropped connection,
   * which a version that fails now and then also gives: the check fails on TRANSIENT_FAILURES of
   * them before the target answered. Other failures (a 403, a version not on the alias, an
   * answer not the route's documented one) fail it at once.
   */
  | { readonly kind: "fail"; readonly problem: string; readonly version?: string; readonly gatewayBody?: string; readonly transient?: true };

/** How long after the target takes all traffic the previous version may still answer (StageExpectation.settleUntil). */
export const SETTLE_SECONDS = 10;

/** Longest body kept in an answer (and in the report). */
export const MAX_BODY = 300;
/** Rounds of the routes at 100%: every answer must come from the target. */
export const ROUNDS_AT_FULL = 2;
/**
 * Transient failures (see AnswerVerdict) that fail a check while the target has not answered
 * well once. A stage that cannot reach the target fails every request, so three come quickly;
 * a version failing 2% of requests gives three in its first five answers about once in 10⁴ checks,
 * where one failure alone would block such a release about once in ten (the function's own
 * errors are the health judgement's to weigh).
 */
export const TRANSIENT_FAILURES = 3;

const parse = (body: string): unknown => {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
/** The function's error body (lambda-src/http.ts ErrorBody). */
const isErrorBody = (v: unknown) => isObject(v) && typeof v.message === "string" && Array.isArray(v.errors);

/** The message of the stack's own 404 for an unmatched path (components/openapi.ts), without the path. */
const NO_ROUTE_MESSAGE = (JSON.parse(NO_ROUTE_TEMPLATE.replace("$context.path", "")) as { message: string }).message;

/**
 * API Gateway's own error answers, by status and default message, with what usually causes each
 * for a Lambda proxy integration that selects its alias through a stage variable.
 */
const GATEWAY_ERRORS: ReadonlyArray<{ readonly status: number; readonly message?: RegExp; readonly cause: string }> = [
  // A Lambda throttle (429 TooManyRequestsException from Invoke) also reaches a REST API's caller
  // as this 500: the proxy integration does not pass Lambda's throttling on (AWS re:Post, "API
  // Gateway proxy integration does not forward Lambda throttling"). So the permission is one
  // cause among several, and the answer names them all.
  {
    status: 500,
    message: /^Internal server error$/i,
    cause:
      "API Gateway could not invoke the alias: Lambda throttled it (the account's or the function's concurrency is used up; a REST proxy integration answers a throttle this way), a missing or mis-scoped lambda:InvokeFunction permission on it (SourceArn must name this API and stage), or a stage variable naming an alias that does not exist; the stage's execution log says which, and Lambda's Throttles metric shows a throttle",
  },
  { status: 502, message: /^Internal server error$/i, cause: "the function failed (an unhandled error or a Lambda timeout) or answered something that is not a proxy result" },
  { status: 504, cause: "the integration timed out (INTEGRATION_TIMEOUT / INTEGRATION_FAILURE)" },
  { status: 403, message: /^Missing Authentication Token$/i, cause: "no deployed method matches this path on this stage (MISSING_AUTHENTICATION_TOKEN): the route or the stage's deployment is missing" },
  { status: 403, message: /^Forbidden$/i, cause: "the stage is not deployed, a resource policy denies the caller, or the API is private" },
  { status: 404, message: new RegExp(`^${NO_ROUTE_MESSAGE}`), cause: "no deployed method matches this path on this stage (the stack's MISSING_AUTHENTICATION_TOKEN response): the route or the stage's deployment is missing" },
];

/** Why API Gateway itself answered, for an answer without `x-function-version`. */
export function gatewayCause(answer: Pick<StageAnswer, "status" | "body" | "errorType">): string {
  const parsed = parse(answer.body);
  const message = isObject(parsed) && typeof parsed.message === "string" ? parsed.message : undefined;
  const known = GATEWAY_ERRORS.find((g) => g.status === answer.status && (g.message === undefined || (message !== undefined && g.message.test(message))));
  if (known !== undefined) return known.cause;
  if (answer.status !== undefined && answer.status >= 500) return "an answer API Gateway made itself (DEFAULT_5XX)";
  return "an answer the function did not give (no x-function-version)";
}

/** Whether API Gateway throttled the request (THROTTLED / QUOTA_EXCEEDED, 429 by default). */
const throttled = (a: StageAnswer) => a.status === 429 && a.version === undefined;

/** The documented answer of a route (lambda-src/handlers), or why this one is not it. */
function shapeProblem(route: StageRoute, answer: StageAnswer, expect: StageExpectation): string | undefined {
  const status = answer.status ?? 0;
  const body = parse(answer.body);
  switch (route.handler) {
    case "health":
      // lambda-src/handlers/health.ts: 200 {status: "ok", functionVersion}.
      if (status !== 200) return `status ${status}, not 200`;
      if (!isObject(body) || body.status !== "ok") return `body is not {"status":"ok",…}: ${answer.body.slice(0, 120)}`;
      if (body.functionVersion !== answer.version) return `body names version ${String(body.functionVersion)}, the header ${answer.version ?? "none"}`;
      return undefined;
    case "getTodo": {
      // lambda-src/handlers/get-todo.ts: 200 with the item, or 404 {message, errors} when it is not stored.
      const todoId = route.pathParameters?.todoId;
      if (expect.smokeItemWritten) {
        if (status !== 200) return `status ${status}, not 200 (the smoke gate stored this item)`;
        if (!isObject(body) || body.todoId !== todoId) return `body is not the item ${todoId ?? "?"}: ${answer.body.slice(0, 120)}`;
        return undefined;
      }
      if (status === 200) return isObject(body) && body.todoId === todoId ? undefined : `body is not the item ${todoId ?? "?"}: ${answer.body.slice(0, 120)}`;
      if (status !== 404) return `status ${status}, not 200 or 404`;
      return isErrorBody(body) ? undefined : `404 body is not the function's {message, errors}: ${answer.body.slice(0, 120)}`;
    }
    default:
      return status >= 200 && status < 300 ? undefined : `status ${status}, not 2xx`;
  }
}

/** Judges one answer against the route's documented answer and the alias's versions. */
export function judgeAnswer(route: StageRoute, answer: StageAnswer, expect: StageExpectation): AnswerVerdict {
  if (answer.failure !== undefined) return { kind: "fail", transient: true, problem: answer.failure.kind === "timeout" ? `no answer: ${answer.failure.detail}` : `no answer: connection failed (${answer.failure.detail})` };
  if (throttled(answer)) return { kind: "retry", why: `throttled by API Gateway (429 ${answer.body.slice(0, 80)})` };
  if (answer.version === undefined) {
    const problem = `API Gateway answered ${answer.status ?? "?"}${answer.errorType !== undefined ? ` (x-amzn-ErrorType ${answer.errorType})` : ""}: ${gatewayCause(answer)}`;
    return { kind: "fail", problem, gatewayBody: answer.body, ...((answer.status ?? 0) >= 500 ? { transient: true as const } : {}) };
  }
  const version = answer.version;
  if (!expect.versions.includes(version)) {
    return { kind: "fail", version, problem: `answered by version ${version}, which is not on the alias (${expect.versions.join(", ")}): the stage routes to another alias or function (check its lambdaAlias stage variable)` };
  }
  if (expect.requireTarget && version !== expect.target && expect.settleUntil !== undefined && answer.at < expect.settleUntil) {
    return { kind: "retry", why: `answered by the previous version ${version} within ${SETTLE_SECONDS} s of the target taking all traffic (the alias change may still be reaching Lambda's frontends)` };
  }
  if (expect.requireTarget && version !== expect.target) {
    return { kind: "fail", version, problem: `answered by version ${version} while the target ${expect.target} carries all traffic` };
  }
  if ((answer.status ?? 0) >= 500) return { kind: "fail", version, transient: true, problem: `the function answered ${answer.status ?? "?"}: ${answer.body.slice(0, 120)}` };
  const shape = shapeProblem(route, answer, expect);
  if (shape !== undefined) return { kind: "fail", version, problem: `the function's answer is not the route's documented one: ${shape}` };
  return { kind: "ok", version };
}

export interface JudgedAnswer {
  readonly answer: StageAnswer;
  readonly verdict: AnswerVerdict;
}

const targetAnswered = (judged: readonly JudgedAnswer[], target: string) => judged.some((j) => j.verdict.kind === "ok" && j.verdict.version === target);
const isTransient = (j: JudgedAnswer) => j.verdict.kind === "fail" && j.verdict.transient === true;
/** API Gateway's own 5xx, with no version: the function failed, but which version is unknown. */
const unattributed = (j: JudgedAnswer) => j.verdict.kind === "fail" && j.verdict.version === undefined && j.answer.failure === undefined && (j.answer.status ?? 0) >= 500;
/** Transient failures that count against the target: not the ones the previous version explains at a partial weight. */
const againstTarget = (expect: StageExpectation) => (j: JudgedAnswer) => isTransient(j) && (expect.requireTarget || (expect.previousUnattributedRate ?? 0) === 0 || !unattributed(j));
const isDefinite = (j: JudgedAnswer) => j.verdict.kind === "fail" && j.verdict.transient !== true;
/** Answers per route (StageAnswer.route, the route's name). */
const byRoute = (judged: readonly JudgedAnswer[]): Map<string, JudgedAnswer[]> => {
  const routes = new Map<string, JudgedAnswer[]>();
  for (const j of judged) routes.set(j.answer.route, [...(routes.get(j.answer.route) ?? []), j]);
  return routes;
};
/**
 * A route that failed TRANSIENT_FAILURES times and was never answered well. The invoke
 * permission's SourceArn can name one method and path (`<api-id>/<stage>/<METHOD>/<path>`,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-iam-policy-examples-for-api-execution.html),
 * so API Gateway can answer one route with its 500 while another reaches the target.
 */
const brokenRoute = (judged: readonly JudgedAnswer[], expect: StageExpectation): string | undefined => {
  for (const [route, answers] of byRoute(judged)) if (answers.filter(againstTarget(expect)).length >= TRANSIENT_FAILURES && !answers.some((j) => j.verdict.kind === "ok")) return route;
  return undefined;
};
/** Too many transient failures before the target answered well once, or on a route never answered well. */
const transientLimit = (judged: readonly JudgedAnswer[], expect: StageExpectation) =>
  (judged.filter(againstTarget(expect)).length >= TRANSIENT_FAILURES && !targetAnswered(judged, expect.target)) || brokenRoute(judged, expect) !== undefined;

/** Whether gathering can stop: a failure that decides, or enough answers. */
export function checkDecided(judged: readonly JudgedAnswer[], routes: number, expect: StageExpectation): boolean {
  return judged.some(isDefinite) || transientLimit(judged, expect) || enoughAnswers(judged, routes, expect);
}

/**
 * Whether the check has seen enough: every one of the `routes` answered well (at 100%
 * ROUNDS_AT_FULL times each), and at a partial weight at least one answer from the target. Good
 * answers on one route never stand in for another's: each route is its own method on the stage.
 */
export function enoughAnswers(judged: readonly JudgedAnswer[], routes: number, expect: StageExpectation): boolean {
  const ok = judged.filter((j) => j.verdict.kind === "ok");
  const each = expect.requireTarget ? ROUNDS_AT_FULL : 1;
  const answered = [...byRoute(ok).values()].filter((answers) => answers.length >= each).length;
  if (answered < routes) return false;
  return expect.requireTarget || targetAnswered(judged, expect.target);
}

/** One failing answer as the report shows it. */
export interface StageFailure {
  readonly route: string;
  readonly status?: number;
  readonly version?: string;
  readonly problem: string;
  /** API Gateway's own body, when the answer was not the function's. */
  readonly gatewayBody?: string;
  /** The answer's x-amzn-RequestId, to find it in the stage's logs. */
  readonly requestId?: string;
}

export interface StageVerdict {
  readonly ok: boolean;
  /** One sentence: why it failed. */
  readonly reason?: string;
  readonly failures: readonly StageFailure[];
  /** Answers per x-function-version. */
  readonly byVersion: Readonly<Record<string, number>>;
  readonly requests: number;
}

/** Judges a stage's answers once gathering stopped (enough, a failure, or a bound reached). */
export function judgeStage(judged: readonly JudgedAnswer[], routes: number, expect: StageExpectation, bounds: { readonly maxRequests: number; readonly maxSeconds: number }): StageVerdict {
  const byVersion: Record<string, number> = {};
  for (const j of judged) if (j.answer.version !== undefined) byVersion[j.answer.version] = (byVersion[j.answer.version] ?? 0) + 1;
  const failures: StageFailure[] = judged.flatMap(({ answer, verdict }) =>
    verdict.kind === "fail"
      ? [{ route: answer.route, status: answer.status, version: verdict.version, problem: verdict.problem, ...(verdict.gatewayBody !== undefined ? { gatewayBody: verdict.gatewayBody } : {}), ...(answer.requestId !== undefined ? { requestId: answer.requestId } : {}) }]
      : [],
  );
  const base = { failures, byVersion, requests: judged.length };
  const describe = (f: StageFailure) => `${f.route} → ${f.status ?? "no answer"}${f.version !== undefined ? ` from version ${f.version}` : ""}: ${f.problem}${f.gatewayBody !== undefined ? ` (body ${f.gatewayBody.slice(0, 120)})` : ""}${f.requestId !== undefined ? ` [x-amzn-RequestId ${f.requestId}]` : ""}`;
  const definite = judged.findIndex(isDefinite);
  if (definite >= 0) return { ...base, ok: false, reason: describe(failures[judged.slice(0, definite).filter((j) => j.verdict.kind === "fail").length]) };
  if (transientLimit(judged, expect) && !targetAnswered(judged, expect.target)) {
    return { ...base, ok: false, reason: `${describe(failures[0])}; ${failures.length} of ${judged.length} requests failed so, and none was answered well by the target ${expect.target}` };
  }
  const broken = brokenRoute(judged, expect);
  if (broken !== undefined) {
    const onRoute = failures.filter((f) => f.route === broken);
    return { ...base, ok: false, reason: `${describe(onRoute[0])}; ${onRoute.length} of the ${judged.filter((j) => j.answer.route === broken).length} requests to ${broken} failed so, and none was answered well` };
  }
  if (enoughAnswers(judged, routes, expect)) return { ...base, ok: true };
  const bound = `within ${bounds.maxRequests} requests and ${bounds.maxSeconds} s (stageCheck.maxRequests, maxSeconds)`;
  const retried = judged.filter((j) => j.verdict.kind === "retry" && j.verdict.why.startsWith("throttled")).length;
  if (!expect.requireTarget && judged.some((j) => j.verdict.kind === "ok") && !targetAnswered(judged, expect.target)) {
    return { ...base, ok: false, reason: `the target version ${expect.target} answered none of ${judged.length} requests ${bound}, so it is not shown reachable through API Gateway${retried > 0 ? ` (${retried} throttled)` : ""}` };
  }
  return { ...base, ok: false, reason: `too few answers ${bound}: ${judged.length} requests, ${retried} throttled by API Gateway` };
}
