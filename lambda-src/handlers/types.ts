import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import type { Dependencies } from "../dependencies";
import type { RequestLog } from "../logger";

/** Everything one request's handler may use; built per invocation, dropped afterwards. */
export interface Invocation {
  readonly event: APIGatewayProxyEvent;
  /** Decoded path parameters of the matched route. */
  readonly pathParameters: Readonly<Record<string, string>>;
  /** `context.functionVersion`: `$LATEST` or the published version number. */
  readonly functionVersion: string;
  readonly deps: Dependencies;
  /** Aborted when the invocation's time is nearly up; passed to every DynamoDB call. */
  readonly signal: AbortSignal;
  /** This request's log (already carries request id and function version). */
  readonly logger: RequestLog;
}

export type RouteHandler = (invocation: Invocation) => Promise<APIGatewayProxyResult>;
