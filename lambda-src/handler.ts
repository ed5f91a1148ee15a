/**
 * The function's entry (`index.handler` in the bundle). Module scope holds only what may be
 * shared by every request in this container: the logger, the metrics writer and the SDK client, all created here
 * during the init phase.
 */
import { createApiHandler } from "./app";
import { loadDependencies } from "./dependencies";
import { createServiceLogger } from "./logger";
import { createRequestMetrics } from "./metrics";

const logger = createServiceLogger();

export const handler = createApiHandler({ logger, dependencies: loadDependencies(process.env, logger), metrics: createRequestMetrics() });
