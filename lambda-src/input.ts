/**
 * The rules for everything a client sends, with the limits users see in the README.
 * Every rule says what is wrong and how to fix it; all problems are reported at once.
 */
// zod/mini: the same validation core without the chainable classes, about 70 KB smaller and
// 5 ms faster to load in the bundle (https://zod.dev/packages/mini).
import * as z from "zod/mini";
import { problemsFromZod, renderValue, type Problem } from "../lib/validation";
import { HttpError } from "./http";

/** Largest accepted request body, after base64 decoding. A todo needs a few hundred bytes. */
export const MAX_BODY_BYTES = 8 * 1024;
/** todoId: 1–64 letters, digits, `-` or `_`, starting with a letter or digit (seed 000 posts `t01-0001`). */
export const TODO_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** Longest title, in Unicode characters (code points), so `アレを買う` counts 5. */
export const TITLE_MAX_CHARS = 200;
/** Longest name searched for, in Unicode characters. */
export const NAME_MAX_CHARS = 100;

const CONTROL_CHARACTER = /\p{Cc}/u;
/**
 * Something that shows on its own. Not visible:
 * - spaces and separators (\p{Z}, e.g. U+3000) and invisible format characters (\p{Cf}, e.g. U+200B);
 * - marks (\p{M}: combining accents such as U+0301, variation selectors U+FE0F and U+E0100,
 *   U+034F, U+17B4), which only change the character before them;
 * - Default_Ignorable_Code_Point, the characters Unicode says to render as nothing when not
 *   supported (the Hangul fillers U+115F, U+1160, U+3164, U+FFA0 among them)
 *   https://www.unicode.org/reports/tr44/#Default_Ignorable_Code_Point;
 * - symbols drawn as a blank: U+2800 BRAILLE PATTERN BLANK, U+1D159 MUSICAL SYMBOL NULL NOTEHEAD,
 *   U+FFFC OBJECT REPLACEMENT CHARACTER (a placeholder for an object the text does not hold).
 */
const VISIBLE_CHARACTER = /[^\p{Z}\p{Cf}\p{M}\p{Default_Ignorable_Code_Point}\s\u2800\uFFFC\u{1D159}]/u;
/** Line and paragraph separators (U+2028, U+2029): line breaks in all but name. */
const LINE_SEPARATOR = /[\u2028\u2029]/;
/**
 * Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) reorder how
 * the text around them is shown, so a title could display differently from what it holds.
 * The plain marks U+200E/U+200F that right-to-left text needs stay allowed.
 */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;
/** A surrogate half without its partner: JSON allows the escape, DynamoDB (UTF-8) cannot store it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function characterCount(text: string): number {
  return [...text].length;
}

const TODO_ID_RULE = "must be 1–64 letters, digits, '-' or '_', starting with a letter or digit (like t01-0001)";

/** A todo's id wherever it appears (body or path). */
export const todoIdSchema = z
  .string({ error: (issue) => (issue.input === undefined ? `is required; ${TODO_ID_RULE}.` : `must be a string; ${TODO_ID_RULE}.`) })
  .check(z.regex(TODO_ID_PATTERN, { error: `${TODO_ID_RULE}; rename it.` }));

/** Free text a person typed: not blank, printable, well-formed Unicode, bounded. */
function textSchema(subject: string, maxChars: number) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? `is required; send the ${subject} as a string.` : `must be a string; send the ${subject} as text in quotes.`) })
    .check(
      z.refine((s) => VISIBLE_CHARACTER.test(s), {
        error: `must contain at least one visible character (not only spaces, invisible characters such as U+200B or U+3164, or combining marks on their own); send a non-empty ${subject}.`,
        abort: true,
      }),
      z.refine((s) => !CONTROL_CHARACTER.test(s) && !LINE_SEPARATOR.test(s), {
        error: "must not contain control characters (tabs, newlines, U+0000–U+001F, U+007F–U+009F, U+2028, U+2029); remove them.",
      }),
      z.refine((s) => !BIDI_CONTROL.test(s), { error: "must not contain bidirectional override, embedding or isolate characters (U+202A–U+202E, U+2066–U+2069); remove them." }),
      z.refine((s) => !LONE_SURROGATE.test(s), { error: "must be well-formed Unicode (no lone surrogate escapes such as \\ud800); fix the encoding." }),
      z.refine((s) => characterCount(s) <= maxChars, { error: `must be at most ${maxChars} characters; shorten it.` }),
    );
}

export const titleSchema = textSchema("title", TITLE_MAX_CHARS);
export const nameSchema = textSchema("name", NAME_MAX_CHARS);

/** POST /todo body: seed 000's contract, nothing more. */
export const createTodoBodySchema = z.strictObject(
  { todoId: todoIdSchema, title: titleSchema },
  { error: 'must be a JSON object like {"todoId":"t01-0001","title":"アレを買う"}; send an object, not an array, string, number or null.' },
);
export type CreateTodoBody = z.output<typeof createTodoBodySchema>;

/**
 * Parses `input`, or throws a 400 HttpError naming every problem. Unknown keys get a message
 * listing the keys this request accepts; a problem with the whole input is reported on `rootField`.
 */
export function parseRequest<S extends z.ZodMiniType>(schema: S, input: unknown, subject: string, allowedKeys: readonly string[], rootField = "(body)"): z.output<S> {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const problems: Problem[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === "unrecognized_keys") {
      const given = (issue.input ?? {}) as Record<string, unknown>;
      for (const key of issue.keys) {
        problems.push({
          field: key,
          value: renderValue(given[key]),
          message: `is not accepted here; send only ${allowedKeys.join(" and ")}.`,
        });
      }
    } else {
      problems.push(...problemsFromZod([issue]).map((p) => (p.field === "(root)" ? { ...p, field: rootField } : p)));
    }
  }
  throw new HttpError(400, `${subject} is invalid: ${problems.length} problem${problems.length === 1 ? "" : "s"}; see errors.`, problems);
}
