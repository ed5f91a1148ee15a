import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { createApiHandler } from "../../lambda-src/app";
import type { Dependencies } from "../../lambda-src/dependencies";
import { TABLE_ACTIONS } from "../../lambda-src/permissions";
import { ROUTES } from "../../lambda-src/routes";
import { SMOKE_CONTEXT_KEY, SMOKE_TODO_TITLE, isReleaseSmoke, smokeEvents, smokeTodoId, type SmokeRun } from "../../lambda-src/smoke-events";
import { TODO_ID_PATTERN } from "../../lambda-src/input";
import { TABLES, type TableKey } from "../../lambda-src/tables";
import type { SmokeEvent } from "../../release/inputs/smoke-source";
import { loadSmokeEvents } from "../../release/inputs/smoke-source";
import { CapturingLogger } from "../helpers/capture-logger";
import { freshTables, sharedClient } from "../helpers/dynamodb-local";
import { apiEvent, lambdaContext, postTodo } from "../helpers/events";

const RUN: SmokeRun = { label: "prod-live", nonce: "0123456789abcdef0123456789abcdef" };

describe("smoke events", function () {
  this.timeout(30_000);

  it("all return 2xx from a healthy deployment, also when replayed against a later version", async () => {
    const deps: Dependencies = { dynamodb: await sharedClient(), tables: await freshTables(), now: Date.now };
    const handler = createApiHandler({ logger: new CapturingLogger(), dependencies: () => deps });
    const events = smokeEvents(RUN);
    for (const version of ["1", "2"]) {
      for (const { name, event } of events) {
        const result = await handler(event, lambdaContext(version));
        assert.ok(result.statusCode >= 200 && result.statusCode < 300, `${name} on version ${version}: ${result.statusCode} ${result.body}`);
      }
    }
    const read = await handler(events[2].event, lambdaContext("2"));
    assert.equal(JSON.parse(read.body).title, SMOKE_TODO_TITLE);
  });

  it("cover the health probe, the smoke POST and the read of the smoke item, each a real route", () => {
    const handlers = smokeEvents(RUN).map(({ event }) => ROUTES.find((r) => r.path === event.resource && r.method === event.httpMethod)?.handler);
    assert.deepEqual(handlers, ["health", "createTodo", "getTodo"]);
  });

  it("fail when the tables are unreachable, so a broken version never gets traffic", async () => {
    const deps: Dependencies = { dynamodb: await sharedClient(), tables: { todos: "missing-todos", names: "missing-names" }, now: Date.now };
    const handler = createApiHandler({ logger: new CapturingLogger(), dependencies: () => deps });
    for (const { name, event } of smokeEvents(RUN)) {
      const result = await handler(event, lambdaContext());
      assert.ok(result.statusCode >= 500, `${name}: ${result.statusCode}`);
    }
  });
});

/** A release run's smoke check, as the release step sends it: every event in order, each answer. */
async function smokeRun(handler: ReturnType<typeof createApiHandler>, events: readonly SmokeEvent[], version: string) {
  const answers = [];
  for (const { event } of events) answers.push(await handler(event as APIGatewayProxyEvent, lambdaContext(version)));
  return answers;
}

describe("smoke item of a release run", function () {
  this.timeout(30_000);
  const NOW = Date.UTC(2026, 11, 1, 10, 0, 0);
  let deps: Dependencies;
  let handler: ReturnType<typeof createApiHandler>;
  beforeEach(async () => {
    deps = { dynamodb: await sharedClient(), tables: await freshTables(), now: () => NOW };
    handler = createApiHandler({ logger: new CapturingLogger(), dependencies: () => deps });
  });
  const storedItem = async (todoId: string) => (await deps.dynamodb.send(new GetItemCommand({ TableName: deps.tables.todos, Key: { todoId: { S: todoId } }, ConsistentRead: true }))).Item;
  const postedId = (events: readonly SmokeEvent[]) => (JSON.parse(String((events[1].event as APIGatewayProxyEvent).body)) as { todoId: string }).todoId;

  it("cannot be blocked by any item the public API creates first", async () => {
    // What someone on the internet can send: the old fixed id, and ids built from everything a
    // release makes public (its prefix, environment and alias) with a guessed nonce.
    for (const todoId of ["smoke-check", "smoke-release-00000000000000000000000000000000", "smoke-prod-live-00000000000000000000000000000000", "smoke-prod-live-ffffffffffffffffffffffffffffffff"]) {
      const created = await handler(postTodo({ todoId, title: "x" }), lambdaContext());
      assert.equal(created.statusCode, 200, `${todoId}: ${created.body}`);
    }
    for (const events of [loadSmokeEvents(), loadSmokeEvents({ environment: "prod", alias: "live" })]) {
      const answers = await smokeRun(handler, events, "8");
      assert.deepEqual(answers.map((a) => a.statusCode), [200, 200, 200], answers.map((a) => a.body).join("\n"));
    }
  });

  it("is not shared by two releases of different stages running at once", async () => {
    const live = loadSmokeEvents({ environment: "prod", alias: "live" });
    const beta = loadSmokeEvents({ environment: "prod", alias: "beta" });
    assert.notEqual(postedId(live), postedId(beta));
    // Interleaved as two CI jobs would: both POSTs, then both GETs.
    const answers = [
      await handler(live[1].event as APIGatewayProxyEvent, lambdaContext("7")),
      await handler(beta[1].event as APIGatewayProxyEvent, lambdaContext("8")),
      await handler(live[2].event as APIGatewayProxyEvent, lambdaContext("7")),
      await handler(beta[2].event as APIGatewayProxyEvent, lambdaContext("8")),
    ];
    assert.deepEqual(answers.map((a) => a.statusCode), [200, 200, 200, 200], answers.map((a) => a.body).join("\n"));
    // Each run reads back the item its own version wrote, not the other run's.
    assert.equal(JSON.parse(answers[2].body).lambdaVersion, "7");
    assert.equal(JSON.parse(answers[3].body).lambdaVersion, "8");
  });

  it("carries an expiry a day ahead in the table's TTL attribute, which public items never get", async () => {
    const events = loadSmokeEvents({ environment: "prod", alias: "live" });
    await smokeRun(handler, events, "8");
    const smoke = await storedItem(postedId(events));
    const ttl = TABLES.todos.ttlAttribute;
    assert.deepEqual(smoke?.[ttl], { N: String(Math.floor(NOW / 1000) + 24 * 60 * 60) });

    // A public request cannot ask for an expiry: not in the body (unknown key), not in a header.
    const rejected = await handler(postTodo({ todoId: "t01-0001", title: "x", [ttl]: 1 }), lambdaContext());
    assert.equal(rejected.statusCode, 400);
    const publicEvent = postTodo({ todoId: "t01-0002", title: "x" }, { [SMOKE_CONTEXT_KEY]: "true" });
    assert.equal(isReleaseSmoke(publicEvent), false);
    assert.equal((await handler(publicEvent, lambdaContext())).statusCode, 200);
    assert.equal((await storedItem("t01-0002"))?.[ttl], undefined);
  });
});

describe("smoke item ids", () => {
  it("are smoke-<environment>-<alias>-<128 random bits> and valid todoIds", () => {
    const events = loadSmokeEvents({ environment: "prod", alias: "live" }, (n) => Buffer.alloc(n, 0xab));
    const body = JSON.parse(String((events[1].event as APIGatewayProxyEvent).body)) as { todoId: string };
    assert.equal(body.todoId, `smoke-prod-live-${"ab".repeat(16)}`);
    assert.match(body.todoId, TODO_ID_PATTERN);
  });

  it("differ on every run", () => {
    const ids = new Set(Array.from({ length: 50 }, () => smokeTodoId({ label: "prod-live", nonce: randomBytes(16).toString("hex") })));
    assert.equal(ids.size, 50);
  });

  it("stay valid todoIds for long or odd labels", () => {
    for (const label of ["a".repeat(200), "Prod/Live_2", "---", ""]) {
      const id = smokeTodoId({ label, nonce: RUN.nonce });
      assert.match(id, TODO_ID_PATTERN, label);
      assert.ok(id.endsWith(`-${RUN.nonce}`), id);
    }
  });

  it("refuse a nonce that is not 128 bits of hex", () => {
    assert.throws(() => smokeTodoId({ label: "prod-live", nonce: "1234" }), /smoke nonce = "1234": must be 32 lowercase hex digits/);
  });
});

describe("DynamoDB permissions", () => {
  it("lists exactly the actions the handlers call on each table", async () => {
    const client = new DynamoDBClient({ region: "eu-west-1" });
    const mock = mockClient(client);
    mock.on(GetItemCommand).resolves({});
    mock.on(PutItemCommand).resolves({});
    const tables = { todos: "todos-table", names: "names-table" };
    const handler = createApiHandler({ logger: new CapturingLogger(), dependencies: () => ({ dynamodb: client, tables, now: Date.now }) });
    const events = [...smokeEvents(RUN).map((s) => s.event), apiEvent({ method: "GET", url: "/names?name=John" })];
    for (const event of events) await handler(event, lambdaContext());

    const used: Record<TableKey, Set<string>> = { todos: new Set(), names: new Set() };
    for (const call of mock.calls()) {
      const command = call.args[0] as { constructor: { name: string }; input: { TableName?: string } };
      const key = (Object.keys(tables) as TableKey[]).find((k) => tables[k] === command.input.TableName);
      assert.ok(key, `call to an unknown table ${command.input.TableName}`);
      used[key].add(`dynamodb:${command.constructor.name.replace(/Command$/, "")}`);
    }
    for (const key of Object.keys(tables) as TableKey[]) assert.deepEqual([...used[key]].sort(), [...TABLE_ACTIONS[key]].sort(), key);
    mock.restore();
  });
});
