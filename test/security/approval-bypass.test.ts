// A request needs every approval any of its effects needs (issue 12, item 3). With
// BATCH_SCORE_APPROVAL_REQUIRED_FOR=set-default,delete a plain deploy needs no approval, but a deploy that
// makes itself the default, or that redeploys the endpoint's current default deployment, changes the
// default and so waits for an approver. Real Bolt receiver, BullMQ on redis, the sandboxes over HTTP.
import pino from 'pino';
import { waitFor } from '../../sandbox/slack/wait-for';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { waitForQuiet } from '../support/quiet-queues';
import { createQueueInspector, createThreadReader, textOf, type QueueInspector, type ThreadReader } from '../support/stack-probes';
import { deployFields, openDeployModal, requestDeploy } from '../support/user-gestures';
import type { FieldValue } from '../../sandbox/slack/driver';

let stack: EmbeddedStack;
let queues: QueueInspector;
let threads: ThreadReader;

beforeAll(async () => {
  stack = await startEmbeddedStack({
    logger: pino({ level: 'silent' }),
    perChannelIntervalMs: 20,
    slackRateLimit: 'count',
    env: { BATCH_SCORE_APPROVAL_REQUIRED_FOR: 'set-default,delete' },
  });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
  threads = createThreadReader(stack.slack, STACK_CHANNEL);
}, 60_000);

afterAll(async () => {
  await queues?.close();
  await stack?.stop();
});

const hasApproveButton = (m: Parameters<typeof textOf>[0]) => textOf(m).includes('approval-approve');
const deployJobs = async () => queues.total(['deploy']);

/** Submits the deploy form and returns the new request's parent message (not an earlier one for the same endpoint). */
async function newDeployRequest(endpoint: string, overrides: Record<string, FieldValue>) {
  const seen = new Set(stack.slack.messages(STACK_CHANNEL).map((m) => m.ts));
  const viewId = await openDeployModal(stack);
  const res = await stack.driver.fillAndSubmit(viewId, deployFields(endpoint, overrides), { user: STACK_USERS.requester });
  expect(res.outcome.kind).toBe('closed');
  return waitFor(() => stack.slack.messages(STACK_CHANNEL).find((m) => !seen.has(m.ts) && (m.thread_ts === undefined || m.thread_ts === m.ts) && textOf(m).includes(endpoint)), {
    what: `the new request for ${endpoint}`,
  });
}

describe('deploys that change the default', () => {
  it('asks for approval when "make default" is ticked, and enqueues nothing before it', async () => {
    const before = await deployJobs();
    const parent = await requestDeploy(stack, 'bypass-default');
    expect(hasApproveButton(parent)).toBe(true);
    expect(await deployJobs()).toBe(before);
  });

  it('lets a deploy beside another default through, but asks for a redeploy of the current default', async () => {
    // The endpoint's default is `mnist-torch`, set by an approved deploy.
    const first = await requestDeploy(stack, 'bypass-redeploy');
    await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: first.ts }, 'approval-approve', { user: STACK_USERS.approver });
    await waitFor(() => threads.finalReplies(first)[0], { what: 'the first deploy', timeoutMs: 40_000 });
    await waitForQuiet(queues);

    const before = await deployJobs();
    const beside = await newDeployRequest('bypass-redeploy', { deployment: 'second', make_default: [] });
    expect(hasApproveButton(beside)).toBe(false);
    await waitFor(async () => ((await deployJobs()) > before) || undefined, { what: 'the plain deploy to be queued' });
    await waitFor(() => threads.finalReplies(beside)[0], { what: 'the plain deploy', timeoutMs: 40_000 });
    await waitForQuiet(queues);

    const queued = await deployJobs();
    const over = await newDeployRequest('bypass-redeploy', { make_default: [] });
    expect(hasApproveButton(over)).toBe(true);
    expect(await deployJobs()).toBe(queued);
  });
});
