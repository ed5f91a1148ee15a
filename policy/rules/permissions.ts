/**
 * Every Lambda permission lets one principal invoke one alias, from one API, stage and method.
 *
 * - On an alias (`qualifier`): a permission on an alias covers that alias only, not the
 *   unqualified function, versions or $LATEST
 *   (https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html#versioning-permissions-alias),
 *   and the API invokes `<function>:${stageVariables.lambdaAlias}`.
 * - Scoped `SourceArn`: API Gateway's source ARN is
 *   `arn:<partition>:execute-api:<region>:<account>:<api id>/<stage>/<METHOD>/<resource path>`
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html#apigateway-execute-api-arns).
 *   A `*` for the method is the ANY method of one resource path; a stage wildcard, or `/*\/*`
 *   (every method on every path, or any stage and method), would let every other stage or route
 *   of the API call the alias. `?` is a wildcard too (Lambda matches SourceArn with ArnLike).
 */
import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { configOf, message } from "../lib";

export const PERMISSION_TYPE = "aws:lambda/permission:Permission";
const API_GATEWAY = "apigateway.amazonaws.com";
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];
const EXECUTE_API_ARN = /^arn:[^:]+:execute-api:[^:]+:[^:]+:([^/]+)\/(.*)$/;

interface PermissionConfig {
  readonly allowedPrincipals: string[];
}

const schema: PolicyConfigSchema = {
  properties: {
    allowedPrincipals: {
      type: "array",
      items: { type: "string" },
      default: [API_GATEWAY],
      description: "Service principals a Lambda permission may name. Defaults to [apigateway.amazonaws.com].",
    },
  },
};

/** Why an API Gateway source ARN is too wide, or undefined when it names one API, one stage and one method or path. */
export function sourceArnProblem(sourceArn: string): string | undefined {
  const match = EXECUTE_API_ARN.exec(sourceArn);
  if (match === null) return "must be an execute-api ARN: arn:<partition>:execute-api:<region>:<account>:<api id>/<stage>/<METHOD>/<path>.";
  const [, apiId, rest] = match;
  if (/[*?]/.test(apiId)) return "must name one REST API id, not a wildcard (* or ?).";
  if (`/${rest}`.includes("/*/*")) return "must never contain /*/*: two wildcards in a row open it to every stage, every method or every path.";
  const [stage, method, ...path] = rest.split("/");
  if (stage === undefined || stage === "" || /[*?]/.test(stage)) return "must name one stage (the part after the API id), not a wildcard (* or ?).";
  if (method === undefined || (method !== "*" && !METHODS.includes(method))) return `must name one method after the stage (${METHODS.join(", ")}), or * for the ANY method of one path.`;
  if (method === "*" && path.length > 0 && path.every((segment) => segment === "*")) return "with * for the method, must name a resource path, not only wildcards.";
  return undefined;
}

export const lambdaPermissionScoped: ResourceValidationPolicy = {
  name: "lambda-permission-on-alias-scoped",
  description: "Every Lambda permission grants lambda:InvokeFunction on an alias (qualifier), to API Gateway, from one API, stage and method (never /*/*).",
  enforcementLevel: "mandatory",
  configSchema: schema,
  validateResource: (args, reportViolation) => {
    if (args.type !== PERMISSION_TYPE) return;
    const config = configOf<PermissionConfig>(args, schema, "lambda-permission-on-alias-scoped");
    const { action, principal, qualifier } = args.props as { action?: unknown; principal?: unknown; qualifier?: unknown };
    if (action !== "lambda:InvokeFunction") {
      reportViolation(message(args, "action", action, "must be lambda:InvokeFunction: the API only invokes the function.", 'set action: "lambda:InvokeFunction".'));
    }
    if (typeof principal !== "string" || !config.allowedPrincipals.includes(principal)) {
      reportViolation(
        message(args, "principal", principal, `must be one of ${config.allowedPrincipals.join(", ")}.`, `grant to ${API_GATEWAY}, or add the service to this policy's allowedPrincipals config.`),
      );
    }
    if (typeof qualifier !== "string" || qualifier === "" || qualifier === "$LATEST" || /^\d+$/.test(qualifier)) {
      reportViolation(
        message(
          args,
          "qualifier",
          qualifier,
          "must name an alias: a permission without one covers the unqualified function, and one on a version or $LATEST bypasses the alias the release step moves.",
          "set qualifier to the alias the stage invokes (its name output, e.g. live).",
        ),
      );
    }
    // Read last: it is unknown in a preview until the API exists, and an unknown value stops this check there.
    const sourceArn = (args.props as { sourceArn?: unknown }).sourceArn;
    const problem =
      typeof sourceArn !== "string"
        ? "must be set: without it any account's resource of that service could invoke the function."
        : principal === API_GATEWAY
          ? sourceArnProblem(sourceArn)
          : /[*?]/.test(sourceArn)
            ? "must name one source, without wildcards."
            : undefined;
    // A principal that is not allowed is reported above; its source ARN is beside the point.
    if (problem !== undefined && typeof principal === "string" && config.allowedPrincipals.includes(principal)) {
      reportViolation(message(args, "sourceArn", sourceArn, problem, "set sourceArn to `${api.executionArn}/<stage>/<METHOD>/<path>` for one stage and one route (see components/rest-api-stages.ts)."));
    }
  },
};
