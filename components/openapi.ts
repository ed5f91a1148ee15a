/**
 * The REST API's whole definition as one OpenAPI 3 document, generated from the route table.
 * Importing it as the RestApi `body` with `putRestApiMode: "overwrite"` replaces the API in one
 * call, so a route removed from the table is gone from the API before the next Deployment is
 * taken (separate Method/Integration resources would only be deleted after it, and the removed
 * route would stay deployed without its Lambda permission, answering 500).
 *
 * - Each route's operation is an AWS_PROXY integration (always POST to Lambda) whose uri picks
 *   the alias through `${stageVariables.lambdaAlias}`.
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-integration.html
 * - Each route's path also gets `x-amazon-apigateway-any-method` to the same integration: an
 *   explicit method wins, every other method reaches the function, which answers 405 with Allow.
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-any-method.html
 * - Every operation declares the answer it documents in `responses`: OpenAPI 3 requires at least
 *   one response code per operation (https://spec.openapis.org/oas/v3.0.3#responses-object), and
 *   an empty map fails validation. API Gateway imports each code as a method response; with a
 *   Lambda proxy integration it passes the function's status, headers and body through
 *   unchanged, so the method responses describe the API without filtering any answer.
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-integration.html
 * - A path with no resource makes API Gateway answer MISSING_AUTHENTICATION_TOKEN (403 by
 *   default); the gateway response turns that into a JSON 404 in the service's error format.
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-gateway-responses.html
 */
import type { Route } from "../lambda-src/routes";

/** The stage variable naming the alias a stage invokes. */
export const ALIAS_STAGE_VARIABLE = "lambdaAlias";
/** Literal text API Gateway substitutes per stage; not a TypeScript template. */
export const ALIAS_STAGE_VARIABLE_REF = "${stageVariables." + ALIAS_STAGE_VARIABLE + "}";

/**
 * Body of the 404 for a path no route matches, shaped like the function's errors
 * ({message, errors}). Gateway response templates support only simple `$context` substitution
 * (no VTL), and `$context.path` includes the stage, e.g. `/prod/nope`.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-gateway-responses.responseTemplates.html
 */
export const NO_ROUTE_TEMPLATE = '{"message":"no route matches $context.path","errors":[]}';

/**
 * NO_ROUTE_TEMPLATE rendered for `path`, as the local server answers an unknown path. The path
 * is JSON-escaped here; API Gateway substitutes `$context.path` as it is.
 */
export function noRouteBody(path: string): string {
  return NO_ROUTE_TEMPLATE.replace("$context.path", JSON.stringify(path).slice(1, -1));
}

export interface OpenApiInput {
  /** Routes to serve; several methods may share a path. */
  readonly routes: readonly Route[];
  /** `arn:<partition>:apigateway:<region>:lambda:path/2015-03-31/functions/<fn arn>:${stageVariables.lambdaAlias}/invocations`. */
  readonly integrationUri: string;
  /** info.title; API Gateway names the API after it unless a name is set. */
  readonly title: string;
}

type Operation = Record<string, unknown>;

/**
 * What every route operation documents. The function decides the real status (4xx and 5xx
 * with a JSON `{message, errors}` body); the proxy integration passes it through as it is.
 */
const ROUTE_RESPONSES = {
  "200": { description: "The function's answer, passed through by the Lambda proxy integration (errors are JSON {message, errors} with their own status)." },
} as const;

/** The OpenAPI document for `routes`; the same input always gives the same (key-ordered) document. */
export function openApiDefinition(input: OpenApiInput): Record<string, unknown> {
  const integration = { type: "aws_proxy", httpMethod: "POST", uri: input.integrationUri, passthroughBehavior: "when_no_match" };
  const paths: Record<string, Record<string, Operation>> = {};
  for (const route of [...input.routes].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))) {
    const parameters = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: "path", required: true, schema: { type: "string" } }));
    const operation = (summary: string, responses: Record<string, { description: string }>): Operation => ({
      summary,
      ...(parameters.length > 0 ? { parameters } : {}),
      responses,
      "x-amazon-apigateway-integration": integration,
    });
    const item = (paths[route.path] ??= {
      "x-amazon-apigateway-any-method": operation("Any other method: the function answers 405 with Allow.", { "405": { description: "Method not allowed; the Allow header lists the methods of this path." } }),
    });
    item[route.method.toLowerCase()] = operation(route.summary, ROUTE_RESPONSES);
  }
  return {
    openapi: "3.0.1",
    info: { title: input.title, version: "1" },
    paths,
    "x-amazon-apigateway-gateway-responses": {
      MISSING_AUTHENTICATION_TOKEN: {
        statusCode: "404",
        responseParameters: { "gatewayresponse.header.Content-Type": "'application/json'" },
        responseTemplates: { "application/json": NO_ROUTE_TEMPLATE },
      },
    },
  };
}

/** Distinct paths of the route table, sorted. */
export const routePaths = (routes: readonly Route[]): string[] => [...new Set(routes.map((r) => r.path))].sort();
