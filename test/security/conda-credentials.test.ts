// A credential in a conda file (`--extra-index-url https://user:token@host/…`) is not written to the audit
// trail in clear (issue 12, item 8, the audit part): redactSecrets now removes a URL's user info wherever
// it appears in text. Real Bolt receiver and the deploy form, real redis for the audit streams.
import pino from 'pino';
import { STACK_CHANNEL, startEmbeddedStack, type EmbeddedStack } from '../../src/embedded-stack';
import { createQueueInspector, type QueueInspector } from '../support/stack-probes';
import { requestDeploy } from '../support/user-gestures';
import { redactSecrets } from '../../src/queue/audit-trail';

const TOKEN = 'pypi-tok3n-sup3r-s3cret';
const CONDA = `name: env\nchannels: [conda-forge]\ndependencies:\n  - python=3.10\n  - pip:\n    - --extra-index-url https://build-bot:${TOKEN}@pkgs.example.com/simple\n    - torch\n`;

let stack: EmbeddedStack;
let queues: QueueInspector;

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 20, slackRateLimit: 'count' });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
}, 60_000);

afterAll(async () => {
  await queues?.close();
  await stack?.stop();
});

it('keeps the index credential out of the audit streams', async () => {
  await requestDeploy(stack, 'conda-secret', { overrides: { conda_file: CONDA }, channel: STACK_CHANNEL });
  const streams = [...(await queues.redis.keys('bsb:audit:request:*')), 'bsb:audit'];
  const stored = (await Promise.all(streams.map((k) => queues.redis.xrange(k, '-', '+')))).flat(3).join('\n');
  expect(stored).toContain('pkgs.example.com');
  expect(stored).not.toContain(TOKEN);
});

it('redacts user info of any URL in text, keeping where it points', () => {
  expect(redactSecrets({ text: 'pip install --index-url https://u:p4ss@host.example/simple x' })).toEqual({
    text: 'pip install --index-url https://[redacted]@host.example/simple x',
  });
});
