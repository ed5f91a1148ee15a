/**
 * Every AWS SDK command the release CLI may send, with the IAM actions it needs and the
 * resources IAM checks them against. The DeployerRole grants exactly these, and a test
 * cross-checks the commands the CLI's AWS adapters construct against this table, so the
 * two cannot drift.
 *
 * Sources for the action and resource of each entry:
 * - Lambda: https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html
 *   and https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
 * - S3: https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html (Permissions)
 * - CloudWatch: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
 * - CloudWatch Logs: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
 */

/**
 * How a stack deploys its code (`shiftline:codeDeployment`): `pulumi` publishes versions in
 * `pulumi up`; `release` (artifact mode) lets the release step upload the zip, update the
 * function's code and publish the version itself.
 */
export type CodeDeployment = "pulumi" | "release";

/**
 * Which resources of the stack a grant covers; the DeployerRole turns each scope into ARNs
 * (see `scopeResources` in components/deployer-role.ts).
 */
export type ActionScope =
  // The unqualified function: arn:<p>:lambda:<r>:<a>:function:<fn>. For calls that name no
  // version or alias (UpdateFunctionCode, PublishVersion, ListVersionsByFunction, GetFunction).
  | "function"
  // Published (numbered) versions of the function only: …:function:<fn>:1* … :9*. For calls
  // that pass Qualifier=<version>. Since January 2022 Lambda authorises such a call against
  // the qualified ARN, and the unqualified ARN no longer covers it
  // (https://github.com/aws/aws-cdk/issues/19273). Version numbers start at 1 and have no
  // leading zero, so nine prefixes cover every version; they cannot match `$LATEST` or an
  // alias whose name starts with a letter, `-` or `_` (an alias may not be digits only).
  | "versions"
  // `$LATEST`: …:function:<fn>:$LATEST, and the unqualified ARN that means the same version.
  // Artifact mode reads its RevisionId (GetFunctionConfiguration, Qualifier=$LATEST) before
  // updating the code; both ARNs are granted because both name $LATEST.
  | "latest"
  // The function and the named aliases: …:function:<fn> and …:function:<fn>:<alias>.
  // GetAlias and UpdateAlias name the alias in the path (/functions/<fn>/aliases/<name>), not
  // as a qualifier, and the Service Authorization Reference gives them one resource type,
  // "function" (arn:…:function:${FunctionName}; list_awslambda.html, also the Lambda guide's
  // lambda-api-permissions-ref "Functions" table), and the AccessDenied answers reported for
  // UpdateAlias name the unqualified ARN: that ARN is what IAM evaluates and must stay. So IAM
  // cannot keep these two actions to particular aliases (the reference lists no condition key
  // for them either); the role can read and move any alias of THIS function, never another
  // function's. The alias ARNs are kept beside it, as they cost nothing if unused.
  // GetPolicy with Qualifier=<alias> is listed the same way ("function") and kept on both.
  | "alias"
  // The named aliases only: …:function:<fn>:<alias>. For GetProvisionedConcurrencyConfig, whose
  // only resource types in the Service Authorization Reference are "function alias" and
  // "function version" (the API requires a Qualifier): a grant on the unqualified ARN could
  // never match one of its requests, so none is made.
  | "aliasQualifier"
  // Objects under the artifact prefix: arn:<p>:s3:::<bucket>/<prefix>*
  | "artifacts"
  // The stack's metric alarms: arn:<p>:cloudwatch:<r>:<a>:alarm:<name>
  | "alarms"
  // CloudWatch metric reads, which AWS does not allow to scope to a resource ("*").
  | "metrics"
  // The function's own log group, /aws/lambda/<fn> (components/lambda-service.ts names it so):
  // arn:<p>:logs:<r>:<a>:log-group:/aws/lambda/<fn>, and the same ARN with ":*", the form the
  // Logs actions' "log-group" resource type is often evaluated against. Nothing else's logs.
  | "logGroup";

/** A set of IAM actions granted on one scope. */
export interface Grant {
  readonly actions: readonly string[];
  readonly scope: ActionScope;
  /**
   * Granted only to stacks with `codeDeployment: release`. A stack whose code `pulumi up`
   * deploys never needs it, and must not have it: UpdateFunctionCode also accepts a zip in
   * the request itself (ZipFile), so it would let the release role run code nobody reviewed.
   */
  readonly artifactModeOnly?: true;
}

/** What one SDK command needs: its own action(s), and further grants AWS checks for it. */
export interface CommandPermission extends Grant {
  /** Permissions on other resources that the same call also needs (artifact-only when the command is). */
  readonly also?: readonly Grant[];
}

export const COMMAND_PERMISSIONS = {
  // --- lambda ---
  GetAliasCommand: { actions: ["lambda:GetAlias"], scope: "alias" },
  UpdateAliasCommand: { actions: ["lambda:UpdateAlias"], scope: "alias" },
  // Called with Qualifier=<version> to read the target's State, Role and CodeSha256 (preflight),
  // and in artifact mode with Qualifier=$LATEST for the RevisionId UpdateFunctionCode is guarded by.
  GetFunctionConfigurationCommand: {
    actions: ["lambda:GetFunctionConfiguration"],
    scope: "versions",
    also: [{ actions: ["lambda:GetFunctionConfiguration"], scope: "latest", artifactModeOnly: true }],
  },
  // Sent unqualified, by the SDK waiter waitUntilFunctionUpdatedV2 and after it, only while
  // waiting for an artifact-mode code update.
  GetFunctionCommand: { actions: ["lambda:GetFunction"], scope: "function", artifactModeOnly: true },
  // Artifact mode: the highest version before publishing, to tell a new version from an old one.
  ListVersionsByFunctionCommand: { actions: ["lambda:ListVersionsByFunction"], scope: "function", artifactModeOnly: true },
  // Called with Qualifier=<alias> and Qualifier=<version> to see whether provisioned
  // concurrency is configured and READY; authorised on the alias or version ARN ("aliasQualifier").
  GetProvisionedConcurrencyConfigCommand: {
    actions: ["lambda:GetProvisionedConcurrencyConfig"],
    scope: "versions",
    also: [{ actions: ["lambda:GetProvisionedConcurrencyConfig"], scope: "aliasQualifier" }],
  },
  // Called with Qualifier=<alias> to find the API Gateway permission on the alias.
  GetPolicyCommand: { actions: ["lambda:GetPolicy"], scope: "alias" },
  // The API operation is Invoke but the IAM action is lambda:InvokeFunction; smoke events go
  // to the target version (Qualifier=<version>), never to an alias or $LATEST (see
  // NEVER_INVOKED in components/deployer-role.ts).
  InvokeCommand: { actions: ["lambda:InvokeFunction"], scope: "versions" },
  UpdateFunctionCodeCommand: {
    actions: ["lambda:UpdateFunctionCode"],
    scope: "function",
    artifactModeOnly: true,
    // Lambda fetches the S3 object with the caller's permissions: s3:GetObject on the key,
    // and s3:GetObjectVersion when S3ObjectVersion is given (the release pins the version the
    // versioned bucket returned).
    also: [{ actions: ["s3:GetObject", "s3:GetObjectVersion"], scope: "artifacts" }],
  },
  PublishVersionCommand: { actions: ["lambda:PublishVersion"], scope: "function", artifactModeOnly: true },
  // --- s3 (artifact mode) ---
  PutObjectCommand: { actions: ["s3:PutObject"], scope: "artifacts", artifactModeOnly: true },
  // HEAD needs s3:GetObject (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
  // s3:ListBucket is deliberately not granted: without it a missing key answers 403 rather
  // than 404, which the CLI reads as "not uploaded yet" (keys are content-addressed, so a
  // repeated upload is harmless), and the role cannot list the bucket.
  HeadObjectCommand: { actions: ["s3:GetObject"], scope: "artifacts", artifactModeOnly: true },
  // --- cloudwatch ---
  // DescribeAlarms supports alarm ARNs for metric alarms; composite alarms are only
  // returned when the permission is scoped to "*", so the stack's health alarms must be metric
  // alarms (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
  DescribeAlarmsCommand: { actions: ["cloudwatch:DescribeAlarms"], scope: "alarms" },
  // GetMetricData has no resource type in the Service Authorization Reference: "*" only.
  GetMetricDataCommand: { actions: ["cloudwatch:GetMetricData"], scope: "metrics" },
  // --- logs ---
  // The live evidence source tails the function's log group for its per-request EMF documents
  // (release/evidence/live-tail/). Live Tail is billed per session-minute; see docs.
  StartLiveTailCommand: { actions: ["logs:StartLiveTail"], scope: "logGroup" },
} as const satisfies Record<string, CommandPermission>;

/**
 * Commands only `prune` sends. They are deliberately NOT in COMMAND_PERMISSIONS, so the
 * DeployerRole (which is built from that table) never gets them: a release must not be able to
 * delete a version or an artifact. Prune runs with a separate, optional grant (PRUNE_GRANTS,
 * documented in the README under "Pruning"). ListVersionsByFunction, which prune also sends, is
 * in the deployer's table (artifact mode only) and in PRUNE_GRANTS.
 */
export const PRUNE_ONLY_COMMANDS = {
  ListAliasesCommand: ["lambda:ListAliases"],
  // Sent with Qualifier=<version>: deletes that version only. "You can't delete a version that
  // an alias references" (https://docs.aws.amazon.com/lambda/latest/api/API_DeleteFunction.html).
  DeleteFunctionCommand: ["lambda:DeleteFunction"],
  // ListObjectsV2 is authorised by s3:ListBucket on the bucket
  // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html, Permissions).
  ListObjectsV2Command: ["s3:ListBucket"],
  // Without VersionId this only adds a delete marker in the versioned bucket; the object version
  // becomes noncurrent and the bucket's lifecycle rule expires it (components/artifact-bucket.ts).
  DeleteObjectCommand: ["s3:DeleteObject"],
} as const satisfies Record<string, readonly string[]>;

export type PruneOnlyCommandName = keyof typeof PRUNE_ONLY_COMMANDS;

/** A command of the deployer's table. */
export type CommandName = keyof typeof COMMAND_PERMISSIONS;
/** Every command name `callAws` accepts: the deployer's table and prune's. */
export type AwsCommandName = CommandName | PruneOnlyCommandName;

export function isPruneOnlyCommand(name: string): name is PruneOnlyCommandName {
  return Object.prototype.hasOwnProperty.call(PRUNE_ONLY_COMMANDS, name);
}

/** Where the optional prune grant applies. */
export interface PruneResources {
  readonly functionArn: string;
  readonly artifactBucket: string;
  readonly artifactKeyPrefix: string;
}

/**
 * The optional grant `prune` needs, for a role or user other than the deployer. Version
 * deletion is scoped to numbered versions (`:1*` … `:9*`, as the deployer's "versions" scope):
 * `lambda:DeleteFunction` on the unqualified ARN would let it delete the whole function.
 * Listing is scoped to the artifact prefix with the `s3:prefix` condition key.
 */
export interface PruneStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: string[];
  readonly Resource: string[];
  readonly Condition?: Record<string, Record<string, string>>;
}

export function prunePolicy(r: PruneResources): { Version: "2012-10-17"; Statement: PruneStatement[] } {
  const partition = r.functionArn.split(":")[1] ?? "aws";
  const versions = ["1", "2", "3", "4", "5", "6", "7", "8", "9"].map((d) => `${r.functionArn}:${d}*`);
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "ListFunction", Effect: "Allow", Action: ["lambda:ListAliases", "lambda:ListVersionsByFunction"], Resource: [r.functionArn] },
      { Sid: "DeleteVersions", Effect: "Allow", Action: ["lambda:DeleteFunction"], Resource: versions },
      { Sid: "ListArtifacts", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [`arn:${partition}:s3:::${r.artifactBucket}`], Condition: { StringLike: { "s3:prefix": `${r.artifactKeyPrefix}*` } } },
      { Sid: "DeleteArtifacts", Effect: "Allow", Action: ["s3:DeleteObject"], Resource: [`arn:${partition}:s3:::${r.artifactBucket}/${r.artifactKeyPrefix}*`] },
      // Which versions an alias ran lately (Lambda's Invocations): GetMetricData has no resource type, "*" only.
      { Sid: "RecentInvocations", Effect: "Allow", Action: ["cloudwatch:GetMetricData"], Resource: ["*"] },
    ],
  };
}

/**
 * Every grant one command needs: its own actions first, then the `also` grants, each marked
 * artifact-mode-only when it or its command is. With `mode`, only the grants that mode gets.
 */
export function grantsFor(command: CommandName, mode?: CodeDeployment): readonly Grant[] {
  const entry: CommandPermission = COMMAND_PERMISSIONS[command];
  const mark = (g: Grant): Grant => (entry.artifactModeOnly === true || g.artifactModeOnly === true ? { actions: g.actions, scope: g.scope, artifactModeOnly: true } : { actions: g.actions, scope: g.scope });
  const all = [mark(entry), ...(entry.also ?? []).map(mark)];
  return mode === undefined || mode === "release" ? all : all.filter((g) => g.artifactModeOnly !== true);
}

/** Every IAM action one command needs, e.g. to name the missing one in an AccessDenied report. */
export function actionsFor(command: AwsCommandName): readonly string[] {
  if (isPruneOnlyCommand(command)) return PRUNE_ONLY_COMMANDS[command];
  return grantsFor(command).flatMap((g) => g.actions);
}

/** Whether the command is in the deployer's table (prune-only commands are not: see PRUNE_ONLY_COMMANDS). */
export function isCommandName(name: string): name is CommandName {
  return Object.prototype.hasOwnProperty.call(COMMAND_PERMISSIONS, name);
}
