/**
 * The tables of protected stacks (prod by default) keep point-in-time recovery, DynamoDB
 * deletion protection and Pulumi's `protect`, so neither a stray replacement, `pulumi destroy`
 * nor a console delete can drop their data.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/PointInTimeRecovery.html
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithTables.Basics.html#WorkingWithTables.Basics.DeletionProtection
 * https://www.pulumi.com/docs/iac/concepts/options/protect/
 */
import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf, message, stackOf } from "../lib";

export const TABLE_TYPE = "aws:dynamodb/table:Table";

interface TableConfig {
  readonly protectedStacks: string[];
  readonly requirePulumiProtect: boolean;
}

const schema: PolicyConfigSchema = {
  properties: {
    protectedStacks: { type: "array", items: { type: "string" }, default: ["prod"], description: "Stacks whose tables must be protected. Defaults to [prod]." },
    requirePulumiProtect: { type: "boolean", default: true, description: "Also require Pulumi's protect resource option. Defaults to true." },
  },
};

export const tableProtection: ResourceValidationPolicy = {
  name: "protected-stack-tables-keep-data",
  description: "In the protected stacks (config protectedStacks, default prod), every DynamoDB table has point-in-time recovery, deletion protection and Pulumi's protect option.",
  enforcementLevel: "mandatory",
  configSchema: schema,
  validateResource: (args, reportViolation) => {
    if (args.type !== TABLE_TYPE) return;
    const config = configOf<TableConfig>(args, schema, "protected-stack-tables-keep-data");
    const stack = stackOf(args.urn);
    if (!config.protectedStacks.includes(stack)) return;
    const fix = "set shiftline:tableProtection: true in Pulumi.<stack>.yaml (components/service-tables.ts turns all three on).";
    const rule = (what: string) => `must be on in stack ${stack} (one of protectedStacks: ${config.protectedStacks.join(", ")}): ${what}.`;
    const props = args.props as { pointInTimeRecovery?: { enabled?: unknown }; deletionProtectionEnabled?: unknown };
    if (props.pointInTimeRecovery?.enabled !== true) {
      reportViolation(message(args, "pointInTimeRecovery.enabled", props.pointInTimeRecovery?.enabled, rule("without it a bad write or delete cannot be restored"), fix));
    }
    if (props.deletionProtectionEnabled !== true) {
      reportViolation(message(args, "deletionProtectionEnabled", props.deletionProtectionEnabled, rule("without it DeleteTable succeeds"), fix));
    }
    if (config.requirePulumiProtect && !args.opts.protect) {
      reportViolation(message(args, "protect (resource option)", args.opts.protect, rule("without it pulumi destroy or a replacement deletes the table"), fix));
    }
  },
};
