// Who may do what (src/domain/approval-policy.ts, configured by environment): runners run, deployers
// deploy, set defaults and delete, approvers (a Slack user group) approve — never their own request, never
// after the approval expired — and only in the allowed channels of the allowed workspace. Every refusal
// is told to the person privately and enqueues nothing.
import { waitFor } from '../../sandbox/slack/wait-for';
import pino from 'pino';
import { createSlackDriver, type SlackDriver } from '../../sandbox/slack/driver';
import { APPROVER_GROUP, STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { EXPIRE_APPROVALS_JOB } from '../../src/queue/ops-worker';
import { approveButtonValue, signedApprovalClick } from '../support/approval-click';
import { createQueueInspector, createThreadReader, textOf, type QueueInspector, type ThreadReader } from '../support/stack-probes';
import { createEndpoint } from '../support/azureml-setup';

const { requester: alice, bystander: bob, approver: carol } = STACK_USERS;
const OTHER_CHANNEL = 'C0GENERAL01';
const OTHER_TEAM = 'T0OTHERTEAM';
let stack: EmbeddedStack;
let queues: QueueInspector;
let threads: ThreadReader;
/** The same people, but their requests come from another Slack workspace. */
let foreign: SlackDriver;

beforeAll(async () => {
  stack = await startEmbeddedStack({
    logger: pino({ level: 'silent' }),
    perChannelIntervalMs: 20,
    slackRateLimit: 'count',
    env: {
      BATCH_SCORE_DEPLOYERS: `${alice},${carol}`,
      BATCH_SCORE_RUNNERS: alice,
      BATCH_SCORE_ALLOWED_CHANNEL_IDS: STACK_CHANNEL,
      BATCH_SCORE_APPROVERS: APPROVER_GROUP,
      BATCH_SCORE_APPROVAL_REQUIRED_FOR: 'deploy,set-default,delete',
      BATCH_SCORE_APPROVAL_TTL: '3s',
    },
  });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
  threads = createThreadReader(stack.slack, STACK_CHANNEL);
  foreign = createSlackDriver({ botUrl: `http://127.0.0.1:${stack.bot.port}/slack/events`, signingSecret: stack.config.slack.signingSecret, standIn: stack.slack, teamId: OTHER_TEAM });
}, 60_000);

afterAll(async () => {
  await queues?.close();
  await stack?.stop();
});

/** Work jobs the bot enqueued: deploys, runs, and ops jobs other than the approval-expiry sweep. */
async function workJobs(): Promise<number> {
  const ops = await queues.queue('ops').getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
  return (await queues.total(['deploy', 'run'])) + ops.filter((j) => j.name !== EXPIRE_APPROVALS_JOB).length;
}

const replyText = (res: { body: unknown }) => JSON.stringify(res.body ?? '');

describe('who may ask', () => {
  const REFUSED: Array<[string, string, string, string, RegExp]> = [
    ['a user who is not a runner', bob, STACK_CHANNEL, 'run some-endpoint https://data.example.com/in/', /list of people who may run jobs/],
    ['a deployer who is not a runner', carol, STACK_CHANNEL, 'run some-endpoint https://data.example.com/in/', /list of people who may run jobs/],
    ['a user who is not a deployer, deploying', bob, STACK_CHANNEL, 'deploy', /list of people who may deploy/],
    ['a user who is not a deployer, deleting', bob, STACK_CHANNEL, 'delete some-endpoint', /list of people who may delete/],
    ['a user who is not a deployer, setting a default', bob, STACK_CHANNEL, 'set-default some-endpoint some-deployment', /list of people who may set-default/],
    ['a user who is not a runner, cancelling', bob, STACK_CHANNEL, 'cancel some-job', /list of people who may cancel/],
    ['a runner outside the allowed channels', alice, OTHER_CHANNEL, 'run some-endpoint https://data.example.com/in/', /not enabled in this channel/],
    ['a read-only look-up outside the allowed channels', alice, OTHER_CHANNEL, 'endpoints', /not enabled in this channel/],
  ];

  it.each(REFUSED)('refuses %s, privately, and enqueues nothing', async (_who, user, channel, text, why) => {
    const views = stack.slack.views().length;
    const before = await workJobs();
    const res = await stack.driver.slash(text, { user, channel });
    expect(res.status).toBe(200);
    expect(replyText(res)).toMatch(why);
    expect((res.body as { response_type?: string }).response_type).toBe('ephemeral');
    expect(await workJobs()).toBe(before);
    expect(stack.slack.views().length).toBe(views);
  });

  it('refuses a request from another Slack workspace, even from a runner, and enqueues nothing', async () => {
    const before = await workJobs();
    const res = await foreign.slash('run some-endpoint https://data.example.com/in/', { user: alice, channel: STACK_CHANNEL });
    expect(res.status).toBe(200);
    expect(replyText(res)).toMatch(/does not serve this Slack workspace/);
    expect(await workJobs()).toBe(before);
  });

  it('lets a runner run, and anyone in an allowed channel look things up', async () => {
    const before = await workJobs();
    const run = await stack.driver.slash('run some-endpoint https://data.example.com/in/', { user: alice, channel: STACK_CHANNEL });
    expect(replyText(run)).toContain('Checking request');
    const look = await stack.driver.slash('endpoints', { user: bob, channel: STACK_CHANNEL });
    expect(replyText(look)).toContain('Looking that up');
    expect(await workJobs()).toBe(before + 2);
  });
});

describe('who may approve', () => {
  async function askToDelete(user: string, endpoint: string) {
    // Only an endpoint that exists gets as far as an approver (see test/e2e/preflight.test.ts).
    await createEndpoint(stack.workers!.azureml, { name: endpoint });
    const res = await stack.driver.slash(`delete ${endpoint}`, { user, channel: STACK_CHANNEL });
    expect(replyText(res)).toContain('Checking request');
    const parent = await waitFor(() => threads.parentWith(`\`${endpoint}\``), { what: `the approval request for ${endpoint}` });
    return { parent, approvalId: approveButtonValue(parent.blocks ?? []) };
  }
  const ephemeralTo = (user: string, pattern: RegExp) =>
    waitFor(() => stack.slack.ephemerals(STACK_CHANNEL, user).find((m) => pattern.test(m.text)), { what: `a private answer to ${user} matching ${pattern}` });

  it('refuses approvals by non-approvers and by the requester, then takes the approver’s, once', async () => {
    const { parent } = await askToDelete(alice, 'approve-matrix');
    const before = await workJobs();
    await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-approve', { user: bob });
    await ephemeralTo(bob, /Only the configured approvers/);
    await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-approve', { user: alice });
    await ephemeralTo(alice, /Only the configured approvers/);
    expect(await workJobs()).toBe(before);
    expect(JSON.stringify(threads.current(parent).blocks)).toContain('approval-approve');

    await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-approve', { user: carol });
    await waitFor(async () => (await workJobs()) === before + 1, { what: 'the approved work to be enqueued' });
    await waitFor(() => !JSON.stringify(threads.current(parent).blocks).includes('approval-approve'), { what: 'the buttons to go' });
  });

  it("refuses an approver's approval of their own request", async () => {
    const { parent } = await askToDelete(carol, 'self-approved');
    const before = await workJobs();
    await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-approve', { user: carol });
    await ephemeralTo(carol, /yourself/);
    expect(await workJobs()).toBe(before);
    expect(JSON.stringify(threads.current(parent).blocks)).toContain('approval-approve');
  });

  it('refuses an approval clicked from another Slack workspace', async () => {
    const { parent, approvalId } = await askToDelete(alice, 'foreign-approval');
    const before = await workJobs();
    const click = signedApprovalClick(stack.slack, foreign, { channel: STACK_CHANNEL, ts: parent.ts, approvalId, user: { id: carol, name: 'carol' }, teamId: OTHER_TEAM });
    expect((await foreign.postRaw(click.body, click.headers)).status).toBe(200);
    await ephemeralTo(carol, /does not serve this Slack workspace/);
    expect(await workJobs()).toBe(before);
  });

  it('lets an approval expire: its message loses its buttons and a late approval is refused', async () => {
    const { parent, approvalId } = await askToDelete(alice, 'expires');
    const before = await workJobs();
    // The sweep (every second here) marks it expired after the 3 s TTL and removes the buttons.
    const expired = await waitFor(
      () => {
        const now = threads.current(parent);
        return !JSON.stringify(now.blocks).includes('approval-approve') ? now : undefined;
      },
      { what: 'the expired request to lose its buttons', timeoutMs: 15_000 },
    );
    expect(textOf(expired)).toMatch(/expired/i);
    // A click that still arrives (an old client, a replay) is refused.
    const click = signedApprovalClick(stack.slack, stack.driver, { channel: STACK_CHANNEL, ts: parent.ts, approvalId, user: { id: carol, name: 'carol' } });
    expect((await stack.driver.postRaw(click.body, click.headers)).status).toBe(200);
    await ephemeralTo(carol, /expired/);
    expect(await workJobs()).toBe(before);
  });
});
