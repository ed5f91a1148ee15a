/**
 * The built bundle, run as Lambda runs it: credentials only in the AWS_* variables the runtime
 * sets from the execution role, and no DYNAMODB_ENDPOINT (the endpoint comes from the SDK's
 * standard AWS_ENDPOINT_URL_DYNAMODB, pointed at DynamoDB Local). This covers the bundle's
 * environment-only credential provider, which the unbundled tests never load.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { buildFunctions } from "../../lambda-src/build";
import { tableEnv } from "../../local/tables";
import { freshTables, sharedDynamoDbLocal } from "../helpers/dynamodb-local";

const INVOKE = `
const { handler } = require(process.argv[1]);
const event = { resource: "/todo", path: "/todo", httpMethod: "POST", headers: {}, multiValueHeaders: {},
  queryStringParameters: null, multiValueQueryStringParameters: null, pathParameters: null, stageVariables: null,
  body: JSON.stringify({ todoId: "bundle-0001", title: "アレを買う" }), isBase64Encoded: false,
  requestContext: { requestId: "r1", stage: "test", resourcePath: "/todo", httpMethod: "POST", identity: { sourceIp: "127.0.0.1" } } };
const context = { functionName: "api", functionVersion: "3", invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:api:live",
  memoryLimitInMB: "256", awsRequestId: "r1", logGroupName: "/aws/lambda/api", logStreamName: "s", getRemainingTimeInMillis: () => 10000 };
handler(event, context).then((r) => process.stdout.write("RESULT " + JSON.stringify(r) + "\\n"), (e) => { process.stdout.write("THROWN " + e + "\\n"); });
`;

describe("the built bundle in a Lambda-like environment", function () {
  this.timeout(30_000);
  let dir: string;
  let bundle: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "shiftline-bundle-"));
    const api = buildFunctions({ outDir: dir }).functions.find((f) => f.name === "api");
    assert.ok(api, "the build produced no api function");
    bundle = join(dir, "index.js");
    writeFileSync(bundle, unzipSync(readFileSync(api.file))["index.js"]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function invoke(credentials: Record<string, string>): Promise<{ statusCode: number; body: string }> {
    const { endpoint } = await sharedDynamoDbLocal();
    // No instance-metadata lookups, whatever the bundle contains: this machine must not call out.
    const env = { PATH: process.env.PATH ?? "", HOME: dir, AWS_EC2_METADATA_DISABLED: "true", AWS_REGION: "eu-west-1", AWS_ENDPOINT_URL_DYNAMODB: endpoint, ...tableEnv(await freshTables()), ...credentials };
    const child = spawnSync(process.execPath, ["--no-warnings", "-e", INVOKE, bundle], { encoding: "utf8", env, timeout: 20_000 });
    const line = child.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    assert.ok(line, `the bundle gave no result:\n${child.stdout}\n${child.stderr}`);
    return JSON.parse(line.slice("RESULT ".length)) as { statusCode: number; body: string };
  }

  it("writes a todo with the execution role's credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN", async () => {
    const result = await invoke({ AWS_ACCESS_KEY_ID: "ASIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_SESSION_TOKEN: "token" });
    assert.equal(result.statusCode, 200, result.body);
    assert.deepEqual(JSON.parse(result.body), { message: "ok" });
  });

  it("ignores every other credential source, such as a shared credentials file, which Lambda never provides", async () => {
    // The SDK's full default chain would find these and succeed; the bundle must not look.
    mkdirSync(join(dir, ".aws"), { recursive: true });
    writeFileSync(join(dir, ".aws", "credentials"), "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = file-secret\n");
    const result = await invoke({});
    assert.ok(result.statusCode >= 500, `expected a 5xx with credentials only in a file, got ${result.statusCode}: ${result.body}`);
  });
});
