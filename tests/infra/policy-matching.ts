/**
 * A small reading of IAM's matching rules for identity policies without conditions, enough to
 * ask "does this document allow action A on resource R": an explicit Deny wins, else an Allow
 * whose Action and Resource both match. Action names match case-insensitively; in both, `*`
 * matches any run of characters (including `:` and `/`) and `?` one character.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 * Statements with a Condition are refused rather than guessed at.
 */
import type { PolicyDocument, Statement } from "./policy-reading";

const globToRegExp = (pattern: string, flags = ""): RegExp =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, flags);

const matches = (statement: Statement, action: string, resource: string): boolean => {
  if (statement.Condition !== undefined) throw new Error(`statement ${statement.Sid ?? "(no Sid)"} has a condition this reader does not evaluate`);
  const actions = [statement.Action ?? []].flat();
  const resources = [statement.Resource ?? []].flat();
  return actions.some((a) => globToRegExp(a, "i").test(action)) && resources.some((r) => globToRegExp(r).test(resource));
};

/** Whether `doc` allows `action` on `resource`. */
export function allows(doc: PolicyDocument, action: string, resource: string): boolean {
  if (doc.Statement.some((s) => s.Effect === "Deny" && matches(s, action, resource))) return false;
  return doc.Statement.some((s) => s.Effect === "Allow" && matches(s, action, resource));
}
