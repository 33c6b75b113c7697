// What refused and routine work leaves in Redis is bounded (issue 12, item 9): the approval-expiry sweep
// runs every few seconds forever, and its completed jobs are removed instead of piling up; a request
// refused before it was taken (not a runner, too many open requests, another workspace) leaves no
// per-request audit stream, only an entry in the capped all-requests stream.
import pino from 'pino';
import { waitFor } from '../../sandbox/slack/wait-for';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { EXPIRE_APPROVALS_JOB } from '../../src/queue/ops-worker';
import { createQueueInspector, type QueueInspector } from '../support/stack-probes';

let stack: EmbeddedStack;
let queues: QueueInspector;

beforeAll(async () => {
  stack = await startEmbeddedStack({
    logger: pino({ level: 'silent' }),
    perChannelIntervalMs: 20,
    slackRateLimit: 'count',
    env: { BATCH_SCORE_RUNNERS: STACK_USERS.requester },
  });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
}, 60_000);

afterAll(async () => {
  await queues?.close();
  await stack?.stop();
});

describe('leftovers', () => {
  it('removes completed approval-sweep jobs', async () => {
    // The embedded stack sweeps every second: wait for several sweeps to have run.
    await waitFor(
      async () => {
        const scheduler = await queues.queue('ops').getJobScheduler(EXPIRE_APPROVALS_JOB);
        return ((scheduler as { iterationCount?: number } | undefined)?.iterationCount ?? 0) >= 4 || undefined;
      },
      { what: 'four sweeps', timeoutMs: 20_000 },
    );
    const completed = await queues.queue('ops').getJobs(['completed']);
    expect(completed.filter((j) => j.name === EXPIRE_APPROVALS_JOB)).toEqual([]);
  });

  it('keeps no per-request audit stream for requests refused before they were taken', async () => {
    const streams = async () => (await queues.redis.keys('bsb:audit:request:*')).length;
    const before = await streams();
    const allBefore = await queues.redis.xlen('bsb:audit');
    for (let i = 0; i < 5; i++) {
      const res = await stack.driver.slash(`run some-ep-${i} https://example.com/data/`, { user: STACK_USERS.bystander, channel: STACK_CHANNEL });
      expect(JSON.stringify(res.body)).toMatch(/not on the list of people who may run/);
    }
    expect(await queues.redis.xlen('bsb:audit')).toBeGreaterThanOrEqual(allBefore + 5);
    expect(await streams()).toBe(before);
  });
});
