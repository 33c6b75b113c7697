// A worker started where no Azure credential works (no managed identity endpoint, no service principal,
// no developer login) says so at start in one JSON log line: which credentials DefaultAzureCredential
// tried and how to give the worker one. Real worker process, real redis-server and Azure ML sandbox.
import pino from 'pino';
import { startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { MAIN_ENTRY, spawnTsx, type TsxChild } from '../support/worker-process';

let stack: EmbeddedStack;
let worker: TsxChild | undefined;

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), workers: false });
});

afterAll(async () => {
  await worker?.stop();
  await stack?.stop();
});

it('logs one line naming the credentials tried and the fix when none gives a token', async () => {
  // The stack's environment without IDENTITY_ENDPOINT / IDENTITY_HEADER: nothing can give a token.
  worker = spawnTsx(MAIN_ENTRY, ['worker'], { env: { ...stack.env, LOG_LEVEL: 'info' } });
  await worker.waitForOutput(/no working Azure credential/, 45_000);
  const lines = `${worker.stdout()}\n${worker.stderr()}`.split('\n').filter((l) => l.includes('no working Azure credential'));
  expect(lines).toHaveLength(1);
  const entry = JSON.parse(lines[0] as string) as { level: number; msg: string };
  expect(entry.level).toBeGreaterThanOrEqual(50);
  expect(entry.msg).toMatch(/tried EnvironmentCredential, .*ManagedIdentityCredential.*AzureCliCredential/);
  expect(entry.msg).toMatch(/managed identity.*AZURE_CLIENT_SECRET.*az login/);
}, 60_000);
