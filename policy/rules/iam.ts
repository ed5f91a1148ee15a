/**
 * No IAM statement grants `*` actions: every Allow lists its actions one by one. Checked in
 * every document a program can attach: inline role, user and group policies, managed policies,
 * a role's `inlinePolicies`, and bucket policies; and no attachment of AWS's broad managed
 * policies (AdministratorAccess, PowerUserAccess, *FullAccess), whose documents the program
 * cannot see. Deny statements may use wildcards (a TLS-only bucket policy denies `s3:*`).
 * `NotAction` in an Allow grants every action but the listed ones, so it counts as a wildcard
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html).
 */
import type { PolicyConfigSchema, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { asList, configOf, message, statementsOf } from "../lib";

/** Resource type → the property holding its policy document. */
export const DOCUMENT_PROPERTY: Readonly<Record<string, string>> = {
  "aws:iam/rolePolicy:RolePolicy": "policy",
  "aws:iam/userPolicy:UserPolicy": "policy",
  "aws:iam/groupPolicy:GroupPolicy": "policy",
  "aws:iam/policy:Policy": "policy",
  "aws:s3/bucketPolicy:BucketPolicy": "policy",
};
const ROLE_TYPE = "aws:iam/role:Role";
const ATTACHMENT_TYPES = ["aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/userPolicyAttachment:UserPolicyAttachment", "aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment"];
/** AWS managed policies that grant whole services or everything. */
const BROAD_MANAGED = /^arn:[^:]+:iam::aws:policy\/(?:.*\/)?(AdministratorAccess|PowerUserAccess|[A-Za-z0-9]*FullAccess)$/;

interface IamConfig {
  readonly allowedWildcardActions: string[];
}

const schema: PolicyConfigSchema = {
  properties: {
    allowedWildcardActions: {
      type: "array",
      items: { type: "string" },
      default: [],
      description: "Wildcard actions an Allow statement may still list, exactly as written (e.g. logs:Describe*). Defaults to none.",
    },
  },
};

type Report = (property: string, value: unknown, rule: string, fix: string) => void;

/** Reports each Allow statement of `document` that grants a wildcard action. */
function checkDocument(document: unknown, property: string, allowed: readonly string[], report: Report): void {
  const statements = statementsOf(document);
  if (typeof statements === "string") {
    report(property, document, `${statements}, so its actions cannot be checked.`, "pass the document as JSON (pulumi.jsonStringify) with a Statement list.");
    return;
  }
  statements.forEach((s, i) => {
    if (s.Effect !== "Allow") return;
    const where = `${property}.Statement[${i}]${s.Sid ? ` (${s.Sid})` : ""}`;
    if (s.NotAction !== undefined) {
      report(`${where}.NotAction`, s.NotAction, "an Allow with NotAction grants every action except those listed.", "list the granted actions in Action instead.");
    }
    const wild = asList(s.Action).filter((a) => typeof a !== "string" || (a.includes("*") && !allowed.includes(a)));
    if (wild.length > 0) {
      report(`${where}.Action`, wild, "must not grant * actions: list each action the code calls (e.g. dynamodb:GetItem).", "replace the wildcard with the exact actions, or add it to this policy's allowedWildcardActions config if it is truly needed.");
    }
  });
}

export const noWildcardActions: ResourceValidationPolicy = {
  name: "iam-no-wildcard-actions",
  description: "No IAM statement allows * actions (role, user, group, managed and bucket policies, a role's inline policies), and no AWS managed AdministratorAccess, PowerUserAccess or *FullAccess policy is attached.",
  enforcementLevel: "mandatory",
  configSchema: schema,
  validateResource: (args: ResourceValidationArgs, reportViolation) => {
    const property = DOCUMENT_PROPERTY[args.type];
    const isRole = args.type === ROLE_TYPE;
    const isAttachment = ATTACHMENT_TYPES.includes(args.type);
    if (property === undefined && !isRole && !isAttachment) return;
    const { allowedWildcardActions } = configOf<IamConfig>(args, schema, "iam-no-wildcard-actions");
    const report: Report = (p, value, rule, fix) => reportViolation(message(args, p, value, rule, fix));
    const managed = (p: string, arn: unknown) => {
      if (typeof arn === "string" && BROAD_MANAGED.test(arn)) {
        report(p, arn, "must not attach an AWS managed policy that grants whole services or everything.", "attach a policy of your own that lists the exact actions and resources.");
      }
    };
    const props = args.props as Record<string, unknown>;
    if (property !== undefined) checkDocument(props[property], property, allowedWildcardActions, report);
    if (isAttachment) managed("policyArn", props.policyArn);
    if (isRole) {
      asList(props.inlinePolicies as Array<{ policy?: unknown }> | undefined).forEach((inline, i) => {
        if (inline?.policy !== undefined) checkDocument(inline.policy, `inlinePolicies[${i}].policy`, allowedWildcardActions, report);
      });
      asList(props.managedPolicyArns as unknown[] | undefined).forEach((arn, i) => managed(`managedPolicyArns[${i}]`, arn));
    }
  },
};
