/**
 * Stack config: the one place the program reads `pulumi.Config`. Every `shiftline:*` key is
 * parsed (JSON where it parses, as Pulumi stores structured values, except text keys), validated with one zod
 * schema that rejects unknown keys, and turned into a typed object with every default applied.
 * All problems are reported at once as `shiftline:<key> = <value>: <rule and fix>`.
 * The README's infra section lists the same keys and defaults; a test keeps the two in step.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { DEFAULT_METRICS_NAMESPACE } from "../lambda-src/metric-names";
import { ValidationError, problemsFromZod, renderValue, type Problem } from "../lib/validation";
import { releaseSettingsSchema } from "../release/inputs/settings";
import { deployerSettingsSchema } from "./deployer-role";
import { alarmPeriodProblem, alarmWindowProblem } from "./alarm-rules";
import { isLogRetention, LOG_RETENTION_DAYS } from "./log-retention";
import { NAME_PREFIX, NAME_PREFIX_RULE, stackTags } from "./naming";

export const CONFIG_NAMESPACE = "shiftline";

const wholeNumber = (key: string, min: number, max: number, rule: string) =>
  z
    .number({ error: `${key} must be a number: ${rule}.` })
    .int({ error: `${key} must be a whole number: ${rule}.` })
    .min(min, { error: `${key} must be at least ${min}: ${rule}.` })
    .max(max, { error: `${key} must be at most ${max}: ${rule}.` });

const flag = (key: string) => z.boolean({ error: `${key} must be true or false.` });

// https://docs.aws.amazon.com/apigateway/latest/api/API_CreateStage.html (stageName)
const stageName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, { error: "a stage name is 1-128 letters, digits, hyphens or underscores; rename the stage." });
// https://docs.aws.amazon.com/lambda/latest/api/API_CreateAlias.html (Name): not all digits, or it reads as a version.
const aliasName = z
  .string({ error: "an alias name must be a string such as live." })
  .regex(/^(?!\d+$)[A-Za-z0-9_-]{1,128}$/, { error: "an alias name is 1-128 letters, digits, hyphens or underscores and not only digits (that would be a version); e.g. live." });

/** Record errors: the type rule, or the key's own rule for a bad key (zod otherwise says only "Invalid key"). */
const recordError = (typeRule: string) => (issue: { code?: string; issues?: ReadonlyArray<{ message?: string }> }) =>
  issue.code === "invalid_key" ? issue.issues?.[0]?.message : issue.code === "invalid_type" ? typeRule : undefined;

const retention = z
  .number({ error: "logRetentionDays must be a number of days." })
  .refine(isLogRetention, { error: `logRetentionDays must be one of the values CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(", ")}.` });

export const alarmsSchema = z
  .object({
    /** Errors on an alias within one period that raise its errors alarm. Defaults to 1. */
    errorsThreshold: wholeNumber("alarms.errorsThreshold", 1, 1_000_000, "the error count per period that raises the alarm"),
    /** Throttles on an alias within one period that raise its throttles alarm. Defaults to 1. */
    throttlesThreshold: wholeNumber("alarms.throttlesThreshold", 1, 1_000_000, "the throttle count per period that raises the alarm"),
    /** p99 duration (ms) that raises the duration alarm. Defaults to 80% of timeoutSeconds. */
    p99DurationMs: wholeNumber("alarms.p99DurationMs", 1, 900_000, "milliseconds, below the function timeout").optional(),
    /** Alarm period in seconds, a multiple of 60 (components/alarm-rules.ts). Defaults to 60. */
    periodSeconds: z
      .number({ error: "alarms.periodSeconds must be a number of seconds." })
      .superRefine((p, ctx) => {
        const problem = alarmPeriodProblem(p);
        if (problem !== undefined) ctx.addIssue({ code: "custom", input: p, message: `alarms.periodSeconds ${problem}` });
      }),
    /** Periods evaluated before the alarm state changes; periodSeconds × evaluationPeriods is at most one day (seven for periods of an hour or more). Defaults to 1. */
    evaluationPeriods: wholeNumber("alarms.evaluationPeriods", 1, 100, "how many periods are evaluated"),
    /** Share of answers (percent) that were server errors in one period that raises the alias's and each stage's server-error-rate alarm. Defaults to 5. */
    serverErrorRatePercent: z
      .number({ error: "alarms.serverErrorRatePercent must be a number (percent)." })
      .refine((p) => p > 0 && p <= 100, { error: "alarms.serverErrorRatePercent must be a percentage above 0 and at most 100, e.g. 5." }),
  })
  .strict();

export const apiSchema = z
  .object({
    /** Steady-state requests per second each stage allows. Defaults to 100. */
    throttlingRateLimit: z
      .number({ error: "api.throttlingRateLimit must be a number of requests per second." })
      .min(0, { error: "api.throttlingRateLimit cannot be negative." })
      .max(10_000, { error: "api.throttlingRateLimit must be at most 10000 (the account default quota)." }),
    /** Burst of requests each stage allows. Defaults to 200. */
    throttlingBurstLimit: wholeNumber("api.throttlingBurstLimit", 0, 5_000, "the burst size (at most the account default of 5000)"),
    /** Publish per-method CloudWatch metrics. Defaults to true. */
    metricsEnabled: flag("api.metricsEnabled"),
    /** Execution logging level: OFF, ERROR or INFO. Defaults to ERROR. */
    executionLogLevel: z.enum(["OFF", "ERROR", "INFO"], { error: "api.executionLogLevel must be OFF, ERROR or INFO." }),
  })
  .strict();

/** The `shiftline:*` keys; defaults that depend on the stack are filled in by `resolveStackConfig`. */
export const stackConfigSchema = z
  .object({
    /** Who deploys the function's code: pulumi (each `pulumi up`) or release (the release CLI; Pulumi ignores code changes). Defaults to pulumi. */
    codeDeployment: z.enum(["pulumi", "release"], { error: "codeDeployment must be pulumi or release." }).default("pulumi"),
    /** Prefix of every resource name (components/naming.ts): the function `<prefix>-api`, its log group, and every generated name. Defaults to shiftline-<stack>. */
    namePrefix: z
      .string({ error: "namePrefix must be a string." })
      .regex(NAME_PREFIX, { error: `namePrefix ${NAME_PREFIX_RULE}; set e.g. shiftline-staging.` })
      .optional(),
    /** Path of a prebuilt `.build/manifest.json` (from `npm run build`) to deploy instead of building lambda-src. Defaults to building from source. */
    artifactManifest: z.string({ error: "artifactManifest must be a file path." }).min(1, { error: "artifactManifest must not be empty." }).optional(),
    /** Function memory in MB. Defaults to 256. */
    memorySize: wholeNumber("memorySize", 128, 10_240, "Lambda memory is 128-10240 MB").default(256),
    /** Function timeout in seconds. Defaults to 10. */
    timeoutSeconds: wholeNumber("timeoutSeconds", 1, 29, "API Gateway waits at most 29 s for an integration, so a longer timeout only hides failures").default(10),
    /** Retention of the function's, and each stage's access, log group. Defaults to 30. */
    logRetentionDays: retention.default(30),
    /** POWERTOOLS_LOG_LEVEL of the function. Defaults to INFO. */
    logLevel: z
      .enum(["DEBUG", "INFO", "WARN", "ERROR"], { error: "logLevel must be DEBUG, INFO, WARN or ERROR." })
      // The request metrics are EMF log lines without a "level", which Lambda counts as INFO and
      // drops below the application log level
      // (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html);
      // without them the release step cannot judge versions on what users saw.
      .refine((l) => l === "DEBUG" || l === "INFO", {
        error: "logLevel WARN or ERROR would make Lambda drop the function's request metrics (EMF lines count as INFO), which alarms and the release step read; use INFO or DEBUG.",
      })
      .default("INFO"),
    /**
     * CloudWatch namespace of the function's request metrics (POWERTOOLS_METRICS_NAMESPACE; see
     * lambda-src/metrics.ts). Defaults to Shiftline. 1-255 printable ASCII characters, not starting
     * with "AWS/" (reserved for AWS services) and without ":" first
     * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Metric.html).
     */
    metricsNamespace: z
      .string({ error: "metricsNamespace must be a string." })
      .regex(/^(?!AWS\/)[\x20-\x39\x3b-\x7e][\x20-\x7e]{0,254}$/, { error: 'metricsNamespace must be 1-255 printable ASCII characters, not starting with "AWS/" (reserved for AWS services) or ":"; set e.g. Shiftline.' })
      .default(DEFAULT_METRICS_NAMESPACE),
    /** POWERTOOLS_SERVICE_NAME of the function and every resource's `service` tag. Defaults to shiftline. */
    serviceName: z
      .string({ error: "serviceName must be a string." })
      .min(1, { error: "serviceName must not be empty." })
      // A tag value: https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html (tag naming limits).
      .regex(/^[\p{L}\p{Z}\p{N}_.:/=+@-]{1,256}$/u, { error: "serviceName is also every resource's service tag: at most 256 letters, digits, spaces or _ . : / = + - @." })
      // It is also the `service` dimension of the request metrics, and CloudWatch dimension values
      // "must contain only ASCII characters" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Dimension.html).
      .regex(/^[\x20-\x7e]*$/, { error: "serviceName is also the service dimension of the request metrics, and CloudWatch dimension values must be ASCII only; use ASCII letters, digits, spaces or _ . : / = + - @ (e.g. todo-api)." })
      .default("shiftline"),
    /** API Gateway stage name → the alias it serves. Defaults to { <stack>: live }. */
    stages: z
      .record(stageName, aliasName, { error: recordError("stages must map stage names to alias names, e.g. {prod: live}.") })
      .refine((s) => Object.keys(s).length > 0, { error: "stages needs at least one stage, e.g. {prod: live}." })
      .optional(),
    /** Alias name → provisioned concurrent executions kept warm on it. Defaults to {} (none). */
    provisionedConcurrency: z
      .record(aliasName, wholeNumber("provisionedConcurrency", 1, 10_000, "executions kept initialised on the alias; leave the alias out for none"), {
        error: recordError("provisionedConcurrency must map alias names to counts, e.g. {live: 2}."),
      })
      .default({}),
    /** Alarm thresholds on each alias; each field has its own default. */
    alarms: alarmsSchema.partial().default({}),
    /** Stage throttling, metrics and execution logging; each field has its own default. */
    api: apiSchema.partial().default({}),
    /** Whether this stack owns the region's API Gateway account CloudWatch role (one per account and region). Defaults to false. */
    manageApiGatewayAccount: flag("manageApiGatewayAccount").default(false),
    /** Days a replaced or deleted artifact version is kept in the bucket. Defaults to 30. */
    artifactNoncurrentDays: wholeNumber("artifactNoncurrentDays", 1, 3650, "days a noncurrent artifact version is kept").default(30),
    /** Point-in-time recovery, deletion protection and Pulumi `protect` on the tables. Defaults to true. */
    tableProtection: flag("tableProtection").default(true),
    /** How the release step moves traffic (see release/inputs/settings.ts). Defaults to all-at-once. */
    release: releaseSettingsSchema.default(() => releaseSettingsSchema.parse({})),
    /**
     * GitHub OIDC trust of the release step's deployer role (components/deployer-role.ts):
     * repository, exactly one of branch/environment, oidcProviderArn or createOidcProvider, and
     * optionally maxSessionDurationSeconds.
     * Defaults to none (no deployer role).
     */
    deployer: deployerSettingsSchema.optional(),
  })
  .strict();

export type StackConfigInput = z.input<typeof stackConfigSchema>;
type ParsedConfig = z.output<typeof stackConfigSchema>;

export type AlarmSettings = Required<z.output<typeof alarmsSchema>>;
export type ApiSettings = z.output<typeof apiSchema>;
export type { DeployerSettings } from "./deployer-role";

/** The validated stack config with every default applied. */
export interface StackConfig extends Omit<ParsedConfig, "namePrefix" | "stages" | "alarms" | "api"> {
  /** The stack name: staging, prod, … */
  readonly environment: string;
  /** The Pulumi project (Pulumi.yaml `name`). */
  readonly project: string;
  /** Tags every resource carries (provider default tags): service, environment, stack. */
  readonly tags: Readonly<Record<string, string>>;
  /** `aws:region`. */
  readonly region: string;
  readonly namePrefix: string;
  readonly stages: Readonly<Record<string, string>>;
  /** Distinct alias names the stages select, in first-seen order. */
  readonly aliases: readonly string[];
  readonly alarms: AlarmSettings;
  readonly api: ApiSettings;
}

export const DEFAULT_ALIAS = "live";
export const API_DEFAULTS: ApiSettings = { throttlingRateLimit: 100, throttlingBurstLimit: 200, metricsEnabled: true, executionLogLevel: "ERROR" };
export const ALARM_DEFAULTS = { errorsThreshold: 1, throttlesThreshold: 1, periodSeconds: 60, evaluationPeriods: 1, serverErrorRatePercent: 5 } as const;
/** The p99 duration alarm defaults to this share of the timeout. */
export const P99_DEFAULT_SHARE_OF_TIMEOUT = 0.8;

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/**
 * Validates `values` (the `shiftline:*` keys without their namespace, values already parsed)
 * for stack `environment` in `region`, applies every default, and checks the rules that span
 * keys. Throws one ValidationError listing every problem.
 */
export function resolveStackConfig(
  values: Readonly<Record<string, unknown>>,
  environment: string,
  region: string | undefined,
  project = "shiftline",
  awsConfig: Readonly<Record<string, string>> = {},
): StackConfig {
  const problems: Problem[] = [];
  const key = (p: Problem): Problem => ({ ...p, field: `${CONFIG_NAMESPACE}:${p.field}` });
  if (region === undefined || !REGION.test(region)) {
    problems.push({ field: "aws:region", value: renderValue(region), message: "the AWS region is required, e.g. `pulumi config set aws:region eu-west-1`." });
  }
  // index.ts passes only the region to its explicit provider, which reads no other aws: config.
  for (const [k, v] of Object.entries(awsConfig)) {
    if (k !== "aws:region") problems.push({ field: k, value: renderValue(v), message: `the program's AWS provider reads only aws:region, so this would be ignored; remove it (credentials come from the environment, e.g. AWS_PROFILE; tags from shiftline:serviceName and the stack).` });
  }
  const parsed = stackConfigSchema.safeParse(values, { reportInput: true });
  if (!parsed.success) problems.push(...problemsFromZod(parsed.error.issues).map(withTypeRule).map(key));
  // Rules that span keys run on every key that is valid by itself, so one bad key does not hide
  // another problem; a rule whose keys are not all valid is left to those keys' own problems.
  const valid = parsed.success ? { ...parsed.data, present: new Set(Object.keys(values)) } : validKeys(values);
  problems.push(...crossKeyProblems(valid, environment).map(key));
  if (problems.length > 0 || !parsed.success) throw new ValidationError(`stack config of ${environment}`, problems);

  const c = parsed.data;
  const stages = c.stages ?? { [environment]: DEFAULT_ALIAS };
  const namePrefix = c.namePrefix ?? `shiftline-${environment}`;
  const aliases = [...new Set(Object.values(stages))];
  const p99DurationMs = c.alarms.p99DurationMs ?? defaultP99(c.timeoutSeconds);
  return {
    ...c,
    environment,
    project,
    tags: stackTags({ serviceName: c.serviceName, environment, project }),
    region: region as string,
    namePrefix,
    stages,
    aliases,
    alarms: { ...ALARM_DEFAULTS, ...c.alarms, p99DurationMs },
    api: { ...API_DEFAULTS, ...c.api },
  };
}

const defaultP99 = (timeoutSeconds: number) => Math.round(timeoutSeconds * 1000 * P99_DEFAULT_SHARE_OF_TIMEOUT);

type ShapeKey = keyof typeof stackConfigSchema.shape;
/** The keys that are valid on their own, parsed (defaults applied), and which keys were given at all. */
type ValidKeys = Partial<ParsedConfig> & { readonly present: ReadonlySet<string> };

function validKeys(values: Readonly<Record<string, unknown>>): ValidKeys {
  const valid: Record<string, unknown> = {};
  for (const [k, schema] of Object.entries(stackConfigSchema.shape) as Array<[ShapeKey, z.ZodType]>) {
    const result = schema.safeParse(values[k]);
    if (result.success) valid[k] = result.data;
  }
  return { ...(valid as Partial<ParsedConfig>), present: new Set(Object.keys(values)) };
}

/** Problems of rules that span keys, each checked only when every key it reads is valid. */
function crossKeyProblems(c: ValidKeys, environment: string): Problem[] {
  const problems: Problem[] = [];
  const cross = (field: string, value: unknown, message: string) => problems.push({ field, value: renderValue(value), message });
  if (!c.present.has("stages") && !stageName.safeParse(environment).success) {
    cross("stages", undefined, `the default stage is named after the stack (${environment}), which is not a valid stage name; set stages, e.g. {prod: live}.`);
  }
  if (!c.present.has("namePrefix") && !NAME_PREFIX.test(`shiftline-${environment}`)) {
    cross("namePrefix", undefined, `the default shiftline-${environment} is not a valid name prefix: namePrefix ${NAME_PREFIX_RULE}; set namePrefix, e.g. shiftline-qa.`);
  }
  const stagesValid = !c.present.has("stages") || c.stages !== undefined;
  if (stagesValid && c.provisionedConcurrency !== undefined) {
    const aliases = [...new Set(Object.values(c.stages ?? { [environment]: DEFAULT_ALIAS }))];
    for (const [alias, count] of Object.entries(c.provisionedConcurrency)) {
      if (!aliases.includes(alias)) {
        cross(`provisionedConcurrency.${alias}`, count, `no stage serves alias ${alias} (aliases: ${aliases.join(", ")}); use one of those or add a stage for it.`);
      }
    }
  }
  if (c.alarms !== undefined) {
    const { periodSeconds = ALARM_DEFAULTS.periodSeconds, evaluationPeriods = ALARM_DEFAULTS.evaluationPeriods } = c.alarms;
    const window = alarmWindowProblem(periodSeconds, evaluationPeriods);
    if (window !== undefined) cross("alarms.evaluationPeriods", evaluationPeriods, window);
  }
  if (c.timeoutSeconds !== undefined && c.alarms !== undefined) {
    const p99DurationMs = c.alarms.p99DurationMs ?? defaultP99(c.timeoutSeconds);
    if (p99DurationMs >= c.timeoutSeconds * 1000) {
      cross("alarms.p99DurationMs", p99DurationMs, `must be below the timeout (${c.timeoutSeconds * 1000} ms), or the alarm could only fire on timeouts; lower it or raise timeoutSeconds.`);
    }
  }
  return problems;
}

/**
 * The shape each structured release setting must have. zod's own type message ("Invalid input:
 * expected object, received number") names no rule or fix; these do.
 */
const RELEASE_SHAPES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^release$/, "release must be a map of release settings, e.g. {strategy: canary, canaryPercent: 10}."],
  [/^release\.steps$/, "release.steps must be a list of steps, e.g. [{percent: 10, bakeSeconds: 300}, {percent: 50, bakeSeconds: 300}]."],
  [/^release\.steps\[\d+\]$/, "each release step must be a map {percent, bakeSeconds}, e.g. {percent: 10, bakeSeconds: 300}."],
  [/^release\.health$/, "release.health must be a map of health thresholds, e.g. {maxErrorRatePercent: 1, minInvocations: 20}."],
  [/^release\.stageCheck$/, "release.stageCheck must be a map of stage check settings, e.g. {enabled: true, maxRequests: 100, maxSeconds: 60}."],
];

/** Replaces zod's generic type message with the key's rule and fix. */
function withTypeRule(p: Problem): Problem {
  if (!p.message.startsWith("Invalid input")) return p;
  const shape = RELEASE_SHAPES.find(([path]) => path.test(p.field))?.[1];
  return { ...p, message: shape ?? `${p.field} has the wrong type; use the form shown in README "Stack settings".` };
}

/** The innermost schema under optional/default wrappers. */
function innerType(schema: z.ZodType): z.ZodType {
  let inner = schema;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault) inner = inner.unwrap() as z.ZodType;
  return inner;
}

/** Keys whose value is text: their raw string is the value, even if it reads as JSON ("123", "true"). */
export const TEXT_KEYS: ReadonlySet<string> = new Set(
  Object.entries(stackConfigSchema.shape)
    .filter(([, schema]) => innerType(schema) instanceof z.ZodString || innerType(schema) instanceof z.ZodEnum)
    .map(([k]) => k),
);

/**
 * Pulumi hands every config value over as a string; structured and numeric values are JSON.
 * Text keys keep the raw string, so serviceName "123" stays a name rather than becoming a number.
 */
export function parseConfigValue(key: string, raw: string): unknown {
  if (TEXT_KEYS.has(key)) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** The `shiftline:*` entries of a flat Pulumi config map, namespace stripped, values parsed. */
export function projectValues(all: Readonly<Record<string, string>>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [fullKey, raw] of Object.entries(all)) {
    if (fullKey.startsWith(`${CONFIG_NAMESPACE}:`)) {
      const k = fullKey.slice(CONFIG_NAMESPACE.length + 1);
      values[k] = parseConfigValue(k, raw);
    }
  }
  return values;
}

/** Reads the running stack's config once. The only reader of config and the stack name. */
export function loadConfig(): StackConfig {
  const all = pulumi.runtime.allConfig();
  const awsConfig = Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith("aws:")));
  return resolveStackConfig(projectValues(all), pulumi.getStack(), all["aws:region"], pulumi.getProject(), awsConfig);
}
