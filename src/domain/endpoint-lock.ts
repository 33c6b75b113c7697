// Locks: a person freezes changes to one batch endpoint (deploy, set-default, delete) with a reason, for
// example during an incident or a release freeze, and an approver lifts it. A lock is its own concept, not
// an approval rule: it refuses at once, whoever asks, until it is lifted. Pure rules here; the Redis store
// is src/queue/lock-store.ts and the messages src/slack/blocks/lock-messages.ts.
import { z } from 'zod';
import type { Action, ApprovalPolicy, Decision } from './approval-policy';
import { endpointNameSchema } from './naming-rules';

/** The actions a lock on their endpoint refuses. Runs and look-ups stay possible: they change nothing. */
export const LOCKED_ACTIONS: readonly Action[] = ['deploy', 'set-default', 'delete'];

export const MAX_LOCK_REASON_LENGTH = 300;

/** Free text shown on every refusal; the renderer escapes it. */
export const lockReasonSchema = z
  .string()
  .trim()
  .min(1, 'give a reason after the endpoint, or none at all')
  .max(MAX_LOCK_REASON_LENGTH, `the reason is longer than ${MAX_LOCK_REASON_LENGTH} characters`);

export const endpointLockSchema = z.object({
  endpointName: endpointNameSchema,
  reason: lockReasonSchema.optional(),
  /** The Slack user who set it. */
  lockedBy: z.string().regex(/^[UW][A-Z0-9]{2,}$/),
  lockedAt: z.number().int().nonnegative(),
});
export type EndpointLock = z.infer<typeof endpointLockSchema>;

/** Azure treats endpoint names case-insensitively, so "Fraud-EP" and "fraud-ep" share one lock. */
export function lockKeyOf(endpointName: string): string {
  return endpointName.toLowerCase();
}

/** Whether this action on this endpoint is stopped by the lock (if any). */
export function isBlockedBy(lock: EndpointLock | undefined, action: Action): lock is EndpointLock {
  return lock !== undefined && LOCKED_ACTIONS.includes(action);
}

export type LockDenial = 'not-a-deployer' | 'not-an-approver';

interface Who {
  userId: string;
  userGroups: readonly string[];
}

function isIn(list: readonly string[] | undefined, who: Who): boolean {
  return list !== undefined && (list.includes(who.userId) || who.userGroups.some((g) => list.includes(g)));
}

/** Who may lock: whoever may change endpoints (the deployers, everyone when that list is empty) and the approvers. */
export function mayLock(policy: ApprovalPolicy, who: Who): Decision<LockDenial> {
  const deployers = policy.deployers;
  if (deployers === undefined || deployers.length === 0 || isIn(deployers, who) || isIn(policy.approvers, who)) return { ok: true };
  return {
    ok: false,
    reason: 'not-a-deployer',
    message: 'Only people who may change endpoints (the deployers) and approvers can lock one; ask one of them.',
  };
}

/** Who may unlock: the approvers only, the same people who decide changes (also for a lock they did not set). */
export function mayUnlock(policy: ApprovalPolicy, who: Who): Decision<LockDenial> {
  if (isIn(policy.approvers, who)) return { ok: true };
  return { ok: false, reason: 'not-an-approver', message: 'Only approvers can unlock an endpoint; ask one of them.' };
}
