/**
 * Reads a JSON request body from an API Gateway proxy event: content type, base64, size,
 * UTF-8 and JSON syntax, each failure a 4xx naming the rule.
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import { renderValue } from "../lib/validation";
import { HttpError, headerValue } from "./http";
import { MAX_BODY_BYTES } from "./input";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A missing content type is read as JSON: seed 000's poster sends `requests.post(url, data=…)`,
 * which sets no Content-Type. An explicit type must be JSON (`application/json` or `*+json`)
 * in UTF-8.
 */
function checkContentType(event: Pick<APIGatewayProxyEvent, "headers" | "multiValueHeaders">): void {
  const contentType = headerValue(event, "content-type");
  if (contentType === undefined || contentType.trim() === "") return;
  const [mediaType, ...params] = contentType.split(";").map((part) => part.trim().toLowerCase());
  const isJson = mediaType === "application/json" || /^application\/[\w.+-]+\+json$/.test(mediaType);
  const charset = params.find((p) => p.startsWith("charset="))?.slice("charset=".length).replace(/"/g, "");
  if (isJson && (charset === undefined || charset === "utf-8" || charset === "utf8")) return;
  throw new HttpError(415, `content-type ${contentType} is not supported; send application/json.`, [
    { field: "content-type", value: renderValue(contentType), message: "must be application/json (UTF-8) or left out; send the body as JSON." },
  ]);
}

function bodyBytes(event: Pick<APIGatewayProxyEvent, "body" | "isBase64Encoded">): Buffer {
  const body = event.body ?? "";
  if (!event.isBase64Encoded) return Buffer.from(body, "utf8");
  if (!BASE64.test(body)) {
    throw new HttpError(400, "the request body is marked base64 but is not valid base64.", [
      { field: "(body)", value: renderValue(body), message: "must be valid base64 when isBase64Encoded is true; encode the JSON with standard base64." },
    ]);
  }
  return Buffer.from(body, "base64");
}

/** Returns the parsed JSON value (any JSON type; the caller's schema checks its shape). */
export function readJsonBody(event: Pick<APIGatewayProxyEvent, "body" | "isBase64Encoded" | "headers" | "multiValueHeaders">): unknown {
  checkContentType(event);
  const bytes = bodyBytes(event);
  if (bytes.byteLength > MAX_BODY_BYTES) {
    throw new HttpError(413, `the request body is ${bytes.byteLength} bytes; the limit is ${MAX_BODY_BYTES}.`, [
      { field: "(body)", value: `${bytes.byteLength} bytes`, message: `must be at most ${MAX_BODY_BYTES} bytes; send a shorter title.` },
    ]);
  }
  if (bytes.byteLength === 0) {
    throw new HttpError(400, "the request body is empty.", [
      { field: "(body)", value: "(missing)", message: 'is required; send a JSON object like {"todoId":"t01-0001","title":"アレを買う"}.' },
    ]);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HttpError(400, "the request body is not valid UTF-8.", [
      { field: "(body)", value: `${bytes.byteLength} bytes`, message: "must be UTF-8 encoded JSON; re-encode the text as UTF-8." },
    ]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new HttpError(400, "the request body is not valid JSON.", [
      { field: "(body)", value: renderValue(text), message: `must be valid JSON (${reason}); check quotes, commas and braces.` },
    ]);
  }
}
