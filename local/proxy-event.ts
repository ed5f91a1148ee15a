/**
 * HTTP request ⇄ API Gateway REST proxy integration (payload 1.0), as documented in
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 */
import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import * as z from "zod/mini";
import { problemsFromZod, formatProblem } from "../lib/validation";
import { restProxyEvent } from "../lambda-src/proxy-event";

export interface IncomingRequest {
  readonly method: string;
  /** Path and query exactly as sent, e.g. `/names?name=John%20Doe`. */
  readonly url: string;
  /** Alternating names and values, as Node's `req.rawHeaders` (keeps case and repeats). */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
}

export interface MatchedRoute {
  /** The route template, e.g. `/todo/{todoId}`. */
  readonly resource: string;
  readonly pathParameters: Readonly<Record<string, string>>;
}

/** The stage name local events carry; the path API Gateway reports includes no stage. */
export const LOCAL_STAGE = "local";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Media types API Gateway passes as text when no binary media types are configured. */
function isTextual(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const mediaType = contentType.split(";")[0].trim().toLowerCase();
  return (
    mediaType === "" ||
    mediaType.startsWith("text/") ||
    mediaType === "application/json" ||
    mediaType.endsWith("+json") ||
    mediaType === "application/xml" ||
    mediaType.endsWith("+xml") ||
    mediaType === "application/x-www-form-urlencoded" ||
    mediaType === "application/javascript"
  );
}

/**
 * Text bodies arrive as strings; anything else (a binary media type, or bytes that are not
 * UTF-8) arrives base64-encoded with `isBase64Encoded: true`, as with API Gateway binary
 * media types `*\/*`.
 */
function encodeBody(body: Buffer, contentType: string | undefined): { body: string | null; isBase64Encoded: boolean } {
  if (body.byteLength === 0) return { body: null, isBase64Encoded: false };
  if (isTextual(contentType)) {
    try {
      return { body: utf8.decode(body), isBase64Encoded: false };
    } catch {
      // falls through to base64
    }
  }
  return { body: body.toString("base64"), isBase64Encoded: true };
}

function collect(pairs: Iterable<readonly [string, string]>): { single: Record<string, string>; multi: Record<string, string[]> } | null {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  let any = false;
  for (const [key, value] of pairs) {
    any = true;
    single[key] = value;
    (multi[key] ??= []).push(value);
  }
  return any ? { single, multi } : null;
}

function headerPairs(rawHeaders: readonly string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([rawHeaders[i], rawHeaders[i + 1]]);
  return pairs;
}

export function toProxyEvent(request: IncomingRequest, route: MatchedRoute, now: Date = new Date()): APIGatewayProxyEvent {
  const queryStart = request.url.indexOf("?");
  const path = queryStart === -1 ? request.url : request.url.slice(0, queryStart);
  const query = collect(new URLSearchParams(queryStart === -1 ? "" : request.url.slice(queryStart + 1)));
  const headers = collect(headerPairs(request.rawHeaders));
  const contentType = Object.entries(headers?.single ?? {}).find(([k]) => k.toLowerCase() === "content-type")?.[1];
  const userAgent = Object.entries(headers?.single ?? {}).find(([k]) => k.toLowerCase() === "user-agent")?.[1] ?? null;
  const hasParameters = Object.keys(route.pathParameters).length > 0;
  return restProxyEvent({
    method: request.method,
    resource: route.resource,
    path,
    headers,
    query,
    pathParameters: hasParameters ? { ...route.pathParameters } : null,
    ...encodeBody(request.body, contentType),
    stage: LOCAL_STAGE,
    apiId: "local",
    sourceIp: request.sourceIp,
    userAgent,
    requestId: randomUUID(),
    requestTimeEpoch: now.getTime(),
  });
}

export interface LocalFunction {
  readonly functionName: string;
  /** What `context.functionVersion` reports: `$LATEST` unless told otherwise. */
  readonly functionVersion: string;
  readonly timeoutMs: number;
}

/** A Lambda context for one local invocation. */
export function localContext(fn: LocalFunction, started: number = Date.now()): Context {
  const noop = () => undefined;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: fn.functionVersion,
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${fn.functionName}`,
    memoryLimitInMB: "128",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, started + fn.timeoutMs - Date.now()),
    done: noop,
    fail: noop,
    succeed: noop,
  };
}

const headerValueSchema = z.union([z.string(), z.number(), z.boolean()]);
/** What API Gateway accepts back from a proxy integration; anything else is its 502. */
const proxyResultSchema = z.object({
  statusCode: z.number().check(z.int(), z.gte(100), z.lte(599)),
  headers: z.optional(z.record(z.string(), headerValueSchema)),
  multiValueHeaders: z.optional(z.record(z.string(), z.array(headerValueSchema))),
  body: z.optional(z.nullable(z.string())),
  isBase64Encoded: z.optional(z.boolean()),
});

export interface HttpAnswer {
  readonly statusCode: number;
  /** Header name → values (repeats kept). */
  readonly headers: Record<string, string[]>;
  readonly body: Buffer;
}

/** Turns the handler's result into an HTTP answer, or throws naming what is malformed. */
export function fromProxyResult(result: unknown): HttpAnswer {
  const parsed = proxyResultSchema.safeParse(result, { reportInput: true });
  if (!parsed.success) {
    throw new Error(`malformed Lambda proxy response: ${problemsFromZod(parsed.error.issues, "result").map(formatProblem).join("; ")}`);
  }
  const r: APIGatewayProxyResult = { ...parsed.data, body: parsed.data.body ?? "" };
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(r.headers ?? {})) headers[name] = [String(value)];
  // API Gateway merges both maps; a pair given in both appears once (its multiValueHeaders copy).
  for (const [name, values] of Object.entries(r.multiValueHeaders ?? {})) {
    const multi = values.map(String);
    headers[name] = [...(headers[name] ?? []).filter((v) => !multi.includes(v)), ...multi];
  }
  // A REST API answers `Content-Type: application/json` for a proxy result that sets none
  // (seed 002's empty 404 included), so the local server does too.
  if (!Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) headers["content-type"] = ["application/json"];
  return { statusCode: r.statusCode, headers, body: r.isBase64Encoded ? Buffer.from(r.body, "base64") : Buffer.from(r.body, "utf8") };
}
