/**
 * Structured JSON logs (Powertools). One service logger per container; every invocation logs
 * through its own child so request ids and keys never carry over to the next request.
 */
import { Logger } from "@aws-lambda-powertools/logger";

/** Reads POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL from the function environment. */
export function createServiceLogger(): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "shiftline-api" });
}
