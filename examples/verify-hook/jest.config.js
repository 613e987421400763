/** Standalone tests (`npm test` in a copy of this folder). In the Trapheus repo the root jest runs them. */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/.serverless/', '/.esbuild/'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
};
