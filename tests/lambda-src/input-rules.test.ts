/**
 * README "Input rules", one table per rule, against the pure readers the handler uses.
 * Each row is a request a client can send; the expected answer is what the README promises.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { readJsonBody } from "../../lambda-src/body";
import { HttpError } from "../../lambda-src/http";
import { titleSchema, nameSchema } from "../../lambda-src/input";
import { matchRoute } from "../../lambda-src/router";
import { ROUTES } from "../../lambda-src/routes";

const BODY = JSON.stringify({ todoId: "t21-0001", title: "milk" });

function event(body: string | Buffer, headers: Record<string, string | string[]>): Pick<APIGatewayProxyEvent, "body" | "isBase64Encoded" | "headers" | "multiValueHeaders"> {
  const multi: Record<string, string[]> = {};
  const single: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    multi[k] = Array.isArray(v) ? v : [v];
    single[k] = multi[k][multi[k].length - 1];
  }
  const isBase64Encoded = Buffer.isBuffer(body);
  return { body: isBase64Encoded ? body.toString("base64") : body, isBase64Encoded, headers: single, multiValueHeaders: multi };
}

function outcome(read: () => unknown): number | "ok" {
  try {
    read();
    return "ok";
  } catch (err) {
    if (err instanceof HttpError) return err.statusCode;
    throw err;
  }
}

describe("input rules (README)", () => {
  describe("a title (and a name) needs at least one character that shows", () => {
    const blank: ReadonlyArray<[string, string]> = [
      ["U+3164 HANGUL FILLER", "\u3164"],
      ["U+115F HANGUL CHOSEONG FILLER", "\u115f"],
      ["U+1160 HANGUL JUNGSEONG FILLER", "\u1160"],
      ["U+FFA0 HALFWIDTH HANGUL FILLER", "\uffa0"],
      ["U+2800 BRAILLE PATTERN BLANK", "\u2800"],
      ["U+034F COMBINING GRAPHEME JOINER", "\u034f"],
      ["U+FE0F VARIATION SELECTOR-16", "\ufe0f"],
      ["U+0301 COMBINING ACUTE ACCENT alone", "\u0301"],
      ["U+E0100 VARIATION SELECTOR-17", "\u{e0100}"],
      ["U+17B4 KHMER VOWEL INHERENT AQ", "\u17b4"],
      ["U+1D159 MUSICAL SYMBOL NULL NOTEHEAD", "\u{1d159}"],
      ["U+FFFC OBJECT REPLACEMENT CHARACTER", "\ufffc"],
      ["fillers, marks and spaces together", " \u3164\u0301\u2800 \ufe0f"],
    ];
    for (const [what, text] of blank) {
      it(`refuses a title of only ${what}`, () => {
        const result = titleSchema.safeParse(text);
        assert.equal(result.success, false);
        assert.match(result.error?.issues[0].message ?? "", /at least one visible character/);
        assert.equal(nameSchema.safeParse(text).success, false, "names follow the same rule");
      });
    }
    const shown: ReadonlyArray<[string, string]> = [
      ["Japanese text", "アレを買う"],
      ["a letter with a combining accent", "e\u0301"],
      ["an emoji with a variation selector", "\u2764\ufe0f"],
      ["an emoji with a skin tone modifier", "\u{1f44d}\u{1f3fd}"],
      ["Hangul", "한국어"],
      ["a visible character after a filler", "\u3164x"],
      ["a Braille pattern with dots", "\u2801"],
    ];
    for (const [what, text] of shown) {
      it(`accepts ${what}`, () => assert.equal(titleSchema.safeParse(text).success, true));
    }
  });

  describe("content type and encoding", () => {
    const table: ReadonlyArray<{ readonly what: string; readonly headers: Record<string, string | string[]>; readonly body?: string | Buffer; readonly answer: number | "ok" }> = [
      { what: "no content type (seed 000's poster)", headers: {}, answer: "ok" },
      { what: "application/json", headers: { "content-type": "application/json" }, answer: "ok" },
      { what: "charset=UTF-8", headers: { "content-type": "application/json; charset=UTF-8" }, answer: "ok" },
      { what: 'a quoted charset="utf-8"', headers: { "content-type": 'application/json; charset="utf-8"' }, answer: "ok" },
      { what: "charset = utf-8 with spaces around =", headers: { "content-type": "application/json; charset = utf-8" }, answer: "ok" },
      { what: "charset = utf-16 with spaces around =", headers: { "content-type": "application/json; charset = utf-16" }, answer: 415 },
      { what: "Charset=UTF-16 in capitals", headers: { "content-type": "application/json; Charset=UTF-16" }, answer: 415 },
      { what: "a repeated charset, utf-8 first", headers: { "content-type": "application/json; charset=utf-8; charset=utf-16" }, answer: 400 },
      { what: "a repeated charset, both utf-8", headers: { "content-type": "application/json; charset=utf-8; charset=utf-8" }, answer: 400 },
      { what: "Content-Encoding: gzip with a compressed body", headers: { "content-encoding": "gzip" }, body: gzipSync(BODY), answer: 415 },
      { what: "Content-Encoding: gzip with a plain body", headers: { "Content-Encoding": "gzip" }, answer: 415 },
      { what: "Content-Encoding: identity", headers: { "content-encoding": "identity" }, answer: "ok" },
      { what: "a leading byte order mark (RFC 8259 §8.1 lets a parser ignore it)", headers: { "content-type": "application/json" }, body: `\ufeff${BODY}`, answer: "ok" },
    ];
    for (const row of table) {
      it(`${row.answer === "ok" ? "reads" : `answers ${row.answer} to`} ${row.what}`, () => {
        assert.equal(outcome(() => readJsonBody(event(row.body ?? BODY, row.headers))), row.answer);
      });
    }

    it("names content-encoding and the fix when it refuses a compressed body", () => {
      assert.throws(
        () => readJsonBody(event(BODY, { "content-encoding": "gzip" })),
        (err: HttpError) => err.problems[0].field === "content-encoding" && /without compressing/.test(err.problems[0].message),
      );
    });
  });

  describe("paths", () => {
    const table: ReadonlyArray<[string, string, "found" | "not-found", Record<string, string>?]> = [
      ["/todo", "POST", "found"],
      ["/todo/", "POST", "found"],
      ["//todo", "POST", "not-found"],
      ["/todo//", "POST", "not-found"],
      ["/todo/t01-0001", "GET", "found", { todoId: "t01-0001" }],
      ["/todo/t01-0001/", "GET", "found", { todoId: "t01-0001" }],
      ["/todo//t01-0001", "GET", "not-found"],
      ["/todo/t01-0001//", "GET", "not-found"],
      ["/health/", "GET", "found"],
      ["/", "GET", "not-found"],
    ];
    for (const [path, method, kind, params] of table) {
      it(`${kind === "found" ? "serves" : "finds no route for"} ${method} ${path}`, () => {
        const match = matchRoute(ROUTES, method, path);
        assert.equal(match.kind, kind);
        if (match.kind === "found" && params) assert.deepEqual(match.pathParameters, params);
      });
    }
  });
});
