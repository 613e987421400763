#!/usr/bin/env node
// The `trapheus` command. Runs the TypeScript sources through tsx, so there is no build step.
// Lambda runs Node 22; on an older local Node the SDK's version notice is only noise for CLI users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs/api').register();
require('../src/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err) => {
    console.error(`trapheus: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 70; // internal error (main maps every expected failure to its own code)
  });
