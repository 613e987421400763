/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Powertools keeps a Lambda invoke store on the global object; jest's soft cleanup warns about it.
  testEnvironmentOptions: { globalsCleanup: 'off' },
  roots: ['<rootDir>/packages', '<rootDir>/services', '<rootDir>/test', '<rootDir>/examples'],
  testMatch: ['**/test/**/*.test.ts'],
  // The fault suite and the chaos soak run with `npm run test:faults` (jest.faults.config.js), and the real-browser
  // test with `npm run test:browser` (jest.browser.config.js: it needs chromium), not here.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/faults/', '<rootDir>/test/browser/'],
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest'] },
  // middy and some Powertools modules ship ESM only: let swc turn them into CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!(@middy|@aws-lambda-powertools)/)'],
  modulePathIgnorePatterns: ['<rootDir>/.*/\\.serverless/', '<rootDir>/.*/\\.esbuild/'],
  setupFiles: ['<rootDir>/test/setup-env.js'],
  testTimeout: 30000,
  // jest's default leaves a core idle (workers = cores - 1: one worker on a 2-core machine). The end-to-end
  // stacks mostly wait on time-scaled timers, so a worker per core halves \`npm test\` there (measured: 432 s → 191 s).
  maxWorkers: '100%',
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
