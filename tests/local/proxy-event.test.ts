import assert from "node:assert/strict";
import { fromProxyResult, localContext, toProxyEvent } from "../../local/proxy-event";

const request = (over: Partial<Parameters<typeof toProxyEvent>[0]> = {}) => ({
  method: "GET",
  url: "/names?name=John",
  rawHeaders: [] as string[],
  body: Buffer.alloc(0),
  sourceIp: "10.0.0.1",
  ...over,
});

describe("HTTP request to REST proxy event", () => {
  it("fills resource, path and decoded path parameters from the matched route", () => {
    const event = toProxyEvent(request({ url: "/todo/t01%2D0001" }), { resource: "/todo/{todoId}", pathParameters: { todoId: "t01-0001" } });
    assert.equal(event.resource, "/todo/{todoId}");
    assert.equal(event.path, "/todo/t01%2D0001");
    assert.deepEqual(event.pathParameters, { todoId: "t01-0001" });
    assert.equal(event.requestContext.resourcePath, "/todo/{todoId}");
    assert.equal(event.requestContext.identity.sourceIp, "10.0.0.1");
  });

  it("uses null for absent query, path parameters and body, as API Gateway does", () => {
    const event = toProxyEvent(request({ url: "/health" }), { resource: "/health", pathParameters: {} });
    assert.deepEqual(
      [event.queryStringParameters, event.multiValueQueryStringParameters, event.pathParameters, event.body, event.isBase64Encoded],
      [null, null, null, null, false],
    );
  });

  it("keeps every value of a repeated query parameter or header, with the last one in the single-value maps", () => {
    const event = toProxyEvent(
      request({ url: "/names?name=A&name=B%20C&x=1", rawHeaders: ["X-Tag", "one", "x-tag", "two", "X-Tag", "three"] }),
      { resource: "/names", pathParameters: {} },
    );
    assert.deepEqual(event.queryStringParameters, { name: "B C", x: "1" });
    assert.deepEqual(event.multiValueQueryStringParameters, { name: ["A", "B C"], x: ["1"] });
    assert.deepEqual(event.headers, { "X-Tag": "three", "x-tag": "two" });
    assert.deepEqual(event.multiValueHeaders, { "X-Tag": ["one", "three"], "x-tag": ["two"] });
  });

  const bodies: Array<{ name: string; contentType?: string; body: Buffer; base64: boolean }> = [
    { name: "JSON without a content type", body: Buffer.from('{"title":"アレを買う"}'), base64: false },
    { name: "application/json", contentType: "application/json", body: Buffer.from('{"a":1}'), base64: false },
    { name: "text/plain", contentType: "text/plain; charset=utf-8", body: Buffer.from("hello"), base64: false },
    { name: "a binary media type", contentType: "application/octet-stream", body: Buffer.from("hello"), base64: true },
    { name: "bytes that are not UTF-8 under a JSON type", contentType: "application/json", body: Buffer.from([0x7b, 0xff, 0x7d]), base64: true },
  ];
  for (const b of bodies) {
    it(`passes ${b.name} ${b.base64 ? "base64-encoded" : "as text"} and loses no byte`, () => {
      const rawHeaders = b.contentType ? ["Content-Type", b.contentType] : [];
      const event = toProxyEvent(request({ method: "POST", url: "/todo", rawHeaders, body: b.body }), { resource: "/todo", pathParameters: {} });
      assert.equal(event.isBase64Encoded, b.base64);
      assert.deepEqual(Buffer.from(event.body ?? "", b.base64 ? "base64" : "utf8"), b.body);
    });
  }
});

describe("REST proxy result to HTTP answer", () => {
  it("merges headers and multiValueHeaders, keeping a pair given in both once", () => {
    const answer = fromProxyResult({ statusCode: 201, headers: { a: "1", b: 2 }, multiValueHeaders: { a: ["1", "x"], "set-cookie": ["c=1", "d=2"] }, body: "{}" });
    assert.deepEqual(answer.headers, { a: ["1", "x"], b: ["2"], "set-cookie": ["c=1", "d=2"], "content-type": ["application/json"] });
    assert.equal(answer.statusCode, 201);
  });

  it("adds Content-Type: application/json only when the result sets no content type, in any case", () => {
    assert.deepEqual(fromProxyResult({ statusCode: 404, body: "" }).headers, { "content-type": ["application/json"] });
    assert.deepEqual(fromProxyResult({ statusCode: 200, headers: { "Content-Type": "text/plain" }, body: "x" }).headers, { "Content-Type": ["text/plain"] });
  });

  it("decodes a base64 body", () => {
    const bytes = Buffer.from([0, 255, 1]);
    assert.deepEqual(fromProxyResult({ statusCode: 200, body: bytes.toString("base64"), isBase64Encoded: true }).body, bytes);
  });

  for (const bad of [undefined, "ok", { statusCode: "200", body: "" }, { statusCode: 99, body: "" }, { statusCode: 200, body: 5 }, { statusCode: 200, headers: { a: ["x"] } }]) {
    it(`rejects the malformed result ${JSON.stringify(bad)}, naming what is wrong`, () => {
      assert.throws(() => fromProxyResult(bad), /malformed Lambda proxy response: result/);
    });
  }
});

describe("local Lambda context", () => {
  it("reports the configured version and the time left before the timeout", () => {
    const context = localContext({ functionName: "f", functionVersion: "9", timeoutMs: 1000 }, Date.now() - 400);
    assert.equal(context.functionVersion, "9");
    const left = context.getRemainingTimeInMillis();
    assert.ok(left <= 600 && left > 0, String(left));
  });
});
