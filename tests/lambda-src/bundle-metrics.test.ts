/**
 * The built bundle writes one EMF document per invocation to stdout, which is where Lambda
 * sends a function's output to CloudWatch Logs and so to CloudWatch metrics
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 * Read back with a parser written from the specification (tests/helpers/emf.ts).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { buildFunctions } from "../../lambda-src/build";
import { tableEnv } from "../../local/tables";
import { freshTables, sharedDynamoDbLocal } from "../helpers/dynamodb-local";
import { emfDocuments, metricValues, type EmfDocument } from "../helpers/emf";

/** Runs each `[method, path, body?, broken?]` in turn in one process, as one warm container would. */
const INVOKE = `
const { handler } = require(process.argv[1]);
const calls = JSON.parse(process.argv[2]);
(async () => {
  for (const [method, path, body, broken] of calls) {
    const resource = path.startsWith("/todo/") ? "/todo/{todoId}" : path;
    const event = { resource, path, httpMethod: method, headers: {}, multiValueHeaders: {}, queryStringParameters: null,
      multiValueQueryStringParameters: null, pathParameters: path.startsWith("/todo/") ? { todoId: path.slice(6) } : null, stageVariables: { lambdaAlias: "live" },
      body: body === undefined ? null : JSON.stringify(body), isBase64Encoded: false,
      requestContext: { requestId: "r1", stage: "prod", resourcePath: resource, httpMethod: method, identity: { sourceIp: "127.0.0.1" } } };
    const context = { functionName: "shiftline-api", functionVersion: "3", invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:shiftline-api:live",
      memoryLimitInMB: "256", awsRequestId: "r1", logGroupName: "/aws/lambda/shiftline-api", logStreamName: "s",
      getRemainingTimeInMillis: () => { if (broken) throw new Error("broken context"); return 10000; } };
    try {
      const r = await handler(event, context);
      process.stdout.write("RESULT " + r.statusCode + "\\n");
    } catch (e) {
      process.stdout.write("THROWN " + e.message + "\\n");
    }
  }
})();
`;

describe("the built bundle's request metrics", function () {
  this.timeout(30_000);
  let dir: string;
  let bundle: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "shiftline-emf-"));
    const api = buildFunctions({ outDir: dir }).functions.find((f) => f.name === "api");
    assert.ok(api, "the build produced no api function");
    bundle = join(dir, "index.js");
    writeFileSync(bundle, unzipSync(readFileSync(api.file))["index.js"]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function run(calls: unknown[], tables: Record<string, string>): Promise<{ results: string[]; docs: EmfDocument[]; stdout: string }> {
    const { endpoint } = await sharedDynamoDbLocal();
    const env = {
      PATH: process.env.PATH ?? "", HOME: dir, AWS_EC2_METADATA_DISABLED: "true", AWS_REGION: "eu-west-1", AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_ACCESS_KEY_ID: "ASIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_SESSION_TOKEN: "token",
      POWERTOOLS_SERVICE_NAME: "shiftline-api", POWERTOOLS_METRICS_NAMESPACE: "ShiftlineBundleTest", ...tables,
    };
    const child = spawnSync(process.execPath, ["--no-warnings", "-e", INVOKE, bundle, JSON.stringify(calls)], { encoding: "utf8", env, timeout: 20_000 });
    const results = child.stdout.split("\n").filter((l) => l.startsWith("RESULT ") || l.startsWith("THROWN "));
    assert.equal(results.length, calls.length, `every call answered:\n${child.stdout}\n${child.stderr}`);
    return { results, docs: emfDocuments(child.stdout), stdout: child.stdout };
  }

  it("writes one valid document per invocation for a 2xx, a 4xx and a thrown error, with the alias and version", async () => {
    const { results, docs, stdout } = await run(
      [
        ["POST", "/todo", { todoId: "emf-0001", title: "x" }],
        ["GET", "/nowhere"],
        ["GET", "/health", undefined, true],
      ],
      tableEnv(await freshTables()),
    );
    assert.deepEqual(results, ["RESULT 200", "RESULT 404", "THROWN broken context"]);
    assert.equal(docs.length, 3, stdout);
    for (const d of docs) {
      assert.equal(d.namespace, "ShiftlineBundleTest");
      assert.deepEqual(d.dimensions, { service: "shiftline-api", FunctionName: "shiftline-api", Alias: "live", Version: "3" });
      assert.ok(d.metrics.every((m) => m.storageResolution === 1));
    }
    const counts = docs.map((d) => { const v = metricValues(d); return [v.Requests, v.ServerErrors, v.ClientErrors]; });
    assert.deepEqual(counts, [[1, 0, 0], [1, 0, 1], [1, 1, 0]]);
    assert.doesNotMatch(stdout, /"level":"WARN"|Namespace should be defined|already been added/, "Powertools warns about nothing");
  });

  it("counts a handled 500 (a missing table) as a server error, though Lambda sees a successful invocation", async () => {
    const { results, docs } = await run([["GET", "/todo/emf-0002"]], tableEnv({ todos: "no-such-table", names: "no-such-table-either" }));
    assert.deepEqual(results, ["RESULT 500"]);
    assert.deepEqual(docs.map((d) => metricValues(d).ServerErrors), [1]);
  });
});
