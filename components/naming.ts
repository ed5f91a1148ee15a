/**
 * Helpers shared by the components: child names and the argument-validation error every
 * component throws before it declares a resource.
 */
import { ValidationError, renderValue } from "../lib/validation";

/** `${name}-${suffix}`, with anything but letters, digits, `_` and `-` in the suffix turned into `-`. */
export function childName(name: string, suffix: string): string {
  return `${name}-${suffix.replace(/[^\w-]+/g, "-")}`;
}

/** One argument problem: field, offending value, rule and fix. */
export type ArgProblem = readonly [field: string, value: unknown, message: string];

/** Throws one ValidationError naming every problem of `component`'s arguments. */
export function throwIfProblems(component: string, problems: readonly ArgProblem[]): void {
  if (problems.length === 0) return;
  throw new ValidationError(
    `${component} arguments`,
    problems.map(([field, value, message]) => ({ field, value: renderValue(value), message })),
  );
}
