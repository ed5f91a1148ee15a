import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { createApiHandler } from "../../lambda-src/app";
import { createDynamoDbClient, type Dependencies } from "../../lambda-src/dependencies";
import { localContext } from "../../local/proxy-event";
import { CapturingLogger, type LogLine } from "../helpers/capture-logger";
import { postTodo } from "../helpers/events";

/** A TCP server that accepts connections and reads requests but never writes a byte back. */
async function silentServer(): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("no port assigned");
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((done) => server.close(() => done()));
    },
  };
}

describe("DynamoDB that accepts connections but never answers", function () {
  // Generous so a hang is reported as a failed assertion below, not a test timeout.
  this.timeout(10_000);
  let silent: Awaited<ReturnType<typeof silentServer>>;
  beforeEach(async () => {
    silent = await silentServer();
  });
  afterEach(() => silent.close());

  it("ends a DynamoDB call with a TimeoutError once the request timeout passes, instead of waiting on", async () => {
    const client = createDynamoDbClient({ DYNAMODB_ENDPOINT: silent.endpoint }, { timeouts: { requestTimeoutMs: 150, maxAttempts: 1 } });
    const started = Date.now();
    try {
      await assert.rejects(client.send(new GetItemCommand({ TableName: "todos", Key: { todoId: { S: "t01-0001" } } })), { name: "TimeoutError" });
      assert.ok(Date.now() - started < 2_000, `gave up after ${Date.now() - started} ms`);
    } finally {
      client.destroy();
    }
  });

  it("answers 503 with Retry-After before the function's time runs out, even when attempts × timeout would outlast it", async () => {
    // Default timeouts: 3 attempts of up to 2 s each would outlast a 1.2 s function.
    const client = createDynamoDbClient({ DYNAMODB_ENDPOINT: silent.endpoint });
    const lines: LogLine[] = [];
    const deps: Dependencies = { dynamodb: client, tables: { todos: "todos", names: "names" }, now: () => 1 };
    const handler = createApiHandler({ logger: new CapturingLogger(lines), dependencies: () => deps, deadlineReserveMs: 900 });
    const context = localContext({ functionName: "shiftline-api-test", functionVersion: "3", timeoutMs: 1_200 });
    const started = Date.now();
    try {
      const result = await handler(postTodo({ todoId: "t01-0001", title: "アレを買う" }), context);
      const elapsed = Date.now() - started;
      assert.equal(result.statusCode, 503);
      assert.equal(result.headers?.["retry-after"], "1");
      assert.ok(elapsed >= 250 && elapsed < 1_200, `answered after ${elapsed} ms; the deadline was 300 ms into a 1 200 ms function`);
      assert.ok(lines.some((l) => l.level === "WARN" && l.message === "database did not answer before the invocation deadline"));
    } finally {
      client.destroy();
    }
  });

  it("answers 503 straight away when the invocation has less time left than the reserve", async () => {
    const client = createDynamoDbClient({ DYNAMODB_ENDPOINT: silent.endpoint });
    const deps: Dependencies = { dynamodb: client, tables: { todos: "todos", names: "names" }, now: () => 1 };
    const handler = createApiHandler({ logger: new CapturingLogger(), dependencies: () => deps });
    const context = localContext({ functionName: "shiftline-api-test", functionVersion: "3", timeoutMs: 500 });
    try {
      const result = await handler(postTodo({ todoId: "t01-0001", title: "a" }), context);
      assert.equal(result.statusCode, 503);
    } finally {
      client.destroy();
    }
  });
});
