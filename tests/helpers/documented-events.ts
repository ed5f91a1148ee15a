/**
 * REST API proxy events (payload 1.0) written out by hand after the example in AWS's
 * "Input format of a Lambda function for proxy integration"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format),
 * with this API's routes filled in. Unlike tests/helpers/events.ts they share no code with the
 * local server's event builder, so a mistake there cannot hide in both.
 */
import type { APIGatewayProxyEvent } from "aws-lambda";

/** The request context fields of the documented example, for one method and resource. */
function requestContext(httpMethod: string, resourcePath: string, path: string): APIGatewayProxyEvent["requestContext"] {
  return {
    accountId: "123456789012",
    apiId: "id",
    authorizer: { claims: null, scopes: null },
    domainName: "id.execute-api.us-east-1.amazonaws.com",
    domainPrefix: "id",
    extendedRequestId: "request-id",
    httpMethod,
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
      sourceIp: "203.0.113.10",
      user: null,
      userAgent: "python-requests/2.31.0",
      userArn: null,
    },
    path,
    protocol: "HTTP/1.1",
    requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    requestTime: "04/Mar/2020:19:15:17 +0000",
    requestTimeEpoch: 1583349317135,
    resourceId: "abc123",
    resourcePath,
    stage: "prod",
  };
}

/**
 * Seed 000's poster: `requests.post(url, data=json.dumps(payload))` sends no Content-Type.
 * Header names keep the client's case; the multi-value map repeats every header.
 */
export const documentedPostTodo: APIGatewayProxyEvent = {
  resource: "/todo",
  path: "/todo",
  httpMethod: "POST",
  headers: {
    Accept: "*/*",
    "Accept-Encoding": "gzip, deflate",
    Host: "id.execute-api.us-east-1.amazonaws.com",
    "User-Agent": "python-requests/2.31.0",
    "X-Amzn-Trace-Id": "Root=1-5e66d96f-7491f09xmpl79d18acf3d050",
    "X-Forwarded-For": "203.0.113.10",
    "X-Forwarded-Port": "443",
    "X-Forwarded-Proto": "https",
  },
  multiValueHeaders: {
    Accept: ["*/*"],
    "Accept-Encoding": ["gzip, deflate"],
    Host: ["id.execute-api.us-east-1.amazonaws.com"],
    "User-Agent": ["python-requests/2.31.0"],
    "X-Amzn-Trace-Id": ["Root=1-5e66d96f-7491f09xmpl79d18acf3d050"],
    "X-Forwarded-For": ["203.0.113.10"],
    "X-Forwarded-Port": ["443"],
    "X-Forwarded-Proto": ["https"],
  },
  queryStringParameters: null,
  multiValueQueryStringParameters: null,
  pathParameters: null,
  stageVariables: { lambdaAlias: "live" },
  requestContext: requestContext("POST", "/todo", "/prod/todo"),
  body: '{"todoId": "doc-0001", "title": "\\u30a2\\u30ec\\u3092\\u8cb7\\u3046"}',
  isBase64Encoded: false,
};

/** GET /todo/{todoId}: API Gateway decodes the path parameter; `requestContext.path` has the stage. */
export const documentedGetTodo: APIGatewayProxyEvent = {
  resource: "/todo/{todoId}",
  path: "/todo/doc-0001",
  httpMethod: "GET",
  headers: { accept: "application/json", Host: "id.execute-api.us-east-1.amazonaws.com" },
  multiValueHeaders: { accept: ["application/json"], Host: ["id.execute-api.us-east-1.amazonaws.com"] },
  queryStringParameters: null,
  multiValueQueryStringParameters: null,
  pathParameters: { todoId: "doc-0001" },
  stageVariables: { lambdaAlias: "live" },
  requestContext: requestContext("GET", "/todo/{todoId}", "/prod/todo/doc-0001"),
  body: null,
  isBase64Encoded: false,
};

/** GET /names?name=…: the single-value map holds the last value, the multi-value map all of them. */
export function documentedFindName(name: string): APIGatewayProxyEvent {
  return {
    resource: "/names",
    path: "/names",
    httpMethod: "GET",
    headers: { Host: "id.execute-api.us-east-1.amazonaws.com" },
    multiValueHeaders: { Host: ["id.execute-api.us-east-1.amazonaws.com"] },
    queryStringParameters: { name },
    multiValueQueryStringParameters: { name: [name] },
    pathParameters: null,
    stageVariables: { lambdaAlias: "live" },
    requestContext: requestContext("GET", "/names", "/prod/names"),
    body: null,
    isBase64Encoded: false,
  };
}
