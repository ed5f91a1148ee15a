/**
 * What the handlers need from the outside world. Created once per container (seed 003: module
 * scope survives warm starts, which is exactly what reusing SDK clients and their keep-alive
 * sockets wants) and holding no request data.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
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

/**
 * The DynamoDB client for this container. DYNAMODB_ENDPOINT (local runs only) points it at
 * DynamoDB Local, which accepts any credentials. Timeouts stay well under API Gateway's 29 s
 * so throttling or an outage becomes a 503 instead of a gateway timeout.
 */
export function createDynamoDbClient(env: NodeJS.ProcessEnv): DynamoDBClient {
  const endpoint = env.DYNAMODB_ENDPOINT;
  return new DynamoDBClient({
    maxAttempts: 3,
    // Keep-alive is the SDK's default; stated here because reusing sockets across warm
    // invocations is the point of creating the client once.
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, httpAgent: { keepAlive: true }, httpsAgent: { keepAlive: true } },
    ...(endpoint
      ? { endpoint, region: env.AWS_REGION ?? "local", credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? "local", secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "local" } }
      : {}),
  });
}

let containerDependencies: Dependencies | undefined;

/** The per-container dependencies, built on first use from the function environment. */
export function defaultDependencies(): Dependencies {
  containerDependencies ??= { dynamodb: createDynamoDbClient(process.env), tables: tableNamesFromEnv(process.env), now: Date.now };
  return containerDependencies;
}
