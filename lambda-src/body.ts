/**
 * Reads a JSON request body from an API Gateway proxy event: content type, base64, size,
 * UTF-8 and JSON syntax, each failure a 4xx naming the rule.
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import { renderValue } from "../lib/validation";
import { HttpError, headerValues } from "./http";
import { MAX_BODY_BYTES } from "./input";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A missing content type is read as JSON: seed 000's poster sends `requests.post(url, data=…)`,
 * which sets no Content-Type. An explicit type must be JSON (`application/json` or `*+json`)
 * in UTF-8.
 */
function checkContentType(event: Pick<APIGatewayProxyEvent, "headers" | "multiValueHeaders">): void {
  const sent = headerValues(event, "content-type").filter((v) => v.trim() !== "");
  // Two different types (possibly under differently cased names) leave the body's format
  // unknown; picking one would be a guess that a proxy in front might have made differently.
  const distinct = [...new Set(sent.map((v) => v.trim().toLowerCase()))];
  if (distinct.length > 1) {
    throw new HttpError(400, `the request has ${distinct.length} different content types; send one.`, [
      { field: "content-type", value: renderValue(sent), message: "must be sent once (or repeated with the same value); send a single Content-Type: application/json." },
    ]);
  }
  const contentType = sent[0];
  if (contentType === undefined) return;
  const [rawMediaType, ...rawParams] = contentType.split(";");
  const mediaType = rawMediaType.trim().toLowerCase();
  const isJson = mediaType === "application/json" || /^application\/[\w.+-]+\+json$/.test(mediaType);
  const unsupported = (rule: string) =>
    new HttpError(415, `content-type ${contentType} is not supported; send application/json.`, [{ field: "content-type", value: renderValue(contentType), message: rule }]);
  if (!isJson) throw unsupported("must be application/json (UTF-8) or left out; send the body as JSON.");
  // RFC 9110 §5.6.6 allows no whitespace around "=", but a sender that writes `charset = utf-16`
  // still means UTF-16: read it leniently, then judge the value.
  const charsets = rawParams.map(parseParameter).filter((p) => p?.name === "charset").map((p) => p?.value ?? "");
  if (charsets.length > 1) {
    throw new HttpError(400, `content-type ${contentType} gives the charset ${charsets.length} times; give it once.`, [
      { field: "content-type", value: renderValue(contentType), message: "must name its charset at most once (parameter names are case-insensitive); send Content-Type: application/json; charset=utf-8." },
    ]);
  }
  const charset = charsets[0];
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
    throw unsupported(`has charset ${renderValue(charset)}; only UTF-8 is read: re-encode the body as UTF-8 and send charset=utf-8 or no charset.`);
  }
}

/** `name=value` (value optionally quoted), both lower-cased; undefined for a part that has no `=`. */
function parseParameter(part: string): { name: string; value: string } | undefined {
  const match = /^\s*([^=\s]+)\s*=\s*(.*?)\s*$/.exec(part);
  if (!match) return undefined;
  const quoted = /^"((?:[^"\\]|\\.)*)"$/.exec(match[2]);
  return { name: match[1].toLowerCase(), value: (quoted ? quoted[1].replace(/\\(.)/g, "$1") : match[2]).toLowerCase() };
}

/**
 * A body that says it is compressed is refused, never read as if it were not. The function
 * reads identity bodies only; RFC 9110 §15.5.16 makes 415 the answer for an unsupported content
 * coding. API Gateway documents decompressing a method request payload in order to apply mapping
 * templates, which a Lambda proxy integration does not have, and the header alone cannot tell
 * the function whether the bytes it got are still compressed.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gzip-compression-decompression.html
 */
function checkContentEncoding(event: Pick<APIGatewayProxyEvent, "headers" | "multiValueHeaders">): void {
  const sent = headerValues(event, "content-encoding");
  const codings = sent.flatMap((v) => v.split(",")).map((c) => c.trim().toLowerCase()).filter((c) => c !== "" && c !== "identity");
  if (codings.length === 0) return;
  throw new HttpError(415, `content-encoding ${codings.join(", ")} is not supported; send the JSON uncompressed.`, [
    { field: "content-encoding", value: renderValue(sent.length === 1 ? sent[0] : sent), message: "must be left out (or identity); send the body as plain UTF-8 JSON without compressing it." },
  ]);
}

function tooLarge(size: string): HttpError {
  return new HttpError(413, `the request body is ${size}; the limit is ${MAX_BODY_BYTES} bytes.`, [
    { field: "(body)", value: size, message: `must be at most ${MAX_BODY_BYTES} bytes; send a shorter title.` },
  ]);
}

/** Base64 text longer than this cannot decode to MAX_BODY_BYTES or less (4 characters per 3 bytes). */
const MAX_BASE64_CHARS = Math.ceil(MAX_BODY_BYTES / 3) * 4;

function bodyBytes(event: Pick<APIGatewayProxyEvent, "body" | "isBase64Encoded">): Buffer {
  const body = event.body ?? "";
  if (!event.isBase64Encoded) return Buffer.from(body, "utf8");
  // Checked before the pattern and the decoding, so an oversized body costs no work.
  if (body.length > MAX_BASE64_CHARS) throw tooLarge(`${body.length} base64 characters`);
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
  checkContentEncoding(event);
  const bytes = bodyBytes(event);
  if (bytes.byteLength > MAX_BODY_BYTES) throw tooLarge(`${bytes.byteLength} bytes`);
  if (bytes.byteLength === 0) {
    throw new HttpError(400, "the request body is empty.", [
      { field: "(body)", value: "(missing)", message: 'is required; send a JSON object like {"todoId":"t01-0001","title":"アレを買う"}.' },
    ]);
  }
  let text: string;
  try {
    // TextDecoder drops one leading byte order mark (ignoreBOM is false): RFC 8259 §8.1 lets a
    // JSON parser ignore it, and it is no part of any value.
    text = utf8.decode(bytes);
  } catch {
    throw new HttpError(400, "the request body is not valid UTF-8.", [
      { field: "(body)", value: `${bytes.byteLength} bytes`, message: "must be UTF-8 encoded JSON; re-encode the text as UTF-8." },
    ]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new HttpError(400, "the request body is not valid JSON.", [
      { field: "(body)", value: renderValue(text), message: `must be valid JSON (${reason}); check quotes, commas and braces.` },
    ]);
  }
  const duplicates = duplicateKeys(text);
  if (duplicates.length > 0) {
    throw new HttpError(400, `the request body repeats ${duplicates.length === 1 ? "a key" : "keys"}; send each key once.`, [
      ...duplicates.map((key) => ({ field: key, value: "(given more than once)", message: "appears more than once in one object; JSON.parse would silently keep the last, so send it once." })),
    ]);
  }
  return value;
}

/**
 * Keys that occur twice in one object of `text`, which must already be valid JSON. Keys are
 * compared after unescaping (`"\u0074itle"` is `title`). A small scanner instead of a JSON
 * library: strings, braces and brackets are all it needs to track.
 */
export function duplicateKeys(text: string): string[] {
  const found = new Set<string>();
  // One entry per open object (its keys so far) or array (null).
  const open: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{") {
      open.push(new Set());
      expectKey = true;
    } else if (c === "[") {
      open.push(null);
      expectKey = false;
    } else if (c === "}" || c === "]") {
      open.pop();
      expectKey = false;
    } else if (c === ",") {
      expectKey = open[open.length - 1] instanceof Set;
    } else if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const keys = open[open.length - 1];
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) found.add(key);
        keys.add(key);
      }
      expectKey = false;
      i = end;
    }
  }
  return [...found];
}
