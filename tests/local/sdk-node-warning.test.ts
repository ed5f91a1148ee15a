/**
 * The AWS SDK's NodeVersionSupportWarning (local/sdk-node-warning.ts) is kept out of the tests'
 * and `npm start`'s output. Each check runs a fresh process, since the SDK warns at most once per
 * process, with the switch removed from its environment, since this process has it set.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../local/dynamodb-local";
import { SDK_NODE_WARNING_SWITCH } from "../../local/sdk-node-warning";
import { sharedDynamoDbLocal } from "../helpers/dynamodb-local";

const REPO = join(__dirname, "..", "..");
const WARNING = /NodeVersionSupportWarning/;
// The SDK warns below Node.js 22 (emitWarningIfUnsupportedVersion in @aws-sdk/core); from 22 on there is nothing to silence.
const warnsHere = Number(process.versions.node.split(".")[0]) < 22;

function envWithoutSwitch(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env[SDK_NODE_WARNING_SWITCH];
  return env;
}

/** stderr of a Node.js process that preloads `requires` and then constructs one SDK client. */
function stderrOfClient(requires: readonly string[]): string {
  const code = 'new (require("@aws-sdk/client-lambda").LambdaClient)({ region: "eu-west-1" }).destroy();';
  const run = spawnSync(process.execPath, [...requires.flatMap((r) => ["-r", r]), "-e", code], { cwd: REPO, env: envWithoutSwitch(), encoding: "utf8", timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  return run.stderr;
}

describe("the AWS SDK's Node.js version warning", function () {
  this.timeout(60_000);

  it("is printed by a client constructed without the switch, on the Node.js running the tests", function () {
    if (!warnsHere) this.skip();
    assert.match(stderrOfClient([]), WARNING, "the check below would prove nothing");
  });

  it("is not printed in a process set up as mocha sets up the tests (.mocharc.json require)", () => {
    const { require: requires } = JSON.parse(readFileSync(join(REPO, ".mocharc.json"), "utf8")) as { require: string[] };
    // Mocha resolves a file entry from the repository, node -r needs its path; ts-node/register
    // type-checks, and its transpile-only variant loads the same files faster.
    const preload = requires.map((r) => (existsSync(join(REPO, r)) ? join(REPO, r) : r === "ts-node/register" ? "ts-node/register/transpile-only" : r));
    assert.doesNotMatch(stderrOfClient(preload), WARNING);
  });

  it("is not printed by npm start (local/start.ts), which serves with SDK clients", async () => {
    const { endpoint } = await sharedDynamoDbLocal();
    const port = await freePort();
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "local/start.ts"], {
      cwd: REPO,
      env: envWithoutSwitch({ PORT: String(port), DYNAMODB_ENDPOINT: endpoint, POWERTOOLS_LOG_LEVEL: "WARN" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    try {
      await new Promise<void>((ready, failed) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString("utf8");
          if (/shiftline API on http:\/\/localhost:\d+/.test(output)) ready();
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
        void exited.then((code) => failed(new Error(`npm start exited with ${code} before serving:\n${output}`)));
      });
      // One request, so the handler's own DynamoDB client is constructed too.
      assert.equal((await fetch(`http://127.0.0.1:${port}/names?name=John`)).status, 200);
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
    assert.doesNotMatch(output, WARNING);
  });
});
