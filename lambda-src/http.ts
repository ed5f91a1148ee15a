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
 * Header value by case-insensitive name. API Gateway passes names as the client sent them;
 * for a repeated header `headers` holds the last value, so that is what this returns too.
 */
export function headerValue(event: Pick<APIGatewayProxyEvent, "headers" | "multiValueHeaders">, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  for (const [key, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted && values && values.length > 0) return values[values.length - 1];
  }
  return undefined;
}
