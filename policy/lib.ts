/**
 * Shared helpers of the shiftline policy pack: the stack a resource belongs to, one message
 * format for every violation, policy config with its schema defaults, and IAM policy documents.
 *
 * The pack reads resources by their Pulumi type token (`aws:lambda/alias:Alias`) rather than
 * importing @pulumi/aws, so it loads fast and checks any program, whatever its provider version.
 */
import type { PolicyConfigSchema, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";

/**
 * The stack named in a URN: `urn:pulumi:<stack>::<project>::<type>::<name>`
 * (https://www.pulumi.com/docs/iac/concepts/resources/names/#urns). Policies get no stack name
 * of their own, and the URN is there in a preview, an update and the tests alike.
 */
export function stackOf(urn: string): string {
  const match = /^urn:pulumi:([^:]+)::/.exec(urn);
  if (match === null) throw new Error(`urn = ${JSON.stringify(urn)}: not a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>).`);
  return match[1];
}

/** A value as a message shows it. */
export const show = (value: unknown): string => (value === undefined ? "unset" : JSON.stringify(value));

/** What every violation says: which resource, which property and its value, the rule, the fix. */
export function message(resource: { readonly type: string; readonly name: string }, property: string, value: unknown, rule: string, fix: string): string {
  return `${resource.type} "${resource.name}": ${property} = ${show(value)}: ${rule} Fix: ${fix}`;
}

/** The configured values of a policy over its schema's defaults; a bad value throws naming the key, the value and the rule. */
export function configOf<T extends object>(args: ResourceValidationArgs | StackValidationArgs, schema: PolicyConfigSchema, policy: string): T {
  const defaults: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(schema.properties)) if (property.default !== undefined) defaults[key] = property.default;
  const given = (args.getConfig<Record<string, unknown>>() ?? {}) as Record<string, unknown>;
  const config = { ...defaults, ...given };
  const problems: string[] = [];
  for (const [key, property] of Object.entries(schema.properties)) {
    const value = config[key];
    if (value === undefined) continue;
    if (property.type === "array") {
      if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v.length === 0)) problems.push(`${key} = ${show(value)}: must be a list of non-empty strings`);
    } else if (property.type === "integer") {
      const min = property.minimum ?? Number.MIN_SAFE_INTEGER;
      if (!Number.isInteger(value) || (value as number) < min) problems.push(`${key} = ${show(value)}: must be a whole number, at least ${min}`);
    } else if (property.type === "boolean" && typeof value !== "boolean") {
      problems.push(`${key} = ${show(value)}: must be true or false`);
    } else if (property.type === "string" && typeof value !== "string") {
      problems.push(`${key} = ${show(value)}: must be a string`);
    }
  }
  if (problems.length > 0) throw new Error(`policy ${policy} config: ${problems.join("; ")}. Fix the policy pack config file (pulumi preview --policy-pack-config).`);
  return config as T;
}

/** One IAM policy statement, as IAM reads it. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export const asList = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/**
 * The statements of a policy document given as a JSON string (what `JSON.stringify` or
 * `pulumi.jsonStringify` produce) or as an object. IAM accepts one statement object in place
 * of a list (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
 * Returns a reason instead when the text is not a policy document.
 */
export function statementsOf(document: unknown): Statement[] | string {
  let doc: unknown = document;
  if (typeof document === "string") {
    try {
      doc = JSON.parse(document);
    } catch {
      return "is not valid JSON";
    }
  }
  if (typeof doc !== "object" || doc === null) return "is not a policy document object";
  const statement = (doc as { Statement?: unknown }).Statement;
  if (statement === undefined) return "has no Statement";
  return asList(statement as Statement | Statement[]);
}
