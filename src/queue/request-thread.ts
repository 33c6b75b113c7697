// One request's Slack thread, as the workers see it: a parent message updated in place, in-place slots in
// the thread (the deploy checklist, the job's status line) and replies. Everything goes through the notify
// outbox, keyed by content, so a retried or resumed job that reports the same thing again is a no-op.
//
// A request may also live inside another request's thread (`within`): a cancel of a job the bot started
// reports in that run's thread, where the people who follow the job look. Its "parent" is then an
// in-place message of the host thread (approval, queued, running, done), its slots and replies are the
// host's, each keyed by the guest request so several guests never collide.
import { createHash } from 'node:crypto';
import type { SlackMessage } from '../slack/blocks/block-kit';
import type { NotifyOutbox } from './notify-outbox';

export interface RequestThread {
  readonly requestId: string;
  readonly channel: string;
  /** The request whose thread this one lives in, when it is not its own (see `within`). */
  readonly within?: string;
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

/** Short and fixed-length: slot names are at most 100 characters, request ids up to 128. */
function guestTag(requestId: string): string {
  return `r-${createHash('sha256').update(requestId).digest('hex').slice(0, 16)}`;
}

/**
 * `requester`: who asked. The thread remembers the first one it hears of (a host's own), and moves to a DM
 * with them if its channel stops taking the bot's posts (notify-drain.ts).
 */
export function createRequestThread(
  outbox: NotifyOutbox,
  where: { requestId: string; channel: string; within?: { requestId: string }; requester?: string },
): RequestThread {
  const { requestId, channel } = where;
  const requester = where.requester !== undefined ? { requester: where.requester } : {};
  if (where.within && where.within.requestId !== requestId) {
    const host = where.within.requestId;
    const tag = guestTag(requestId);
    const inHost = (slot: string, message: SlackMessage) =>
      outbox.enqueue({ requestId: host, channel, ...requester, op: 'upsert-in-thread', slot, key: contentKey(`slot-${slot}`, message), ...message });
    return {
      requestId,
      channel,
      within: host,
      parent: (message) => inHost(tag, message),
      slot: (slot, message) => inHost(`${tag}-${slot}`, message),
      reply: (key, message, opts) =>
        outbox.enqueue({ requestId: host, channel, ...requester, op: 'reply', key: `reply:${tag}:${key}`, ...message, ...(opts?.broadcast ? { replyBroadcast: true } : {}) }),
    };
  }
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
