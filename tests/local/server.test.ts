import assert from "node:assert/strict";
import { Agent, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApiHandler, type ApiHandler } from "../../lambda-src/app";
import type { Dependencies } from "../../lambda-src/dependencies";
import { addNames } from "../../local/names";
import { closeGracefully, createLocalServer } from "../../local/server";
import { CapturingLogger } from "../helpers/capture-logger";
import { freshTables, sharedClient } from "../helpers/dynamodb-local";

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request with exactly the headers given (fetch would add a content type). */
function send(base: string, method: string, path: string, options: { headers?: Record<string, string>; body?: string | Buffer; agent?: Agent } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers: options.headers ?? {}, agent: options.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
}

describe("local server on DynamoDB Local", function () {
  this.timeout(30_000);
  let server: Server;
  let base: string;

  before(async () => {
    const client = await sharedClient();
    const tables = await freshTables();
    await addNames(client, tables.names, ["John"]);
    const deps: Dependencies = { dynamodb: client, tables, now: Date.now };
    server = createLocalServer({ handler: createApiHandler({ logger: new CapturingLogger(), dependencies: () => deps }), fn: { functionVersion: "3" } });
    base = await listen(server);
  });
  after(() => close(server));

  it('answers the README curl with {"message":"ok"} and GET returns the same title with a lambdaVersion', async () => {
    const post = await send(base, "POST", "/todo", { headers: { "content-type": "application/json" }, body: '{"todoId":"t01-0001","title":"アレを買う"}' });
    assert.deepEqual([post.status, JSON.parse(post.body)], [200, { message: "ok" }]);
    assert.equal(post.headers["x-function-version"], "3");
    const get = await send(base, "GET", "/todo/t01-0001");
    assert.equal(get.status, 200);
    const todo = JSON.parse(get.body);
    assert.equal(todo.title, "アレを買う");
    assert.equal(todo.lambdaVersion, "3");
  });

  it("accepts seed 000's poster request, which has no content type", async () => {
    const post = await send(base, "POST", "/todo", { body: JSON.stringify({ todoId: "t01-0002", title: "アレを買う" }) });
    assert.equal(post.status, 200, post.body);
  });

  it("rejects an explicit non-JSON content type with 415", async () => {
    const post = await send(base, "POST", "/todo", { headers: { "content-type": "application/x-www-form-urlencoded" }, body: "todoId=t01-0003" });
    assert.equal(post.status, 415);
  });

  it("passes bytes that are not UTF-8 base64-encoded, and the handler rejects them with 400", async () => {
    const post = await send(base, "POST", "/todo", { headers: { "content-type": "application/json" }, body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) });
    assert.equal(post.status, 400);
    assert.match(JSON.parse(post.body).message, /UTF-8/);
  });

  it("answers seed 002's lookups: 200 with JSON, or 404 with an empty body", async () => {
    const found = await send(base, "GET", "/names?name=John");
    assert.deepEqual([found.status, JSON.parse(found.body)], [200, { name: "John" }]);
    const missing = await send(base, "GET", "/names?name=Nobody");
    assert.deepEqual([missing.status, missing.body], [404, ""]);
    assert.equal(missing.headers["content-type"], "application/json", "as API Gateway adds to a proxy result without one");
  });

  it("answers an unknown path with 404 itself, without invoking the function (API Gateway's mapped gateway response)", async () => {
    const unknown = await send(base, "GET", "/nope");
    assert.equal(unknown.status, 404);
    assert.match(String(unknown.headers["content-type"]), /^application\/json/);
    assert.match(JSON.parse(unknown.body).message, /no route/);
    assert.equal(unknown.headers["x-function-version"], undefined);
  });

  for (const [method, path, allow] of [["PUT", "/todo", "POST"], ["DELETE", "/todo/t01-0001", "GET"], ["PATCH", "/names", "GET"], ["OPTIONS", "/health", "GET"], ["HEAD", "/health", "GET"]]) {
    it(`passes ${method} ${path} to the function, which answers 405 with Allow: ${allow} (the deployed ANY method)`, async () => {
      const wrong = await send(base, method, path);
      assert.equal(wrong.status, 405);
      assert.equal(wrong.headers.allow, allow);
      assert.equal(wrong.headers["x-function-version"], "3", "the function answered, not the server");
    });
  }

  it("serves three concurrent posters (seed 000) with every request answered 200", async () => {
    const perClient = 5;
    const poster = async (index: number) => {
      const agent = new Agent({ keepAlive: true });
      const statuses: number[] = [];
      for (let count = 1; count <= perClient; count++) {
        const todoId = `t${String(index).padStart(2, "0")}-${String(count).padStart(4, "0")}`;
        statuses.push((await send(base, "POST", "/todo", { body: JSON.stringify({ todoId, title: "アレを買う" }), agent })).status);
      }
      agent.destroy();
      return statuses;
    };
    const results = await Promise.all([11, 12, 13].map(poster));
    assert.deepEqual(results.flat(), new Array(3 * perClient).fill(200));
    const last = await send(base, "GET", "/todo/t13-0005");
    assert.equal(JSON.parse(last.body).title, "アレを買う");
  });
});

describe("local server when the function fails", () => {
  const withHandler = async (handler: ApiHandler, check: (base: string) => Promise<void>) => {
    const errors: unknown[] = [];
    const server = createLocalServer({ handler, onInvocationError: (e) => errors.push(e) });
    try {
      await check(await listen(server));
    } finally {
      await close(server);
    }
    return errors;
  };

  it("answers 502 like API Gateway when the handler throws", async () => {
    const errors = await withHandler(
      async () => {
        throw new Error("boom");
      },
      async (base) => assert.equal((await send(base, "GET", "/health")).status, 502),
    );
    assert.equal((errors[0] as Error).message, "boom");
  });

  it("answers 502 when the handler returns a malformed proxy result", async () => {
    const errors = await withHandler(
      async () => ({ statusCode: "200" }) as never,
      async (base) => assert.equal((await send(base, "GET", "/health")).status, 502),
    );
    assert.match(String(errors[0]), /statusCode/);
  });

  it("answers 413 without invoking the function when the body exceeds the limit", async () => {
    let invoked = false;
    const server = createLocalServer({
      handler: async () => {
        invoked = true;
        return { statusCode: 200, body: "" };
      },
      maxBodyBytes: 10,
    });
    const base = await listen(server);
    try {
      assert.equal((await send(base, "POST", "/todo", { body: "x".repeat(11) })).status, 413);
      assert.equal(invoked, false);
    } finally {
      await close(server);
    }
  });
});

describe("local server shutdown", () => {
  const ok = { statusCode: 200, headers: { "content-type": "application/json" }, body: '{"message":"ok"}' };

  it("lets a request in flight finish before closing", async () => {
    let begun: () => void = () => undefined;
    const started = new Promise<void>((done) => (begun = done));
    let release: () => void = () => undefined;
    const handler: ApiHandler = () => {
      begun();
      return new Promise((done) => (release = () => done(ok)));
    };
    const server = createLocalServer({ handler });
    const base = await listen(server);
    const reply = send(base, "GET", "/health");
    await started;
    const closing = closeGracefully(server, 10_000);
    release();
    assert.equal((await reply).status, 200);
    assert.equal(await closing, true);
  });

  it("cuts a request still running when the grace period ends", async () => {
    const server = createLocalServer({ handler: () => new Promise(() => undefined) });
    const base = await listen(server);
    const reply = send(base, "GET", "/health").catch((err: NodeJS.ErrnoException) => err.code);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    assert.equal(await closeGracefully(server, 100), false);
    assert.ok(Date.now() - started < 2_000);
    assert.equal(await reply, "ECONNRESET");
  });
});
