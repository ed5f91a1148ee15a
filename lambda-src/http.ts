/**
 * HTTP vocabulary shared by the router and the handlers: results, the error that carries a
 * status to the client, and case-insensitive header lookup on API Gateway proxy events.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import type { Problem } from "../lib/validation";

/** Body of every 4xx/5xx JSON answer: one sentence, then every problem found. */
export interface ErrorBody {
  readonly message: string;
  readonly errors: readonly Problem[];
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" } as const;

/** An answer the client caused or must know about; never carries internals or stack traces. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly problems: readonly Problem[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export function jsonResult(statusCode: number, body: unknown, headers: Readonly<Record<string, string>> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** A result with no body at all (no content-type either), e.g. the names 404 from seed 002. */
export function emptyResult(statusCode: number): APIGatewayProxyResult {
  return { statusCode, headers: {}, body: "" };
}

export function errorResult(error: HttpError): APIGatewayProxyResult {
  const body: ErrorBody = { message: error.message, errors: error.problems };
  return jsonResult(error.statusCode, body, error.headers);
}

/**
 * Every value sent for a header, by case-insensitive name: API Gateway keeps names as the
 * client sent them, so `Content-Type` and `content-type` are separate keys, and a repeated
 * header has all its values in `multiValueHeaders` but only the last in `headers`.
 */
export function headerValues(event: Pick<APIGatewayProxyEvent, "headers" | "multiValueHeaders">, name: string): string[] {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  const fromMulti = new Set<string>();
  for (const [key, list] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() !== wanted || !list) continue;
    fromMulti.add(key);
    values.push(...list);
  }
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined && !fromMulti.has(key)) values.push(value);
  }
  return values;
}
