/**
 * RestApiStages: one regional REST API built from the route table, whose stages each pick a
 * Lambda alias through the `lambdaAlias` stage variable (one stage per stack by default, or
 * several stages on one API, each on its own alias).
 *
 * - The API is one OpenAPI body (components/openapi.ts) imported with `putRestApiMode:
 *   "overwrite"`, so the API always holds exactly the route table; every method is an
 *   AWS_PROXY integration to `<function arn>:${stageVariables.lambdaAlias}`, every route path
 *   also has an ANY method (the function answers 405), and unknown paths get a JSON 404.
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/aws-api-gateway-stage-variables-reference.html
 * - One Lambda permission per (stage, route), and one per (stage, path) for the ANY method, on
 *   the stage's alias (`qualifier`), with a sourceArn scoped to this API, stage and path (and
 *   method, except for ANY). A permission on an alias does not cover the unqualified function.
 *   https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html#versioning-permissions-alias
 * - The Deployment is replaced when the hash of the OpenAPI body changes (`triggers`).
 * - Each stage's execution log group is declared with retention before the stage, because API
 *   Gateway would otherwise create `API-Gateway-Execution-Logs_<api id>/<stage>` itself, kept forever.
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/view-cloudwatch-log-events-in-cloudwatch-console.html
 * - Each stage's invoke URL resolves only after every permission exists (`ready`).
 */
import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Route } from "../lambda-src/routes";
import { ACCESS_LOG_GROUP_PREFIX, EXECUTION_LOG_GROUP_PREFIX } from "./api-gateway-account";
import { isLogRetention, LOG_RETENTION_RULE } from "./log-retention";
import { childName, throwIfProblems, type ArgProblem } from "./naming";
import { ALIAS_STAGE_VARIABLE, ALIAS_STAGE_VARIABLE_REF, openApiDefinition, routePaths } from "./openapi";

export { ALIAS_STAGE_VARIABLE, ALIAS_STAGE_VARIABLE_REF } from "./openapi";

/** One JSON object per request in each stage's access log. */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  requestTime: "$context.requestTime",
  sourceIp: "$context.identity.sourceIp",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  stage: "$context.stage",
  status: "$context.status",
  responseLength: "$context.responseLength",
  responseLatency: "$context.responseLatency",
  integrationStatus: "$context.integration.status",
  integrationLatency: "$context.integration.latency",
  integrationError: "$context.integration.error",
  errorMessage: "$context.error.message",
});

export interface RestApiStagesArgs {
  /** Routes to serve (lambda-src/routes.ts ROUTES). Required, at least one. */
  readonly routes: readonly Route[];
  /** ARN of the (unqualified) function; the stage variable appends the alias. Required. */
  readonly functionArn: pulumi.Input<string>;
  /** Name of the function, for the Lambda permissions. Required. */
  readonly functionName: pulumi.Input<string>;
  /** AWS region of the API and the function. Required. */
  readonly region: string;
  /** Stage name → alias name. Required, at least one. */
  readonly stages: Readonly<Record<string, string>>;
  /** Alias name → the alias resource's name output (so permissions wait for the alias). Must cover every stage's alias. */
  readonly aliases: Readonly<Record<string, pulumi.Input<string>>>;
  /** Retention of each stage's access and execution log groups. Defaults to 30 days. */
  readonly logRetentionDays?: number;
  /** Steady-state requests per second per stage. Defaults to 100. */
  readonly throttlingRateLimit?: number;
  /** Burst per stage. Defaults to 200. */
  readonly throttlingBurstLimit?: number;
  /** Per-method CloudWatch metrics. Defaults to true. */
  readonly metricsEnabled?: boolean;
  /** Execution log level: OFF, ERROR or INFO. Defaults to ERROR. */
  readonly executionLogLevel?: "OFF" | "ERROR" | "INFO";
  /** The API Gateway account settings, when this stack manages them: stages wait for the CloudWatch role. Defaults to none. */
  readonly accountSettings?: pulumi.Resource;
}

export type ResolvedRestApiStagesArgs = Required<Omit<RestApiStagesArgs, "accountSettings">> & Pick<RestApiStagesArgs, "accountSettings">;

/** One stage as the release step sees it. */
export interface StageInfo {
  readonly stageName: string;
  readonly alias: string;
  readonly restApiId: pulumi.Output<string>;
  /** Resolves only after every Lambda permission exists. */
  readonly invokeUrl: pulumi.Output<string>;
}

/** A stage's access log group: `API-Gateway-Access-Logs_<component name>/<stage>`. */
export const accessLogGroupName = (name: string, stageName: string): string => `${ACCESS_LOG_GROUP_PREFIX}${name}/${stageName}`;

/** `/todo/{todoId}` → `todo/*`: the resource part of an execute-api ARN. */
export function sourceArnPath(path: string): string {
  return path.replace(/^\//, "").replace(/\{[^}]+\}/g, "*");
}

/** `/todo/{todoId}` → `todo-todoId`, for resource names. */
export const pathSlug = (path: string): string => path.replace(/[{}]/g, "").replace(/^\//, "").replace(/\//g, "-") || "root";

/** Applies defaults and validates; throws listing every problem. */
export function resolveRestApiStagesArgs(args: RestApiStagesArgs): ResolvedRestApiStagesArgs {
  const r: ResolvedRestApiStagesArgs = {
    ...args,
    logRetentionDays: args.logRetentionDays ?? 30,
    throttlingRateLimit: args.throttlingRateLimit ?? 100,
    throttlingBurstLimit: args.throttlingBurstLimit ?? 200,
    metricsEnabled: args.metricsEnabled ?? true,
    executionLogLevel: args.executionLogLevel ?? "ERROR",
  };
  const problems: ArgProblem[] = [];
  if (r.routes.length === 0) problems.push(["routes", r.routes, "at least one route is needed (lambda-src/routes.ts)."]);
  const seen = new Set<string>();
  for (const [i, route] of r.routes.entries()) {
    const id = `${route.method} ${route.path}`;
    if (seen.has(id)) problems.push([`routes[${i}]`, id, "each method and path may appear once in the route table."]);
    seen.add(id);
    if (!/^\/([\w-]+|\{\w+\})(\/([\w-]+|\{\w+\}))*$/.test(route.path)) problems.push([`routes[${i}].path`, route.path, "must be /segment/{param}/… with letters, digits, - or _ in each segment."]);
  }
  // Permission names are built from path slugs, so two paths with one slug would collide.
  const bySlug = new Map<string, string>();
  for (const path of routePaths(r.routes)) {
    const other = bySlug.get(pathSlug(path));
    if (other !== undefined) problems.push(["routes", [other, path], "these paths give the same resource name; rename one (e.g. /a-b and /a/b cannot both be routes)."]);
    bySlug.set(pathSlug(path), path);
  }
  if (Object.keys(r.stages).length === 0) problems.push(["stages", r.stages, "at least one stage is needed, e.g. {prod: live}."]);
  for (const [stage, alias] of Object.entries(r.stages)) {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(stage)) problems.push([`stages.${stage}`, stage, "a stage name is 1-128 letters, digits, hyphens or underscores."]);
    if (!(alias in r.aliases)) problems.push([`stages.${stage}`, alias, `selects an alias that does not exist (aliases: ${Object.keys(r.aliases).join(", ") || "none"}).`]);
  }
  if (!isLogRetention(r.logRetentionDays)) problems.push(["logRetentionDays", r.logRetentionDays, LOG_RETENTION_RULE]);
  if (!["OFF", "ERROR", "INFO"].includes(r.executionLogLevel)) problems.push(["executionLogLevel", r.executionLogLevel, "must be OFF, ERROR or INFO."]);
  if (!(r.throttlingRateLimit >= 0)) problems.push(["throttlingRateLimit", r.throttlingRateLimit, "must be a number of requests per second, 0 or more."]);
  if (!Number.isInteger(r.throttlingBurstLimit) || r.throttlingBurstLimit < 0) problems.push(["throttlingBurstLimit", r.throttlingBurstLimit, "must be a whole number, 0 or more."]);
  throwIfProblems("RestApiStages", problems);
  return r;
}

export class RestApiStages extends pulumi.ComponentResource {
  public readonly restApiId: pulumi.Output<string>;
  /** The API's name: the `ApiName` dimension of API Gateway's metrics. */
  public readonly restApiName: pulumi.Output<string>;
  public readonly executionArn: pulumi.Output<string>;
  /** Stage name → stage info. */
  public readonly stages: Readonly<Record<string, StageInfo>>;
  /** Resolves (to true) only after every Lambda permission exists. */
  public readonly ready: pulumi.Output<boolean>;
  /** The OpenAPI document the API is imported from (JSON). */
  public readonly definition: pulumi.Output<string>;
  /** SHA-256 of the OpenAPI document; a change triggers a new Deployment. */
  public readonly definitionHash: pulumi.Output<string>;

  constructor(name: string, args: RestApiStagesArgs, opts?: pulumi.ComponentResourceOptions) {
    // Every argument problem is reported before anything, this component included, is registered.
    const a = resolveRestApiStagesArgs(args);
    super("shiftline:api:RestApiStages", name, {}, opts);
    const { api, deployment, definition, definitionHash } = this.declareApi(name, a);
    const declared = Object.entries(a.stages).map(([stageName, alias]) => ({ stageName, alias, ...this.declareStage(name, a, api, deployment, stageName, alias) }));

    this.ready = pulumi.all(declared.flatMap((d) => d.permissionIds)).apply(() => true);
    this.stages = Object.fromEntries(
      declared.map((d) => [d.stageName, { stageName: d.stageName, alias: d.alias, restApiId: api.id, invokeUrl: pulumi.all([d.invokeUrl, this.ready]).apply(([url]) => url) }]),
    );
    this.restApiId = api.id;
    this.restApiName = api.name;
    this.executionArn = api.executionArn;
    this.definition = definition;
    this.definitionHash = definitionHash;
    this.registerOutputs({ restApiId: this.restApiId, restApiName: this.restApiName, executionArn: this.executionArn, stages: this.stages, ready: this.ready, definitionHash: this.definitionHash });
  }

  /** The API imported from the OpenAPI body, and the Deployment of that body. */
  private declareApi(name: string, a: ResolvedRestApiStagesArgs) {
    const partition = aws.getPartitionOutput({}, { parent: this }).partition;
    const uri = pulumi.interpolate`arn:${partition}:apigateway:${a.region}:lambda:path/2015-03-31/functions/${a.functionArn}:${ALIAS_STAGE_VARIABLE_REF}/invocations`;
    const definition = uri.apply((integrationUri) => JSON.stringify(openApiDefinition({ routes: a.routes, integrationUri, title: name })));
    const definitionHash = definition.apply((body) => createHash("sha256").update(body).digest("hex"));
    const api = new aws.apigateway.RestApi(
      childName(name, "api"),
      {
        endpointConfiguration: { types: "REGIONAL" },
        description: "shiftline HTTP API",
        body: definition,
        // The default for updates is merge, which would keep removed routes; overwrite makes the API exactly the body.
        putRestApiMode: "overwrite",
      },
      { parent: this },
    );
    // Reading the API id orders the Deployment after the body is imported; the hash replaces it
    // whenever the body changes. https://www.pulumi.com/registry/packages/aws/api-docs/apigateway/deployment/
    const deployment = new aws.apigateway.Deployment(
      childName(name, "deployment"),
      { restApi: api.id, triggers: { redeployment: definitionHash }, description: "Replaced whenever the OpenAPI body's hash changes." },
      { parent: this },
    );
    return { api, deployment, definition, definitionHash };
  }

  /** One stage: its alias's permissions, its log groups, then the stage and its method settings. */
  private declareStage(name: string, a: ResolvedRestApiStagesArgs, api: aws.apigateway.RestApi, deployment: aws.apigateway.Deployment, stageName: string, alias: string) {
    const parent = { parent: this };
    const permission = (suffix: string, method: string, path: string) =>
      new aws.lambda.Permission(
        childName(name, `permission-${stageName}-${suffix}`),
        {
          action: "lambda:InvokeFunction",
          function: a.functionName,
          qualifier: a.aliases[alias],
          principal: "apigateway.amazonaws.com",
          sourceArn: pulumi.interpolate`${api.executionArn}/${stageName}/${method}/${sourceArnPath(path)}`,
        },
        parent,
      ).id;
    const permissionIds = [
      ...a.routes.map((route) => permission(`${route.method}-${pathSlug(route.path)}`, route.method, route.path)),
      // The ANY method on one path: every method, but still only this API, stage and path.
      ...routePaths(a.routes).map((path) => permission(`ANY-${pathSlug(path)}`, "*", path)),
    ];
    // API Gateway writes access logs with the account's CloudWatch role, which may write only
    // groups named like this (components/api-gateway-account.ts); the name carries the stack prefix.
    const accessLogs = new aws.cloudwatch.LogGroup(
      childName(name, `${stageName}-access-logs`),
      { name: accessLogGroupName(name, stageName), retentionInDays: a.logRetentionDays },
      parent,
    );
    // The name API Gateway writes execution logs to; declared here so it has a retention.
    const executionLogs = new aws.cloudwatch.LogGroup(
      childName(name, `${stageName}-execution-logs`),
      { name: pulumi.interpolate`${EXECUTION_LOG_GROUP_PREFIX}${api.id}/${stageName}`, retentionInDays: a.logRetentionDays },
      parent,
    );
    const stage = new aws.apigateway.Stage(
      childName(name, `stage-${stageName}`),
      {
        restApi: api.id,
        deployment: deployment.id,
        stageName,
        // Derived from the permission ids, so the stage is created only once it may invoke its
        // alias; the value is always the alias name.
        variables: { [ALIAS_STAGE_VARIABLE]: pulumi.all(permissionIds).apply(() => alias) },
        accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
      },
      // Ordering only, nothing to redeploy: logging needs the account's CloudWatch role, and the
      // execution log group must exist before API Gateway would create it without retention.
      { parent: this, dependsOn: [executionLogs, ...(a.accountSettings ? [a.accountSettings] : [])] },
    );
    new aws.apigateway.MethodSettings(
      childName(name, `${stageName}-method-settings`),
      {
        restApi: api.id,
        stageName: stage.stageName,
        methodPath: "*/*",
        settings: {
          metricsEnabled: a.metricsEnabled,
          loggingLevel: a.executionLogLevel,
          dataTraceEnabled: false,
          throttlingRateLimit: a.throttlingRateLimit,
          throttlingBurstLimit: a.throttlingBurstLimit,
        },
      },
      { parent: this, dependsOn: [executionLogs] },
    );
    return { permissionIds, invokeUrl: stage.invokeUrl };
  }
}
