import assert from "node:assert/strict";
import { emfDocuments } from "../helpers/emf";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../local/dynamodb-local";
import { sharedDynamoDbLocal } from "../helpers/dynamodb-local";
import { javaOnPort, killAll, until } from "../helpers/processes";

const REPO = join(__dirname, "..", "..");

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${pattern}:\n${output}`));
    });
  });
}

describe("npm start (local/start.ts)", function () {
  this.timeout(60_000);

  it("serves the API on PORT against the given DynamoDB, with the seed names loaded, and exits 0 on SIGTERM", async () => {
    const { endpoint } = await sharedDynamoDbLocal();
    const port = await freePort();
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "local/start.ts"], {
      cwd: REPO,
      env: { ...process.env, PORT: String(port), DYNAMODB_ENDPOINT: endpoint, FUNCTION_VERSION: "4", POWERTOOLS_LOG_LEVEL: "WARN" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      await waitForOutput(child, /shiftline API on http:\/\/localhost:\d+/, 45_000);
      // The function's request metrics, one EMF document per request in the log, as in Lambda.
      const metricsLog = waitForOutput(child, /("Latency":[\d.]+[\s\S]*){3}/, 20_000);
      const post = await fetch(`http://127.0.0.1:${port}/todo`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"todoId":"t01-0001","title":"アレを買う"}' });
      assert.deepEqual([post.status, await post.json()], [200, { message: "ok" }]);
      const todo = (await (await fetch(`http://127.0.0.1:${port}/todo/t01-0001`)).json()) as { title: string; lambdaVersion: string };
      assert.deepEqual([todo.title, todo.lambdaVersion], ["アレを買う", "4"]);
      assert.equal((await fetch(`http://127.0.0.1:${port}/names?name=John`)).status, 200);
      const log = await metricsLog;
      const docs = emfDocuments(log);
      assert.equal(docs.length, 3, log);
      assert.deepEqual(docs.map((d) => [d.dimensions.Version, d.metrics.find((m) => m.name === "Requests")?.value]), [["4", 1], ["4", 1], ["4", 1]]);
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
        child.kill("SIGTERM");
        assert.equal(await exited, 0);
      }
    }
  });

  it("by default starts its own DynamoDB Local on DYNAMODB_PORT with data on disk, and on SIGINT stops it and exits 0", async () => {
    const [port, dynamoPort] = [await freePort(), await freePort()];
    const dataDir = mkdtempSync(join(tmpdir(), "shiftline-start-"));
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DYNAMODB_PORT: String(dynamoPort), DYNAMODB_DATA_DIR: dataDir, POWERTOOLS_LOG_LEVEL: "WARN" };
    delete env.DYNAMODB_ENDPOINT;
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "local/start.ts"], { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
    try {
      const output = await waitForOutput(child, /shiftline API on http:\/\/localhost:\d+/, 45_000);
      assert.match(output, new RegExp(`DynamoDB at http://127\\.0\\.0\\.1:${dynamoPort}`));
      assert.equal(javaOnPort(dynamoPort).length, 1, "its own DynamoDB Local runs on DYNAMODB_PORT");
      const post = await fetch(`http://127.0.0.1:${port}/todo`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"todoId":"t01-0001","title":"アレを買う"}' });
      assert.equal(post.status, 200);
      assert.ok(readdirSync(dataDir).some((f) => f.endsWith(".db")), `a database file in ${dataDir}`);
      const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
      child.kill("SIGINT");
      assert.equal(await exited, 0);
      assert.ok(await until(() => javaOnPort(dynamoPort).length === 0, 5_000), "DynamoDB Local stopped with it");
    } finally {
      child.kill("SIGKILL");
      killAll(javaOnPort(dynamoPort));
      if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
