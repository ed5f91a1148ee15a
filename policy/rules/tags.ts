/**
 * Every taggable resource carries the stack's tags (service, environment, stack by default),
 * and the `stack` tag names the stack it is in.
 *
 * Where the tags can come from, as a policy sees a resource:
 * - `tags`, the resource's own input;
 * - `tagsAll`, which pulumi-aws adds to a resource's checked inputs with the provider's
 *   `defaultTags` merged in (pulumi/pulumi-aws provider/tags.go `applyTags`, the PreCheckCallback
 *   of every SDKv2-based resource; resources built on the plugin framework get no `tagsAll` there);
 * - the provider's own `defaultTags` (`args.provider.props`), which covers the resources that
 *   have no `tagsAll` in their inputs. The default provider's inputs are the stack's `aws:*`
 *   config, so `aws:defaultTags` in Pulumi.<stack>.yaml reaches it; an explicit provider's own
 *   inputs (this program's, index.ts) reach it the same way.
 * A resource is taggable when its type is in `taggableTypes` or its inputs have `tags`/`tagsAll`.
 */
import type { PolicyConfigSchema, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf, message, stackOf } from "../lib";

/** The taggable types shiftline declares (each has `tags` and `tagsAll` in @pulumi/aws 7). */
export const TAGGABLE_TYPES = [
  "aws:s3/bucket:Bucket",
  "aws:s3/bucketObjectv2:BucketObjectv2",
  "aws:lambda/function:Function",
  "aws:iam/role:Role",
  "aws:iam/policy:Policy",
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
  "aws:cloudwatch/logGroup:LogGroup",
  "aws:cloudwatch/metricAlarm:MetricAlarm",
  "aws:dynamodb/table:Table",
  "aws:apigateway/restApi:RestApi",
  "aws:apigateway/stage:Stage",
];

interface TagConfig {
  readonly requiredTags: string[];
  readonly stackTag: string;
  readonly taggableTypes: string[];
}

const schema: PolicyConfigSchema = {
  properties: {
    requiredTags: { type: "array", items: { type: "string" }, default: ["service", "environment", "stack"], description: "Tag keys every taggable resource must carry. Defaults to [service, environment, stack]." },
    stackTag: { type: "string", default: "stack", description: 'Tag whose value must be the stack name; "" to skip that check. Defaults to stack.' },
    taggableTypes: { type: "array", items: { type: "string" }, default: TAGGABLE_TYPES, description: "Resource types checked even when their inputs carry no tags at all. Defaults to the taggable types shiftline declares." },
  },
};

/** A tag map from a property that may be an object or, for provider config, its JSON text. */
function tagMap(value: unknown): Record<string, unknown> {
  let v = value;
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      return {};
    }
  }
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** The tags the resource will carry: the provider's default tags, then `tagsAll`, then its own `tags`. */
export function effectiveTags(args: Pick<ResourceValidationArgs, "props" | "provider">): Record<string, unknown> {
  const defaults = tagMap(tagMap(args.provider?.props?.defaultTags).tags);
  const props = args.props as { tags?: unknown; tagsAll?: unknown };
  return { ...defaults, ...tagMap(props.tagsAll), ...tagMap(props.tags) };
}

export const requiredTags: ResourceValidationPolicy = {
  name: "stack-tags-on-taggable-resources",
  description: "Every taggable resource carries the stack's tags (requiredTags, default service, environment and stack; from its tags or the provider's defaultTags), and the stack tag's value is the stack name.",
  enforcementLevel: "advisory",
  configSchema: schema,
  validateResource: (args, reportViolation) => {
    const config = configOf<TagConfig>(args, schema, "stack-tags-on-taggable-resources");
    const props = args.props as Record<string, unknown>;
    if (!config.taggableTypes.includes(args.type) && !("tags" in props) && !("tagsAll" in props)) return;
    const tags = effectiveTags(args);
    const missing = config.requiredTags.filter((k) => typeof tags[k] !== "string" || tags[k] === "");
    const fix = "set them once as the AWS provider's defaultTags (this program's index.ts does, from shiftline:serviceName and the stack), or in the resource's tags.";
    if (missing.length > 0) {
      reportViolation(message(args, "tags", Object.keys(tags).sort(), `must carry ${config.requiredTags.join(", ")} (missing: ${missing.join(", ")}).`, fix));
    }
    const stack = stackOf(args.urn);
    // The stack's name alone, or qualified by the project as the program writes it (<project>/<stack>).
    const qualified = `${args.urn.split("::")[1] ?? ""}/${stack}`;
    const value = tags[config.stackTag];
    if (config.stackTag !== "" && value !== undefined && value !== stack && value !== qualified) {
      reportViolation(message(args, `tags.${config.stackTag}`, value, `must be the stack's name, ${stack} (or ${qualified}).`, `set ${config.stackTag}: ${qualified} (pulumi.getProject()/pulumi.getStack()).`));
    }
  },
};
