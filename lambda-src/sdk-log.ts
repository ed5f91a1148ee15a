/**
 * The logger handed to the DynamoDB client. The SDK's logger middleware calls
 * `logger.info({clientName, commandName, input, output, metadata})` after every call and
 * `logger.error({clientName, commandName, input, error, metadata})` after every failed one
 * (@aws-sdk/core `submodules/client/middleware-logger/loggerMiddleware.ts`); the HTTP handler
 * calls `logger.warn(text)` (@smithy/node-http-handler, e.g. socket capacity). Turned into
 * lines of our structured log:
 * - never `input`, `output` or the error's `Item`: a PutItem input is the whole todo (its title
 *   is what a person typed) and a conditional-check failure with ReturnValuesOnConditionCheckFailure
 *   carries the stored item. Only the command, table, AWS request id, status, attempts and the
 *   error's name and message are kept;
 * - a ConditionalCheckFailedException is how `attribute_not_exists` says "this todo exists" (a
 *   repeat or a 409), an expected answer: DEBUG, not ERROR;
 * - a success is DEBUG; throttling and server trouble (retryable) are WARN; anything else ERROR;
 * - written through the request log of the invocation the call belongs to, so each line has the
 *   function's and API Gateway's request ids as well as DynamoDB's;
 * - a DEBUG line is built only when DEBUG is enabled: at the default INFO level the entry of
 *   every successful call (one per request) is dropped before any of its attributes are made.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import type { LogAttributes } from "@aws-lambda-powertools/logger/types";
import { isTemporaryAwsFailure } from "./aws-errors";
import { currentRequestLog, debugEnabled, type RequestLog } from "./logger";

/** The SDK's logger interface (@smithy/types `Logger`). */
export interface SdkLogger {
  debug(...content: unknown[]): void;
  info(...content: unknown[]): void;
  warn(...content: unknown[]): void;
  error(...content: unknown[]): void;
}

type Level = "debug" | "info" | "warn" | "error";

interface SdkCallEntry {
  readonly clientName?: unknown;
  readonly commandName?: unknown;
  readonly input?: { readonly TableName?: unknown };
  readonly error?: unknown;
  readonly metadata?: { readonly requestId?: unknown; readonly httpStatusCode?: unknown; readonly attempts?: unknown; readonly totalRetryDelay?: unknown };
}

const MAX_MESSAGE_CHARS = 300;

function isCallEntry(value: unknown): value is SdkCallEntry {
  return typeof value === "object" && value !== null && "commandName" in value;
}

function callAttributes(entry: SdkCallEntry): LogAttributes {
  const m = entry.metadata ?? {};
  const call: LogAttributes = {
    client: String(entry.clientName),
    command: String(entry.commandName),
    ...(typeof entry.input?.TableName === "string" ? { table: entry.input.TableName } : {}),
    ...(typeof m.requestId === "string" ? { awsRequestId: m.requestId } : {}),
    ...(typeof m.httpStatusCode === "number" ? { httpStatusCode: m.httpStatusCode } : {}),
    ...(typeof m.attempts === "number" ? { attempts: m.attempts } : {}),
    ...(typeof m.totalRetryDelay === "number" ? { totalRetryDelayMs: m.totalRetryDelay } : {}),
  };
  return { sdkCall: call };
}

/** Name and message only: an SDK error also holds `$response` and, for this condition, `Item`. */
function errorAttributes(error: unknown): LogAttributes {
  if (!(error instanceof Error)) return { sdkError: { name: typeof error } };
  const e = error as Error & { $fault?: unknown; code?: unknown };
  return {
    sdkError: {
      name: e.name,
      message: e.message.length > MAX_MESSAGE_CHARS ? `${e.message.slice(0, MAX_MESSAGE_CHARS)}…` : e.message,
      ...(typeof e.$fault === "string" ? { fault: e.$fault } : {}),
      ...(typeof e.code === "string" ? { code: e.code } : {}),
    },
  };
}

/** Free text from the HTTP handler or a credential provider; objects are named, never dumped. */
function text(content: readonly unknown[]): string {
  return content
    .map((c) => (typeof c === "string" ? c : c instanceof Error ? `${c.name}: ${c.message}` : `(${typeof c})`))
    .join(" ");
}

function write(log: RequestLog | Logger, level: Level, message: string, attributes: LogAttributes): void {
  log[level](message, attributes);
}

/** The SDK client's logger, writing through `base` or the current invocation's request log. */
export function sdkLogger(base: Logger): SdkLogger {
  const entry = (level: Level) => (...content: unknown[]) => {
    const log = currentRequestLog() ?? base;
    const debugOn = () => (log instanceof Logger ? debugEnabled(log) : log.debugEnabled());
    const [first] = content;
    if (content.length === 1 && isCallEntry(first)) {
      if (first.error === undefined) {
        if (debugOn()) write(log, "debug", "DynamoDB call succeeded", callAttributes(first));
      } else if (first.error instanceof Error && first.error.name === "ConditionalCheckFailedException") {
        if (debugOn()) write(log, "debug", "DynamoDB condition not met (expected: the item already exists)", { ...callAttributes(first), ...errorAttributes(first.error) });
      } else {
        const severity: Level = isTemporaryAwsFailure(first.error) ? "warn" : "error";
        write(log, severity, "DynamoDB call failed", { ...callAttributes(first), ...errorAttributes(first.error) });
      }
      return;
    }
    // The SDK's info/debug chatter (credential resolution) is debug here.
    const as: Level = level === "info" ? "debug" : level;
    if (as === "debug" && !debugOn()) return;
    write(log, as, `AWS SDK: ${text(content)}`, {});
  };
  return { debug: entry("debug"), info: entry("info"), warn: entry("warn"), error: entry("error") };
}
