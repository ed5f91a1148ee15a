/**
 * The shape of an API Gateway REST proxy event (payload 1.0), filled in one place for every
 * event this project makes itself: the local server's and the release step's smoke events.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format
 */
import type { APIGatewayProxyEvent } from "aws-lambda";

export interface ProxyEventParts {
  readonly method: string;
  /** The route template, e.g. `/todo/{todoId}`. */
  readonly resource: string;
  /** The request path without stage or query, e.g. `/todo/t01-0001`. */
  readonly path: string;
  readonly headers?: { readonly single: Record<string, string>; readonly multi: Record<string, string[]> } | null;
  readonly query?: { readonly single: Record<string, string>; readonly multi: Record<string, string[]> } | null;
  readonly pathParameters?: Record<string, string> | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  /** Stage name; API Gateway reports the request context path with it in front. */
  readonly stage: string;
  readonly apiId: string;
  readonly sourceIp: string;
  readonly userAgent: string | null;
  readonly requestId: string;
  readonly requestTimeEpoch: number;
}

export function restProxyEvent(p: ProxyEventParts): APIGatewayProxyEvent {
  return {
    resource: p.resource,
    path: p.path,
    httpMethod: p.method,
    headers: p.headers?.single ?? {},
    multiValueHeaders: p.headers?.multi ?? {},
    queryStringParameters: p.query?.single ?? null,
    multiValueQueryStringParameters: p.query?.multi ?? null,
    pathParameters: p.pathParameters ?? null,
    stageVariables: null,
    body: p.body ?? null,
    isBase64Encoded: p.isBase64Encoded ?? false,
    requestContext: {
      accountId: "000000000000",
      apiId: p.apiId,
      authorizer: undefined,
      protocol: "HTTP/1.1",
      httpMethod: p.method,
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
        sourceIp: p.sourceIp,
        user: null,
        userAgent: p.userAgent,
        userArn: null,
      },
      path: `/${p.stage}${p.path}`,
      stage: p.stage,
      requestId: p.requestId,
      requestTimeEpoch: p.requestTimeEpoch,
      resourceId: p.apiId,
      resourcePath: p.resource,
    },
  };
}
