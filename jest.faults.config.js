/**
 * `npm run test:faults`: the fault suite and the chaos soak (test/faults), one process, in band (each batch
 * runs a whole local stack; aws-ses-v2-local allows one per process). Not part of `npm test`.
 */
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/test/faults/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 20 * 60 * 1000,
  reporters: ['default', '<rootDir>/test/faults/reporter.js'],
};
