import assert from "node:assert/strict";
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { createApiHandler } from "../../lambda-src/app";
import type { Dependencies } from "../../lambda-src/dependencies";
import { TABLE_ACTIONS } from "../../lambda-src/permissions";
import { ROUTES } from "../../lambda-src/routes";
import { SMOKE_TODO, smokeEvents } from "../../lambda-src/smoke-events";
import type { TableKey } from "../../lambda-src/tables";
import { CapturingLogger } from "../helpers/capture-logger";
import { freshTables, sharedClient } from "../helpers/dynamodb-local";
import { apiEvent, lambdaContext } from "../helpers/events";

describe("smoke events", function () {
  this.timeout(30_000);

  it("all return 2xx from a healthy deployment, also when replayed against a later version", async () => {
    const deps: Dependencies = { dynamodb: await sharedClient(), tables: await freshTables(), now: Date.now };
    const handler = createApiHandler({ logger: new CapturingLogger(), dependencies: () => deps });
    for (const version of ["1", "2"]) {
      for (const { name, event } of smokeEvents) {
        const result = await handler(event, lambdaContext(version));
        assert.ok(result.statusCode >= 200 && result.statusCode < 300, `${name} on version ${version}: ${result.statusCode} ${result.body}`);
      }
    }
    const read = await handler(smokeEvents[2].event, lambdaContext("2"));
    assert.equal(JSON.parse(read.body).title, SMOKE_TODO.title);
  });

  it("cover the health probe, the smoke POST and the read of the smoke item, each a real route", () => {
    const handlers = smokeEvents.map(({ event }) => ROUTES.find((r) => r.path === event.resource && r.method === event.httpMethod)?.handler);
    assert.deepEqual(handlers, ["health", "createTodo", "getTodo"]);
  });

  it("fail when the tables are unreachable, so a broken version never gets traffic", async () => {
    const deps: Dependencies = { dynamodb: await sharedClient(), tables: { todos: "missing-todos", names: "missing-names" }, now: Date.now };
    const handler = createApiHandler({ logger: new CapturingLogger(), dependencies: () => deps });
    for (const { name, event } of smokeEvents) {
      const result = await handler(event, lambdaContext());
      assert.ok(result.statusCode >= 500, `${name}: ${result.statusCode}`);
    }
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
    const events = [...smokeEvents.map((s) => s.event), apiEvent({ method: "GET", url: "/names?name=John" })];
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
