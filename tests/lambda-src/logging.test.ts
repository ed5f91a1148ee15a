import assert from "node:assert/strict";
import { createApiHandler } from "../../lambda-src/app";
import type { Dependencies } from "../../lambda-src/dependencies";
import { CapturingLogger, type LogLine } from "../helpers/capture-logger";
import { freshTables, sharedClient } from "../helpers/dynamodb-local";
import { apiEvent, lambdaContext, postTodo } from "../helpers/events";

describe("request logs", function () {
  this.timeout(30_000);
  let deps: Dependencies;
  before(async () => {
    deps = { dynamodb: await sharedClient(), tables: await freshTables(), now: Date.now };
  });

  it("logs one structured summary per request with request ids, function version, route and status", async () => {
    const lines: LogLine[] = [];
    const handler = createApiHandler({ logger: new CapturingLogger(lines), dependencies: () => deps });
    const context = lambdaContext("42");
    const event = postTodo({ todoId: "t01-0001", title: "アレを買う" });
    await handler(event, context);
    const summaries = lines.filter((l) => l.message === "request handled");
    assert.equal(summaries.length, 1);
    const [summary] = summaries;
    assert.equal(summary.level, "INFO");
    assert.equal(summary.function_request_id, context.awsRequestId);
    assert.equal(summary.api_request_id, event.requestContext.requestId);
    assert.equal(summary.function_version, "42");
    assert.equal(summary.resource, "/todo");
    assert.equal(summary.statusCode, 200);
    assert.equal(typeof summary.durationMs, "number");
  });

  it("never logs request bodies, titles or headers, even for rejected input", async () => {
    const lines: LogLine[] = [];
    const handler = createApiHandler({ logger: new CapturingLogger(lines), dependencies: () => deps });
    await handler(postTodo({ todoId: "t01-0002", title: "private title" }, { authorization: "Bearer s3cret" }), lambdaContext());
    await handler(postTodo({ todoId: "bad id", title: "another private title", password: "hunter2" }), lambdaContext());
    const logged = JSON.stringify(lines);
    for (const secret of ["private title", "s3cret", "hunter2"]) assert.ok(!logged.includes(secret), `${secret} is not logged`);
    assert.deepEqual(lines.filter((l) => l.message === "request handled").map((l) => l.statusCode), [200, 400]);
  });

  it("logs the 404 of a names lookup without the name searched for", async () => {
    const lines: LogLine[] = [];
    const handler = createApiHandler({ logger: new CapturingLogger(lines), dependencies: () => deps });
    await handler(apiEvent({ method: "GET", url: "/names?name=Someone%20Private" }), lambdaContext());
    assert.ok(!JSON.stringify(lines).includes("Someone Private"));
  });
});
