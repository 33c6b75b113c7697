// Slack throttles (429 with Retry-After) and then fails (HTTP 500) for a while: the notify outbox keeps
// every message, waits as told, retries, and in the end every thread has all of its messages, in order,
// none twice.
import { waitFor } from '../../sandbox/slack/wait-for';
import pino from 'pino';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { waitForQuiet } from '../support/quiet-queues';
import { duplicatePosts, statusesOf } from '../support/slack-deliveries';
import { createQueueInspector, createThreadReader, isTopLevel, JOB_MESSAGE, type QueueInspector, type ThreadReader } from '../support/stack-probes';
import { deployApproved } from '../support/user-gestures';

let stack: EmbeddedStack;
let queues: QueueInspector;
let threads: ThreadReader;

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 50, slackRateLimit: 'count' });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
  threads = createThreadReader(stack.slack, STACK_CHANNEL);
  const parent = await deployApproved(stack, 'slack-faults');
  await waitFor(() => threads.finalReplies(parent)[0], { what: 'the deploy', timeoutMs: 30_000 });
  for (let i = 0; i < 5; i++) await stack.azureml.admin.putDatastoreFile(`slack-faults/in/${i}.png`, Buffer.from(`digit-${i}`));
  await waitForQuiet(queues);
}, 60_000);

afterAll(async () => {
  await queues?.close();
  await stack?.stop();
});

it('delivers every notification once and in order after 429s with Retry-After and then 500s', async () => {
  stack.slack.faults.next('chat.postMessage', 3, { status: 429, retryAfterSec: 1 });
  stack.slack.faults.next('chat.postMessage', 3, { status: 500 });
  const before = new Set(stack.slack.messages(STACK_CHANNEL).map((m) => m.ts));

  const requests = 3;
  for (let i = 0; i < requests; i++) {
    const res = await stack.driver.slash(`run slack-faults azureml://datastores/workspaceblobstore/paths/slack-faults/in`, { user: STACK_USERS.requester, channel: STACK_CHANNEL });
    expect(JSON.stringify(res.body)).toContain('Checking request');
  }
  const parents = await waitFor(
    () => {
      const found = stack.slack.messages(STACK_CHANNEL).filter((m) => !before.has(m.ts) && isTopLevel(m) && m.text.includes('slack-faults'));
      return found.length === requests ? found : undefined;
    },
    { what: 'the three run requests in the channel', timeoutMs: 30_000 },
  );
  await waitFor(() => parents.every((p) => threads.finalReplies(p).length > 0), { what: 'every final reply', timeoutMs: 60_000 });
  await waitForQuiet(queues, { timeoutMs: 30_000 });

  // The faults really happened.
  const posts = statusesOf(stack.slack, 'chat.postMessage');
  expect(posts[429]).toBe(3);
  expect(posts[500]).toBe(3);

  for (const parent of parents) {
    const replies = threads.replies(parent);
    const finals = threads.finalReplies(parent);
    expect(finals).toHaveLength(1);
    expect(finals[0]!.text).toContain('completed');
    // In order: the job's own message (started, then its status line) comes before the final reply.
    const started = replies.findIndex((r) => JOB_MESSAGE.test(r.text));
    expect(started).toBeGreaterThanOrEqual(0);
    expect(started).toBeLessThan(replies.indexOf(finals[0]!));
    const tss = replies.map((r) => Number(r.ts));
    expect([...tss].sort((a, b) => a - b)).toEqual(tss);
  }
  // None twice, anywhere.
  expect(duplicatePosts(stack.slack)).toEqual([]);
  // Nothing was given up on.
  expect(await queues.redis.llen(`${stack.config.redis.queuePrefix}:outbox:dead`)).toBe(0);
});
