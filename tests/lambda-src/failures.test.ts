import assert from "node:assert/strict";
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, ProvisionedThroughputExceededException, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { createApiHandler } from "../../lambda-src/app";
import { createDynamoDbClient, tableNamesFromEnv, type Dependencies } from "../../lambda-src/dependencies";
import { freePort } from "../../local/dynamodb-local";
import { CapturingLogger, type LogLine } from "../helpers/capture-logger";
import { apiEvent, lambdaContext, postTodo } from "../helpers/events";

const tables = { todos: "todos", names: "names" };

/** Errors shaped as the SDK throws them: a service exception, or a plain error with the documented name. */
function awsError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} from DynamoDB`), { name, $fault: status >= 500 ? "server" : "client", $metadata: { httpStatusCode: status } });
}

describe("API handler when DynamoDB fails", function () {
  this.timeout(20_000);
  let lines: LogLine[];

  function handlerWith(dynamodb: Dependencies["dynamodb"]) {
    lines = [];
    const deps: Dependencies = { dynamodb, tables, now: () => 1 };
    return createApiHandler({ logger: new CapturingLogger(lines), dependencies: () => deps });
  }

  function assertNoInternals(body: string): void {
    assert.doesNotMatch(body, /\n\s+at |\.ts:\d+|node_modules|Exception/, "no stack trace or error class reaches the client");
  }

  const throttles = [
    new ProvisionedThroughputExceededException({ message: "The level of configured provisioned throughput for the table was exceeded.", $metadata: { httpStatusCode: 400 } }),
    awsError("ThrottlingException", 400),
    awsError("RequestLimitExceeded", 400),
    awsError("InternalServerError", 500),
    awsError("ServiceUnavailable", 503),
  ];
  for (const error of throttles) {
    it(`answers POST /todo with 503 and Retry-After when DynamoDB fails with ${error.name}, and logs the cause`, async () => {
      const client = new DynamoDBClient({ region: "eu-west-1" });
      const mock = mockClient(client).on(PutItemCommand).rejects(error);
      const result = await handlerWith(client)(postTodo({ todoId: "t01-0001", title: "アレを買う" }), lambdaContext("5"));
      assert.equal(result.statusCode, 503);
      assert.equal(result.headers?.["retry-after"], "1");
      assert.equal(result.headers?.["x-function-version"], "5");
      assert.deepEqual(JSON.parse(result.body).errors, []);
      assertNoInternals(result.body);
      assert.equal(mock.commandCalls(PutItemCommand).length, 1, "one atomic PutItem: an item is whole or absent");
      const warning = lines.find((l) => l.level === "WARN");
      assert.equal((warning?.error as { name?: string } | undefined)?.name, error.name);
      mock.restore();
    });
  }

  it("answers GET requests with 503 too when DynamoDB throttles reads", async () => {
    const client = new DynamoDBClient({ region: "eu-west-1" });
    const mock = mockClient(client).on(GetItemCommand).rejects(awsError("ThrottlingException", 400));
    const handler = handlerWith(client);
    for (const url of ["/todo/t01-0001", "/names?name=John", "/health"]) {
      const result = await handler(apiEvent({ method: "GET", url }), lambdaContext());
      assert.equal(result.statusCode, 503, url);
    }
    mock.restore();
  });

  it("answers 503 when the DynamoDB endpoint refuses connections", async () => {
    const closedPort = await freePort();
    const client = createDynamoDbClient({ DYNAMODB_ENDPOINT: `http://127.0.0.1:${closedPort}`, AWS_REGION: "local" });
    try {
      const result = await handlerWith(client)(postTodo({ todoId: "t01-0001", title: "a" }), lambdaContext());
      assert.equal(result.statusCode, 503);
      assert.equal(result.headers?.["retry-after"], "1");
      assertNoInternals(result.body);
    } finally {
      client.destroy();
    }
  });

  it("answers 500 with the request id and no internals for an error retrying cannot fix", async () => {
    const client = new DynamoDBClient({ region: "eu-west-1" });
    const mock = mockClient(client).on(PutItemCommand).rejects(awsError("AccessDeniedException", 400));
    const context = lambdaContext();
    const result = await handlerWith(client)(postTodo({ todoId: "t01-0001", title: "a" }), context);
    assert.equal(result.statusCode, 500);
    assert.match(JSON.parse(result.body).message, new RegExp(context.awsRequestId));
    assertNoInternals(result.body);
    assert.equal((lines.find((l) => l.level === "ERROR")?.error as { name?: string } | undefined)?.name, "AccessDeniedException");
    mock.restore();
  });

  it("answers 500 when a stored item does not have the shape the service writes", async () => {
    const client = new DynamoDBClient({ region: "eu-west-1" });
    const mock = mockClient(client).on(GetItemCommand).resolves({ Item: { todoId: { S: "t01-0001" }, title: { S: 8675309 }, createdAt: { N: "someone's private note" }, lambdaVersion: { S: "1" } } } as never);
    const result = await handlerWith(client)(apiEvent({ method: "GET", url: "/todo/t01-0001" }), lambdaContext());
    assert.equal(result.statusCode, 500);
    const logged = lines.find((l) => l.message === "stored data failed validation");
    assert.ok(logged, "the cause is logged");
    assert.match(JSON.stringify(logged), /item\.title/, "the log names the field that failed");
    for (const stored of ["8675309", "private note"]) assert.ok(!JSON.stringify(lines).includes(stored), `the stored value ${stored} stays out of the log`);
    mock.restore();
  });

  it("reads the stored item back when a conflicting write does not return it", async () => {
    const client = new DynamoDBClient({ region: "eu-west-1" });
    const mock = mockClient(client);
    mock.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} }));
    mock.on(GetItemCommand).resolves({ Item: { todoId: { S: "t01-0001" }, title: { S: "first" }, createdAt: { N: "1" }, lambdaVersion: { S: "1" } } });
    const handler = handlerWith(client);
    assert.equal((await handler(postTodo({ todoId: "t01-0001", title: "first" }), lambdaContext())).statusCode, 200);
    assert.equal((await handler(postTodo({ todoId: "t01-0001", title: "second" }), lambdaContext())).statusCode, 409);
    mock.restore();
  });

  it("answers 500 without naming the variables to the client when the table environment is missing", async () => {
    lines = [];
    const handler = createApiHandler({ logger: new CapturingLogger(lines), dependencies: () => ({ dynamodb: new DynamoDBClient({}), tables: tableNamesFromEnv({}), now: Date.now }) });
    const result = await handler(apiEvent({ method: "GET", url: "/health" }), lambdaContext());
    assert.equal(result.statusCode, 500);
    assert.doesNotMatch(result.body, /TODOS_TABLE/);
    assert.match(JSON.stringify(lines), /TODOS_TABLE, NAMES_TABLE/);
  });
});
