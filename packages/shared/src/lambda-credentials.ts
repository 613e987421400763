/**
 * The credential provider of the SDK clients in a packaged Lambda handler, in place of the default chain of
 * `@aws-sdk/credential-provider-node` (swapped at bundle time by `packages/shared/esbuild-plugins.cjs`).
 *
 * Lambda gives a function its execution role's keys in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN (Lambda Developer Guide, "Defined runtime environment variables"); the default chain's first
 * link reads exactly these, and on Lambda it is the only one that ever answers. The rest of the chain (SSO, shared
 * config files, credential_process, web identity, container and instance metadata, with the STS and SSO clients
 * they load: about 115 KiB minified) was parsed at every cold start for nothing, about 10 ms of init.
 *
 * Only the bundles use this: tests, the CLI and the local stack run the SDK's own chain.
 *
 * @example
 * // what each client's runtime config does with it:
 * const credentials = defaultProvider({ logger })();
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
