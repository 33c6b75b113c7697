// One project per test layer, so `--selectProjects unit` gives a fast loop and CI runs them all.
const base = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] },
};
const layer = (name) => ({
  ...base,
  displayName: name,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
});
module.exports = {
  projects: [
    layer('unit'),
    layer('contract'),
    layer('integration'),
    layer('e2e'),
    layer('resilience'),
    layer('security'),
  ],
  // testTimeout is a global option in jest (not per project): a generous bound for the stack tests;
  // unit tests finish in milliseconds anyway.
  testTimeout: 60000,
};
