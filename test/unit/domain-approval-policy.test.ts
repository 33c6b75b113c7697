import {
  ACTIONS,
  actionOf,
  approvalExpiresAt,
  approvalPolicySchema,
  mayDecide,
  mayRequest,
  needsApproval,
  READ_ONLY_ACTIONS,
  type Action,
  type ApprovalPolicy,
  type PendingDecision,
} from '../../src/domain/approval-policy';
import { parseCommand, VERBS } from '../../src/domain/command-grammar';

const HOUR = 3_600_000;
const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);

const policy: ApprovalPolicy = approvalPolicySchema.parse({
  requiredFor: ['deploy', 'set-default', 'delete'],
  approvers: ['UAPPROVER1', 'UAPPROVER2', 'SOPSGROUP'],
  ttlMs: HOUR,
});

const pending: PendingDecision = { requesterId: 'UREQUESTER', createdAt: NOW, expiresAt: NOW + HOUR, status: 'pending' };

function ask(p: ApprovalPolicy, action: Action, who: Partial<{ userId: string; userGroups: string[]; channelId: string; teamId: string }> = {}) {
  return mayRequest(p, { action, userId: 'UALICE', userGroups: [], channelId: 'CBOTS', teamId: 'TTEAM', ...who });
}

describe('needsApproval', () => {
  it('requires approval only for the configured actions', () => {
    expect(needsApproval(policy, 'deploy')).toBe(true);
    expect(needsApproval(policy, 'delete')).toBe(true);
    expect(needsApproval(policy, 'set-default')).toBe(true);
    expect(needsApproval(policy, 'run')).toBe(false);
    expect(needsApproval(policy, 'cancel')).toBe(false);
  });

  it('never requires approval for read-only actions, even if configured', () => {
    const everything = approvalPolicySchema.parse({ requiredFor: [...ACTIONS], approvers: ['UAPPROVER1'], ttlMs: HOUR });
    for (const action of READ_ONLY_ACTIONS) expect(needsApproval(everything, action)).toBe(false);
    expect(needsApproval(everything, 'run')).toBe(true);
    expect(needsApproval(everything, 'data-register')).toBe(true);
  });
});

describe('approvalPolicySchema', () => {
  it('refuses a policy that requires approval but names no approvers', () => {
    const parsed = approvalPolicySchema.safeParse({ requiredFor: ['deploy'], approvers: [], ttlMs: HOUR });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/no approvers are configured/);
  });

  it('refuses ids that are not Slack user or user-group ids', () => {
    expect(approvalPolicySchema.safeParse({ requiredFor: [], approvers: ['alice'], ttlMs: HOUR }).success).toBe(false);
    expect(approvalPolicySchema.safeParse({ requiredFor: [], approvers: ['U123', 'W456', 'S789'], ttlMs: HOUR }).success).toBe(true);
  });

  it('refuses an unknown action and a non-positive ttl', () => {
    expect(approvalPolicySchema.safeParse({ requiredFor: ['explode'], approvers: ['U1X'], ttlMs: HOUR }).success).toBe(false);
    expect(approvalPolicySchema.safeParse({ requiredFor: [], approvers: [], ttlMs: 0 }).success).toBe(false);
  });
});

describe('approvalExpiresAt and actionOf', () => {
  it('expires a request ttl after it was made', () => {
    expect(approvalExpiresAt(policy, NOW)).toBe(NOW + HOUR);
  });

  it('maps every grammar verb to an action', () => {
    expect([...VERBS].sort()).toEqual([...ACTIONS].sort());
    const parsed = parseCommand('delete mnist-batch');
    expect(parsed.ok && actionOf(parsed.command)).toBe('delete');
  });
});

describe('mayRequest', () => {
  const restricted = approvalPolicySchema.parse({
    requiredFor: ['deploy'],
    approvers: ['UAPPROVER1'],
    ttlMs: HOUR,
    deployers: ['UDEPLOYER', 'SMLTEAM'],
    runners: ['URUNNER'],
    allowedChannelIds: ['CBOTS'],
    allowedTeamIds: ['TTEAM'],
  });

  it('lets anyone do anything in any channel when nothing is restricted', () => {
    for (const action of ACTIONS) expect(ask(policy, action, { channelId: 'CANY', teamId: 'TANY' })).toEqual({ ok: true });
  });

  it('treats empty allow-lists as no restriction', () => {
    const empty = approvalPolicySchema.parse({ requiredFor: [], approvers: [], ttlMs: HOUR, deployers: [], runners: [], allowedChannelIds: [], allowedTeamIds: [] });
    expect(ask(empty, 'deploy')).toEqual({ ok: true });
    expect(ask(empty, 'run')).toEqual({ ok: true });
  });

  it('refuses another Slack workspace', () => {
    expect(ask(restricted, 'status', { teamId: 'TOTHER' })).toMatchObject({ ok: false, reason: 'team-not-allowed' });
  });

  it('refuses a channel the bot is not enabled in, except for help', () => {
    const denied = ask(restricted, 'status', { channelId: 'CRANDOM' });
    expect(denied).toMatchObject({ ok: false, reason: 'channel-not-allowed' });
    expect(!denied.ok && denied.message).toMatch(/not enabled in this channel/);
    expect(ask(restricted, 'help', { channelId: 'CRANDOM' })).toEqual({ ok: true });
  });

  it('lets deployers (by user id or user group) deploy, set the default and delete', () => {
    for (const action of ['deploy', 'set-default', 'delete'] as const) {
      expect(ask(restricted, action, { userId: 'UDEPLOYER' })).toEqual({ ok: true });
      expect(ask(restricted, action, { userId: 'USOMEONE', userGroups: ['SMLTEAM'] })).toEqual({ ok: true });
      const denied = ask(restricted, action, { userId: 'URUNNER' });
      expect(denied).toMatchObject({ ok: false, reason: 'not-a-deployer' });
      expect(!denied.ok && denied.message).toMatch(/ask an admin to add you/);
    }
  });

  it('lets runners run, cancel and register data', () => {
    for (const action of ['run', 'cancel', 'data-register'] as const) {
      expect(ask(restricted, action, { userId: 'URUNNER' })).toEqual({ ok: true });
      expect(ask(restricted, action, { userId: 'UDEPLOYER' })).toMatchObject({ ok: false, reason: 'not-a-runner' });
    }
  });

  it('lets anyone in an allowed channel read', () => {
    for (const action of READ_ONLY_ACTIONS) expect(ask(restricted, action, { userId: 'UNOBODY' })).toEqual({ ok: true });
  });
});

describe('mayDecide', () => {
  const approver = { userId: 'UAPPROVER1', userGroups: [] };

  it('lets an approver decide a pending request before it expires', () => {
    expect(mayDecide(policy, pending, approver, NOW + 1000)).toEqual({ ok: true });
  });

  it('lets a member of an approver user group decide', () => {
    expect(mayDecide(policy, pending, { userId: 'UCAROL', userGroups: ['SOPSGROUP'] }, NOW)).toEqual({ ok: true });
  });

  it('refuses someone who is not an approver', () => {
    const decision = mayDecide(policy, pending, { userId: 'UBOB', userGroups: ['SOTHER'] }, NOW);
    expect(decision).toMatchObject({ ok: false, reason: 'not-an-approver' });
    expect(!decision.ok && decision.message).toMatch(/Only the configured approvers/);
  });

  it('refuses an approver deciding their own request', () => {
    const own = { ...pending, requesterId: 'UAPPROVER1' };
    const decision = mayDecide(policy, own, approver, NOW);
    expect(decision).toMatchObject({ ok: false, reason: 'self-approval' });
    expect(!decision.ok && decision.message).toMatch(/another approver/);
  });

  it('refuses a decision at or after the expiry time', () => {
    expect(mayDecide(policy, pending, approver, NOW + HOUR)).toMatchObject({ ok: false, reason: 'expired' });
    const decision = mayDecide(policy, pending, approver, NOW + 2 * HOUR);
    expect(!decision.ok && decision.message).toMatch(/expired at 2024-05-01T13:00:00.000Z.*ask again/);
    expect(mayDecide(policy, { ...pending, status: 'expired' }, approver, NOW)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('refuses a request already approved or rejected', () => {
    for (const status of ['approved', 'rejected'] as const) {
      const decision = mayDecide(policy, { ...pending, status }, approver, NOW);
      expect(decision).toMatchObject({ ok: false, reason: 'already-decided' });
      expect(!decision.ok && decision.message).toContain(`already ${status}`);
    }
  });

  it('gives exactly one answer for every combination (decision matrix)', () => {
    const statuses = ['pending', 'approved', 'rejected', 'expired'] as const;
    const deciders = [
      { name: 'approver', who: approver },
      { name: 'group approver', who: { userId: 'UCAROL', userGroups: ['SOPSGROUP'] } },
      { name: 'outsider', who: { userId: 'UBOB', userGroups: [] } },
      { name: 'requester', who: { userId: 'UREQUESTER', userGroups: [] } },
    ];
    const times = [NOW, NOW + HOUR - 1, NOW + HOUR];
    for (const status of statuses) {
      for (const { name, who } of deciders) {
        for (const now of times) {
          const decision = mayDecide(policy, { ...pending, status }, who, now);
          const expected =
            status === 'expired' || (status === 'pending' && now >= pending.expiresAt)
              ? 'expired'
              : status !== 'pending'
                ? 'already-decided'
                : name === 'outsider' || name === 'requester'
                  ? 'not-an-approver'
                  : 'ok';
          expect({ status, name, now, got: decision.ok ? 'ok' : decision.reason }).toEqual({ status, name, now, got: expected });
        }
      }
    }
  });
});
