/** Two projects: unit tests need no services; integration tests use real PostgreSQL and Redis. */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];
// NestJS 12 packages are ES modules: Babel makes CommonJS of them for Jest's module runtime
// (test/support/esm-to-cjs.transformer.js). The built service runs them natively.
const transform = { '^.+\\.ts$': tsJest, '^.+\\.js$': '<rootDir>/test/support/esm-to-cjs.transformer.js' };
const transformIgnorePatterns = ['/node_modules/(?!@nestjs/)'];
module.exports = {
  // Integration tests import whole data sets; unit tests are far below this.
  testTimeout: 180000,
  // BullMQ and pg sockets can outlive app.close() by a moment; never let CI hang on them.
  forceExit: true,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/unit/**/*.spec.ts', '<rootDir>/rules/**/*.spec.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
  ],
};
