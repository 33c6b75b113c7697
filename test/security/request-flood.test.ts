// One user cannot flood the approvers (issue 12, item 6): open requests are capped per user and per
// channel (BATCH_SCORE_MAX_PENDING_PER_USER / _PER_CHANNEL). Twenty deletes from one user are taken and
// the twenty-first is refused at once with a message, nothing recorded or enqueued; another user's run
// in the same channel still gets its thread. Real Bolt receiver, BullMQ on redis, the sandboxes over HTTP.
import pino from 'pino';
import { waitFor } from '../../sandbox/slack/wait-for';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { createQueueInspector, createThreadReader, textOf, type QueueInspector, type ThreadReader } from '../support/stack-probes';
import { deployApproved } from '../support/user-gestures';

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
    const deployed = await deployApproved(stack, 'flood-ep');
    await waitFor(() => threads.finalReplies(deployed)[0], { what: 'the endpoint to exist', timeoutMs: 60_000 });
    for (let i = 1; i <= 20; i++) {
      const res = await stack.driver.slash(`delete flood-ep`, { user: STACK_USERS.requester, channel: STACK_CHANNEL });
      expect(res.status).toBe(200);
    }
    // Each is checked with Azure first, then taken: wait until all twenty ask the approvers.
    // Twenty deletes plus the deploy's own approval.
    await waitFor(async () => ((await approvalsPending()) >= 21) || undefined, { what: 'twenty approval requests', timeoutMs: 30_000 });
    const approvalsBefore = await approvalsPending();
    const started = Date.now();
    const refused = await stack.driver.slash('delete flood-ep', { user: STACK_USERS.requester, channel: STACK_CHANNEL });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(JSON.stringify(refused.body)).toMatch(/20 open requests \(the limit is 20\)/);
    expect(await approvalsPending()).toBe(approvalsBefore);

    // Someone else in the same channel is not held up by the cap, and their thread appears.
    const res = await stack.driver.slash('run other-ep https://example.com/data/', { user: STACK_USERS.bystander, channel: STACK_CHANNEL });
    expect(JSON.stringify(res.body)).not.toMatch(/open requests/);
    // The endpoint does not exist: the other user hears so from the pre-flight check, promptly.
    await waitFor(() => stack.slack.responseUrlPosts().find((p) => JSON.stringify(p).includes('other-ep')), { what: "the other user's answer", timeoutMs: 10_000 });

    // Once one of the twenty is decided, the user may ask again.
    const parent = await waitFor(() => stack.slack.messages(STACK_CHANNEL).find((m) => m.ts !== deployed.ts && textOf(m).includes('approval-reject')), { what: 'a pending request' });
    const click = await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-reject', { user: STACK_USERS.approver });
    expect(click.status).toBe(200);
    await waitFor(async () => {
      const res = await stack.driver.slash('delete flood-ep', { user: STACK_USERS.requester, channel: STACK_CHANNEL });
      return !/open requests/.test(JSON.stringify(res.body)) || undefined;
    }, { what: 'a new request to be taken', timeoutMs: 10_000 });
  });
});
