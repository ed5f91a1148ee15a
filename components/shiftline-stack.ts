/**
 * ShiftlineStack: everything one environment runs — artifact bucket, tables, the API
 * function with its aliases and alarms, the REST API stages and (where this stack owns it)
 * the API Gateway account's CloudWatch role — wired from the validated stack config.
 * Its `outputs` are exactly the stack outputs the release step reads (release/inputs/stack-outputs.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { ROUTES, type Route } from "../lambda-src/routes";
import { TABLES, type TableSpec } from "../lambda-src/tables";
import { TABLE_ACTIONS } from "../lambda-src/permissions";
import { LAMBDA_HANDLER } from "../lambda-src/build";
import { ApiGatewayAccount } from "./api-gateway-account";
import { ArtifactBucket, artifactKeyPrefix } from "./artifact-bucket";
import { DeployerRole } from "./deployer-role";
import { packageFor, type FunctionPackage } from "./build-manifest";
import type { StackConfig } from "./config";
import { LambdaService } from "./lambda-service";
import { childName, throwIfProblems, type ArgProblem } from "./naming";
import { RestApiStages } from "./rest-api-stages";
import { StageAlarms } from "./stage-alarms";
import { ServiceTables } from "./service-tables";
import type { TableGrant } from "./policies";

/** The function that serves the HTTP API. */
export const API_FUNCTION = "api";

export interface ShiftlineStackArgs {
  /** Validated stack config (components/config.ts `loadConfig`). Required. */
  readonly config: StackConfig;
  /** Built packages (components/build-manifest.ts). Required; must include the api function. */
  readonly packages: readonly FunctionPackage[];
  /** Routes the API serves. Defaults to lambda-src/routes.ts ROUTES. */
  readonly routes?: readonly Route[];
  /** Tables the service uses. Defaults to lambda-src/tables.ts TABLES. */
  readonly tables?: Readonly<Record<string, TableSpec>>;
  /** DynamoDB actions per table key. Defaults to lambda-src/permissions.ts TABLE_ACTIONS. */
  readonly tableActions?: Readonly<Record<string, readonly string[]>>;
}

export interface ResolvedShiftlineStackArgs extends Required<ShiftlineStackArgs> {
  readonly apiPackage: FunctionPackage;
}

/** Applies defaults and checks the pieces fit together; throws listing every problem. */
export function resolveShiftlineStackArgs(args: ShiftlineStackArgs): ResolvedShiftlineStackArgs {
  const tables: Readonly<Record<string, TableSpec>> = args.tables ?? TABLES;
  const tableActions: Readonly<Record<string, readonly string[]>> = args.tableActions ?? TABLE_ACTIONS;
  const r = { ...args, routes: args.routes ?? ROUTES, tables, tableActions };
  const problems: ArgProblem[] = [];
  for (const key of Object.keys(r.tables)) {
    if (r.tableActions[key] === undefined) problems.push([`tableActions.${key}`, undefined, "every table needs the list of actions its handlers call (lambda-src/permissions.ts)."]);
  }
  for (const key of Object.keys(r.tableActions)) {
    if (r.tables[key] === undefined) problems.push([`tableActions.${key}`, r.tableActions[key], "names a table that is not in the table specs (lambda-src/tables.ts)."]);
  }
  const foreign = r.routes.filter((route) => route.function !== API_FUNCTION);
  if (foreign.length > 0) problems.push(["routes", foreign.map((f) => `${f.method} ${f.path}`), `only the ${API_FUNCTION} function serves HTTP routes in this stack.`]);
  throwIfProblems("ShiftlineStack", problems);
  return { ...r, apiPackage: packageFor(r.packages, API_FUNCTION) };
}

/** Stack outputs as Pulumi values; resolved, they satisfy `stackOutputsSchema`. */
export interface ShiftlineOutputs {
  readonly environment: string;
  readonly region: string;
  readonly functionName: pulumi.Output<string>;
  readonly latestVersion: pulumi.Output<string>;
  readonly aliases: pulumi.Output<string[]>;
  readonly stages: Readonly<Record<string, { stageName: string; alias: string; restApiId: pulumi.Output<string>; invokeUrl: pulumi.Output<string> }>>;
  readonly alarmNames: Readonly<Record<string, pulumi.Output<string[]>>>;
  readonly artifactBucket: pulumi.Output<string>;
  readonly artifactKeyPrefix: string;
  readonly codeDeployment: StackConfig["codeDeployment"];
  /** Where the function writes its request metrics, for the release step's evidence. */
  readonly requestMetrics: { readonly namespace: string; readonly serviceName: string; readonly logGroupArn: pulumi.Output<string> };
  readonly release: StackConfig["release"];
}

export class ShiftlineStack extends pulumi.ComponentResource {
  public readonly outputs: ShiftlineOutputs;
  /** Resolves only after every Lambda permission of every stage exists. */
  public readonly ready: pulumi.Output<boolean>;
  /** Unqualified function ARN and every alarm ARN: what a DeployerRole scopes its policy to. */
  public readonly functionArn: pulumi.Output<string>;
  public readonly alarmArns: pulumi.Output<string[]>;
  /** The release step's least-privilege CI role; only when `shiftline:deployer` is set. */
  public readonly deployerRoleArn?: pulumi.Output<string>;

  constructor(name: string, args: ShiftlineStackArgs, opts?: pulumi.ComponentResourceOptions) {
    // Every argument problem is reported before anything, this component included, is registered.
    const a = resolveShiftlineStackArgs(args);
    super("shiftline:app:ShiftlineStack", name, {}, opts);
    const c = a.config;
    const parent = { parent: this };

    const artifacts = new ArtifactBucket(childName(name, "artifacts"), { packages: a.packages, noncurrentVersionExpirationDays: c.artifactNoncurrentDays }, parent);
    const tables = new ServiceTables(childName(name, "tables"), { tables: a.tables, protect: c.tableProtection }, parent);

    const environment: Record<string, pulumi.Input<string>> = { POWERTOOLS_SERVICE_NAME: c.serviceName, POWERTOOLS_METRICS_NAMESPACE: c.metricsNamespace };
    const grants: Record<string, TableGrant> = {};
    for (const [key, spec] of Object.entries(a.tables)) {
      environment[spec.env] = tables.tableNames[key];
      grants[key] = { arn: tables.tableArns[key], actions: a.tableActions[key] };
    }

    const service = new LambdaService(
      childName(name, API_FUNCTION),
      {
        functionName: `${c.namePrefix}-${API_FUNCTION}`,
        code: artifacts.objects[API_FUNCTION],
        handler: LAMBDA_HANDLER,
        codeDeployment: c.codeDeployment,
        memorySize: c.memorySize,
        timeoutSeconds: c.timeoutSeconds,
        logLevel: c.logLevel,
        logRetentionDays: c.logRetentionDays,
        environment,
        aliases: c.aliases,
        provisionedConcurrency: c.provisionedConcurrency,
        tables: grants,
        alarms: c.alarms,
        requestMetrics: { namespace: c.metricsNamespace, serviceName: c.serviceName },
      },
      parent,
    );

    const account = c.manageApiGatewayAccount ? new ApiGatewayAccount(childName(name, "apigw"), { region: c.region }, parent) : undefined;
    const api = new RestApiStages(
      childName(name, "http"),
      {
        routes: a.routes,
        functionArn: service.functionArn,
        functionName: service.functionName,
        region: c.region,
        stages: c.stages,
        aliases: service.aliases,
        logRetentionDays: c.logRetentionDays,
        throttlingRateLimit: c.api.throttlingRateLimit,
        throttlingBurstLimit: c.api.throttlingBurstLimit,
        metricsEnabled: c.api.metricsEnabled,
        executionLogLevel: c.api.executionLogLevel,
        accountSettings: account?.account,
      },
      parent,
    );

    // Each stage's own 5xx alarm joins the alarms of the alias it serves: the release step
    // watches what callers of every stage on that alias see.
    const stageAlarms = Object.entries(c.stages).map(([stageName, alias]) => ({
      alias,
      alarms: new StageAlarms(
        childName(name, `stage-alarms-${stageName}`),
        { apiName: api.restApiName, stageName, serverErrorRatePercent: c.alarms.serverErrorRatePercent, evaluationPeriods: c.alarms.evaluationPeriods, periodSeconds: Math.max(60, Math.ceil(c.alarms.periodSeconds / 60) * 60) },
        parent,
      ),
    }));
    const alarmNames: Record<string, pulumi.Output<string[]>> = Object.fromEntries(
      Object.entries(service.alarmNames).map(([alias, names]) => [
        alias,
        pulumi.all([names, pulumi.all(stageAlarms.filter((s) => s.alias === alias).map((s) => s.alarms.alarmName))]).apply(([own, staged]) => [...own, ...staged]),
      ]),
    );
    const alarmArns = pulumi.all([service.alarmArns, pulumi.all(stageAlarms.map((s) => s.alarms.alarmArn))]).apply(([own, staged]) => [...own, ...staged]);

    if (c.deployer !== undefined) {
      // Scoped to exactly what this stack's release step touches: this function and its
      // aliases, this artifact prefix and these alarms, and code uploads only in artifact
      // mode (see components/deployer-role.ts).
      const deployer = new DeployerRole(
        childName(name, "deployer"),
        {
          ...c.deployer,
          functionArn: service.functionArn,
          aliasNames: c.aliases,
          artifactBucket: artifacts.bucketName,
          artifactKeyPrefix: artifactKeyPrefix(API_FUNCTION),
          codeDeployment: c.codeDeployment,
          alarmArns,
        },
        parent,
      );
      this.deployerRoleArn = deployer.roleArn;
    }

    this.ready = api.ready;
    this.functionArn = service.functionArn;
    this.alarmArns = alarmArns;
    this.outputs = {
      environment: c.environment,
      region: c.region,
      functionName: service.functionName,
      latestVersion: service.latestVersion,
      aliases: pulumi.all(service.aliasNames),
      stages: api.stages,
      alarmNames,
      artifactBucket: artifacts.bucketName,
      artifactKeyPrefix: artifactKeyPrefix(API_FUNCTION),
      codeDeployment: c.codeDeployment,
      requestMetrics: { namespace: c.metricsNamespace, serviceName: c.serviceName, logGroupArn: service.logGroupArn },
      release: c.release,
    };
    this.registerOutputs({ ...this.outputs, ready: this.ready, functionArn: this.functionArn, alarmArns: this.alarmArns, deployerRoleArn: this.deployerRoleArn });
  }
}
