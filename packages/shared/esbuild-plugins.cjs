/**
 * esbuild plugins of every service's package (serverless-esbuild `custom.esbuild.plugins`, a path relative to the
 * service): a packaged handler's SDK clients read the execution role's keys from the environment, as Lambda
 * provides them, instead of bundling the whole default credential chain (src/lambda-credentials.ts says why).
 */
const path = require('node:path');

const lambdaCredentials = {
  name: 'trapheus-lambda-credentials',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({
      path: path.join(__dirname, 'src', 'lambda-credentials.ts'),
    }));
  },
};

module.exports = [lambdaCredentials];
