/**
 * Turns a failed DynamoDB call into what the client may see: 503 + Retry-After when trying
 * again later can work (throttling, service or network trouble), 500 otherwise. The cause goes
 * to the log only.
 */
import { HttpError } from "./http";

/**
 * Error names the DynamoDB API documents as throttling or transient server trouble
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html),
 * plus the SDK's own timeout.
 */
const RETRYABLE_NAMES = new Set([
  "ThrottlingException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "InternalServerError",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "TimeoutError",
]);

/** Socket-level failures: the endpoint is unreachable or dropped the connection. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH"]);

/** Seconds a client should wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 1;

interface ErrorLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

export function isTemporaryAwsFailure(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as ErrorLike;
  if (typeof e.name === "string" && RETRYABLE_NAMES.has(e.name)) return true;
  if (typeof e.code === "string" && NETWORK_CODES.has(e.code)) return true;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  return typeof status === "number" && status >= 500;
}

export function serviceUnavailable(): HttpError {
  return new HttpError(503, `the database is busy or unreachable; retry after ${RETRY_AFTER_SECONDS} second(s) (repeating a POST /todo is safe).`, [], {
    "retry-after": String(RETRY_AFTER_SECONDS),
  });
}
