// One user cannot flood the approvers (issue 12, item 6): open requests are capped per user and per
// channel (BATCH_SCORE_MAX_PENDING_PER_USER / _PER_CHANNEL). Twenty deletes from one user are taken and
// the twenty-first is refused at once with a message, nothing recorded or enqueued; another user's run
// in the same channel still gets its thread. Real Bolt receiver, BullMQ on redis, the sandboxes over HTTP.
import pino from 'pino';
import { waitFor } from '../../sandbox/slack/wait-for';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../src/embedded-stack';
import { createQueueInspector, createThreadReader, type QueueInspector, type ThreadReader } from '../support/stack-probes';

let stack: EmbeddedStack;
let queues: QueueInspector;
let threads: ThreadReader;

beforeAll(async () => {
  stack = await startEmbeddedStack({
    logger: pino({ level: 'silent' }),
    perChannelIntervalMs: 20,
    slackRateLimit: 'count',
    env: { BATCH_SCORE_MAX_PENDING_PER_USER: '20', BATCH_SCORE_MAX_PENDING_PER_CHANNEL: '50' },
  });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
  threads = createThreadReader(stack.slack, STACK_CHANNEL);
}, 60_000);

afterAll(async () => {
  await queues?.close();
  await stack?.stop();
});

const approvalsPending = async (): Promise<number> => (await queues.redis.keys('bsb:approval:*')).length;

describe('a flood of requests from one user', () => {
  it('takes twenty, refuses the twenty-first at once, lets another user through, and admits again after a decision', async () => {
    for (let i = 1; i <= 20; i++) {
      const res = await stack.driver.slash(`delete flood-ep-${i}`, { user: STACK_USERS.requester, channel: STACK_CHANNEL });
      expect(JSON.stringify(res.body)).toMatch(/needs approval/);
    }
    const approvalsBefore = await approvalsPending();
    const started = Date.now();
    const refused = await stack.driver.slash('delete flood-ep-21', { user: STACK_USERS.requester, channel: STACK_CHANNEL });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(JSON.stringify(refused.body)).toMatch(/20 open requests \(the limit is 20\)/);
    expect(await approvalsPending()).toBe(approvalsBefore);

    // Someone else in the same channel is not held up by the cap, and their thread appears.
    const res = await stack.driver.slash('run other-ep https://example.com/data/', { user: STACK_USERS.bystander, channel: STACK_CHANNEL });
    expect(JSON.stringify(res.body)).toMatch(/queued/);
    await waitFor(() => threads.parentWith('other-ep'), { what: "the other user's thread", timeoutMs: 10_000 });
    expect(threads.parentWith('flood-ep-21')).toBeUndefined();

    // Once one of the twenty is decided, the user may ask again.
    const parent = await waitFor(() => threads.parentWith(/flood-ep-1\b/), { what: 'the first request' });
    const click = await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-reject', { user: STACK_USERS.approver });
    expect(click.status).toBe(200);
    await waitFor(async () => {
      const res = await stack.driver.slash('delete flood-ep-22', { user: STACK_USERS.requester, channel: STACK_CHANNEL });
      return /needs approval/.test(JSON.stringify(res.body)) || undefined;
    }, { what: 'a new request to be taken', timeoutMs: 10_000 });
  });
});
