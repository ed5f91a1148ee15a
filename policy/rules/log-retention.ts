/**
 * Every log group has a retention, and no function logs to a group the stack does not declare.
 * CloudWatch keeps a log group's events forever when it has no retention (`retentionInDays`
 * unset or 0), and Lambda creates `/aws/lambda/<function>` itself, without retention, on the
 * first invocation when no group exists
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/logs/Working-with-log-groups-and-streams.html#SettingLogRetention,
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html).
 */
import type { PolicyConfigSchema, StackValidationPolicy } from "@pulumi/policy";
import { configOf, message } from "../lib";

export const LOG_GROUP_TYPE = "aws:cloudwatch/logGroup:LogGroup";
const FUNCTION_TYPE = "aws:lambda/function:Function";

interface RetentionConfig {
  readonly maxRetentionDays?: number;
}

const schema: PolicyConfigSchema = {
  properties: {
    maxRetentionDays: { type: "integer", minimum: 1, description: "Longest retention a log group may have, in days. Defaults to no limit." },
  },
};

export const logGroupRetention: StackValidationPolicy = {
  name: "log-groups-have-retention",
  description: "Every CloudWatch log group sets retentionInDays (not 0, which keeps logs forever; at most maxRetentionDays when configured), and every Lambda function logs to a log group the stack declares.",
  enforcementLevel: "advisory",
  configSchema: schema,
  validateStack: (args, reportViolation) => {
    const { maxRetentionDays } = configOf<RetentionConfig>(args, schema, "log-groups-have-retention");
    const groups = args.resources.filter((r) => r.type === LOG_GROUP_TYPE);
    for (const group of groups) {
      const days = group.props.retentionInDays as unknown;
      if (typeof days !== "number" || days <= 0) {
        reportViolation(message(group, "retentionInDays", days, "must be set to a number of days: without it CloudWatch keeps every event forever.", "set retentionInDays (e.g. shiftline:logRetentionDays in Pulumi.<stack>.yaml)."), group.urn);
      } else if (maxRetentionDays !== undefined && days > maxRetentionDays) {
        reportViolation(message(group, "retentionInDays", days, `must be at most ${maxRetentionDays} days (this policy's maxRetentionDays).`, `lower retentionInDays to ${maxRetentionDays} or less.`), group.urn);
      }
    }
    const declared = new Set(groups.map((g) => g.props.name as unknown).filter((n): n is string => typeof n === "string"));
    for (const fn of args.resources.filter((r) => r.type === FUNCTION_TYPE)) {
      const props = fn.props as { name?: unknown; loggingConfig?: { logGroup?: unknown } };
      const target = props.loggingConfig?.logGroup ?? (typeof props.name === "string" ? `/aws/lambda/${props.name}` : undefined);
      const dependsOnGroup = (fn.propertyDependencies?.loggingConfig ?? []).some((d) => d.type === LOG_GROUP_TYPE);
      if (!dependsOnGroup && !(typeof target === "string" && declared.has(target))) {
        reportViolation(
          message(fn, "loggingConfig.logGroup", props.loggingConfig?.logGroup, `must name a log group this stack declares (looked for ${String(target)}): Lambda would create it without retention.`, "declare the log group with retentionInDays and pass its name as loggingConfig.logGroup (components/lambda-service.ts)."),
          fn.urn,
        );
      }
    }
  },
};
