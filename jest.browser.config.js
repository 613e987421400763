/**
 * `npm run test:browser`: `trapheus ui` in a real headless chromium (test/browser), against a local stack in the
 * same process. Not part of `npm test`: a fresh machine may have no chromium (CHROMIUM_PATH, default
 * /usr/bin/chromium; .ci/run installs Debian's).
 */
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/browser'],
  testMatch: ['**/test/browser/**/*.browser.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 120_000,
  reporters: ['default'],
};
