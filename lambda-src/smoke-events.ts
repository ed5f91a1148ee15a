/**
 * The events the release step invokes a new version with before it gets any traffic. Each
 * returns a 2xx on a healthy deployment: the health probe, an idempotent POST of one fixed
 * smoke item (repeating it is always a 200), and a GET of that item.
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import { ROUTES, type HandlerName } from "./routes";

/** The fixed todo the smoke POST writes; its id can never collide with a poster's `tNN-NNNN`. */
export const SMOKE_TODO = { todoId: "smoke-check", title: "release smoke check" } as const;

interface SmokeRequest {
  readonly handler: HandlerName;
  readonly path: string;
  readonly pathParameters?: Record<string, string>;
  readonly body?: string;
}

/** A REST proxy event (payload 1.0) as API Gateway would send it for `request`. */
function proxyEvent(request: SmokeRequest): APIGatewayProxyEvent {
  const route = ROUTES.find((r) => r.handler === request.handler);
  if (!route) throw new Error(`no route serves handler ${request.handler}`);
  const headers: Record<string, string> = request.body === undefined ? {} : { "content-type": "application/json" };
  return {
    resource: route.path,
    path: request.path,
    httpMethod: route.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: request.pathParameters ?? null,
    stageVariables: null,
    body: request.body ?? null,
    isBase64Encoded: false,
    requestContext: {
      accountId: "000000000000",
      apiId: "smoke",
      authorizer: undefined,
      protocol: "HTTP/1.1",
      httpMethod: route.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: "127.0.0.1",
        user: null,
        userAgent: "shiftline-release-smoke",
        userArn: null,
      },
      path: request.path,
      stage: "smoke",
      requestId: `smoke-${request.handler}`,
      requestTimeEpoch: 0,
      resourceId: "smoke",
      resourcePath: route.path,
    },
  };
}

export const smokeEvents: ReadonlyArray<{ readonly name: string; readonly event: APIGatewayProxyEvent }> = [
  { name: "GET /health", event: proxyEvent({ handler: "health", path: "/health" }) },
  { name: "POST /todo (smoke item)", event: proxyEvent({ handler: "createTodo", path: "/todo", body: JSON.stringify(SMOKE_TODO) }) },
  {
    name: "GET /todo/{todoId} (smoke item)",
    event: proxyEvent({ handler: "getTodo", path: `/todo/${SMOKE_TODO.todoId}`, pathParameters: { todoId: SMOKE_TODO.todoId } }),
  },
];
