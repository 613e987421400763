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
 * Only the bundles use this: tests, the CLI and the local stack run the SDK's own chain. The bundles are for Lambda's
 * standard execution environments; a place that gives credentials otherwise (a container credentials endpoint, a
 * profile) gets this provider's error, naming this file. Keeping the chain as a fallback loaded on demand was
 * measured: its parse alone costs the whole gain back (init A/B 1.09).
 *
 * @example
 * // what each client's runtime config does with it:
 * const credentials = defaultProvider({ logger })();
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

const ONLY_FROM_ENV =
  "(Trapheus's packaged handlers read credentials only from the environment, as Lambda sets them: " +
  'packages/shared/src/lambda-credentials.ts.)';

export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => {
  const fromEnvironment = fromEnv(init);
  return async () => {
    try {
      return await fromEnvironment();
    } catch (err) {
      // Never on Lambda; elsewhere (a bundle run by hand) the SDK's error alone would not say why no other source
      // was tried.
      if (err instanceof Error) err.message = `${err.message} ${ONLY_FROM_ENV}`;
      throw err;
    }
  };
};
