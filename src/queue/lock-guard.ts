// The second lock check, in the workers, right before a change is applied: a lock set while the request
// waited for approval (or in the queue) must still stop it. The first check is at intake
// (src/handlers/lock-commands.ts); both read the same store and say the same thing.
import type { Action } from '../domain/approval-policy';
import { isBlockedBy } from '../domain/endpoint-lock';
import { message, section, type SlackMessage } from '../slack/blocks/block-kit';
import { lockRefusal } from '../slack/blocks/lock-messages';
import type { LockStore } from './lock-store';
import type { Requester } from './payloads';
import type { RequestLifecycle } from './request-lifecycle';

/** The refusal to show when `action` would change a locked endpoint; undefined when it may go ahead. */
export async function lockRefusalFor(locks: LockStore, action: Action, endpointName: string | undefined): Promise<SlackMessage | undefined> {
  if (endpointName === undefined) return undefined;
  const lock = await locks.get(endpointName);
  return isBlockedBy(lock, action) ? lockRefusal(lock, action) : undefined;
}

/**
 * Ends a request whose endpoint is locked without touching Azure: the request is denied, the audit says
 * why, the parent shows it and the thread gets the refusal (broadcast, like any final reply).
 */
export async function refuseLockedChange(
  lifecycle: RequestLifecycle,
  input: { requester: Requester; endpointName: string; refusal: SlackMessage },
): Promise<void> {
  // Shaped like every final reply (":x: @who …"), so readers and tools see how the request ended.
  const text = `:x: <@${input.requester.userId}> ${input.refusal.text}`;
  await lifecycle.refused(message(text, [section(text)]), {
    audit: { reason: 'endpoint-locked', endpoint: input.endpointName },
    parentDetail: 'refused: the endpoint is locked',
  });
}
