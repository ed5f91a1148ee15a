import assert from "node:assert/strict";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createApiHandler, type ApiHandler } from "../../lambda-src/app";
import type { Dependencies } from "../../lambda-src/dependencies";
import { addNames } from "../../local/names";
import { CapturingLogger } from "../helpers/capture-logger";
import { documentedFindName, documentedGetTodo, documentedPostTodo } from "../helpers/documented-events";
import { freshTables, sharedClient } from "../helpers/dynamodb-local";
import { lambdaContext } from "../helpers/events";

describe("API handler with events shaped like AWS's documented REST proxy example", function () {
  this.timeout(30_000);
  let handler: ApiHandler;

  before(async () => {
    const client: DynamoDBClient = await sharedClient();
    const tables = await freshTables();
    await addNames(client, tables.names, ["John"]);
    const deps: Dependencies = { dynamodb: client, tables, now: () => 1_700_000_000_000 };
    handler = createApiHandler({ logger: new CapturingLogger(), dependencies: () => deps });
  });

  it("stores seed 000's POST (no Content-Type, escaped Unicode) and reads it back by its path parameter", async () => {
    const post = await handler(documentedPostTodo, lambdaContext("12"));
    assert.deepEqual([post.statusCode, JSON.parse(post.body)], [200, { message: "ok" }]);
    assert.equal(post.headers?.["x-function-version"], "12");
    const get = await handler(documentedGetTodo, lambdaContext("13"));
    assert.equal(get.statusCode, 200);
    assert.deepEqual(JSON.parse(get.body), { todoId: "doc-0001", title: "アレを買う", createdAt: 1_700_000_000_000, lambdaVersion: "12" });
  });

  it("finds a stored name from the query maps, and answers 404 with an empty body for another", async () => {
    const found = await handler(documentedFindName("John"), lambdaContext());
    assert.deepEqual([found.statusCode, JSON.parse(found.body)], [200, { name: "John" }]);
    const missing = await handler(documentedFindName("Nobody"), lambdaContext());
    assert.deepEqual([missing.statusCode, missing.body], [404, ""]);
  });
});
