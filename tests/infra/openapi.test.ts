import assert from "node:assert/strict";
import SwaggerParser from "@apidevtools/swagger-parser";
import type { OpenAPI } from "openapi-types";
import { ALIAS_STAGE_VARIABLE_REF, openApiDefinition } from "../../components/openapi";
import { ROUTES } from "../../lambda-src/routes";

const INTEGRATION_URI = `arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:shiftline-api:${ALIAS_STAGE_VARIABLE_REF}/invocations`;

function document(): Record<string, unknown> {
  return openApiDefinition({ routes: ROUTES, integrationUri: INTEGRATION_URI, title: "shiftline-api" });
}

describe("the REST API's OpenAPI body", () => {
  it("validates as OpenAPI 3 with an independent validator (@apidevtools/swagger-parser)", async () => {
    // validate() dereferences in place: hand it a copy.
    const doc = structuredClone(document()) as unknown as OpenAPI.Document;
    await assert.doesNotReject(() => SwaggerParser.validate(doc));
  });

  it("declares at least one response on every operation, the API Gateway ANY method included", () => {
    const paths = document().paths as Record<string, Record<string, { responses?: Record<string, unknown> }>>;
    for (const [path, item] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(item)) {
        assert.ok(Object.keys(operation.responses ?? {}).length > 0, `${method} ${path} has responses`);
      }
    }
  });

  it("keeps every route's AWS_PROXY integration to the alias from the stage variable", () => {
    const paths = document().paths as Record<string, Record<string, Record<string, unknown>>>;
    for (const route of ROUTES) {
      const integration = paths[route.path][route.method.toLowerCase()]["x-amazon-apigateway-integration"] as Record<string, unknown>;
      assert.deepEqual({ type: integration.type, httpMethod: integration.httpMethod, uri: integration.uri }, { type: "aws_proxy", httpMethod: "POST", uri: INTEGRATION_URI });
    }
  });
});
