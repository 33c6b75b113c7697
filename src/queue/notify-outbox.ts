// The only path by which workers talk to Slack: they enqueue what a request's thread should say, and
// the notify worker (notify-worker.ts) delivers it — in order within the thread, after the parent,
// once per (requestId, key), within Slack's per-channel rate.
//
// "Delivered once" means: a reply's key is posted once. Upserts (parent or slot) are last-writer-wins
// instead: the worker delivers, at the first pending upsert of a message, the newest content queued
// for it and skips the ones in between, so content-derived keys going A → B → A end on A, a burst of
// checklist updates costs one chat.update, and a resumed job repeating its last report costs nothing.
//
// Thread entries are stored in the request's outbox (notify-outbox-store.ts, which owns the keys) and
// drained by one deduplicated BullMQ "flush" job per request and epoch (the store explains the epoch).
// Ephemeral and response_url messages are not part of the thread: each is its own job.
import type { Logger } from 'pino';
import { Queue } from 'bullmq';
import type { RedisConnection } from './connection';
import type { RedisErrorLog } from './redis-error-log';
import { QUEUE_NAMES } from './queue-names';
import { isThreadOp, notifyEntrySchema, type FlushJob, type NotifyEntry, type NotifyEntryInput } from './payloads';
import { createNotifyOutboxStore } from './notify-outbox-store';

export const FLUSH_JOB_NAME = 'flush';
export const DIRECT_JOB_NAME = 'direct';

// BullMQ refuses custom ids containing ':' (they look like its old repeatable-job ids) and all-digit
// ids, so the request id and key are URI-encoded and the id starts with a word.
export function flushJobId(requestId: string, epoch: number): string {
  return `flush-${encodeURIComponent(requestId)}-${epoch}`;
}

export function directJobId(requestId: string, key: string): string {
  return `direct-${encodeURIComponent(requestId)}-${encodeURIComponent(key)}`;
}

/** A request's thread can only live in one channel. */
export class NotifyChannelMismatchError extends Error {
  readonly code = 'notify_channel_mismatch';
  constructor(
    readonly requestId: string,
    readonly threadChannel: string,
    readonly entryChannel: string,
  ) {
    super(`request ${requestId} already has its thread in channel ${threadChannel}, not ${entryChannel}`);
    this.name = 'NotifyChannelMismatchError';
  }
}

export interface NotifyOutbox {
  /**
   * Validates and stores the entry, then makes sure a job will deliver it. A reply's key is delivered
   * once however often it is enqueued; an upsert repeating the newest content of its message is a no-op.
   */
  enqueue(entry: NotifyEntryInput): Promise<void>;
  /** Re-adds a flush job for every request with entries waiting (after a job was lost or failed for good). */
  recoverPending(): Promise<number>;
  close(): Promise<void>;
}

export interface NotifyOutboxDeps {
  /** Commands here are short; a producer connection (createRedisConnection without forWorker) is fine. */
  connection: RedisConnection;
  /** config.redis.queuePrefix: the BullMQ prefix and the root of the outbox's own keys. */
  prefix: string;
  /** An existing notify queue to add jobs to; otherwise the outbox opens (and closes) its own. */
  queue?: Queue;
  logger?: Logger;
  /** The process's Redis error log (one line per cause, bounded); else each error is logged. */
  redisErrors?: RedisErrorLog;
}

// Failures inside the processor itself (Redis hiccups) are retried by BullMQ; Slack's answers are
// retried per entry by the worker, which never throws them.
const JOB_OPTIONS = {
  removeOnComplete: true,
  removeOnFail: true,
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
} as const;

export function createNotifyOutbox(deps: NotifyOutboxDeps): NotifyOutbox {
  const { connection, prefix } = deps;
  const store = createNotifyOutboxStore({ connection, prefix });
  const ownsQueue = deps.queue === undefined;
  const queue = deps.queue ?? new Queue(QUEUE_NAMES.notify, { connection, prefix });
  // Without a listener, a lost Redis connection is printed to the console instead of the log.
  if (ownsQueue) {
    queue.on('error', (err) =>
      deps.redisErrors ? deps.redisErrors.report(err, `queue ${QUEUE_NAMES.notify}`) : deps.logger?.warn({ err, queue: QUEUE_NAMES.notify }, 'queue connection error'),
    );
  }

  async function addFlushJob(requestId: string, epoch: number): Promise<void> {
    const data: FlushJob = { requestId, epoch };
    await queue.add(FLUSH_JOB_NAME, data, { ...JOB_OPTIONS, jobId: flushJobId(requestId, epoch) });
  }

  async function wakeFlushJob(requestId: string, epoch: number): Promise<void> {
    const job = await queue.getJob(flushJobId(requestId, epoch));
    if (job && (await job.isDelayed())) {
      // It may have just been promoted or picked up by a worker: then there is nothing to wake.
      await job.promote().catch(() => undefined);
    }
  }

  async function enqueueThreadEntry(entry: NotifyEntry): Promise<void> {
    const stored = await store.request(entry.requestId).enqueueThreadEntry(entry);
    if (stored.status === 'delivered') return;
    if (stored.status === 'mismatch') throw new NotifyChannelMismatchError(entry.requestId, stored.threadChannel, entry.channel);
    // Also for a duplicate: the entry is waiting, so make sure a job exists (deduplicated by id).
    await addFlushJob(entry.requestId, stored.epoch);
    if (stored.wake) await wakeFlushJob(entry.requestId, stored.epoch);
  }

  async function enqueueDirectEntry(entry: NotifyEntry): Promise<void> {
    // The worker checks `delivered` again before sending; this only saves a job.
    if (await store.request(entry.requestId).hasDelivered(entry.key)) return;
    await queue.add(DIRECT_JOB_NAME, entry, { ...JOB_OPTIONS, jobId: directJobId(entry.requestId, entry.key) });
  }

  return {
    async enqueue(input) {
      const entry = notifyEntrySchema.parse(input);
      if (isThreadOp(entry.op)) await enqueueThreadEntry(entry);
      else await enqueueDirectEntry(entry);
    },

    async recoverPending() {
      const requestIds = await store.pendingRequests();
      for (const requestId of requestIds) await addFlushJob(requestId, (await store.request(requestId).thread()).epoch);
      return requestIds.length;
    },

    async close() {
      if (ownsQueue) await queue.close();
    },
  };
}
