import assert from "node:assert/strict";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyResult } from "aws-lambda";
import { createApiHandler, type ApiHandler } from "../../lambda-src/app";
import { loadDependencies, type Dependencies } from "../../lambda-src/dependencies";
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
  let env: NodeJS.ProcessEnv;
  let dependencies: () => Dependencies;

  before(async () => {
    const { endpoint } = await sharedDynamoDbLocal();
    // The function environment as Lambda would set it, without touching this process's own.
    env = { ...tableEnv(await freshTables()), DYNAMODB_ENDPOINT: endpoint, AWS_REGION: "local" };
    dependencies = loadDependencies(env);
  });
  after(() => (dependencies().dynamodb as DynamoDBClient).destroy());

  /** Everything a reader of the answer or of the log lines could see. */
  const visible = (result: APIGatewayProxyResult, lines: readonly LogLine[]) => JSON.stringify([result, lines]);

  function warmHandler(lines: LogLine[]): ApiHandler {
    return createApiHandler({ logger: new CapturingLogger(lines), dependencies });
  }

  it("creates the SDK client once per container and reuses it on every invocation", () => {
    assert.equal(dependencies(), dependencies());
    assert.equal(dependencies().dynamodb, dependencies().dynamodb);
  });

  it("gives the second invocation no trace of the first one's data, in its answer or its logs", async () => {
    const lines: LogLine[] = [];
    const handler = warmHandler(lines);
    const firstContext = lambdaContext("1");
    const first = await handler(postTodo({ todoId: "secret-0001", title: "first caller's private title" }, { authorization: "Bearer first-caller-token" }), firstContext);
    assert.equal(first.statusCode, 200);
    const firstLines = lines.splice(0);
    assert.ok(firstLines.some((l) => l.todoId === "secret-0001"), "the first invocation does log its own todoId");

    const secondContext = lambdaContext("1");
    const second = await handler(apiEvent({ method: "GET", url: "/names" }), secondContext);
    assert.equal(second.statusCode, 400);
    const everything = visible(second, lines);
    for (const leaked of ["secret-0001", "first caller", "first-caller-token", firstContext.awsRequestId]) {
      assert.ok(!everything.includes(leaked), `${leaked} must not reach the second invocation`);
    }
    assert.ok(lines.length > 0 && lines.every((l) => l.function_request_id === secondContext.awsRequestId && !("todoId" in l)));
  });

  it("answers an invalid POST /todo after a valid one without any of the first todo's data", async () => {
    const lines: LogLine[] = [];
    const handler = warmHandler(lines);
    const first = await handler(postTodo({ todoId: "private-0002", title: "first caller's shopping list" }), lambdaContext());
    assert.equal(first.statusCode, 200);
    lines.splice(0);
    const second = await handler(postTodo({ title: "" }), lambdaContext());
    assert.equal(second.statusCode, 400);
    const everything = visible(second, lines);
    for (const leaked of ["private-0002", "shopping list"]) assert.ok(!everything.includes(leaked), `${leaked} must not reach the second invocation`);
    assert.ok(lines.length > 0 && lines.every((l) => !("todoId" in l)), "the second request has no todoId to log");
  });

  it("answers GET of a missing todo after GET of a stored one without the stored todo's data", async () => {
    const lines: LogLine[] = [];
    const handler = warmHandler(lines);
    assert.equal((await handler(postTodo({ todoId: "private-0003", title: "first caller's diary" }), lambdaContext())).statusCode, 200);
    const found = await handler(apiEvent({ method: "GET", url: "/todo/private-0003" }), lambdaContext());
    assert.equal(found.statusCode, 200);
    lines.splice(0);
    const missing = await handler(apiEvent({ method: "GET", url: "/todo/missing-0003" }), lambdaContext());
    assert.equal(missing.statusCode, 404);
    const everything = visible(missing, lines);
    for (const leaked of ["private-0003", "diary"]) assert.ok(!everything.includes(leaked), `${leaked} must not reach the second invocation`);
  });

  it("keeps the log lines of overlapping invocations apart: each line names its own request and todo", async () => {
    const lines: LogLine[] = [];
    // Hold every DynamoDB call until all invocations have made one, so they truly overlap.
    const count = 4;
    let arrived = 0;
    let releaseAll: () => void = () => undefined;
    const allArrived = new Promise<void>((done) => (releaseAll = done));
    const real = dependencies();
    const send = (async (...args: Parameters<Dependencies["dynamodb"]["send"]>) => {
      if (++arrived === count) releaseAll();
      await allArrived;
      return (real.dynamodb.send as (...a: typeof args) => Promise<unknown>)(...args);
    }) as Dependencies["dynamodb"]["send"];
    const overlapping: Dependencies = { ...real, dynamodb: { send } };
    const handler = createApiHandler({ logger: new CapturingLogger(lines), dependencies: () => overlapping });
    const contexts = Array.from({ length: count }, () => lambdaContext());
    const results = await Promise.all(contexts.map((context, i) => handler(postTodo({ todoId: `overlap-${i}`, title: `title ${i}` }), context)));
    assert.deepEqual(results.map((r) => r.statusCode), Array(count).fill(200));
    const handled = lines.filter((l) => l.message === "request handled");
    assert.equal(handled.length, count);
    for (const [i, context] of contexts.entries()) {
      const own = lines.filter((l) => l.function_request_id === context.awsRequestId);
      assert.ok(own.length > 0 && own.every((l) => l.todoId === `overlap-${i}`), `request ${i} logs only its own todoId: ${JSON.stringify(own)}`);
    }
  });

  it("answers a query-less request on its own terms after a request with a query (the seed 003 function would echo the old value)", async () => {
    const handler = warmHandler([]);
    await handler(apiEvent({ method: "GET", url: "/names?name=credential" }), lambdaContext());
    const second = await handler(apiEvent({ method: "GET", url: "/names" }), lambdaContext());
    assert.doesNotMatch(second.body, /credential/);
  });

  it("reports a cold start on the first invocation of a container only", async () => {
    const lines: LogLine[] = [];
    const saved = process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = "on-demand";
    const handler = warmHandler(lines);
    if (saved === undefined) delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    else process.env.AWS_LAMBDA_INITIALIZATION_TYPE = saved;
    await handler(apiEvent({ method: "GET", url: "/health" }), lambdaContext());
    await handler(apiEvent({ method: "GET", url: "/health" }), lambdaContext());
    assert.deepEqual(lines.filter((l) => l.message === "request handled").map((l) => l.cold_start), [true, false]);
  });
});
