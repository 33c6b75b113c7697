// One project per test layer, so `--selectProjects unit` gives a fast loop and CI runs them all.
const base = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] },
};
const layer = (name, timeout) => ({
  ...base,
  displayName: name,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  ...(timeout ? { testTimeout: timeout } : {}),
});
module.exports = {
  projects: [
    layer('unit'),
    layer('contract', 60000),
    layer('integration', 60000),
    layer('e2e', 120000),
    layer('resilience', 180000),
    layer('security', 120000),
  ],
};
