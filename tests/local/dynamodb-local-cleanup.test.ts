import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, startDynamoDbLocal } from "../../local/dynamodb-local";
import { javaOnPort, killAll, until } from "../helpers/processes";

const REPO = join(__dirname, "..", "..");

describe("DynamoDB Local launcher cleanup", function () {
  this.timeout(40_000);

  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    it(`leaves no Java process behind when the process that started DynamoDB Local is ended by ${signal}`, async () => {
      const port = await freePort();
      const holder = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "tests/local/fixtures/hold-dynamodb-local.ts", String(port)], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      try {
        await new Promise<void>((ready, failed) => {
          const onData = (chunk: Buffer) => {
            output += chunk.toString("utf8");
            if (output.includes(`ready ${port}`)) ready();
          };
          holder.stdout.on("data", onData);
          holder.stderr.on("data", onData);
          holder.once("exit", (code) => failed(new Error(`exited with ${code} before DynamoDB Local was ready:\n${output}`)));
        });
        assert.equal(javaOnPort(port).length, 1, "DynamoDB Local runs while its starter does");
        holder.kill(signal);
        assert.ok(await until(() => javaOnPort(port).length === 0, 10_000), `Java still running on port ${port} after ${signal} to its starter`);
      } finally {
        holder.kill("SIGKILL");
        killAll(javaOnPort(port));
      }
    });
  }

  it("runs the package's DynamoDB Local jar in memory on the port, with telemetry turned off by the environment", async () => {
    const port = await freePort();
    const dynamo = await startDynamoDbLocal({ port });
    try {
      const [pid] = javaOnPort(port);
      assert.ok(pid, "DynamoDB Local runs");
      const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      assert.ok(args.some((a) => a.endsWith("/DynamoDBLocal.jar")), args.join(" "));
      for (const flag of ["-inMemory", "-sharedDb"]) assert.ok(args.includes(flag), `${flag} in ${args.join(" ")}`);
      assert.equal(args[args.indexOf("-port") + 1], String(port));
      // DDB_LOCAL_TELEMETRY=0 turns telemetry off for the process (AWS: DynamoDBLocalTelemetry.html).
      assert.ok(readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes("DDB_LOCAL_TELEMETRY=0"));
    } finally {
      await dynamo.stop();
    }
    assert.deepEqual(javaOnPort(port), [], "stop() leaves no Java behind");
  });

  it("stops Java when DynamoDB Local does not answer within the start timeout", async () => {
    const port = await freePort();
    await assert.rejects(startDynamoDbLocal({ port, startTimeoutMs: 1, stopGraceMs: 2_000 }), /did not answer/);
    try {
      assert.deepEqual(javaOnPort(port), []);
    } finally {
      killAll(javaOnPort(port));
    }
  });
});
