// One request's Slack thread, as the workers see it: a parent message updated in place, in-place slots in
// the thread (the deploy checklist, the job's status line) and replies. Everything goes through the notify
// outbox, keyed by content, so a retried or resumed job that reports the same thing again is a no-op.
import { createHash } from 'node:crypto';
import type { SlackMessage } from '../slack/blocks/block-kit';
import type { NotifyOutbox } from './notify-outbox';

export interface RequestThread {
  readonly requestId: string;
  readonly channel: string;
  parent(message: SlackMessage): Promise<void>;
  /** A message in the thread that is posted once and then updated in place. */
  slot(slot: string, message: SlackMessage): Promise<void>;
  /** A reply posted once per key. */
  reply(key: string, message: SlackMessage, opts?: { broadcast?: boolean }): Promise<void>;
}

function contentKey(prefix: string, message: SlackMessage): string {
  const digest = createHash('sha256').update(JSON.stringify(message)).digest('hex').slice(0, 16);
  return `${prefix}:${digest}`;
}

/** `requester`: who asked, so the thread can move to a DM with them if its channel stops taking posts. */
export function createRequestThread(outbox: NotifyOutbox, where: { requestId: string; channel: string; requester?: string }): RequestThread {
  const { requestId, channel } = where;
  const requester = where.requester !== undefined ? { requester: where.requester } : {};
  return {
    requestId,
    channel,
    parent: (message) =>
      outbox.enqueue({ requestId, channel, ...requester, op: 'upsert-parent', key: contentKey('parent', message), ...message }),
    slot: (slot, message) =>
      outbox.enqueue({ requestId, channel, ...requester, op: 'upsert-in-thread', slot, key: contentKey(`slot-${slot}`, message), ...message }),
    reply: (key, message, opts) =>
      outbox.enqueue({
        requestId,
        channel,
        ...requester,
        op: 'reply',
        key: `reply:${key}`,
        ...message,
        ...(opts?.broadcast ? { replyBroadcast: true } : {}),
      }),
  };
}
