/**
 * `npm start`: DynamoDB Local (data kept under .data/) + the tables + the seed names + the API
 * on http://localhost:$PORT. Ctrl-C (or SIGTERM) stops the server and DynamoDB Local.
 *
 * Environment: PORT (default 3000); DYNAMODB_PORT (default 8000) and DYNAMODB_DATA_DIR
 * (default .data/dynamodb) for the DynamoDB Local it starts; DYNAMODB_ENDPOINT to use an
 * already running DynamoDB instead; FUNCTION_VERSION to report another
 * `context.functionVersion` than `$LATEST` (handy for replaying seed 000).
 */
import type { Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { join, resolve } from "node:path";
import * as z from "zod/mini";
import { formatProblem, problemsFromZod } from "../lib/validation";
import { DEFAULT_METRICS_NAMESPACE } from "../lambda-src/metric-names";
import { ROUTES } from "../lambda-src/routes";
import { localClient, startDynamoDbLocal, type DynamoDbLocal } from "./dynamodb-local";
import { quietSdkNodeVersionWarning } from "./sdk-node-warning";
import { addNames, NAMES_SEED_FILE, readNamesFile } from "./names";
import { closeGracefully, createLocalServer } from "./server";
import { ensureTables, LOCAL_TABLE_NAMES, tableEnv } from "./tables";

const DEFAULT_DATA_DIR = join(__dirname, "..", ".data", "dynamodb");

const port = z.coerce.number().check(z.int(), z.gte(1), z.lte(65_535));
const envSchema = z.object({
  PORT: z._default(port, 3000),
  DYNAMODB_PORT: z._default(port, 8000),
  DYNAMODB_DATA_DIR: z._default(z.string().check(z.minLength(1)), DEFAULT_DATA_DIR),
  DYNAMODB_ENDPOINT: z.optional(z.url()),
  FUNCTION_VERSION: z._default(z.string().check(z.regex(/^(\$LATEST|\d+)$/, "must be $LATEST or a version number")), "$LATEST"),
});

function readEnv(): z.output<typeof envSchema> {
  const result = envSchema.safeParse(process.env, { reportInput: true });
  if (result.success) return result.data;
  throw new Error(`invalid environment:\n${problemsFromZod(result.error.issues).map((p) => `  - ${formatProblem(p)}`).join("\n")}`);
}

async function portIsFree(p: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createNetServer();
    probe.once("error", () => done(false));
    probe.listen(p, "127.0.0.1", () => probe.close(() => done(true)));
  });
}

async function main(): Promise<void> {
  const env = readEnv();
  quietSdkNodeVersionWarning();
  // Filled in as things start, so a signal at any moment stops whatever is running.
  const running: { dynamo?: DynamoDbLocal; server?: Server } = {};
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      console.error(`\n${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    console.log(`\n${signal}: stopping the API and DynamoDB Local...`);
    const { server, dynamo } = running;
    // Requests in flight get up to 5 s to finish (a POST cut mid-write leaves its client unsure).
    if (server) await closeGracefully(server);
    await dynamo?.stop();
    console.log("stopped.");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  // `npm start` runs this under `sh -c`; a SIGTERM sent to npm alone ends npm and sh without
  // passing it on, leaving this process orphaned. Noticing the new parent stops both all the same.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop("parent exited");
  }, 1_000).unref();

  let endpoint = env.DYNAMODB_ENDPOINT;
  if (!endpoint) {
    if (!(await portIsFree(env.DYNAMODB_PORT))) {
      throw new Error(`port ${env.DYNAMODB_PORT} is in use; set DYNAMODB_PORT to a free port, or DYNAMODB_ENDPOINT to use the DynamoDB already listening there.`);
    }
    const dataDir = resolve(env.DYNAMODB_DATA_DIR);
    console.log(`starting DynamoDB Local on port ${env.DYNAMODB_PORT} (data in ${dataDir})...`);
    running.dynamo = await startDynamoDbLocal({ port: env.DYNAMODB_PORT, dataDir });
    endpoint = running.dynamo.endpoint;
  }

  const client = localClient(endpoint);
  try {
    const created = await ensureTables(client, LOCAL_TABLE_NAMES);
    if (created.length) console.log(`created table(s): ${created.join(", ")}`);
    const seeded = await addNames(client, LOCAL_TABLE_NAMES.names, readNamesFile(NAMES_SEED_FILE));
    if (seeded.added.length) console.log(`added seed names: ${seeded.added.join(", ")}`);
  } finally {
    client.destroy();
  }

  // The handler reads its configuration from the environment exactly as in Lambda.
  Object.assign(process.env, tableEnv(LOCAL_TABLE_NAMES), { DYNAMODB_ENDPOINT: endpoint });
  process.env.POWERTOOLS_SERVICE_NAME ??= "shiftline-api";
  // The request metrics' EMF documents go to this process's output, as they go to the function's log in Lambda.
  process.env.POWERTOOLS_METRICS_NAMESPACE ??= DEFAULT_METRICS_NAMESPACE;
  const { handler } = await import("../lambda-src/handler");
  const listening = createLocalServer({
    handler,
    fn: { functionVersion: env.FUNCTION_VERSION },
    onInvocationError: (err) => console.error("invocation failed:", err),
  });
  running.server = listening;
  await new Promise<void>((done, reject) => {
    listening.once("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "EADDRINUSE" ? new Error(`port ${env.PORT} is in use; set PORT to a free port (PORT=3001 npm start).`) : err),
    );
    listening.listen(env.PORT, done);
  });
  console.log(`\nshiftline API on http://localhost:${env.PORT} (DynamoDB at ${endpoint}, functionVersion ${env.FUNCTION_VERSION})`);
  for (const r of ROUTES) console.log(`  ${r.method.padEnd(5)} ${r.path.padEnd(16)} ${r.summary}`);
  console.log(`add names: npm run names:add -- --endpoint ${endpoint} --table ${LOCAL_TABLE_NAMES.names} "Jane Roe"`);
  console.log("Ctrl-C stops both.");
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
