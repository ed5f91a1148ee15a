/**
 * The contract between the Pulumi program and the release step: the stack outputs that
 * `index.ts` exports and `release` reads (from `pulumi stack output --json`, or a file).
 * The infrastructure tests check the program's outputs against this same schema.
 */
import { z } from "zod";
import { releaseSettingsSchema } from "./settings";

const name = (what: string) => z.string({ error: `${what} must be a string.` }).min(1, { error: `${what} must not be empty.` });

export const stageOutputSchema = z
  .object({
    /** API Gateway stage name. */
    stageName: name("stageName"),
    /** Alias this stage selects through its `lambdaAlias` stage variable. */
    alias: name("alias"),
    /** REST API id the stage belongs to. */
    restApiId: name("restApiId"),
    /** Base URL of the stage, e.g. https://abc.execute-api.eu-west-1.amazonaws.com/prod */
    invokeUrl: z.string().url({ error: "invokeUrl must be an https URL." }),
    /**
     * The REST API's endpoint type, when the program exports it. A PRIVATE API is callable only
     * from inside a VPC through an interface endpoint
     * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-api-test-invoke-url.html),
     * so the release step's stage check skips it. Absent: taken as public (EDGE or REGIONAL).
     */
    endpointType: z.enum(["EDGE", "REGIONAL", "PRIVATE"], { error: "endpointType must be EDGE, REGIONAL or PRIVATE." }).optional(),
  })
  .strict();

export const stackOutputsSchema = z
  .object({
    /** Environment name (the stack), e.g. staging or prod. */
    environment: name("environment"),
    /** AWS region of the stack. */
    region: name("region"),
    /** The Lambda function's name. */
    functionName: name("functionName"),
    /** Latest version Pulumi published (the alias may not serve it yet). */
    latestVersion: z
      .string({ error: 'latestVersion must be a published version number as a string, such as "7" (export the function\'s version output, which is a string).' })
      .regex(/^\d+$/, { error: "latestVersion must be a published version number such as 7." }),
    /** Aliases of the function that stages route to. */
    aliases: z.array(name("alias")).min(1, { error: "aliases must list at least one alias." }),
    /** Stages keyed by stage name. */
    stages: z.record(z.string(), stageOutputSchema),
    /** CloudWatch alarm names per alias; any in ALARM during a release rolls it back. */
    alarmNames: z.record(z.string(), z.array(name("alarm name"))),
    /** Bucket holding the content-addressed function artifacts. */
    artifactBucket: name("artifactBucket"),
    /** Key prefix of this function's artifacts, e.g. functions/api/ */
    artifactKeyPrefix: z.string().regex(/^functions\/[\w-]+\/$/, { error: "artifactKeyPrefix must look like functions/<fn>/." }),
    /** Who deploys the function's code: `pulumi` (default) or `release` (artifact mode). */
    codeDeployment: z.enum(["pulumi", "release"], { error: "codeDeployment must be pulumi or release." }),
    /**
     * Where the function writes its request metrics (EMF namespace and `service` dimension).
     * Optional: outputs of a stack deployed before the function published them lack it, and the
     * release step then judges Lambda's own metrics.
     */
    requestMetrics: z
      .object(
        {
          namespace: name("requestMetrics.namespace"),
          serviceName: name("requestMetrics.serviceName"),
          /**
           * The function's log group, by ARN, for the live evidence source. Optional: a stack
           * deployed before it was exported is judged on metrics alone until its next `pulumi up`.
           */
          logGroupArn: z
            .string({ error: "requestMetrics.logGroupArn must be the function's log group ARN." })
            .regex(/^arn:[\w-]+:logs:[\w-]+:\d{12}:log-group:\/aws\/lambda\/[\w-]+$/, { error: "requestMetrics.logGroupArn must look like arn:aws:logs:<region>:<account>:log-group:/aws/lambda/<function>, without :*." })
            .optional(),
        },
        { error: "requestMetrics must be {namespace, serviceName, logGroupArn}." },
      )
      .strict()
      .optional(),
    /** Release settings from stack config. */
    release: z
      .custom<unknown>((v) => typeof v === "object" && v !== null && !Array.isArray(v), {
        error: "release must be the stack's release settings object (strategy, steps, bakes, health); export it from the shiftline:release config, or write {} for the defaults.",
      })
      .pipe(releaseSettingsSchema),
  })
  .strict()
  .superRefine((o, ctx) => {
    for (const [key, stage] of Object.entries(o.stages)) {
      if (!o.aliases.includes(stage.alias)) {
        ctx.addIssue({ code: "custom", path: ["stages", key, "alias"], input: stage.alias, message: `stage ${key} selects alias ${stage.alias}, which is not in aliases (${o.aliases.join(", ")}).` });
      }
    }
  });

export type StackOutputs = z.output<typeof stackOutputsSchema>;
export type StageOutput = z.output<typeof stageOutputSchema>;
/** Where the function's request metrics and per-request documents are. */
export type RequestMetricsOutput = NonNullable<StackOutputs["requestMetrics"]>;
