/**
 * One way to turn schema failures into messages a person can act on, used at every
 * boundary (stack config, CLI flags, HTTP bodies, AWS responses). Each problem is
 * rendered as `<field> = <value>: <rule and fix>`, and all problems are reported at once.
 */
import { z } from "zod";

export interface Problem {
  /** Dotted path with array indices, e.g. `release.steps[1]`. */
  readonly field: string;
  /** The offending value, rendered as JSON (or `(missing)`). */
  readonly value: string;
  /** What the rule is and how to fix it. */
  readonly message: string;
}

/** Thrown when input fails validation; `problems` holds every issue found. */
export class ValidationError extends Error {
  constructor(
    readonly subject: string,
    readonly problems: readonly Problem[],
  ) {
    super(`${subject}: ${problems.length} problem${problems.length === 1 ? "" : "s"}\n${problems.map((p) => `  - ${formatProblem(p)}`).join("\n")}`);
    this.name = "ValidationError";
  }
}

export function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(root)" : out;
}

export function renderValue(value: unknown): string {
  if (value === undefined) return "(missing)";
  const json = JSON.stringify(value);
  if (json === undefined) return String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

export function formatProblem(p: Problem): string {
  return `${p.field} = ${p.value}: ${p.message}`;
}

/** Converts zod issues to problems; unknown keys become one problem per key. */
export function problemsFromZod(issues: readonly z.core.$ZodIssue[], prefix = ""): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const input = issue.input as Record<string, unknown> | undefined;
      for (const key of issue.keys) {
        problems.push({
          field: formatPath(prefix, [...issue.path, key]),
          value: renderValue(input?.[key]),
          message: "unknown setting; remove it or check its spelling against the documented keys.",
        });
      }
      continue;
    }
    problems.push({ field: formatPath(prefix, issue.path), value: renderValue(issue.input), message: issue.message });
  }
  return problems;
}

/** Parses `input` with `schema`, throwing a ValidationError listing every problem. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, subject: string, prefix = ""): z.output<S> {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw new ValidationError(subject, problemsFromZod(result.error.issues, prefix));
}
