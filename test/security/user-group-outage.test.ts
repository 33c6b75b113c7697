// Issue 12 item 7 / issue 11 item 2: who may approve comes from Slack user groups, read with
// usergroups.users.list. When Slack cannot be asked, an approver removed from the group must not keep
// approving on a cached list forever: the last list is used only up to a bounded age, then the look-up
// fails closed, promptly, and the person is told nothing was decided. Real WebClient (configured as the
// bot's) against the Slack stand-in over HTTP; the clock is injected to step past the bounds.
import pino from 'pino';
import { LogLevel, WebClient } from '@slack/web-api';
import { startSlackStandIn, type SlackStandIn } from '../../sandbox/slack';
import { createUserGroupResolver, UserGroupLookupFailed } from '../../src/handlers/user-groups';
import { botClientOptions } from '../../src/slack/slack-client';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { requestDeploy } from '../support/user-gestures';
import { textOf } from '../support/stack-probes';

const APPROVERS = 'S0APPROVER1';
const CAROL = 'U0CAROL001';
const TTL = 60_000;
const MAX_STALE = 5 * 60_000;
const quiet = pino({ level: 'silent' });

describe('the user-group look-up', () => {
  let slack: SlackStandIn;
  let clock = 1_000_000;
  const client = () => new WebClient(slack.botToken, { ...botClientOptions({ slackApiUrl: slack.apiUrl }), logLevel: LogLevel.ERROR });
  const resolver = () => createUserGroupResolver({ client: client(), logger: quiet, ttlMs: TTL, maxStaleMs: MAX_STALE, now: () => clock });

  beforeEach(async () => {
    slack = await startSlackStandIn();
  });
  afterEach(async () => {
    await slack.stop();
  });

  it('stops trusting a removed approver once the cached list is older than the bound, while Slack cannot be asked', async () => {
    const groups = resolver();
    expect(await groups.groupsOf(CAROL, [APPROVERS])).toEqual([APPROVERS]);
    // An admin removes Carol; then Slack stops answering.
    slack.setUsergroupUsers(APPROVERS, []);
    slack.faults.next('usergroups.users.list', 1000, { status: 500 });
    clock += TTL + 1;
    // Within the bound the last list still counts (documented: at most MAX_STALE old).
    expect(await groups.groupsOf(CAROL, [APPROVERS])).toEqual([APPROVERS]);
    clock += MAX_STALE;
    await expect(groups.groupsOf(CAROL, [APPROVERS])).rejects.toMatchObject({ name: 'UserGroupLookupFailed', reason: 'unavailable' });
    // Slack answers again: Carol is no longer an approver.
    slack.faults.clear();
    expect(await groups.groupsOf(CAROL, [APPROVERS])).toEqual([]);
  });

  it('fails closed at once on a throttled look-up instead of waiting out Retry-After', async () => {
    slack.faults.next('usergroups.users.list', 10, { status: 429, retryAfterSec: 60 });
    await expect(resolver().groupsOf(CAROL, [APPROVERS])).rejects.toBeInstanceOf(UserGroupLookupFailed);
  });

  it('says so when the workspace has no user groups (free plan)', async () => {
    await slack.stop();
    slack = await startSlackStandIn({ plan: 'free' });
    await expect(resolver().groupsOf(CAROL, [APPROVERS])).rejects.toMatchObject({ reason: 'no-user-groups' });
  });

  it('fails closed within its own deadline when Slack does not answer in time', async () => {
    await slack.stop();
    slack = await startSlackStandIn({ latency: { minMs: 1_000, maxMs: 1_000 } });
    const groups = createUserGroupResolver({ client: client(), logger: quiet, timeoutMs: 100, now: () => clock });
    await expect(groups.groupsOf(CAROL, [APPROVERS])).rejects.toMatchObject({ name: 'UserGroupLookupFailed', reason: 'unavailable' });
  });

  it('treats a deleted group as empty, not as an outage', async () => {
    expect(await resolver().groupsOf(CAROL, ['S0DELETED01'])).toEqual([]);
  });
});

describe('an approval click while the approvers’ group cannot be read', () => {
  let stack: EmbeddedStack;
  beforeAll(async () => {
    stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), slackRateLimit: 'count' });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('tells the approver nothing was decided, and the request stays pending', async () => {
    const parent = await requestDeploy(stack, 'outage-endpoint');
    stack.slack.faults.next('usergroups.users.list', 1000, { status: 500 });
    const res = await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-approve', { user: STACK_USERS.approver });
    expect(res.status).toBe(200);
    const answer = await stack.driver.waitFor(
      () => stack.slack.ephemerals(STACK_CHANNEL, STACK_USERS.approver).find((m) => /could not check the user group/.test(textOf(m))),
      { what: 'the answer to the approver' },
    );
    expect(textOf(answer)).toMatch(/Nothing was decided/);
    expect(textOf(stack.slack.message(STACK_CHANNEL, parent.ts) ?? parent)).toMatch(/approval-approve/);
    stack.slack.faults.clear();
  });

  it('tells the approver the workspace has no user groups (plan_upgrade_required), and the request stays pending', async () => {
    const parent = await requestDeploy(stack, 'free-plan-endpoint');
    stack.slack.faults.next('usergroups.users.list', 1000, { error: 'plan_upgrade_required' });
    const res = await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-approve', { user: STACK_USERS.approver });
    expect(res.status).toBe(200);
    const answer = await stack.driver.waitFor(
      () => stack.slack.ephemerals(STACK_CHANNEL, STACK_USERS.approver).find((m) => /this workspace has none/.test(textOf(m))),
      { what: 'the answer to the approver' },
    );
    expect(textOf(answer)).toMatch(/Nothing was decided.*user id/s);
    expect(textOf(stack.slack.message(STACK_CHANNEL, parent.ts) ?? parent)).toMatch(/approval-approve/);
    stack.slack.faults.clear();
  });
});
