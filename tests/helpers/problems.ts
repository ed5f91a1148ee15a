import assert from "node:assert/strict";
import { ValidationError, formatProblem } from "../../lib/validation";

/** Runs `fn`, which must throw a ValidationError, and returns its problems as `field = value: rule` lines. */
export function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ValidationError, `expected a ValidationError, got ${String(e)}`);
    return e.problems.map(formatProblem);
  }
  assert.fail("expected a validation error");
}
