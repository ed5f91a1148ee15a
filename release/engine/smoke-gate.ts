/**
 * The smoke gate: before the target version gets any traffic, invoke it directly (Qualifier =
 * version number) with the events kept in lambda-src, and demand a 2xx from each (a failed
 * invocation is repeated once when the version being replaced fails now and then too).
 */
import type { LambdaPort } from "../aws/lambda";
import type { SmokeEvent } from "../inputs/smoke-source";

export interface SmokeResult {
  readonly name: string;
  readonly ok: boolean;
  /** statusCode from the payload, when there was one. */
  readonly statusCode?: number;
  /** Why it failed: FunctionError, no statusCode, a non-2xx status (or, passed, what the failed attempts said). */
  readonly problem?: string;
  /** Failed attempts that were repeated. */
  readonly retried?: number;
}

/** Reads an API Gateway proxy result's statusCode out of an Invoke payload. */
export function judgeSmoke(name: string, functionError: string | undefined, payload: string): SmokeResult {
  if (functionError !== undefined) return { name, ok: false, problem: `FunctionError ${functionError}: ${payload.slice(0, 300)}` };
  let statusCode: unknown;
  try {
    statusCode = (JSON.parse(payload) as { statusCode?: unknown } | null)?.statusCode;
  } catch {
    return { name, ok: false, problem: `payload is not JSON: ${payload.slice(0, 120)}` };
  }
  if (typeof statusCode !== "number") return { name, ok: false, problem: `payload has no numeric statusCode: ${payload.slice(0, 120)}` };
  if (statusCode < 200 || statusCode > 299) return { name, ok: false, statusCode, problem: `statusCode ${statusCode} is not 2xx` };
  return { name, ok: true, statusCode };
}

/**
 * Attempts per event when the version being replaced fails now and then itself. A target that
 * fails as often as it does (say 0.5% of requests) would otherwise fail three single
 * invocations about 1.5% of the time and never be released; one repeat makes that about 0.01%,
 * while a version that fails every time still fails every attempt. Where the previous version
 * is clean, one failure is real evidence and stops the gate at once (the caller passes 1).
 */
export const SMOKE_ATTEMPTS = 2;

/**
 * Rounds of the read-only (GET) events. Each invocation costs no user a failed request, and a
 * version that fails a share p of requests slips through n invocations with probability (1-p)^n:
 * with the three events once, a version failing 20% passes half the time; with the two GET
 * events in three rounds (seven invocations), a fifth of the time. The POST writes, so it runs once.
 */
export const SMOKE_READ_ROUNDS = 3;

const isRead = (event: unknown) => typeof event === "object" && event !== null && (event as { httpMethod?: unknown }).httpMethod === "GET";

/**
 * Invokes every event in order (the POST before the GET that reads it back), then the read-only
 * events for SMOKE_READ_ROUNDS - 1 more rounds while all pass, and judges each, making up to
 * `attempts` tries of a failing one.
 */
export async function runSmoke(lambda: LambdaPort, functionName: string, version: string, events: readonly SmokeEvent[], attempts = 1): Promise<SmokeResult[]> {
  const results = await invokeAll(lambda, functionName, version, events, attempts);
  const reads = events.filter((e) => isRead(e.event));
  for (let round = 2; round <= SMOKE_READ_ROUNDS && reads.length > 0 && results.every((r) => r.ok); round++) {
    results.push(...(await invokeAll(lambda, functionName, version, reads.map((e) => ({ ...e, name: `${e.name} (round ${round})` })), attempts)));
  }
  return results;
}

async function invokeAll(lambda: LambdaPort, functionName: string, version: string, events: readonly SmokeEvent[], attempts: number): Promise<SmokeResult[]> {
  const results: SmokeResult[] = [];
  for (const { name, event } of events) {
    let result: SmokeResult | undefined;
    const problems: string[] = [];
    for (let attempt = 1; attempt <= Math.max(1, attempts) && result?.ok !== true; attempt++) {
      const out = await lambda.invoke(functionName, version, event);
      const judged = judgeSmoke(name, out.functionError, out.payload);
      result =
        out.executedVersion !== undefined && out.executedVersion !== version && judged.ok
          ? { name, ok: false, problem: `ran version ${out.executedVersion}, not ${version}` }
          : judged;
      if (!result.ok) problems.push(result.problem ?? "failed");
    }
    const final = result as SmokeResult;
    results.push(
      final.ok && problems.length > 0
        ? { ...final, retried: problems.length, problem: `passed on attempt ${problems.length + 1} after: ${problems.join("; ")}` }
        : !final.ok && problems.length > 1
          ? { ...final, retried: problems.length - 1, problem: `${problems[0]} (all ${problems.length} attempts failed${new Set(problems).size > 1 ? `: ${problems.join("; ")}` : ""})` }
          : final,
    );
  }
  return results;
}
