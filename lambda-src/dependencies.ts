/**
 * What the handlers need from the outside world. Created once per container (seed 003: module
 * scope survives warm starts, which is exactly what reusing SDK clients and their keep-alive
 * sockets wants) and holding no request data.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { sdkLogger, type SdkLogger } from "./sdk-log";
import { TABLES, type TableKey } from "./tables";

export type TableNames = Readonly<Record<TableKey, string>>;

export interface Dependencies {
  /** The SDK client every DynamoDB call goes through. */
  readonly dynamodb: Pick<DynamoDBClient, "send">;
  /** Physical table names, from TODOS_TABLE / NAMES_TABLE. */
  readonly tables: TableNames;
  /** Epoch milliseconds; injectable so tests control `createdAt`. */
  readonly now: () => number;
}

/** Thrown when the function environment lacks what it needs; logged, never shown to clients. */
export class ConfigurationError extends Error {
  override readonly name = "ConfigurationError";
}

export function tableNamesFromEnv(env: NodeJS.ProcessEnv): TableNames {
  const missing = Object.values(TABLES).filter((t) => !env[t.env]).map((t) => t.env);
  if (missing.length > 0) throw new ConfigurationError(`missing environment variable(s) ${missing.join(", ")}: set each to its DynamoDB table name.`);
  return { todos: env[TABLES.todos.env] as string, names: env[TABLES.names.env] as string };
}

/** Per-attempt limits of the DynamoDB client; injectable so tests can use small ones. */
export interface DynamoDbTimeouts {
  /** Defaults to 1 000 ms. */
  readonly connectionTimeoutMs: number;
  /** Whole request and response, and the longest a socket may sit idle. Defaults to 2 000 ms. */
  readonly requestTimeoutMs: number;
  /** Defaults to 3 (the first try and two retries). */
  readonly maxAttempts: number;
}

export const DEFAULT_DYNAMODB_TIMEOUTS: DynamoDbTimeouts = { connectionTimeoutMs: 1_000, requestTimeoutMs: 2_000, maxAttempts: 3 };

const SILENT: SdkLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The DynamoDB client for this container. DYNAMODB_ENDPOINT (local runs only) points it at
 * DynamoDB Local, which accepts any credentials.
 *
 * `throwOnRequestTimeout` matters: without it @smithy/node-http-handler only logs a warning
 * when `requestTimeout` passes and keeps waiting, so a DynamoDB that accepts the connection
 * but never answers would hold the invocation until Lambda kills it (and API Gateway answers
 * 502 with no retry hint). `socketTimeout` also ends a socket that goes silent mid-response.
 * Attempts × timeouts may still exceed the function's time; the handler's per-invocation
 * deadline (app.ts) aborts the call before that.
 * https://github.com/smithy-lang/smithy-typescript/blob/main/packages/types/src/http/httpHandlerInitialization.ts
 */
export function createDynamoDbClient(env: NodeJS.ProcessEnv, options: { readonly timeouts?: Partial<DynamoDbTimeouts>; readonly log?: Logger } = {}): DynamoDBClient {
  const endpoint = env.DYNAMODB_ENDPOINT;
  const t = { ...DEFAULT_DYNAMODB_TIMEOUTS, ...options.timeouts };
  // The SDK's own log entries (one per call, objects, see sdk-log.ts) go to the function's
  // JSON log, never as bare console text; without a logger they are dropped.
  const logger: SdkLogger = options.log ? sdkLogger(options.log) : SILENT;
  return new DynamoDBClient({
    maxAttempts: t.maxAttempts,
    logger,
    requestHandler: {
      connectionTimeout: t.connectionTimeoutMs,
      requestTimeout: t.requestTimeoutMs,
      throwOnRequestTimeout: true,
      socketTimeout: t.requestTimeoutMs,
      logger,
      // Keep-alive is the SDK's default; stated here because reusing sockets across warm
      // invocations is the point of creating the client once.
      httpAgent: { keepAlive: true },
      httpsAgent: { keepAlive: true },
    },
    ...(endpoint
      ? { endpoint, region: env.AWS_REGION ?? "local", credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? "local", secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "local" } }
      : {}),
  });
}

/**
 * The container's dependencies, built now from the function environment: `handler.ts` calls
 * this at module load, so the SDK client exists during Lambda's init phase (which has a CPU
 * boost and runs ahead of traffic with provisioned concurrency), not on the first request.
 * A missing table variable does not fail the init; every request then answers 500 and logs it.
 */
export function loadDependencies(env: NodeJS.ProcessEnv, log?: Logger): () => Dependencies {
  const dynamodb = createDynamoDbClient(env, { log });
  let deps: Dependencies;
  try {
    deps = { dynamodb, tables: tableNamesFromEnv(env), now: Date.now };
  } catch (err) {
    return () => {
      throw err;
    };
  }
  return () => deps;
}
