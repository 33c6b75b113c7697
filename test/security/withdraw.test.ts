// The requester can withdraw a request that waits for approval (issue 13): a Withdraw button on the
// approval message that only the requester may use; the store records it with the same atomic
// transition as Approve / Reject, so a Withdraw racing an Approve has one winner and the work is enqueued
// only when Approve won; the message loses its buttons and says so; the audit records it. The
// requester's own Reject points to Withdraw instead of the self-approval refusal.
// Real Bolt HTTP receiver, real redis, the Slack stand-in's signed driver.
import pino from 'pino';
import { waitFor } from '../../sandbox/slack/wait-for';
import { APPROVER_GROUP, STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { EXPIRE_APPROVALS_JOB } from '../../src/queue/ops-worker';
import { PREFLIGHT_JOB } from '../../src/queue/request-preflight';
import { APPROVAL_ACTIONS } from '../../src/slack/blocks/approval-request-message';
import { createQueueInspector, createThreadReader, textOf, type QueueInspector, type ThreadReader } from '../support/stack-probes';
import { createEndpoint } from '../support/azureml-setup';

const { requester: alice, bystander: bob, approver: carol } = STACK_USERS;
let stack: EmbeddedStack;
let queues: QueueInspector;
let threads: ThreadReader;

beforeAll(async () => {
  stack = await startEmbeddedStack({
    logger: pino({ level: 'silent' }),
    perChannelIntervalMs: 20,
    slackRateLimit: 'count',
    // carol is both a deployer and an approver, so her own request can be "rejected by the requester".
    env: { BATCH_SCORE_DEPLOYERS: `${alice},${carol}`, BATCH_SCORE_APPROVERS: APPROVER_GROUP, BATCH_SCORE_APPROVAL_REQUIRED_FOR: 'delete' },
  });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
  threads = createThreadReader(stack.slack, STACK_CHANNEL);
}, 60_000);

afterAll(async () => {
  await queues?.close();
  await stack?.stop();
});

async function workJobs(): Promise<number> {
  const ops = await queues.queue('ops').getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
  return ops.filter((j) => j.name !== EXPIRE_APPROVALS_JOB && j.name !== PREFLIGHT_JOB).length + (await queues.total(['deploy', 'run']));
}

async function askToDelete(user: string, endpoint: string) {
  await createEndpoint(stack.workers!.azureml, { name: endpoint });
  await stack.driver.slash(`delete ${endpoint}`, { user, channel: STACK_CHANNEL });
  return waitFor(() => threads.parentWith(`\`${endpoint}\``), { what: `the approval request for ${endpoint}` });
}

const ephemeralTo = (user: string, pattern: RegExp) =>
  waitFor(() => stack.slack.ephemerals(STACK_CHANNEL, user).find((m) => pattern.test(m.text)), { what: `a private answer to ${user} matching ${pattern}` });

async function auditTypes(requestId: string): Promise<string[]> {
  const entries = await queues.redis.xrange(`${stack.config.redis.queuePrefix}:audit:request:${requestId}`, '-', '+');
  return entries.map(([, fields]) => fields[fields.indexOf('type') + 1] ?? '');
}

const requestIdOf = (text: string): string => /request `([^`]+)`|approval `([^`]+)`/.exec(text)!.slice(1).find(Boolean)!;

it('shows Withdraw on the approval message; only the requester may use it', async () => {
  const parent = await askToDelete(alice, 'withdraw-who');
  expect(JSON.stringify(parent.blocks)).toContain(APPROVAL_ACTIONS.withdraw);
  const before = await workJobs();
  for (const user of [bob, carol]) {
    await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, APPROVAL_ACTIONS.withdraw, { user });
    await ephemeralTo(user, /Only the person who made this request can withdraw it/);
  }
  expect(JSON.stringify(threads.current(parent).blocks)).toContain(APPROVAL_ACTIONS.approve);
  expect(await workJobs()).toBe(before);
});

it('withdraws for the requester: the message says so without buttons, the audit records it, a later Approve is refused', async () => {
  const parent = await askToDelete(alice, 'withdraw-me');
  const requestId = requestIdOf(textOf(parent));
  const before = await workJobs();
  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, APPROVAL_ACTIONS.withdraw, { user: alice });
  await ephemeralTo(alice, /Withdrawn; nothing was started/);
  const updated = await waitFor(() => (/Withdrawn by <@U0ALICE001>/.test(textOf(threads.current(parent))) ? threads.current(parent) : undefined), {
    what: 'the approval message to say withdrawn',
  });
  expect(JSON.stringify(updated.blocks)).not.toContain('approval-');
  expect(await auditTypes(requestId)).toEqual(expect.arrayContaining(['requested', 'approval-requested', 'withdrawn']));
  expect(await stack.bot.deps.intake.requests.get(requestId)).toMatchObject({ status: 'withdrawn' });
  // A click from a stale client (the buttons are gone from the message) finds it decided.
  const approved = await stack.bot.deps.intake.approvals.decide(requestId, { approve: true, userId: carol, at: Date.now() });
  expect(approved).toMatchObject({ ok: false, reason: 'already-decided' });
  expect(await workJobs()).toBe(before);
});

it("answers the requester's own Reject with the way to withdraw, and changes nothing", async () => {
  const parent = await askToDelete(carol, 'reject-own');
  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, APPROVAL_ACTIONS.reject, { user: carol });
  const answer = await ephemeralTo(carol, /your own request/);
  expect(answer.text).toMatch(/Withdraw/);
  expect(answer.text).not.toMatch(/another approver has to decide/);
  expect(JSON.stringify(threads.current(parent).blocks)).toContain(APPROVAL_ACTIONS.withdraw);
});

it('a Withdraw and an Approve clicked at once: one wins, the work is enqueued only if Approve won', async () => {
  const endpoints = Array.from({ length: 6 }, (_, i) => `withdraw-race-${i}`);
  const parents = [];
  for (const ep of endpoints) parents.push(await askToDelete(alice, ep));
  const before = await workJobs();
  await Promise.all(
    parents.flatMap((p) => [
      stack.driver.clickButton({ channel: STACK_CHANNEL, ts: p.ts }, APPROVAL_ACTIONS.withdraw, { user: alice }),
      stack.driver.clickButton({ channel: STACK_CHANNEL, ts: p.ts }, APPROVAL_ACTIONS.approve, { user: carol }),
    ]),
  );
  let approvedCount = 0;
  for (const p of parents) {
    const requestId = requestIdOf(textOf(p));
    const approval = await waitFor(async () => {
      const a = await stack.bot.deps.intake.approvals.get(requestId);
      return a && a.status !== 'pending' ? a : undefined;
    }, { what: `a decision on ${requestId}` });
    const types = await auditTypes(requestId);
    const decided = types.filter((t) => t === 'approved' || t === 'withdrawn');
    expect(decided).toEqual([approval.status]);
    if (approval.status === 'approved') approvedCount += 1;
    else expect(approval.status).toBe('withdrawn');
  }
  await waitFor(async () => (await workJobs()) === before + approvedCount, { what: `${approvedCount} approved deletes to be enqueued` });
  expect(await workJobs()).toBe(before + approvedCount);
});
