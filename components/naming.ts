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

/**
 * The stack's name prefix (`shiftline:namePrefix`, `shiftline-<stack>` by default) starts every
 * resource name: the top component is named after it, so every child's logical name, and every
 * name Pulumi generates from it (`<logical name>-<7 random characters>`,
 * https://www.pulumi.com/docs/iac/concepts/resources/names/#autonaming), begins with it.
 * The tightest names built from it: the artifact bucket `<prefix>-artifacts-bucket-xxxxxxx`
 * (S3: 3-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html) and the API
 * Gateway role `<prefix>-apigw-cloudwatch-role-xxxxxxx` (IAM role names: at most 64,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html), hence 34.
 */
export const NAME_PREFIX_MAX = 34;
export const NAME_PREFIX = /^[a-z](?:[a-z0-9-]{0,32}[a-z0-9])?$/;
export const NAME_PREFIX_RULE = `must be 1-${NAME_PREFIX_MAX} lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen (it starts every resource name, the S3 bucket's and IAM roles' included)`;

/** The tags every resource of a stack carries, through the AWS provider's default tags (index.ts). */
export interface StackTagsInput {
  /** The service (`shiftline:serviceName`). */
  readonly serviceName: string;
  /** The environment: the stack name (staging, prod). */
  readonly environment: string;
  /** The Pulumi project. */
  readonly project: string;
}

/** `service`, `environment` and `stack` (`<project>/<stack>`, the Pulumi stack that manages the resource). */
export function stackTags(c: StackTagsInput): Record<string, string> {
  return { service: c.serviceName, environment: c.environment, stack: `${c.project}/${c.environment}` };
}
