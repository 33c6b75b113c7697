// `lock <endpoint> [reason]` and `unlock <endpoint>`, and the intake check that refuses a change to a
// locked endpoint at once and privately (the workers check again right before applying, since a lock can
// be set while a request waits for approval). Setting and lifting a lock is said in the channel, so the
// team sees the freeze begin and end; refusals go only to the person who asked.
import type { ApprovalPolicy } from '../domain/approval-policy';
import type { Command } from '../domain/command-grammar';
import { mayLock, mayUnlock } from '../domain/endpoint-lock';
import { lockAlreadySet, lockLifted, lockSet, notLocked } from '../slack/blocks/lock-messages';
import type { SlackMessage } from '../slack/blocks/block-kit';
import type { AuditTrail } from '../queue/audit-trail';
import type { LockStore } from '../queue/lock-store';

export interface LockAnswer {
  /** in_channel: everyone sees it; ephemeral: only the asker. */
  visibility: 'in_channel' | 'ephemeral';
  message: SlackMessage;
}

type LockCommand = Extract<Command, { verb: 'lock' | 'unlock' }>;

export async function handleLockCommand(
  deps: { policy: ApprovalPolicy; locks: LockStore; audit: AuditTrail },
  input: { command: LockCommand; requestId: string; userId: string; userGroups: readonly string[] },
): Promise<LockAnswer> {
  const { command, userId, userGroups, requestId } = input;
  const refuse = (text: string): LockAnswer => ({ visibility: 'ephemeral', message: { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] } });
  if (command.verb === 'lock') {
    const allowed = mayLock(deps.policy, { userId, userGroups });
    if (!allowed.ok) return refuse(`:no_entry: ${allowed.message}`);
    const result = await deps.locks.lock({ endpointName: command.endpointName, lockedBy: userId, ...(command.reason ? { reason: command.reason } : {}) });
    if (!result.ok) return { visibility: 'ephemeral', message: lockAlreadySet(result.existing) };
    await deps.audit.record({ type: 'locked', requestId, actor: userId, action: 'lock', detail: { endpoint: command.endpointName, reason: command.reason } });
    return { visibility: 'in_channel', message: lockSet(result.lock) };
  }
  const allowed = mayUnlock(deps.policy, { userId, userGroups });
  if (!allowed.ok) {
    await deps.audit.record({ type: 'denied', requestId, actor: userId, action: 'unlock', detail: { reason: allowed.reason, endpoint: command.endpointName } });
    return refuse(`:no_entry: ${allowed.message}`);
  }
  const lifted = await deps.locks.unlock(command.endpointName);
  if (!lifted) return { visibility: 'ephemeral', message: notLocked(command.endpointName) };
  await deps.audit.record({ type: 'unlocked', requestId, actor: userId, action: 'unlock', detail: { endpoint: command.endpointName, lockedBy: lifted.lockedBy } });
  return { visibility: 'in_channel', message: lockLifted(lifted, userId) };
}
