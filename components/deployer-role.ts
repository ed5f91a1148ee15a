/**
 * DeployerRole: the least-privilege IAM role a GitHub Actions workflow assumes (through the
 * account's GitHub OIDC provider) to run the release step. Its policy is generated from
 * release/aws/actions.ts — exactly the actions the release CLI sends in this stack's
 * code-deployment mode, each only on this stack's function, its aliases, the artifact prefix
 * and the alarms — plus an explicit Deny that keeps it from invoking any entry point that
 * serves traffic (an alias, `$LATEST`, the unqualified function).
 *
 * It deliberately cannot run `pulumi up`: that needs a broader infrastructure role.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { COMMAND_PERMISSIONS, grantsFor, type ActionScope, type CodeDeployment, type CommandName } from "../release/aws/actions";
import { ValidationError, problemsFromZod, renderValue, type Problem } from "../lib/validation";

/** Issuer host of GitHub Actions OIDC tokens; also the prefix of its IAM condition keys. */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
/** Audience configure-aws-credentials requests; the provider's client id. */
export const STS_AUDIENCE = "sts.amazonaws.com";

export interface DeployerRoleArgs {
  /** GitHub repository whose workflows may assume the role, as `owner/name`. Required. */
  readonly repository: string;
  /**
   * Branch whose workflow runs may assume the role, e.g. `main`. Only jobs that reference no
   * GitHub environment carry this subject. Give exactly one of `branch` and `environment`.
   */
  readonly branch?: string;
  /**
   * GitHub environment whose jobs may assume the role, e.g. `prod`. A job that references an
   * environment carries `environment:<name>` as its subject instead of the branch, so this is
   * the form to use with the workflows in .github/workflows. Exactly one of `branch`/`environment`.
   */
  readonly environment?: string;
  /**
   * ARN of the account's existing GitHub OIDC provider
   * (`arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com`).
   * Give this, or set `createOidcProvider`; an account can hold only one provider per URL.
   */
  readonly oidcProviderArn?: pulumi.Input<string>;
  /** Create the account's GitHub OIDC provider as a child. Defaults to false. */
  readonly createOidcProvider?: boolean;
  /**
   * Unqualified ARN of the function the release step moves, e.g. `fn.arn`. The partition,
   * region and account of every other ARN in the policy are taken from it. Required.
   */
  readonly functionArn: pulumi.Input<string>;
  /** Aliases the release step reads and moves, e.g. `["live"]`. Required, at least one. */
  readonly aliasNames: readonly string[];
  /** Name of the artifact bucket (artifact mode uploads here). Required. */
  readonly artifactBucket: pulumi.Input<string>;
  /**
   * The stack's `codeDeployment`. Only `release` (artifact mode) grants the actions that
   * upload, update and publish code. Defaults to `pulumi`.
   */
  readonly codeDeployment?: CodeDeployment;
  /** Key prefix of this function's artifacts. Defaults to `functions/api/`. */
  readonly artifactKeyPrefix?: string;
  /**
   * ARNs of the metric alarms the release step watches. Defaults to none, in which case the
   * role cannot call DescribeAlarms at all.
   */
  readonly alarmArns?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Longest session the role allows, in seconds (3600–43200). A release with long bakes must
   * fit in one session, and the workflow's `role-duration-seconds` must not exceed this.
   * Defaults to 7200 (two hours).
   */
  readonly maxSessionDurationSeconds?: number;
}

/** DeployerRoleArgs with every default applied. */
export interface ResolvedDeployerRoleArgs {
  readonly repository: string;
  readonly subject: string;
  readonly oidcProviderArn?: pulumi.Input<string>;
  readonly createOidcProvider: boolean;
  readonly functionArn: pulumi.Input<string>;
  readonly aliasNames: readonly string[];
  readonly artifactBucket: pulumi.Input<string>;
  readonly artifactKeyPrefix: string;
  readonly codeDeployment: CodeDeployment;
  readonly alarmArns: pulumi.Input<pulumi.Input<string>[]>;
  readonly maxSessionDurationSeconds: number;
}

const FUNCTION_ARN = /^arn:(aws[a-z-]*):lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]{1,64})$/;
const OIDC_PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;
const ALARM_ARN = /^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$/;
// GitHub names; wildcard characters are refused because the trust uses StringEquals.
const REF_NAME = /^[^\s*?[\]~^:\\]+$/;

const settingsShape = {
  repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: "must be a GitHub repository as owner/name, e.g. acme/shiftline." }),
  branch: z
    .string()
    .regex(REF_NAME, { error: "must be one branch name without wildcards or spaces, e.g. main." })
    .refine((b) => !b.startsWith("refs/"), { error: "give the branch name without refs/heads/, e.g. main." })
    .optional(),
  environment: z.string().regex(REF_NAME, { error: "must be one GitHub environment name without wildcards, e.g. prod." }).optional(),
  createOidcProvider: z.boolean({ error: "must be true or false." }).optional(),
  maxSessionDurationSeconds: z
    .number()
    .int({ error: "must be a whole number of seconds." })
    .min(3600, { error: "must be at least 3600 seconds (the IAM minimum)." })
    .max(43200, { error: "must be at most 43200 seconds (the IAM maximum)." })
    .optional(),
};

const EXACTLY_ONE_SUBJECT = "give exactly one of branch (runs without a GitHub environment) and environment (jobs that declare `environment:`).";
const EXACTLY_ONE_PROVIDER = "give the ARN of the account's GitHub OIDC provider, or set createOidcProvider: true (only one provider per URL can exist in an account), not both.";
const PROVIDER_ARN_RULE = `must be arn:aws:iam::<account>:oidc-provider/${GITHUB_OIDC_HOST}.`;

/** The either-or rules shared by the stack setting and the component's arguments. */
function choiceProblems(o: { branch?: unknown; environment?: unknown; oidcProviderArn?: unknown; createOidcProvider?: unknown }): Array<{ field: string; value: unknown; message: string }> {
  const out: Array<{ field: string; value: unknown; message: string }> = [];
  const hasBranch = o.branch !== undefined;
  if (hasBranch === (o.environment !== undefined)) {
    out.push({ field: hasBranch ? "branch" : "environment", value: hasBranch ? { branch: o.branch, environment: o.environment } : undefined, message: EXACTLY_ONE_SUBJECT });
  }
  if ((o.createOidcProvider === true) === (o.oidcProviderArn !== undefined)) out.push({ field: "oidcProviderArn", value: o.oidcProviderArn, message: EXACTLY_ONE_PROVIDER });
  return out;
}

/**
 * The stack setting that turns the DeployerRole on (`shiftline:deployer`), for
 * components/config.ts to parse: who may assume the role and through which provider.
 * The function, aliases, bucket and alarms come from the stack's own resources.
 */
export const deployerSettingsSchema = z
  .object({ ...settingsShape, oidcProviderArn: z.string().regex(OIDC_PROVIDER_ARN, { error: PROVIDER_ARN_RULE }).optional() })
  .strict()
  .superRefine((o, ctx) => {
    for (const p of choiceProblems(o)) ctx.addIssue({ code: "custom", path: [p.field], input: p.value, message: p.message });
  });

export type DeployerSettings = z.output<typeof deployerSettingsSchema>;

const plainArgsSchema = z
  .object({
    ...settingsShape,
    aliasNames: z
      .array(z.string().regex(/^(?!\d+$)[A-Za-z0-9_-]{1,128}$/, { error: "must be a Lambda alias name (letters, digits, - and _, not only digits), e.g. live." }))
      .min(1, { error: "must list at least one alias, e.g. [\"live\"]." })
      .refine((a) => new Set(a).size === a.length, { error: "must not list an alias twice." }),
    artifactKeyPrefix: z.string().regex(/^functions\/[\w-]+\/$/, { error: "must look like functions/<fn>/, e.g. functions/api/." }).optional(),
    codeDeployment: z.enum(["pulumi", "release"], { error: "must be pulumi or release (the stack's shiftline:codeDeployment)." }).optional(),
  })
  .loose();

/**
 * Applies defaults and checks every argument that is known before deployment, collecting all
 * problems and throwing one ValidationError. Values still unknown (Outputs) are checked when
 * the policy is built.
 */
export function deployerRoleDefaults(args: DeployerRoleArgs, subject = "DeployerRole"): ResolvedDeployerRoleArgs {
  const problems: Problem[] = [];
  const parsed = plainArgsSchema.safeParse(args, { reportInput: true });
  if (!parsed.success) problems.push(...problemsFromZod(parsed.error.issues));
  const add = (field: string, value: unknown, message: string) => problems.push({ field, value: renderValue(value), message });

  for (const p of choiceProblems(args)) add(p.field, p.value, p.message);
  const creates = args.createOidcProvider === true;
  if (typeof args.oidcProviderArn === "string" && !OIDC_PROVIDER_ARN.test(args.oidcProviderArn)) {
    add("oidcProviderArn", args.oidcProviderArn, PROVIDER_ARN_RULE);
  }
  if (typeof args.functionArn === "string" && !FUNCTION_ARN.test(args.functionArn)) {
    add("functionArn", args.functionArn, "must be the unqualified function ARN, arn:aws:lambda:<region>:<account>:function:<name> (no :version or :alias).");
  }
  if (Array.isArray(args.alarmArns)) {
    args.alarmArns.forEach((arn, i) => {
      if (typeof arn === "string" && !ALARM_ARN.test(arn)) add(`alarmArns[${i}]`, arn, "must be a CloudWatch alarm ARN, arn:aws:cloudwatch:<region>:<account>:alarm:<name>.");
    });
  }
  if (problems.length > 0) throw new ValidationError(subject, problems);

  return {
    repository: args.repository,
    subject: githubSubject({ repository: args.repository, branch: args.branch, environment: args.environment }),
    oidcProviderArn: args.oidcProviderArn,
    createOidcProvider: creates,
    functionArn: args.functionArn,
    aliasNames: args.aliasNames,
    artifactBucket: args.artifactBucket,
    artifactKeyPrefix: args.artifactKeyPrefix ?? "functions/api/",
    codeDeployment: args.codeDeployment ?? "pulumi",
    alarmArns: args.alarmArns ?? [],
    maxSessionDurationSeconds: args.maxSessionDurationSeconds ?? 7200,
  };
}

/**
 * The `sub` claim of a GitHub Actions OIDC token under the default subject template:
 * `repo:<owner>/<name>:environment:<env>` for jobs with an environment, otherwise
 * `repo:<owner>/<name>:ref:refs/heads/<branch>` for branch pushes.
 * https://docs.github.com/en/actions/reference/security/oidc#example-subject-claims
 */
export function githubSubject(o: { repository: string; branch?: string; environment?: string }): string {
  if (o.environment !== undefined) return `repo:${o.repository}:environment:${o.environment}`;
  if (o.branch !== undefined) return `repo:${o.repository}:ref:refs/heads/${o.branch}`;
  throw new Error("githubSubject needs a branch or an environment.");
}

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: string | string[];
  readonly Resource?: string | string[];
  readonly Principal?: { readonly Federated: string };
  readonly Condition?: Record<string, Record<string, string>>;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: PolicyStatement[];
}

/**
 * Trust policy: only web identities from the GitHub OIDC provider whose token was minted for
 * STS (`aud`) and whose subject is exactly this repository's branch or environment (`sub`).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html
 */
export function trustPolicy(oidcProviderArn: string, subject: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${GITHUB_OIDC_HOST}:aud`]: STS_AUDIENCE,
            [`${GITHUB_OIDC_HOST}:sub`]: subject,
          },
        },
      },
    ],
  };
}

/** The stack's resources, resolved, from which each scope's ARNs are derived. */
export interface DeployerResources {
  readonly functionArn: string;
  readonly aliasNames: readonly string[];
  readonly artifactBucket: string;
  readonly artifactKeyPrefix: string;
  readonly alarmArns: readonly string[];
  /** Which grants the stack's code-deployment mode gets (see `artifactModeOnly` in release/aws/actions.ts). */
  readonly codeDeployment: CodeDeployment;
}

/** Splits an unqualified function ARN, throwing a message that names the rule if it is not one. */
export function parseFunctionArn(arn: string): { partition: string; region: string; account: string; functionName: string } {
  const m = FUNCTION_ARN.exec(arn);
  if (!m) throw new Error(`functionArn = ${renderValue(arn)}: must be the unqualified function ARN, arn:aws:lambda:<region>:<account>:function:<name>.`);
  return { partition: m[1], region: m[2], account: m[3], functionName: m[4] };
}

/** The ARNs one scope covers; an empty list means the scope grants nothing. */
export function scopeResources(scope: ActionScope, r: DeployerResources): string[] {
  const { partition } = parseFunctionArn(r.functionArn);
  switch (scope) {
    case "function":
      return [r.functionArn];
    case "versions":
      // Version numbers start at 1 with no leading zero; see "versions" in release/aws/actions.ts.
      return VERSION_FIRST_DIGITS.map((d) => `${r.functionArn}:${d}*`);
    case "latest":
      return [r.functionArn, `${r.functionArn}:$LATEST`];
    case "alias":
      return [r.functionArn, ...r.aliasNames.map((a) => `${r.functionArn}:${a}`)];
    case "aliasQualifier":
      return r.aliasNames.map((a) => `${r.functionArn}:${a}`);
    case "artifacts":
      return [`arn:${partition}:s3:::${r.artifactBucket}/${r.artifactKeyPrefix}*`];
    case "alarms":
      return [...r.alarmArns];
    case "metrics":
      // cloudwatch:GetMetricData has no resource type: AWS accepts only "*" here.
      return ["*"];
    case "logGroup": {
      const { region, account, functionName } = parseFunctionArn(r.functionArn);
      const group = `arn:${partition}:logs:${region}:${account}:log-group:/aws/lambda/${functionName}`;
      return [group, `${group}:*`];
    }
  }
}

const VERSION_FIRST_DIGITS = ["1", "2", "3", "4", "5", "6", "7", "8", "9"] as const;

const SCOPE_ORDER: readonly ActionScope[] = ["function", "versions", "latest", "alias", "aliasQualifier", "artifacts", "alarms", "metrics", "logGroup"];
const SCOPE_SID: Record<ActionScope, string> = {
  function: "Function",
  versions: "FunctionVersions",
  latest: "FunctionLatest",
  alias: "FunctionAliases",
  aliasQualifier: "AliasQualifiers",
  artifacts: "ArtifactObjects",
  alarms: "Alarms",
  metrics: "MetricReads",
  logGroup: "FunctionLogsLiveTail",
};

/**
 * The entry points that serve traffic, which the role must never invoke: each alias (API
 * Gateway invokes `live`), `$LATEST`, and the unqualified ARN, which Lambda resolves to
 * `$LATEST`. Lambda authorises an invocation against the ARN the caller names — a version,
 * an alias or the unqualified function — and a grant on one does not cover another
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/using-aliases.html: a grant on an alias does
 * not even cover the version it points to); an invocation
 * with Qualifier=$LATEST is checked on `…:$LATEST` (hashicorp/terraform-provider-aws#23778).
 * The Allow on numbered versions already leaves them out; the explicit Deny keeps them out
 * even if someone attaches a broader policy to the role, since an explicit Deny always wins
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 */
export function neverInvoked(r: Pick<DeployerResources, "functionArn" | "aliasNames">): string[] {
  return [r.functionArn, `${r.functionArn}:$LATEST`, ...r.aliasNames.map((a) => `${r.functionArn}:${a}`)];
}

/**
 * The role's permission policy: one Allow statement per scope holding every action the given
 * commands need on it in the stack's code-deployment mode (all commands in
 * release/aws/actions.ts by default), then the Deny on the entry points that serve traffic.
 * A scope that resolves to no ARN (no alarms configured) is left out rather than widened.
 */
export function deployerPolicy(r: DeployerResources, commands: readonly CommandName[] = Object.keys(COMMAND_PERMISSIONS) as CommandName[]): PolicyDocument {
  const actionsByScope = new Map<ActionScope, Set<string>>();
  for (const command of commands) {
    for (const grant of grantsFor(command, r.codeDeployment)) {
      const set = actionsByScope.get(grant.scope) ?? new Set<string>();
      grant.actions.forEach((a) => set.add(a));
      actionsByScope.set(grant.scope, set);
    }
  }
  const statements: PolicyStatement[] = [];
  for (const scope of SCOPE_ORDER) {
    const actions = actionsByScope.get(scope);
    const resources = scopeResources(scope, r);
    if (!actions || resources.length === 0) continue;
    statements.push({ Sid: SCOPE_SID[scope], Effect: "Allow", Action: [...actions].sort(), Resource: resources });
  }
  statements.push({ Sid: "NeverInvokeTrafficEntryPoints", Effect: "Deny", Action: ["lambda:InvokeFunction"], Resource: neverInvoked(r) });
  return { Version: "2012-10-17", Statement: statements };
}

export class DeployerRole extends pulumi.ComponentResource {
  /** ARN of the role; resolves only once its permission policy is attached. */
  public readonly roleArn: pulumi.Output<string>;
  /** ARN of the OIDC provider the role trusts (created here or passed in). */
  public readonly oidcProviderArn: pulumi.Output<string>;
  public readonly role: aws.iam.Role;
  public readonly policy: aws.iam.RolePolicy;
  /** Only when `createOidcProvider` is set. */
  public readonly oidcProvider?: aws.iam.OpenIdConnectProvider;

  constructor(name: string, args: DeployerRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    const a = deployerRoleDefaults(args, `DeployerRole ${name}`);
    super("shiftline:ci:DeployerRole", name, {}, opts);

    if (a.createOidcProvider) {
      // No thumbprint: for GitHub, IAM checks the certificate against its own trusted root CAs.
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc_verify-thumbprint.html
      this.oidcProvider = new aws.iam.OpenIdConnectProvider(`${name}-github-oidc`, { url: `https://${GITHUB_OIDC_HOST}`, clientIdLists: [STS_AUDIENCE] }, { parent: this });
    }
    this.oidcProviderArn = this.oidcProvider ? this.oidcProvider.arn : pulumi.output(a.oidcProviderArn as pulumi.Input<string>);

    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `Release step for ${a.subject}: moves alias traffic of one function; cannot change infrastructure.`,
        assumeRolePolicy: this.oidcProviderArn.apply((arn) => JSON.stringify(trustPolicy(arn, a.subject))),
        maxSessionDuration: a.maxSessionDurationSeconds,
      },
      { parent: this },
    );

    const document = pulumi.all([a.functionArn, a.artifactBucket, pulumi.output(a.alarmArns)]).apply(([functionArn, artifactBucket, alarmArns]) =>
      JSON.stringify(deployerPolicy({ functionArn, aliasNames: a.aliasNames, artifactBucket, artifactKeyPrefix: a.artifactKeyPrefix, alarmArns, codeDeployment: a.codeDeployment })),
    );
    this.policy = new aws.iam.RolePolicy(`${name}-policy`, { role: this.role.id, policy: document }, { parent: this });

    this.roleArn = pulumi.all([this.role.arn, this.policy.id]).apply(([arn]) => arn);
    this.registerOutputs({ roleArn: this.roleArn, oidcProviderArn: this.oidcProviderArn });
  }
}
