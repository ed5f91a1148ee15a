/**
 * The stage check's gathering: GETs to a stage's invokeUrl through an injectable HTTP port,
 * bounded by a count and a time, stopping once the judge
 * (release/stage-check/judge.ts) has seen enough. No judging here beyond asking the judge.
 */
import type { Clock } from "../core/clock";
import { checkDecided, judgeAnswer, MAX_BODY, type JudgedAnswer, type StageAnswer, type StageExpectation, type StageRoute } from "./judge";

export interface StageHttpRequest {
  readonly url: string;
  readonly timeoutMs: number;
  /** The run's interrupt (SIGINT/SIGTERM): aborting it aborts the request, which then throws. */
  readonly signal?: AbortSignal;
}

/** One GET: the answer, or why there was none. Throws only when `signal` was aborted. */
export type StageHttpPort = (request: StageHttpRequest) => Promise<Omit<StageAnswer, "route" | "at" | "latencyMs">>;

/** Sent with every request, so the stage's access log tells the release step's requests apart. */
export const STAGE_CHECK_USER_AGENT = "shiftline-release-stage-check";

export interface FetchPortOptions {
  /** Defaults to Node's global fetch (undici). */
  readonly fetch?: typeof fetch;
  /** The per-request timeout signal. Defaults to AbortSignal.timeout (tests pass one they abort themselves). */
  readonly timeoutSignal?: (ms: number) => AbortSignal;
}

const describe = (e: unknown): string => {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return `${err.message ?? String(e)}${cause !== undefined ? ` (${cause})` : ""}`;
};

/** The HTTP port over fetch: GET, no redirects followed, the body cut to MAX_BODY characters. */
export function fetchStagePort(options: FetchPortOptions = {}): StageHttpPort {
  const send = options.fetch ?? fetch;
  const timeoutSignal = options.timeoutSignal ?? ((ms: number) => AbortSignal.timeout(ms));
  return async ({ url, timeoutMs, signal }) => {
    const timeout = timeoutSignal(timeoutMs);
    try {
      const res = await send(url, {
        method: "GET",
        headers: { accept: "application/json", "user-agent": STAGE_CHECK_USER_AGENT },
        // A redirect is an answer of the stage (a custom domain's, say), not something to follow.
        // Node's fetch (undici) then returns the 3xx itself, status and headers readable, not the
        // browser's opaque-redirect with status 0 (nodejs/undici#1193, #1210; checked on Node 20.20).
        redirect: "manual",
        signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]),
      });
      const body = await res.text();
      return { status: res.status, version: res.headers.get("x-function-version") ?? undefined, errorType: res.headers.get("x-amzn-errortype") ?? undefined, requestId: res.headers.get("x-amzn-requestid") ?? undefined, body: body.slice(0, MAX_BODY) };
    } catch (e) {
      if (signal?.aborted === true) throw e;
      if (timeout.aborted) return { body: "", failure: { kind: "timeout", detail: `no answer within ${timeoutMs} ms (stageCheck.timeoutMs)` } };
      return { body: "", failure: { kind: "network", detail: describe(e) } };
    }
  };
}

/** `invokeUrl` + path, with exactly one slash between them. */
export const stageUrl = (invokeUrl: string, path: string) => `${invokeUrl.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;

/** The first pause after API Gateway throttled a request (429); it doubles with each throttled answer in a row, up to THROTTLED_PAUSE_MAX_MS. */
export const THROTTLED_PAUSE_MS = 1000;
export const THROTTLED_PAUSE_MAX_MS = 8000;

export interface GatherLimits {
  readonly maxRequests: number;
  readonly maxSeconds: number;
  readonly timeoutMs: number;
  readonly intervalMs: number;
}

/**
 * Sends the routes in turn until the judge has enough, an answer fails, or a bound is reached
 * (maxRequests, or maxSeconds since the first request), pausing intervalMs between requests.
 * maxSeconds holds for the whole check: a pause and a request's timeout are cut to the time
 * left, no request starts once it is spent, and a request the bound cut short (before its own
 * timeoutMs) is no answer of the stage's, so it is not judged.
 *
 * A throttled answer (429) means the stage's token bucket, which users share, is empty. API
 * Gateway's advice is to "resubmit the failed requests in a way that is rate limiting"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html),
 * so after one the pause is at least THROTTLED_PAUSE_MS, doubling while the stage keeps
 * throttling, and back to intervalMs after an answer that is not throttled.
 */
export async function gatherStage(
  deps: { readonly http: StageHttpPort; readonly clock: Clock; readonly signal?: AbortSignal },
  invokeUrl: string,
  routes: readonly StageRoute[],
  expect: StageExpectation,
  limits: GatherLimits,
): Promise<JudgedAnswer[]> {
  const { http, clock, signal } = deps;
  const endsAt = clock.now() + limits.maxSeconds * 1000;
  const judged: JudgedAnswer[] = [];
  let throttledInARow = 0;
  for (let i = 0; routes.length > 0; i++) {
    const route = routes[i % routes.length];
    const sentAt = clock.now();
    const timeoutMs = Math.min(limits.timeoutMs, endsAt - sentAt);
    const got = await http({ url: stageUrl(invokeUrl, route.path), timeoutMs, signal });
    if (got.failure?.kind === "timeout" && timeoutMs < limits.timeoutMs) break;
    const answer: StageAnswer = { ...got, route: route.name, at: clock.now(), latencyMs: clock.now() - sentAt };
    const verdict = judgeAnswer(route, answer, expect);
    judged.push({ answer, verdict });
    if (checkDecided(judged, routes.length, expect)) break;
    if (judged.length >= limits.maxRequests || clock.now() >= endsAt) break;
    throttledInARow = verdict.kind === "retry" ? throttledInARow + 1 : 0;
    const pause = throttledInARow === 0 ? limits.intervalMs : Math.max(limits.intervalMs, Math.min(THROTTLED_PAUSE_MAX_MS, THROTTLED_PAUSE_MS * 2 ** (throttledInARow - 1)));
    await clock.sleep(Math.min(pause, endsAt - clock.now()), signal);
    if (signal?.aborted === true || clock.now() >= endsAt) break;
  }
  return judged;
}
