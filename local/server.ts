/**
 * A local stand-in for API Gateway: serves the route table over HTTP, turning each request
 * into a REST proxy event for the handler and its result back into a response. It answers
 * as the deployed API does:
 * - an unknown path gets 404 JSON from the server itself, as API Gateway's gateway response
 *   for MISSING_AUTHENTICATION_TOKEN (its answer for a path with no resource) is mapped to
 *   404 there, without invoking the function;
 * - a known path with another method is passed to the function (each deployed resource has
 *   an `ANY` method besides its routes), which answers 405 with Allow;
 * - a failed or malformed invocation becomes a 502;
 * - a request Node's HTTP parser refuses (bad method, oversized headers, bad framing, CONNECT,
 *   an unknown Expect) gets a JSON `{message, errors}` 4xx too, never a bare status line or a
 *   closed socket (see parser-errors.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { noRouteBody } from "../components/openapi";
import type { ApiHandler } from "../lambda-src/app";
import { errorResult, HttpError } from "../lambda-src/http";
import { matchRoute, matchTemplate } from "../lambda-src/router";
import { ROUTES, type Route } from "../lambda-src/routes";
import { connectRefusal, parserRefusal, rawJsonAnswer, type ParserError } from "./parser-errors";
import { fromProxyResult, localContext, toProxyEvent, type HttpAnswer, type LocalFunction } from "./proxy-event";

export interface LocalServerOptions {
  readonly handler: ApiHandler;
  /** Defaults to ROUTES. */
  readonly routes?: readonly Route[];
  /** Defaults to `shiftline-api-local`, version `$LATEST`, 29 s (API Gateway's integration timeout). */
  readonly fn?: Partial<LocalFunction>;
  /** Largest request body; API Gateway's payload limit is 10 MB. */
  readonly maxBodyBytes?: number;
  /** Told about every invocation failure (the client only sees a 502). */
  readonly onInvocationError?: (err: unknown) => void;
}

const DEFAULT_FUNCTION: LocalFunction = { functionName: "shiftline-api-local", functionVersion: "$LATEST", timeoutMs: 29_000 };
const TEN_MB = 10 * 1024 * 1024;

function send(res: ServerResponse, answer: HttpAnswer): void {
  res.statusCode = answer.statusCode;
  for (const [name, values] of Object.entries(answer.headers)) res.setHeader(name, values.length === 1 ? values[0] : values);
  res.end(answer.body);
}

function gatewayError(error: HttpError): HttpAnswer {
  return fromProxyResult(errorResult(error));
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`invocation exceeded ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The resource template (and its path parameters) an `ANY` method on that path would match. */
function anyMethodResource(routes: readonly Route[], path: string): { resource: string; pathParameters: Record<string, string> } {
  for (const route of routes) {
    const pathParameters = matchTemplate(route.path, path);
    if (pathParameters) return { resource: route.path, pathParameters };
  }
  return { resource: path, pathParameters: {} };
}

export function createLocalServer(options: LocalServerOptions): Server {
  const routes = options.routes ?? ROUTES;
  const fn: LocalFunction = { ...DEFAULT_FUNCTION, ...options.fn };
  const maxBodyBytes = options.maxBodyBytes ?? TEN_MB;

  async function answer(req: IncomingMessage): Promise<HttpAnswer> {
    const url = req.url ?? "/";
    const method = req.method ?? "GET";
    const path = url.split("?")[0];
    const match = matchRoute(routes, method, path);
    // The deployed API's gateway response body for a path with no resource (openapi.ts).
    if (match.kind === "not-found") return { statusCode: 404, headers: { "content-type": ["application/json"] }, body: Buffer.from(noRouteBody(path), "utf8") };
    const resource = match.kind === "found" ? { resource: match.route.path, pathParameters: match.pathParameters } : anyMethodResource(routes, path);
    const body = await readBody(req, maxBodyBytes);
    if (body === undefined) return gatewayError(new HttpError(413, `the request body is larger than ${maxBodyBytes} bytes.`));
    const started = Date.now();
    const event = toProxyEvent(
      { method, url, rawHeaders: req.rawHeaders, body, sourceIp: req.socket.remoteAddress ?? "127.0.0.1" },
      resource,
    );
    try {
      return fromProxyResult(await withTimeout(options.handler(event, localContext(fn, started)), fn.timeoutMs));
    } catch (err) {
      options.onInvocationError?.(err);
      return gatewayError(new HttpError(502, "Internal server error"));
    }
  }

  // Responses in flight per connection: a parse error after one has started sending must not
  // write a second status line into it (Node's own rule for its default answer).
  const inFlight = new WeakMap<Duplex, ServerResponse>();

  function handle(req: IncomingMessage, res: ServerResponse): void {
    inFlight.set(req.socket, res);
    res.once("close", () => inFlight.delete(req.socket));
    answer(req).then(
      (a) => send(res, a),
      (err: unknown) => {
        options.onInvocationError?.(err);
        if (!res.headersSent) send(res, gatewayError(new HttpError(500, "local server error")));
        else res.destroy();
      },
    );
  }

  const server = createServer(handle);
  server.on("clientError", (err: ParserError, socket: Duplex) => {
    if (err.code === "ECONNRESET" || !socket.writable || inFlight.get(socket)?.headersSent) {
      socket.destroy();
      return;
    }
    socket.end(rawJsonAnswer(parserRefusal(err)));
  });
  // Without a listener Node closes a CONNECT connection without a word.
  server.on("connect", (req: IncomingMessage, socket: Duplex) => {
    socket.end(rawJsonAnswer(connectRefusal(req.url ?? "")));
  });
  // Node answers an Expect other than 100-continue with a bare 417 unless this is handled.
  server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => {
    const expect = req.headers.expect ?? "";
    send(
      res,
      gatewayError(
        new HttpError(417, `the expectation ${JSON.stringify(expect)} is not supported.`, [
          { field: "expect", value: JSON.stringify(expect), message: "must be 100-continue or left out; remove the Expect header." },
        ]),
      ),
    );
  });
  // Expect: 100-continue: refuse an announced oversized body before the client sends it.
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    const length = Number(req.headers["content-length"]);
    if (Number.isFinite(length) && length > maxBodyBytes) {
      // The body may still be on its way; closing spares reading and discarding it.
      res.setHeader("connection", "close");
      send(res, gatewayError(new HttpError(413, `the request body is larger than ${maxBodyBytes} bytes.`)));
      return;
    }
    res.writeContinue();
    handle(req, res);
  });
  return server;
}

/**
 * Stops accepting connections, lets requests in flight finish for up to `graceMs` (idle
 * keep-alive connections are closed at once), then cuts whatever is still open.
 * Resolves once the server is closed; true when nothing had to be cut.
 */
export async function closeGracefully(server: Server, graceMs = 5_000): Promise<boolean> {
  const closed = new Promise<void>((done) => server.close(() => done()));
  // A keep-alive connection goes idle once its last answer is sent; close it then, not after
  // the keep-alive timeout.
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  let timer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([closed.then(() => true), new Promise<boolean>((done) => (timer = setTimeout(() => done(false), graceMs)))]);
  clearTimeout(timer);
  clearInterval(sweep);
  if (!drained) {
    server.closeAllConnections();
    await closed;
  }
  return drained;
}
