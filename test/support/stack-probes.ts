// What resilience and security tests read off the running stack: the channel as a person sees it (a
// request's parent message, its thread, its final reply), every text the bot sent anywhere (channel
// messages, ephemerals, response_url posts, modals), and how much work sits in the BullMQ queues.
import { Queue } from 'bullmq';
import type { SlackStandIn, StoredMessage } from '../../sandbox/slack';
import { createRedisConnection, type RedisConnection, type RedisTarget } from '../../src/queue/connection';
import { QUEUE_NAMES, type QueueName } from '../../src/queue/queue-names';

/** Text and blocks of a message, as one searchable string. */
export function textOf(m: Pick<StoredMessage, 'text' | 'blocks'>): string {
  return `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;
}

/**
 * A request's last word (final-reply-messages.ts): ":white_check_mark: <@U…> deployed …|job … completed …"
 * or ":x: <@U…> … failed …". Progress replies (checklist, job started, status) never start this way.
 */
export const FINAL_REPLY = /^:(white_check_mark|x): <@[UW][A-Z0-9]+> /;

/**
 * A scoring job's own message in its request's thread: posted as ":rocket: Scoring job `…` started on …", then
 * edited in place into its status line (":gear: `…` on `…` · *Running* · …"). The first backticked name is the job's.
 */
export const JOB_MESSAGE = /^(:rocket: Scoring job `[^`]+` started|:[a-z_]+: `[^`]+`( on `[^`]*`)? · \*)/;

/** A message that starts a thread (Slack gives a thread's parent thread_ts = its own ts), not a reply. */
export function isTopLevel(m: Pick<StoredMessage, 'ts' | 'thread_ts' | 'ephemeralTo'>): boolean {
  return m.ephemeralTo === undefined && (m.thread_ts === undefined || m.thread_ts === m.ts);
}

export function createThreadReader(slack: SlackStandIn, channel: string) {
  const parentWith = (needle: string | RegExp): StoredMessage | undefined =>
    slack
      .messages(channel)
      .find((m) => isTopLevel(m) && (typeof needle === 'string' ? textOf(m).includes(needle) : needle.test(textOf(m))));
  const replies = (parent: StoredMessage): StoredMessage[] => slack.thread(channel, parent.ts).slice(1);
  const finalReplies = (parent: StoredMessage): StoredMessage[] => replies(parent).filter((r) => FINAL_REPLY.test(r.text));
  return {
    parentWith,
    replies,
    finalReplies,
    /** The parent as it is now (after chat.update). */
    current: (parent: StoredMessage): StoredMessage => slack.message(channel, parent.ts) ?? parent,
  };
}
export type ThreadReader = ReturnType<typeof createThreadReader>;

/**
 * Every piece of text the bot made visible in Slack: channel and thread messages (with their edits as
 * they are now), ephemerals, response_url posts and modal views. What a security test must search.
 */
export function everythingTheBotSaid(slack: SlackStandIn, channels: readonly string[]): string[] {
  const out: string[] = [];
  for (const channel of channels) {
    for (const m of slack.messages(channel)) {
      out.push(textOf(m));
      for (const r of slack.thread(channel, m.ts).slice(1)) out.push(textOf(r));
    }
  }
  for (const m of slack.ephemerals()) out.push(textOf(m));
  for (const p of slack.responseUrlPosts()) out.push(JSON.stringify(p));
  for (const v of slack.views()) out.push(JSON.stringify(v));
  return out;
}

export interface QueueInspector {
  /** Jobs per queue in every state (waiting, delayed, active, completed, failed, prioritized, waiting-children). */
  counts(): Promise<Record<QueueName, Record<string, number>>>;
  /** All jobs ever added to the work queues (deploy, run, watch, ops) and the notify queue, in any state. */
  total(queues?: readonly QueueName[]): Promise<number>;
  queue(name: QueueName): Queue;
  /** A plain Redis connection on the same server or cluster (for the stores' own keys). */
  redis: RedisConnection;
  close(): Promise<void>;
}

const STATES = ['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized', 'waiting-children'] as const;

/** `redis`: a URL, or config.redis (a cluster's seed nodes). */
export function createQueueInspector(where: string | RedisTarget, prefix: string): QueueInspector {
  const redis = createRedisConnection(typeof where === 'string' ? { url: where } : where, { forWorker: true, name: 'bsb-test-inspector' });
  // A test may restart Redis under the inspector: it reconnects, and the errors of that moment are expected.
  redis.on('error', () => undefined);
  const queues = Object.fromEntries(
    Object.values(QUEUE_NAMES).map((name) => {
      const queue = new Queue(name, { connection: redis, prefix });
      queue.on('error', () => undefined);
      return [name, queue];
    }),
  ) as Record<QueueName, Queue>;
  const counts = async (): Promise<Record<QueueName, Record<string, number>>> => {
    const entries = await Promise.all(
      Object.entries(queues).map(async ([name, q]) => [name, await q.getJobCounts(...STATES)] as const),
    );
    return Object.fromEntries(entries) as Record<QueueName, Record<string, number>>;
  };
  return {
    counts,
    async total(names = Object.values(QUEUE_NAMES)) {
      const all = await counts();
      return names.reduce((sum, n) => sum + Object.values(all[n]).reduce((a, b) => a + b, 0), 0);
    },
    queue: (name) => queues[name],
    redis,
    async close() {
      await Promise.all(Object.values(queues).map((q) => q.close()));
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
