import assert from "node:assert/strict";
import { createApiHandler } from "../../lambda-src/app";
import { defaultDependencies, type Dependencies } from "../../lambda-src/dependencies";
import { tableEnv } from "../../local/tables";
import { CapturingLogger, type LogLine } from "../helpers/capture-logger";
import { freshTables, sharedDynamoDbLocal } from "../helpers/dynamodb-local";
import { apiEvent, lambdaContext, postTodo } from "../helpers/events";

/**
 * Seed 003: module scope survives between warm invocations of one container. These tests run
 * two invocations through one handler in one process, as a warm container would.
 */
describe("warm-start hygiene", function () {
  this.timeout(30_000);
  const savedEnv = { ...process.env };
  let deps: Dependencies;

  before(async () => {
    const { endpoint } = await sharedDynamoDbLocal();
    Object.assign(process.env, tableEnv(await freshTables()), { DYNAMODB_ENDPOINT: endpoint });
    deps = defaultDependencies();
  });
  after(() => {
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  });

  it("creates the SDK client once per container and reuses it on every invocation", () => {
    assert.equal(defaultDependencies(), deps);
    assert.equal(defaultDependencies().dynamodb, deps.dynamodb);
  });

  it("gives the second invocation no trace of the first one's data, in its answer or its logs", async () => {
    const lines: LogLine[] = [];
    const handler = createApiHandler({ logger: new CapturingLogger(lines), dependencies: defaultDependencies });
    const firstContext = lambdaContext("1");
    const first = await handler(postTodo({ todoId: "secret-0001", title: "first caller's private title" }, { authorization: "Bearer first-caller-token" }), firstContext);
    assert.equal(first.statusCode, 200);
    const firstLines = lines.splice(0);
    assert.ok(firstLines.some((l) => l.todoId === "secret-0001"), "the first invocation does log its own todoId");

    const secondContext = lambdaContext("1");
    const second = await handler(apiEvent({ method: "GET", url: "/names" }), secondContext);
    assert.equal(second.statusCode, 400);
    const everything = JSON.stringify([second, lines]);
    for (const leaked of ["secret-0001", "first caller", "first-caller-token", firstContext.awsRequestId]) {
      assert.ok(!everything.includes(leaked), `${leaked} must not reach the second invocation`);
    }
    assert.ok(lines.length > 0 && lines.every((l) => l.function_request_id === secondContext.awsRequestId && !("todoId" in l)));
  });

  it("answers a query-less request on its own terms after a request with a query (the seed 003 function would echo the old value)", async () => {
    const handler = createApiHandler({ logger: new CapturingLogger(), dependencies: defaultDependencies });
    await handler(apiEvent({ method: "GET", url: "/names?name=credential" }), lambdaContext());
    const second = await handler(apiEvent({ method: "GET", url: "/names" }), lambdaContext());
    assert.doesNotMatch(second.body, /credential/);
  });

  it("reports a cold start on the first invocation of a container only", async () => {
    const lines: LogLine[] = [];
    const saved = process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = "on-demand";
    const handler = createApiHandler({ logger: new CapturingLogger(lines), dependencies: defaultDependencies });
    if (saved === undefined) delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    else process.env.AWS_LAMBDA_INITIALIZATION_TYPE = saved;
    await handler(apiEvent({ method: "GET", url: "/health" }), lambdaContext());
    await handler(apiEvent({ method: "GET", url: "/health" }), lambdaContext());
    assert.deepEqual(lines.filter((l) => l.message === "request handled").map((l) => l.cold_start), [true, false]);
  });
});
