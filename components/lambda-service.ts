/**
 * LambdaService: one function with its execution role, log group, aliases, optional
 * provisioned concurrency and per-alias alarms.
 *
 * `pulumi up` publishes a new version whenever the code or configuration changes, but the
 * aliases are created once at the then-published version and afterwards never written by Pulumi:
 * moving traffic is the release step's job, and Pulumi must not undo a weighted routing config
 * it is halfway through.
 *
 * Ignoring functionVersion and routingConfig alone is not enough. With `ignoreChanges` the engine
 * substitutes the value stored in the state for an ignored input
 * (https://www.pulumi.com/docs/iac/concepts/options/ignorechanges/), and the provider's
 * UpdateAlias always sends Description, FunctionVersion and RoutingConfig together
 * (hashicorp/terraform-provider-aws internal/service/lambda/alias.go, resourceAliasUpdate). So
 * any update of the alias, say a new description, would send the creation-time version and no
 * weights: `live` back on its first version, a split in progress wiped. Hence every input the
 * provider can update in place is ignored (the engine then never plans an update), and the
 * inputs it replaces the alias on are guarded by `protect`: a replacement would create a new
 * alias at the version this update published, bypassing the release step, and the engine
 * refuses to replace or delete a protected resource
 * (https://www.pulumi.com/docs/iac/concepts/options/protect/).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AliasAlarms } from "./alias-alarms";
import type { ArtifactObject } from "./artifact-bucket";
import { requireRealObjectVersion } from "./artifact-upload";
import { isLogRetention, LOG_RETENTION_RULE } from "./log-retention";
import { childName, throwIfProblems, type ArgProblem } from "./naming";
import { executionRolePolicy, serviceTrustPolicy, type TableGrant } from "./policies";

export const LAMBDA_RUNTIME = "nodejs22.x";
export const LAMBDA_ARCHITECTURE = "arm64";
/**
 * Every aws.lambda.Alias input the provider updates in place (UpdateAlias): all ignored, so no
 * program change can plan an update of an existing alias.
 */
export const ALIAS_UPDATABLE_PROPERTIES = ["description", "functionVersion", "routingConfig"];
/**
 * The aws.lambda.Alias inputs the provider replaces the alias on: `function_name` and `name` are
 * ForceNew (terraform-provider-aws internal/service/lambda/alias.go) and so is the per-resource
 * `region` (terraform-provider-aws website/docs/guides/enhanced-region-support: "Changing the
 * value of region will force resource replacement"). The alias is protected against those.
 */
export const ALIAS_REPLACEMENT_PROPERTIES = ["functionName", "name", "region"];
/** The alias description; constant, so it never differs between program versions. */
export const ALIAS_DESCRIPTION = "Traffic is moved by the release step, not by pulumi up.";
/**
 * Lambda's application log levels (LoggingConfig.ApplicationLogLevel,
 * https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html).
 */
export const LAMBDA_APPLICATION_LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"] as const;
export type LambdaApplicationLogLevel = (typeof LAMBDA_APPLICATION_LOG_LEVELS)[number];
/** Code properties the release step owns in `codeDeployment: release` (artifact mode). */
export const RELEASE_OWNED_CODE_PROPERTIES = ["s3Bucket", "s3Key", "s3ObjectVersion", "sourceCodeHash"];

export interface LambdaServiceArgs {
  /** Physical function name; fixed so the log group `/aws/lambda/<name>` can exist first. Required. */
  readonly functionName: string;
  /** The uploaded package (bucket, key, object version, sha256). Required. */
  readonly code: ArtifactObject;
  /** Handler inside the zip, passed straight to the function. Defaults to index.handler. */
  readonly handler?: aws.lambda.FunctionArgs["handler"];
  /** `pulumi` deploys code changes; `release` leaves them to the release CLI (code properties ignored). Defaults to pulumi. */
  readonly codeDeployment?: "pulumi" | "release";
  /** Memory in MB. Defaults to 256. */
  readonly memorySize?: number;
  /** Timeout in seconds. Defaults to 10. */
  readonly timeoutSeconds?: number;
  /** Retention of `/aws/lambda/<name>`. Defaults to 30 days. */
  readonly logRetentionDays?: number;
  /**
   * Level of the function's own logs: Lambda's application log level and POWERTOOLS_LOG_LEVEL.
   * Defaults to INFO.
   */
  readonly logLevel?: LambdaApplicationLogLevel;
  /** Environment variables. Defaults to none. */
  readonly environment?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Alias names to create. Defaults to ["live"]. */
  readonly aliases?: readonly string[];
  /** Alias → provisioned concurrent executions. Defaults to {} (none). */
  readonly provisionedConcurrency?: Readonly<Record<string, number>>;
  /** Tables the function may use, with exactly the actions its handlers call. Defaults to none. */
  readonly tables?: Readonly<Record<string, TableGrant>>;
  /** Alarm thresholds applied to every alias; see AliasAlarmsArgs for each default. */
  readonly alarms?: {
    readonly errorsThreshold?: number;
    readonly throttlesThreshold?: number;
    readonly p99DurationMs?: number;
    readonly periodSeconds?: number;
    readonly evaluationPeriods?: number;
    readonly serverErrorRatePercent?: number;
  };
  /** Where the function writes its request metrics, for the server-error-rate alarm. Defaults to none (no such alarm). */
  readonly requestMetrics?: { readonly namespace: string; readonly serviceName: string };
}

export interface ResolvedLambdaServiceArgs
  extends Required<Omit<LambdaServiceArgs, "alarms" | "requestMetrics">>,
    Pick<LambdaServiceArgs, "alarms" | "requestMetrics"> {}

const ALIAS = /^(?!\d+$)[A-Za-z0-9_-]{1,128}$/;

/** Applies defaults and validates; throws listing every problem. */
export function resolveLambdaServiceArgs(args: LambdaServiceArgs): ResolvedLambdaServiceArgs {
  const r: ResolvedLambdaServiceArgs = {
    ...args,
    handler: args.handler ?? "index.handler",
    codeDeployment: args.codeDeployment ?? "pulumi",
    memorySize: args.memorySize ?? 256,
    timeoutSeconds: args.timeoutSeconds ?? 10,
    logRetentionDays: args.logRetentionDays ?? 30,
    logLevel: args.logLevel ?? "INFO",
    environment: args.environment ?? {},
    aliases: args.aliases ?? ["live"],
    provisionedConcurrency: args.provisionedConcurrency ?? {},
    tables: args.tables ?? {},
  };
  const problems: ArgProblem[] = [];
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(r.functionName)) problems.push(["functionName", r.functionName, "must be 1-64 letters, digits, hyphens or underscores."]);
  if (!Number.isInteger(r.memorySize) || r.memorySize < 128 || r.memorySize > 10_240) problems.push(["memorySize", r.memorySize, "must be a whole number of MB between 128 and 10240."]);
  if (!Number.isInteger(r.timeoutSeconds) || r.timeoutSeconds < 1 || r.timeoutSeconds > 900) problems.push(["timeoutSeconds", r.timeoutSeconds, "must be a whole number of seconds between 1 and 900."]);
  if (!isLogRetention(r.logRetentionDays)) problems.push(["logRetentionDays", r.logRetentionDays, LOG_RETENTION_RULE]);
  if (!(LAMBDA_APPLICATION_LOG_LEVELS as readonly string[]).includes(r.logLevel)) problems.push(["logLevel", r.logLevel, `must be one of Lambda's application log levels: ${LAMBDA_APPLICATION_LOG_LEVELS.join(", ")}.`]);
  if (r.aliases.length === 0) problems.push(["aliases", r.aliases, "at least one alias is needed for the API to invoke, e.g. [live]."]);
  if (new Set(r.aliases).size !== r.aliases.length) problems.push(["aliases", r.aliases, "each alias may be listed once."]);
  for (const alias of r.aliases) if (!ALIAS.test(alias)) problems.push(["aliases", alias, "an alias name is 1-128 letters, digits, hyphens or underscores, not only digits."]);
  for (const [alias, n] of Object.entries(r.provisionedConcurrency)) {
    if (!r.aliases.includes(alias)) problems.push([`provisionedConcurrency.${alias}`, n, `must name one of the aliases (${r.aliases.join(", ")}).`]);
    if (!Number.isInteger(n) || n < 1) problems.push([`provisionedConcurrency.${alias}`, n, "must be a whole number of executions, at least 1; leave the alias out for none."]);
  }
  for (const [table, grant] of Object.entries(r.tables)) {
    if (grant.actions.length === 0) problems.push([`tables.${table}.actions`, grant.actions, "list the DynamoDB actions the handlers call, or leave the table out."]);
    for (const action of grant.actions) {
      if (!/^dynamodb:[A-Za-z]+$/.test(action)) problems.push([`tables.${table}.actions`, action, "must be one explicit DynamoDB action such as dynamodb:GetItem (no wildcards)."]);
    }
  }
  const p99 = r.alarms?.p99DurationMs;
  if (p99 !== undefined && p99 >= r.timeoutSeconds * 1000) problems.push(["alarms.p99DurationMs", p99, `must be below the timeout (${r.timeoutSeconds * 1000} ms).`]);
  throwIfProblems("LambdaService", problems);
  return r;
}

export class LambdaService extends pulumi.ComponentResource {
  public readonly functionName: pulumi.Output<string>;
  public readonly functionArn: pulumi.Output<string>;
  /** The version the last `pulumi up` published; the aliases may not serve it yet. */
  public readonly latestVersion: pulumi.Output<string>;
  /** Alias names, in the order given. */
  public readonly aliasNames: pulumi.Output<string>[];
  /** Alias name → the alias resource's name output (resolves once the alias exists). */
  public readonly aliases: Readonly<Record<string, pulumi.Output<string>>>;
  /** Alarm names per alias. */
  public readonly alarmNames: Readonly<Record<string, pulumi.Output<string[]>>>;
  /** Every alarm ARN of every alias. */
  public readonly alarmArns: pulumi.Output<string[]>;
  public readonly roleArn: pulumi.Output<string>;
  public readonly logGroupName: pulumi.Output<string>;
  /**
   * The log group's ARN, without `:*` (the provider strips the suffix CloudWatch Logs adds:
   * pulumi-aws's aws.cloudwatch.LogGroup `arn` output), as StartLiveTail takes it.
   */
  public readonly logGroupArn: pulumi.Output<string>;
  /** The function resource, for components that grant or watch it. */
  public readonly function: aws.lambda.Function;

  constructor(name: string, args: LambdaServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    // Every argument problem is reported before anything, this component included, is registered.
    const a = resolveLambdaServiceArgs(args);
    super("shiftline:compute:LambdaService", name, {}, opts);
    const { fn, role, logGroup } = this.declareFunction(name, a);
    const aliases = a.aliases.map((alias) => ({ alias, ...this.declareAlias(name, a, fn, alias) }));

    this.function = fn;
    this.functionName = fn.name;
    this.functionArn = fn.arn;
    this.latestVersion = fn.version;
    this.aliasNames = aliases.map((x) => x.name);
    this.aliases = Object.fromEntries(aliases.map((x) => [x.alias, x.name]));
    this.alarmNames = Object.fromEntries(aliases.map((x) => [x.alias, x.alarms.alarmNames]));
    this.alarmArns = pulumi.all(aliases.map((x) => x.alarms.alarmArns)).apply((lists) => lists.flat());
    this.roleArn = role.arn;
    this.logGroupName = logGroup.name;
    this.logGroupArn = logGroup.arn;
    this.registerOutputs({
      functionName: this.functionName,
      functionArn: this.functionArn,
      latestVersion: this.latestVersion,
      aliasNames: this.aliasNames,
      alarmNames: this.alarmNames,
      alarmArns: this.alarmArns,
      roleArn: this.roleArn,
      logGroupName: this.logGroupName,
      logGroupArn: this.logGroupArn,
    });
  }

  /** The log group, the execution role and the function, which publishes a version on every change. */
  private declareFunction(name: string, a: ResolvedLambdaServiceArgs) {
    const parent = { parent: this };
    // Created before the function (its name is passed below), so Lambda never auto-creates it
    // without retention and the role never needs logs:CreateLogGroup.
    const logGroup = new aws.cloudwatch.LogGroup(childName(name, "logs"), { name: `/aws/lambda/${a.functionName}`, retentionInDays: a.logRetentionDays }, parent);
    const role = new aws.iam.Role(childName(name, "role"), { assumeRolePolicy: serviceTrustPolicy("lambda.amazonaws.com") }, parent);
    const policy = new aws.iam.RolePolicy(childName(name, "policy"), { role: role.id, policy: executionRolePolicy(logGroup.arn, a.tables) }, parent);
    const fn = new aws.lambda.Function(
      childName(name, "function"),
      {
        name: a.functionName,
        role: role.arn,
        runtime: LAMBDA_RUNTIME,
        architectures: [LAMBDA_ARCHITECTURE],
        handler: a.handler,
        s3Bucket: a.code.bucket,
        s3Key: a.code.key,
        // Never empty or "null" (S3's id for an unversioned object): Lambda would take whatever the
        // key holds at that moment, not the package this update uploaded.
        s3ObjectVersion: pulumi.output(a.code.versionId).apply((v) => requireRealObjectVersion(v, `function ${a.functionName}`)),
        sourceCodeHash: a.code.sha256Base64,
        publish: true,
        memorySize: a.memorySize,
        timeout: a.timeoutSeconds,
        environment: { variables: { ...a.environment, POWERTOOLS_LOG_LEVEL: powertoolsLogLevel(a.logLevel) } },
        // With the JSON format and no applicationLogLevel, Lambda applies INFO and tells the
        // function so in AWS_LAMBDA_LOG_LEVEL, which Powertools Logger prefers over
        // POWERTOOLS_LOG_LEVEL (@aws-lambda-powertools/logger lib/cjs/Logger.js,
        // awsLogLevelShortCircuit and setInitialLogLevel), so DEBUG would never show. Lambda also
        // drops lines below applicationLogLevel, counting a JSON line without a "level" as INFO
        // (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html).
        // systemLogLevel INFO (Lambda's default) keeps the START/END/REPORT lines.
        loggingConfig: { logFormat: "JSON", logGroup: logGroup.name, applicationLogLevel: a.logLevel, systemLogLevel: "INFO" },
      },
      {
        parent: this,
        // The role's inline policy must exist before the first invocation can log or read tables.
        dependsOn: [policy],
        ignoreChanges: a.codeDeployment === "release" ? RELEASE_OWNED_CODE_PROPERTIES : [],
      },
    );
    return { fn, role, logGroup };
  }

  /** One alias at the version published now, its provisioned concurrency and its alarms. */
  private declareAlias(name: string, a: ResolvedLambdaServiceArgs, fn: aws.lambda.Function, aliasName: string) {
    // Later versions reach the alias only through the release step.
    const alias = new aws.lambda.Alias(
      childName(name, `alias-${aliasName}`),
      // No `region`: the alias lives in the provider's region, like the function.
      { name: aliasName, functionName: fn.name, functionVersion: fn.version, description: ALIAS_DESCRIPTION },
      { parent: this, ignoreChanges: ALIAS_UPDATABLE_PROPERTIES, protect: true },
    );
    const concurrency = a.provisionedConcurrency[aliasName];
    if (concurrency !== undefined) {
      // Bound to the alias, not a version, so it follows the versions the release step routes to.
      // https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html
      new aws.lambda.ProvisionedConcurrencyConfig(
        childName(name, `concurrency-${aliasName}`),
        { functionName: fn.name, qualifier: alias.name, provisionedConcurrentExecutions: concurrency },
        { parent: this },
      );
    }
    const alarms = new AliasAlarms(childName(name, `alarms-${aliasName}`), { functionName: a.functionName, alias: aliasName, ...a.alarms, requestMetrics: a.requestMetrics }, { parent: this });
    return { name: alias.name, alarms };
  }
}

/**
 * Powertools' name for a Lambda application log level: the same word, except FATAL, which
 * Powertools calls CRITICAL (it maps AWS_LAMBDA_LOG_LEVEL=FATAL the same way, Logger.js).
 */
export function powertoolsLogLevel(level: LambdaApplicationLogLevel): string {
  return level === "FATAL" ? "CRITICAL" : level;
}
