import { approvalPolicySchema } from '../../src/domain/approval-policy';
import { isBlockedBy, mayLock, mayUnlock, type EndpointLock } from '../../src/domain/endpoint-lock';
import { lockLifted, lockRefusal, lockRefusalPlain, lockSet } from '../../src/slack/blocks/lock-messages';

const policy = approvalPolicySchema.parse({ requiredFor: ['deploy'], approvers: ['UAPPROVER', 'SAPPROVERS'], ttlMs: 60_000, deployers: ['UDEPLOYER'] });
const lock: EndpointLock = { endpointName: 'fraud-ep', reason: 'release freeze', lockedBy: 'UDEPLOYER', lockedAt: Date.UTC(2026, 11, 2, 9, 30) };

describe('who may lock and unlock', () => {
  it('lets deployers and approvers lock, nobody else while deployers are listed', () => {
    expect(mayLock(policy, { userId: 'UDEPLOYER', userGroups: [] }).ok).toBe(true);
    expect(mayLock(policy, { userId: 'USOMEONE', userGroups: ['SAPPROVERS'] }).ok).toBe(true);
    expect(mayLock(policy, { userId: 'USOMEONE', userGroups: [] })).toMatchObject({ ok: false, reason: 'not-a-deployer' });
    expect(mayLock({ ...policy, deployers: [] }, { userId: 'USOMEONE', userGroups: [] }).ok).toBe(true);
  });

  it('lets only approvers unlock, even the person who locked is refused otherwise', () => {
    expect(mayUnlock(policy, { userId: 'UAPPROVER', userGroups: [] }).ok).toBe(true);
    expect(mayUnlock(policy, { userId: 'USOMEONE', userGroups: ['SAPPROVERS'] }).ok).toBe(true);
    expect(mayUnlock(policy, { userId: 'UDEPLOYER', userGroups: [] })).toMatchObject({ ok: false, reason: 'not-an-approver' });
  });

  it('blocks deploy, set-default and delete, never runs or look-ups', () => {
    for (const action of ['deploy', 'set-default', 'delete'] as const) expect(isBlockedBy(lock, action)).toBe(true);
    for (const action of ['run', 'cancel', 'show', 'status', 'data-register'] as const) expect(isBlockedBy(lock, action)).toBe(false);
    expect(isBlockedBy(undefined, 'deploy')).toBe(false);
  });
});

describe('lock messages', () => {
  it('says what is refused, by whom, since when, why and how to lift it', () => {
    const text = lockRefusal(lock, 'set-default').text;
    expect(text).toContain('Changing the default deployment of `fraud-ep` is refused');
    expect(text).toContain('locked by <@UDEPLOYER> since <!date^');
    expect(text).toContain('>release freeze');
    expect(text).toContain('`unlock fraud-ep`');
    expect(lockRefusalPlain(lock, 'deploy')).toBe(
      'Deploying to fraud-ep is refused: it is locked by UDEPLOYER since 2026-12-02T09:30:00Z. Reason: release freeze An approver can lift it with "unlock fraud-ep".',
    );
  });

  it('escapes the reason, so it can neither ping nor link', () => {
    const evil = { ...lock, reason: '<!channel> <@U0BOB00001> <https://evil.example.com|innocent> @here\n*bold*' };
    for (const msg of [lockRefusal(evil, 'delete'), lockSet(evil), lockLifted(evil, 'UAPPROVER')]) {
      const all = `${msg.text}\n${JSON.stringify(msg.blocks)}`;
      expect(all).not.toMatch(/<!channel>|<@U0BOB00001>|<https:\/\/evil/);
      expect(all).not.toMatch(/@here/);
    }
  });
});
