/**
 * The smoke gate: before the target version gets any traffic, invoke it directly (Qualifier =
 * version number) with the events kept in lambda-src, and demand a 2xx from each.
 */
import type { LambdaPort } from "./aws/lambda";

export interface SmokeEvent {
  readonly name: string;
  readonly event: unknown;
}

export interface SmokeResult {
  readonly name: string;
  readonly ok: boolean;
  /** statusCode from the payload, when there was one. */
  readonly statusCode?: number;
  /** Why it failed: FunctionError, no statusCode, a non-2xx status. */
  readonly problem?: string;
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

/** Invokes every event in order (the POST before the GET that reads it back) and judges each. */
export async function runSmoke(lambda: LambdaPort, functionName: string, version: string, events: readonly SmokeEvent[]): Promise<SmokeResult[]> {
  const results: SmokeResult[] = [];
  for (const { name, event } of events) {
    const out = await lambda.invoke(functionName, version, event);
    const judged = judgeSmoke(name, out.functionError, out.payload);
    results.push(
      out.executedVersion !== undefined && out.executedVersion !== version && judged.ok
        ? { name, ok: false, problem: `ran version ${out.executedVersion}, not ${version}` }
        : judged,
    );
  }
  return results;
}
