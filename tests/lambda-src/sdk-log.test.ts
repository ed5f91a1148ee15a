import assert from "node:assert/strict";
import { createApiHandler } from "../../lambda-src/app";
import { createDynamoDbClient, type Dependencies } from "../../lambda-src/dependencies";
import { CapturingLogger, type LogLine } from "../helpers/capture-logger";
import { freshTables, sharedDynamoDbLocal } from "../helpers/dynamodb-local";
import { lambdaContext, postTodo } from "../helpers/events";

/**
 * The SDK's logger middleware hands the client's `logger` one object per call (@aws-sdk/core
 * middleware-logger): `error({clientName, commandName, input, error, metadata})` for every failed
 * call, a conditional-check failure included. These tests run the real client against DynamoDB
 * Local and read the JSON lines a log reader would see.
 */
describe("the DynamoDB client's log lines", function () {
  this.timeout(30_000);
  const SECRET_TITLE = "private title 4711";
  const OTHER_TITLE = "other private title 4712";

  async function run(tables: Dependencies["tables"], events: ReadonlyArray<ReturnType<typeof postTodo>>, logger = new CapturingLogger()) {
    const lines = logger.lines;
    const { endpoint } = await sharedDynamoDbLocal();
    const client = createDynamoDbClient({ DYNAMODB_ENDPOINT: endpoint, AWS_REGION: "local" }, { log: logger, timeouts: { maxAttempts: 1 } });
    const handler = createApiHandler({ logger, dependencies: () => ({ dynamodb: client, tables, now: Date.now }) });
    const results = [];
    const contexts = [];
    for (const event of events) {
      const context = lambdaContext();
      contexts.push(context);
      results.push(await handler(event, context));
    }
    client.destroy();
    return { lines, statuses: results.map((r) => r.statusCode), contexts };
  }

  const sdkLines = (lines: readonly LogLine[]) => lines.filter((l) => typeof l.sdkCall === "object");

  it("logs a 409 and a same-title repeat as expected DEBUG lines with the request ids, never as ERROR or [object Object]", async () => {
    const tables = await freshTables();
    const { lines, statuses, contexts } = await run(tables, [
      postTodo({ todoId: "log-0001", title: SECRET_TITLE }),
      postTodo({ todoId: "log-0001", title: SECRET_TITLE }),
      postTodo({ todoId: "log-0001", title: OTHER_TITLE }),
    ]);
    assert.deepEqual(statuses, [200, 200, 409]);
    assert.deepEqual(lines.filter((l) => l.level === "ERROR" || l.level === "WARN"), []);
    assert.ok(!JSON.stringify(lines).includes("[object Object]"));
    const conditionLines = sdkLines(lines).filter((l) => (l.sdkError as { name?: string } | undefined)?.name === "ConditionalCheckFailedException");
    assert.equal(conditionLines.length, 2, "the repeat and the 409 each log their condition failure once");
    for (const [i, line] of conditionLines.entries()) {
      assert.equal(line.level, "DEBUG");
      assert.equal(line.function_request_id, contexts[i + 1].awsRequestId, "the line carries its own invocation's request id");
      assert.equal(typeof line.api_request_id, "string");
      const call = line.sdkCall as Record<string, unknown>;
      assert.equal(call.command, "PutItemCommand");
      assert.equal(call.table, tables.todos);
      assert.equal(typeof call.awsRequestId, "string", "DynamoDB's request id");
    }
  });

  it("follows the logger's level at each call: no DEBUG lines at INFO, every one again once the level is DEBUG", async () => {
    const tables = await freshTables();
    const logger = new CapturingLogger([], { serviceName: "shiftline-api-test", logLevel: "INFO" });
    const atInfo = await run(tables, [postTodo({ todoId: "level-0001", title: "a" }), postTodo({ todoId: "level-0001", title: "a" })], logger);
    assert.deepEqual(atInfo.statuses, [200, 200]);
    assert.deepEqual(atInfo.lines.filter((l) => l.level === "DEBUG"), []);
    assert.deepEqual(atInfo.lines.map((l) => l.message), ["request handled", "request handled"], "the summary lines are still written");
    // Powertools can change the level during an invocation (debug sampling, setLogLevel).
    logger.lines.splice(0);
    logger.setLogLevel("DEBUG");
    const atDebug = await run(tables, [postTodo({ todoId: "level-0002", title: "b" }), postTodo({ todoId: "level-0002", title: "b" })], logger);
    assert.deepEqual(atDebug.statuses, [200, 200]);
    assert.deepEqual(
      sdkLines(atDebug.lines).map((l) => [l.level, l.message, l.function_request_id]),
      [
        ["DEBUG", "DynamoDB call succeeded", atDebug.contexts[0].awsRequestId],
        ["DEBUG", "DynamoDB condition not met (expected: the item already exists)", atDebug.contexts[1].awsRequestId],
      ],
    );
  });

  it("never logs item values: not the title sent, not the stored item the condition failure returns", async () => {
    const tables = await freshTables();
    const { lines } = await run(tables, [postTodo({ todoId: "log-0002", title: SECRET_TITLE }), postTodo({ todoId: "log-0002", title: OTHER_TITLE })]);
    const logged = JSON.stringify(lines);
    assert.ok(sdkLines(lines).length >= 2);
    for (const value of [SECRET_TITLE, OTHER_TITLE]) assert.ok(!logged.includes(value), `${value} is not logged`);
  });

  it("logs a real failure as one structured ERROR line naming the call, the error and the request ids, without item values", async () => {
    const tables = { todos: "no-such-table-log", names: "no-such-names-log" };
    const { lines, statuses, contexts } = await run(tables, [postTodo({ todoId: "log-0003", title: SECRET_TITLE })]);
    assert.deepEqual(statuses, [500]);
    const failed = sdkLines(lines).filter((l) => l.level === "ERROR");
    assert.equal(failed.length, 1);
    const [line] = failed;
    assert.equal(line.message, "DynamoDB call failed");
    assert.equal(line.function_request_id, contexts[0].awsRequestId);
    assert.deepEqual({ command: (line.sdkCall as Record<string, unknown>).command, table: (line.sdkCall as Record<string, unknown>).table }, { command: "PutItemCommand", table: "no-such-table-log" });
    assert.equal(typeof (line.sdkCall as Record<string, unknown>).awsRequestId, "string");
    assert.equal((line.sdkError as Record<string, unknown>).name, "ResourceNotFoundException");
    assert.ok(!JSON.stringify(lines).includes(SECRET_TITLE));
    assert.ok(!JSON.stringify(lines).includes("[object Object]"));
  });
});
