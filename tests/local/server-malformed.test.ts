import assert from "node:assert/strict";
import type { Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { NO_ROUTE_TEMPLATE } from "../../components/openapi";
import { createLocalServer } from "../../local/server";

interface RawReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Everything the server sent, e.g. a 100 Continue before the final answer. */
  readonly raw: string;
}

/**
 * Sends `bytes` over a plain TCP socket (no HTTP client to tidy them up) and reads until the
 * server closes the connection or a whole answer (by Content-Length) has arrived.
 */
function rawExchange(port: number, parts: ReadonlyArray<string | Buffer>, options: { waitFor100?: boolean } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = () => {
      if (settled) return;
      const text = received.toString("utf8");
      // An interim 100 Continue may come first; the final answer follows it.
      const final = text.replace(/^HTTP\/1\.1 100 Continue\r\n(?:[^\r\n]+\r\n)*\r\n/, "");
      const headEnd = final.indexOf("\r\n\r\n");
      if (headEnd === -1) return;
      const [statusLine, ...headerLines] = final.slice(0, headEnd).split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const at = line.indexOf(":");
        headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
      }
      const body = final.slice(headEnd + 4);
      if (headers["content-length"] !== undefined && Buffer.byteLength(body) < Number(headers["content-length"])) return;
      settled = true;
      socket.destroy();
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body, raw: text });
    };
    socket.on("connect", () => {
      const [first, ...rest] = parts;
      socket.write(first);
      if (!options.waitFor100) for (const part of rest) socket.write(part);
      else socket.once("data", () => rest.forEach((p) => socket.write(p)));
    });
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      finish();
    });
    socket.on("close", () => {
      finish();
      if (!settled) reject(new Error(`connection closed without a complete answer: ${JSON.stringify(received.toString("utf8"))}`));
    });
    socket.on("error", () => undefined);
  });
}

describe("local server: requests Node's HTTP parser refuses (raw sockets)", function () {
  let server: Server;
  let port: number;
  let invocations = 0;

  before(async () => {
    server = createLocalServer({
      handler: async () => {
        invocations++;
        return { statusCode: 200, headers: { "content-type": "application/json" }, body: '{"message":"ok"}' };
      },
      maxBodyBytes: 1024,
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });

  const malformed: ReadonlyArray<{ readonly what: string; readonly bytes: string | Buffer; readonly status: number; readonly field: string }> = [
    { what: "an unknown method", bytes: "FETCH /todo HTTP/1.1\r\nHost: x\r\n\r\n", status: 400, field: "method" },
    { what: "a lower-case method", bytes: "get /health HTTP/1.1\r\nHost: x\r\n\r\n", status: 400, field: "method" },
    { what: "CONNECT", bytes: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", status: 400, field: "method" },
    { what: "a URL over the header limit", bytes: `GET /todo/${"a".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, status: 431, field: "(request line and headers)" },
    { what: "a header over the limit", bytes: `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`, status: 431, field: "(request line and headers)" },
    { what: "an unknown Expect", bytes: 'POST /todo HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}', status: 417, field: "expect" },
    { what: "raw non-ASCII in the path", bytes: Buffer.concat([Buffer.from("GET /todo/"), Buffer.from("é", "utf8"), Buffer.from(" HTTP/1.1\r\nHost: x\r\n\r\n")]), status: 400, field: "path" },
    {
      what: "both Content-Length and Transfer-Encoding",
      bytes: "POST /todo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      status: 400,
      field: "content-length / transfer-encoding",
    },
    { what: "a header line without a colon", bytes: "GET /health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", status: 400, field: "(request)" },
  ];
  for (const c of malformed) {
    it(`answers ${c.what} with ${c.status} and a JSON {message, errors} naming ${c.field}`, async () => {
      const before = invocations;
      const reply = await rawExchange(port, [c.bytes]);
      assert.equal(reply.status, c.status, reply.raw.slice(0, 200));
      assert.match(reply.headers["content-type"] ?? "", /^application\/json/);
      const body = JSON.parse(reply.body) as { message: string; errors: Array<{ field: string; message: string }> };
      assert.equal(typeof body.message, "string");
      assert.deepEqual(body.errors.map((e) => e.field), [c.field]);
      assert.ok(body.errors[0].message.length > 20, "a rule and a fix");
      assert.equal(invocations, before, "the function is not invoked");
    });
  }

  it("answers an unknown path with the deployed gateway response's body shape", async () => {
    const reply = await rawExchange(port, ["GET /nope/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]);
    assert.equal(reply.status, 404);
    assert.equal(reply.headers["content-type"], "application/json", "the gateway response's Content-Type");
    assert.deepEqual(JSON.parse(reply.body), JSON.parse(NO_ROUTE_TEMPLATE.replace("$context.path", "/nope/x")));
  });

  it("escapes the path in the 404 body so it stays JSON", async () => {
    const reply = await rawExchange(port, ['GET /nope"\\ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    assert.equal(reply.status, 404);
    assert.deepEqual(JSON.parse(reply.body), { message: 'no route matches /nope"\\', errors: [] });
  });

  it("refuses an announced body over the limit before the client sends it (Expect: 100-continue)", async () => {
    const before = invocations;
    const reply = await rawExchange(port, ["POST /todo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"]);
    assert.equal(reply.status, 413);
    assert.ok(!reply.raw.includes("100 Continue"));
    assert.match(JSON.parse(reply.body).message, /larger than 1024 bytes/);
    assert.equal(invocations, before);
  });

  it("sends 100 Continue for an acceptable body and then answers the request", async () => {
    const body = '{"todoId":"t20-0001","title":"milk"}';
    const reply = await rawExchange(
      port,
      [`POST /todo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`, body],
      { waitFor100: true },
    );
    assert.ok(reply.raw.startsWith("HTTP/1.1 100 Continue"));
    assert.equal(reply.status, 200);
  });
});
