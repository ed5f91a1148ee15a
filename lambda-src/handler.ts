/**
 * The function's entry (`index.handler` in the bundle). Module scope holds only what may be
 * shared by every request in this container: the logger and, once created, the SDK client.
 */
import { createApiHandler } from "./app";
import { defaultDependencies } from "./dependencies";
import { createServiceLogger } from "./logger";

const logger = createServiceLogger();

export const handler = createApiHandler({ logger, dependencies: () => defaultDependencies(logger) });
