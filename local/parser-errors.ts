/**
 * Answers for requests Node's HTTP parser refuses before any request object exists (so the
 * route table never sees them). Node's own answer is a bare status line, or for CONNECT a
 * closed socket; the local server writes the same JSON `{message, errors}` body every other
 * 4xx has, straight to the socket, and closes it (after a parse error the rest of the bytes
 * cannot be trusted to start a request).
 * https://nodejs.org/docs/latest-v20.x/api/http.html#event-clienterror
 */
import { maxHeaderSize, STATUS_CODES } from "node:http";
import { HttpError } from "../lambda-src/http";
import { renderValue } from "../lib/validation";

/** What llhttp puts on the error it hands to `clientError` (`code` HPE_*, `reason` in words). */
export interface ParserError extends Error {
  readonly code?: string;
  readonly reason?: string;
  readonly rawPacket?: Buffer;
}

/** The first line of the raw bytes, shortened, for the answer to quote. */
function requestLine(err: ParserError): string {
  const line = err.rawPacket?.toString("utf8").split("\r\n")[0] ?? "";
  return renderValue(line.length > 60 ? `${line.slice(0, 60)}…` : line);
}

/** The 4xx for a request the parser refused, naming what was wrong and how to fix it. */
export function parserRefusal(err: ParserError, headerLimit = maxHeaderSize): HttpError {
  switch (err.code) {
    case "HPE_HEADER_OVERFLOW":
      return new HttpError(431, `the request line and headers are larger than ${headerLimit} bytes.`, [
        { field: "(request line and headers)", value: `over ${headerLimit} bytes`, message: `must be at most ${headerLimit} bytes together; shorten the URL or the headers.` },
      ]);
    case "HPE_INVALID_METHOD":
      return new HttpError(400, "the request method is not an HTTP method.", [
        { field: "method", value: requestLine(err), message: "must be an HTTP method written in capitals, such as GET or POST; see the routes in the README." },
      ]);
    case "HPE_INVALID_URL":
      return new HttpError(400, "the request target is not a valid URL path.", [
        { field: "path", value: requestLine(err), message: "must be ASCII without spaces or control characters; percent-encode anything else (é is %C3%A9)." },
      ]);
    case "HPE_UNEXPECTED_CONTENT_LENGTH":
    case "HPE_INVALID_TRANSFER_ENCODING":
      return new HttpError(400, "the request gives both Content-Length and Transfer-Encoding (or an invalid Transfer-Encoding).", [
        { field: "content-length / transfer-encoding", value: "(both sent)", message: "must frame the body one way: send either Content-Length or Transfer-Encoding: chunked, not both." },
      ]);
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return new HttpError(408, "the request did not arrive completely in time.", [
        { field: "(request)", value: "(incomplete)", message: "must be sent whole within the server's request timeout; send the headers and body without pausing." },
      ]);
    default:
      return new HttpError(400, `the request is not valid HTTP/1.1 (${err.reason ?? err.message}).`, [
        { field: "(request)", value: requestLine(err), message: `could not be parsed (${err.code ?? "parse error"}); check the request line, the headers and how the body is framed.` },
      ]);
  }
}

/** A whole HTTP/1.1 response as bytes, for a socket that has no ServerResponse. Closes the connection. */
export function rawJsonAnswer(error: HttpError): Buffer {
  const body = Buffer.from(JSON.stringify({ message: error.message, errors: error.problems }), "utf8");
  const head = [
    `HTTP/1.1 ${error.statusCode} ${STATUS_CODES[error.statusCode] ?? "Error"}`,
    "content-type: application/json; charset=utf-8",
    `content-length: ${body.byteLength}`,
    ...Object.entries(error.headers).map(([name, value]) => `${name}: ${value}`),
    "connection: close",
    "",
    "",
  ].join("\r\n");
  return Buffer.concat([Buffer.from(head, "latin1"), body]);
}

/** CONNECT asks for a tunnel, which an API is not. */
export function connectRefusal(target: string): HttpError {
  return new HttpError(400, "CONNECT is not supported: this is an API, not a proxy.", [
    { field: "method", value: renderValue(`CONNECT ${target}`), message: "must be one of the API's methods (GET or POST on a route); see the routes in the README." },
  ]);
}
