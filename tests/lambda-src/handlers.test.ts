import assert from "node:assert/strict";
import { GetItemCommand, ScanCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { createApiHandler, type ApiHandler } from "../../lambda-src/app";
import type { Dependencies, TableNames } from "../../lambda-src/dependencies";
import { MAX_BODY_BYTES, TITLE_MAX_CHARS } from "../../lambda-src/input";
import { addNames } from "../../local/names";
import { CapturingLogger } from "../helpers/capture-logger";
import { freshTables, sharedClient } from "../helpers/dynamodb-local";
import { apiEvent, lambdaContext, postTodo } from "../helpers/events";

interface ErrorBody {
  message: string;
  errors: Array<{ field: string; value: string; message: string }>;
}

function errorBody(result: APIGatewayProxyResult): ErrorBody {
  assert.match(String(result.headers?.["content-type"]), /^application\/json/);
  return JSON.parse(result.body) as ErrorBody;
}

describe("API handler on DynamoDB Local", function () {
  this.timeout(30_000);
  let client: DynamoDBClient;
  let tables: TableNames;
  let handler: ApiHandler;
  let clock = 1_700_000_000_000;

  const invoke = (event: APIGatewayProxyEvent, version = "7") => handler(event, lambdaContext(version));
  const storedCount = async () => (await client.send(new ScanCommand({ TableName: tables.todos, Select: "COUNT" }))).Count ?? 0;
  const stored = async (todoId: string) => (await client.send(new GetItemCommand({ TableName: tables.todos, Key: { todoId: { S: todoId } }, ConsistentRead: true }))).Item;

  before(async () => {
    client = await sharedClient();
    tables = await freshTables();
    await addNames(client, tables.names, ["John", "山田太郎"]);
    const deps: Dependencies = { dynamodb: client, tables, now: () => (clock += 1000) };
    handler = createApiHandler({ logger: new CapturingLogger(), dependencies: () => deps });
  });

  describe("POST /todo", () => {
    it('stores seed 000\'s todo sent without a content type and answers {"message":"ok"}', async () => {
      const result = await invoke(postTodo({ todoId: "t01-0001", title: "アレを買う" }));
      assert.equal(result.statusCode, 200);
      assert.deepEqual(JSON.parse(result.body), { message: "ok" });
      const item = await stored("t01-0001");
      assert.equal(item?.title.S, "アレを買う");
      assert.equal(item?.lambdaVersion.S, "7");
      assert.match(String(item?.createdAt.N), /^\d{13}$/);
    });

    it("accepts application/json with a charset, and a base64-encoded body", async () => {
      const typed = await invoke(postTodo({ todoId: "t01-0002", title: "milk" }, { "Content-Type": "application/json; charset=UTF-8" }));
      assert.equal(typed.statusCode, 200);
      const event = { ...postTodo(""), body: Buffer.from(JSON.stringify({ todoId: "t01-0003", title: "パン" })).toString("base64"), isBase64Encoded: true };
      const encoded = await invoke(event);
      assert.equal(encoded.statusCode, 200, encoded.body);
      assert.equal((await stored("t01-0003"))?.title.S, "パン");
    });

    it("repeats the same todoId and title as a success without a second write", async () => {
      await invoke(postTodo({ todoId: "t02-0001", title: "same" }), "3");
      const first = await stored("t02-0001");
      const again = await invoke(postTodo({ todoId: "t02-0001", title: "same" }), "4");
      assert.equal(again.statusCode, 200);
      assert.deepEqual(JSON.parse(again.body), { message: "ok" });
      assert.deepEqual(await stored("t02-0001"), first, "createdAt and lambdaVersion stay those of the first write");
    });

    it("answers 409 for the same todoId with another title and leaves the stored item unchanged", async () => {
      await invoke(postTodo({ todoId: "t02-0002", title: "original" }));
      const before = await stored("t02-0002");
      const result = await invoke(postTodo({ todoId: "t02-0002", title: "changed" }));
      assert.equal(result.statusCode, 409);
      assert.deepEqual(errorBody(result).errors.map((e) => e.field), ["todoId"]);
      assert.deepEqual(await stored("t02-0002"), before);
    });

    it("detects a conflict with one conditional PutItem that returns the stored item, and no extra GetItem", async () => {
      await invoke(postTodo({ todoId: "t02-0003", title: "original" }));
      const sent: string[] = [];
      const counting: Dependencies["dynamodb"] = {
        send: ((command: { constructor: { name: string } }, options?: unknown) => {
          sent.push(command.constructor.name);
          return (client.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
        }) as Dependencies["dynamodb"]["send"],
      };
      const countingHandler = createApiHandler({ logger: new CapturingLogger(), dependencies: () => ({ dynamodb: counting, tables, now: () => clock }) });
      const result = await countingHandler(postTodo({ todoId: "t02-0003", title: "changed" }), lambdaContext());
      assert.equal(result.statusCode, 409);
      assert.deepEqual(sent, ["PutItemCommand"]);
    });

    for (const title of ["アレを買う", "🛒 milk & eggs", "שלום\u200f עולם", "👩\u200d💻 zero-width joiner", "e\u0301 (combining accent)", "  leading and trailing spaces  ", "ア".repeat(TITLE_MAX_CHARS)]) {
      it(`round-trips the title ${JSON.stringify(title.slice(0, 24))} exactly`, async () => {
        const todoId = `u-${Buffer.from(title).toString("hex").slice(0, 20)}`;
        assert.equal((await invoke(postTodo({ todoId, title }))).statusCode, 200);
        const read = await invoke(apiEvent({ method: "GET", url: `/todo/${todoId}` }));
        assert.equal(JSON.parse(read.body).title, title);
      });
    }

    const longTitle = "x".repeat(TITLE_MAX_CHARS + 1);
    const badInputs: Array<{ name: string; event: () => APIGatewayProxyEvent; status: number; fields: string[] }> = [
      { name: "invalid JSON", event: () => postTodo('{"todoId": "t09-0001", "title": '), status: 400, fields: ["(body)"] },
      { name: "an empty body", event: () => postTodo(""), status: 400, fields: ["(body)"] },
      { name: "a text/plain content type", event: () => postTodo({ todoId: "t09-0001", title: "a" }, { "content-type": "text/plain" }), status: 415, fields: ["content-type"] },
      { name: "a form content type (curl -d without -H)", event: () => postTodo("todoId=t09-0001", { "content-type": "application/x-www-form-urlencoded" }), status: 415, fields: ["content-type"] },
      { name: "JSON in a charset other than UTF-8", event: () => postTodo({ todoId: "t09-0001", title: "a" }, { "content-type": "application/json; charset=iso-8859-1" }), status: 415, fields: ["content-type"] },
      { name: "a JSON array", event: () => postTodo([{ todoId: "t09-0001", title: "a" }]), status: 400, fields: ["(body)"] },
      { name: "a JSON string", event: () => postTodo('"t09-0001"'), status: 400, fields: ["(body)"] },
      { name: "JSON null", event: () => postTodo("null"), status: 400, fields: ["(body)"] },
      { name: "a missing todoId", event: () => postTodo({ title: "a" }), status: 400, fields: ["todoId"] },
      { name: "a missing title", event: () => postTodo({ todoId: "t09-0001" }), status: 400, fields: ["title"] },
      { name: "an extra field", event: () => postTodo({ todoId: "t09-0001", title: "a", lambda: "aaa" }), status: 400, fields: ["lambda"] },
      { name: "a numeric todoId and a boolean title", event: () => postTodo({ todoId: 1, title: true }), status: 400, fields: ["todoId", "title"] },
      { name: "empty strings", event: () => postTodo({ todoId: "", title: "" }), status: 400, fields: ["todoId", "title"] },
      { name: "a blank title", event: () => postTodo({ todoId: "t09-0001", title: " \u3000 " }), status: 400, fields: ["title"] },
      { name: "a newline in the title", event: () => postTodo({ todoId: "t09-0001", title: "a\nb" }), status: 400, fields: ["title"] },
      { name: "a NUL in the title", event: () => postTodo({ todoId: "t09-0001", title: "a\u0000b" }), status: 400, fields: ["title"] },
      { name: "a C1 control character in the title", event: () => postTodo({ todoId: "t09-0001", title: "a\u0085b" }), status: 400, fields: ["title"] },
      { name: "a lone surrogate in the title", event: () => postTodo('{"todoId":"t09-0001","title":"a\\ud800b"}'), status: 400, fields: ["title"] },
      { name: `a title of ${TITLE_MAX_CHARS + 1} characters`, event: () => postTodo({ todoId: "t09-0001", title: longTitle }), status: 400, fields: ["title"] },
      { name: "a todoId with a space", event: () => postTodo({ todoId: "t09 0001", title: "a" }), status: 400, fields: ["todoId"] },
      { name: "a todoId with a slash", event: () => postTodo({ todoId: "t09/0001", title: "a" }), status: 400, fields: ["todoId"] },
      { name: "a todoId starting with a dash", event: () => postTodo({ todoId: "-t09", title: "a" }), status: 400, fields: ["todoId"] },
      { name: "a todoId of 65 characters", event: () => postTodo({ todoId: "t".repeat(65), title: "a" }), status: 400, fields: ["todoId"] },
      { name: "a full-width todoId", event: () => postTodo({ todoId: "ｔ09-0001", title: "a" }), status: 400, fields: ["todoId"] },
      { name: "a body marked base64 that is not base64", event: () => ({ ...postTodo(""), body: "not base64!", isBase64Encoded: true }), status: 400, fields: ["(body)"] },
      {
        name: "a base64 body that is not UTF-8",
        event: () => ({ ...postTodo(""), body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString("base64"), isBase64Encoded: true }),
        status: 400,
        fields: ["(body)"],
      },
      { name: `a body over ${MAX_BODY_BYTES} bytes`, event: () => postTodo({ todoId: "t09-0001", title: "a".repeat(MAX_BODY_BYTES) }), status: 413, fields: ["(body)"] },
      { name: "a base64 body far over the limit, before decoding it", event: () => ({ ...postTodo(""), body: "!".repeat(4 * MAX_BODY_BYTES), isBase64Encoded: true }), status: 413, fields: ["(body)"] },
      { name: "a title of only a zero-width space", event: () => postTodo({ todoId: "t09-0001", title: "\u200b" }), status: 400, fields: ["title"] },
      { name: "a title of only invisible format characters and separators", event: () => postTodo({ todoId: "t09-0001", title: "\u2060\u00a0\ufeff" }), status: 400, fields: ["title"] },
      { name: "a right-to-left override in the title", event: () => postTodo({ todoId: "t09-0001", title: "invoice\u202egnp.exe" }), status: 400, fields: ["title"] },
      { name: "a bidi isolate in the title", event: () => postTodo({ todoId: "t09-0001", title: "a\u2067b\u2069" }), status: 400, fields: ["title"] },
      { name: "a line separator in the title", event: () => postTodo({ todoId: "t09-0001", title: "a\u2028b" }), status: 400, fields: ["title"] },
      { name: "a duplicated title key", event: () => postTodo('{"todoId":"t09-0001","title":"first","title":"second"}'), status: 400, fields: ["title"] },
      { name: "a duplicated key spelled with an escape", event: () => postTodo('{"todoId":"t09-0001","title":"a","\\u0074odoId":"t09-0002"}'), status: 400, fields: ["todoId"] },
      {
        name: "two different content types in differently cased headers",
        event: () => ({ ...postTodo({ todoId: "t09-0001", title: "a" }), headers: { "Content-Type": "application/json", "content-type": "text/plain" }, multiValueHeaders: { "Content-Type": ["application/json"], "content-type": ["text/plain"] } }),
        status: 400,
        fields: ["content-type"],
      },
    ];

    for (const bad of badInputs) {
      it(`rejects ${bad.name} with ${bad.status}, naming ${bad.fields.join(" and ")}, and stores nothing`, async () => {
        const before = await storedCount();
        const result = await invoke(bad.event());
        assert.equal(result.statusCode, bad.status, result.body);
        const body = errorBody(result);
        assert.ok(body.message.length > 0);
        assert.deepEqual(body.errors.map((e) => e.field).sort(), [...bad.fields].sort());
        for (const e of body.errors) assert.ok(e.message.length > 10, `a rule and a fix for ${e.field}`);
        assert.equal(result.headers?.["x-function-version"], "7");
        assert.equal(await storedCount(), before);
      });
    }

    it("reports every problem of a body at once", async () => {
      const body = errorBody(await invoke(postTodo({ todoId: "bad id", title: "", extra: 1, more: 2 })));
      assert.deepEqual(body.errors.map((e) => e.field).sort(), ["extra", "more", "title", "todoId"]);
    });
  });

  describe("GET /todo/{todoId}", () => {
    it("returns the stored item with createdAt and the lambdaVersion that wrote it", async () => {
      await invoke(postTodo({ todoId: "t03-0001", title: "アレを買う" }), "12");
      const result = await invoke(apiEvent({ method: "GET", url: "/todo/t03-0001" }), "13");
      assert.equal(result.statusCode, 200);
      const todo = JSON.parse(result.body);
      assert.deepEqual({ ...todo, createdAt: typeof todo.createdAt }, { todoId: "t03-0001", title: "アレを買う", createdAt: "number", lambdaVersion: "12" });
      assert.equal(result.headers?.["x-function-version"], "13");
    });

    it("rejects query parameters on GET /todo/{todoId} with 400 naming each, as GET /names does", async () => {
      const result = await invoke(apiEvent({ method: "GET", url: "/todo/t01-0001?x=1&fields=title" }));
      assert.equal(result.statusCode, 400);
      assert.deepEqual(errorBody(result).errors.map((e) => e.field).sort(), ["fields", "x"]);
    });

    it("answers 404 with a JSON message for an unknown todoId", async () => {
      const result = await invoke(apiEvent({ method: "GET", url: "/todo/t03-9999" }));
      assert.equal(result.statusCode, 404);
      assert.deepEqual(errorBody(result).errors.map((e) => e.field), ["todoId"]);
    });

    it("rejects a todoId outside the pattern with 400 before reading", async () => {
      const result = await invoke(apiEvent({ method: "GET", url: `/todo/${encodeURIComponent("t 1")}` }));
      assert.equal(result.statusCode, 400);
      assert.deepEqual(errorBody(result).errors.map((e) => e.field), ["todoId"]);
    });
  });

  describe("GET /names", () => {
    it("answers 200 with JSON for a stored name (seed 002)", async () => {
      const result = await invoke(apiEvent({ method: "GET", url: "/names?name=John" }));
      assert.equal(result.statusCode, 200);
      assert.deepEqual(JSON.parse(result.body), { name: "John" });
    });

    it("finds a Unicode name sent percent-encoded", async () => {
      const result = await invoke(apiEvent({ method: "GET", url: `/names?name=${encodeURIComponent("山田太郎")}` }));
      assert.deepEqual([result.statusCode, JSON.parse(result.body)], [200, { name: "山田太郎" }]);
    });

    it("answers 404 with an empty body for a name that is not stored", async () => {
      const result = await invoke(apiEvent({ method: "GET", url: "/names?name=Johnny" }));
      assert.equal(result.statusCode, 404);
      assert.equal(result.body, "");
      assert.equal(result.headers?.["content-type"], undefined);
      assert.equal(result.headers?.["x-function-version"], "7");
    });

    const badQueries: Array<{ name: string; url: string; fields: string[] }> = [
      { name: "no name", url: "/names", fields: ["name"] },
      { name: "an empty name", url: "/names?name=", fields: ["name"] },
      { name: "the name twice", url: "/names?name=John&name=Jane", fields: ["name"] },
      { name: "an unknown parameter", url: "/names?name=John&nmae=John", fields: ["nmae"] },
      { name: "a name with a control character", url: "/names?name=Jo%0Ahn", fields: ["name"] },
      { name: "a name of 101 characters", url: `/names?name=${"n".repeat(101)}`, fields: ["name"] },
    ];
    for (const bad of badQueries) {
      it(`rejects ${bad.name} with 400 naming ${bad.fields.join(", ")}`, async () => {
        const result = await invoke(apiEvent({ method: "GET", url: bad.url }));
        assert.equal(result.statusCode, 400, result.body);
        assert.deepEqual(errorBody(result).errors.map((e) => e.field), bad.fields);
      });
    }
  });

  describe("GET /health and routing", () => {
    it("answers GET /health with 200 when both tables are readable", async () => {
      const result = await invoke(apiEvent({ method: "GET", url: "/health" }), "21");
      assert.deepEqual([result.statusCode, JSON.parse(result.body)], [200, { status: "ok", functionVersion: "21" }]);
    });

    it("answers an unknown path with 404", async () => {
      const result = await invoke(apiEvent({ method: "GET", url: "/todos" }));
      assert.equal(result.statusCode, 404);
      assert.equal(result.headers?.["x-function-version"], "7");
    });

    it("answers a known path with the wrong method with 405 and an Allow header", async () => {
      const result = await invoke(apiEvent({ method: "DELETE", url: "/todo/t01-0001" }));
      assert.equal(result.statusCode, 405);
      assert.equal(result.headers?.allow, "GET");
    });

    // Deployed, each route's resource also has an ANY method: API Gateway invokes the function
    // with that resource for every other method, and the function must answer 405 itself.
    const anyMethodCases: ReadonlyArray<readonly [method: string, resource: string, path: string, allow: string]> = [
      ["HEAD", "/health", "/health", "GET"],
      ["OPTIONS", "/todo", "/todo", "POST"],
      ["PATCH", "/todo/{todoId}", "/todo/t01-0001", "GET"],
      ["DELETE", "/todo/{todoId}", "/todo/t01-0001", "GET"],
      ["PUT", "/names", "/names", "GET"],
      // Behind a custom domain the path carries the base path mapping; the resource does not.
      ["DELETE", "/todo/{todoId}", "/v1/todo/t01-0001", "GET"],
      ["post", "/health", "/v1/health", "GET"],
    ];
    for (const [method, resource, path, allow] of anyMethodCases) {
      it(`answers ${method} on the ${resource} resource (path ${path}) with 405 and Allow: ${allow}`, async () => {
        const event = { ...apiEvent({ method: "GET", url: "/health" }), httpMethod: method, resource, path, pathParameters: resource.includes("{todoId}") ? { todoId: "t01-0001" } : null };
        const result = await invoke(event);
        assert.equal(result.statusCode, 405);
        assert.equal(result.headers?.allow, allow);
        assert.match(errorBody(result).message, new RegExp(`${method} is not allowed`));
      });
    }
  });
});
