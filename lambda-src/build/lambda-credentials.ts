/**
 * Stands in for `@aws-sdk/credential-provider-node` inside the Lambda bundle only (esbuild
 * `alias` in ./index.ts). In Lambda the runtime always hands the execution role's credentials
 * to the function as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, so the
 * default chain's SSO, INI, process, web-identity and instance-metadata providers (with the STS
 * and SSO clients they carry, about a quarter of the bundle) can never be used there; leaving
 * them out shortens the module init the benchmark measures.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 * Local runs and tests load the real default chain, since they run unbundled.
 */
import { fromEnv } from "@aws-sdk/credential-provider-env";

type DefaultProviderInit = Parameters<typeof fromEnv>[0];

export const defaultProvider = (init?: DefaultProviderInit) => fromEnv(init);
