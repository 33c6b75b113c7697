// The only path by which workers talk to Slack: they enqueue what a request's thread should say, and
// the notify worker (notify-worker.ts) delivers it — in order within the thread, after the parent,
// once per (requestId, key), within Slack's per-channel rate.
//
// Storage, per request (all under `${prefix}:outbox:${requestId}:`):
//   entries    list of entry JSON, head first: the thread's messages still to deliver
//   queued     set of keys now in `entries` (an entry enqueued twice is kept once)
//   delivered  hash key → Slack ts (or 'sent' / 'dead'): what was delivered, so nothing goes twice
//   thread     hash channel, parentTs, epoch, waiting, waitingSince, parentFailed, requester (the first
//              entry's: where the thread moves if its channel stops taking posts), movedFrom, movedReason
//   slots      hash slot → ts of the in-place messages updated with chat.update
//   shown      hash slot (or '@parent') → key of the content the in-place message shows now
//   latest     hash slot (or '@parent') → key of the newest content enqueued for it
//   failures   hash key → failed attempts so far (backoff is per entry, not per job)
// plus `${prefix}:outbox:pending` (requests with entries waiting) and per-channel rate gates.
//
// "Delivered once" means: a reply's key is posted once. Upserts (parent or slot) are last-writer-wins
// instead: the worker delivers, at the first pending upsert of a message, the newest content queued
// for it and skips the ones in between, so content-derived keys going A → B → A end on A, a burst of
// checklist updates costs one chat.update, and a resumed job repeating its last report costs nothing.
//
// One deduplicated BullMQ "flush" job per request drains `entries`. Its id carries the request's
// epoch: the worker bumps the epoch in the same Lua script that finds the list empty, so an entry
// enqueued while the finishing job is still "active" gets a new job instead of being swallowed by
// BullMQ's jobId deduplication (which answers with the existing job until it is removed).
// Ephemeral and response_url messages are not part of the thread: each is its own job.
import type { Logger } from 'pino';
import { Queue } from 'bullmq';
import type { RedisConnection } from './connection';
import type { RedisErrorLog } from './redis-error-log';
import { QUEUE_NAMES } from './queue-names';
import { isThreadOp, notifyEntrySchema, type NotifyEntry, type NotifyEntryInput } from './payloads';
import { redisKey } from './redis-keys';

/** How long a request's outbox records (delivered keys, thread ts) outlive its last enqueue. */
export const OUTBOX_TTL_SECONDS = 14 * 24 * 3600;

export const FLUSH_JOB_NAME = 'flush';
export const DIRECT_JOB_NAME = 'direct';

export function outboxKeys(prefix: string, requestId: string) {
  const base = redisKey(prefix, 'outbox', requestId);
  return {
    entries: `${base}:entries`,
    queued: `${base}:queued`,
    delivered: `${base}:delivered`,
    thread: `${base}:thread`,
    slots: `${base}:slots`,
    shown: `${base}:shown`,
    latest: `${base}:latest`,
    failures: `${base}:failures`,
    pending: pendingRequestsKey(prefix),
  };
}
export type OutboxKeys = ReturnType<typeof outboxKeys>;

export function pendingRequestsKey(prefix: string): string {
  return redisKey(prefix, 'outbox', 'pending');
}

export function channelGateKey(prefix: string, channel: string): string {
  return redisKey(prefix, 'outbox', 'channel', channel, 'next-at');
}

export function deadLetterKey(prefix: string): string {
  return redisKey(prefix, 'outbox', 'dead');
}

/** Slack's in-place edits (chat.update) are one Tier 3 budget for the whole workspace: one gate for all requests. */
export function editGateKey(prefix: string): string {
  return redisKey(prefix, 'outbox', 'edits');
}

/**
 * Set (JSON `{error, since}`) while Slack refuses the bot token (token_revoked, account_inactive…): the
 * notify workers hold every thread message instead of retrying it, and the bot's /readyz reports it.
 */
export function slackTokenRefusedKey(prefix: string): string {
  return redisKey(prefix, 'outbox', 'slack-token-refused');
}

export interface SlackTokenRefusal {
  error: string;
  since: number;
}

export async function readSlackTokenRefusal(connection: Pick<RedisConnection, 'get'>, prefix: string): Promise<SlackTokenRefusal | undefined> {
  const raw = await connection.get(slackTokenRefusedKey(prefix));
  if (raw === null) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<SlackTokenRefusal>;
    return { error: String(parsed.error ?? 'unknown'), since: Number(parsed.since ?? 0) };
  } catch {
    return { error: 'unknown', since: 0 };
  }
}

// BullMQ refuses custom ids containing ':' (they look like its old repeatable-job ids) and all-digit
// ids, so the request id and key are URI-encoded and the id starts with a word.
export function flushJobId(requestId: string, epoch: number): string {
  return `flush-${encodeURIComponent(requestId)}-${epoch}`;
}

export function directJobId(requestId: string, key: string): string {
  return `direct-${encodeURIComponent(requestId)}-${encodeURIComponent(key)}`;
}

/** For an upsert, which in-place message it updates (its field in `shown`); undefined for a reply. */
export function shownField(entry: Pick<NotifyEntry, 'op' | 'slot'>): string | undefined {
  if (entry.op === 'upsert-parent') return '@parent';
  if (entry.op === 'upsert-in-thread') return entry.slot;
  return undefined;
}

export interface FlushJobData {
  requestId: string;
  epoch: number;
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

// Returns {status, epoch, wake}: status 'queued' | 'duplicate' | 'delivered' | 'mismatch' (then epoch
// slot carries the thread's channel); wake = 1 when the flush job sleeps waiting for the parent and
// this entry is the parent, so the caller promotes it instead of letting it sleep out its delay.
const ENQUEUE_THREAD_ENTRY = `
local entries, queued, delivered, thread, pending = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local key, json, channel, requestId, ttl, op, shownField, requester = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local threadChannel = redis.call('HGET', thread, 'requestedChannel')
if threadChannel and threadChannel ~= channel then return {'mismatch', threadChannel, 0} end
local epoch = tonumber(redis.call('HGET', thread, 'epoch') or '0')
if shownField == '' then
  if redis.call('HEXISTS', delivered, key) == 1 then return {'delivered', 0, 0} end
  if redis.call('SADD', queued, key) == 0 then return {'duplicate', epoch, 0} end
else
  -- An upsert repeating the newest content enqueued for its message adds nothing.
  if redis.call('HGET', KEYS[8], shownField) == key then return {'duplicate', epoch, 0} end
  redis.call('HSET', KEYS[8], shownField, key)
end
redis.call('RPUSH', entries, json)
redis.call('HSETNX', thread, 'requestedChannel', channel)
redis.call('HSETNX', thread, 'channel', channel)
if requester ~= '' then redis.call('HSETNX', thread, 'requester', requester) end
redis.call('SADD', pending, requestId)
local wake = 0
if op == 'upsert-parent' and redis.call('HGET', thread, 'waiting') == 'parent' then
  redis.call('HDEL', thread, 'waiting')
  wake = 1
end
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ttl) end
for i = 6, 8 do redis.call('EXPIRE', KEYS[i], ttl) end
return {'queued', epoch, wake}
`;

export interface NotifyOutbox {
  /**
   * Validates and stores the entry, then makes sure a job will deliver it. A reply's key is delivered
   * once however often it is enqueued; an upsert repeating the newest content of its message is a no-op.
   */
  enqueue(entry: NotifyEntryInput): Promise<void>;
  /** The request's thread as known so far: its channel, and the parent's ts once posted. */
  threadOf(requestId: string): Promise<{ channel: string; parentTs?: string } | undefined>;
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
  const ownsQueue = deps.queue === undefined;
  const queue = deps.queue ?? new Queue(QUEUE_NAMES.notify, { connection, prefix });
  // Without a listener, a lost Redis connection is printed to the console instead of the log.
  if (ownsQueue) {
    queue.on('error', (err) =>
      deps.redisErrors ? deps.redisErrors.report(err, `queue ${QUEUE_NAMES.notify}`) : deps.logger?.warn({ err, queue: QUEUE_NAMES.notify }, 'queue connection error'),
    );
  }

  async function addFlushJob(requestId: string, epoch: number): Promise<void> {
    const data: FlushJobData = { requestId, epoch };
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
    const keys = outboxKeys(prefix, entry.requestId);
    const [status, epochOrChannel, wake] = (await connection.eval(
      ENQUEUE_THREAD_ENTRY,
      8,
      keys.entries,
      keys.queued,
      keys.delivered,
      keys.thread,
      keys.pending,
      keys.slots,
      keys.failures,
      keys.latest,
      entry.key,
      JSON.stringify(entry),
      entry.channel,
      entry.requestId,
      OUTBOX_TTL_SECONDS,
      entry.op,
      shownField(entry) ?? '',
      entry.requester ?? '',
    )) as [string, string | number, number];
    if (status === 'delivered') return;
    if (status === 'mismatch') throw new NotifyChannelMismatchError(entry.requestId, String(epochOrChannel), entry.channel);
    const epoch = Number(epochOrChannel);
    // Also for a duplicate: the entry is waiting, so make sure a job exists (deduplicated by id).
    await addFlushJob(entry.requestId, epoch);
    if (wake === 1) await wakeFlushJob(entry.requestId, epoch);
  }

  async function enqueueDirectEntry(entry: NotifyEntry): Promise<void> {
    const keys = outboxKeys(prefix, entry.requestId);
    // The worker checks `delivered` again before sending; this only saves a job.
    if ((await connection.hexists(keys.delivered, entry.key)) === 1) return;
    await queue.add(DIRECT_JOB_NAME, entry, { ...JOB_OPTIONS, jobId: directJobId(entry.requestId, entry.key) });
  }

  return {
    async enqueue(input) {
      const entry = notifyEntrySchema.parse(input);
      if (isThreadOp(entry.op)) await enqueueThreadEntry(entry);
      else await enqueueDirectEntry(entry);
    },

    async threadOf(requestId) {
      const [channel, parentTs] = await connection.hmget(outboxKeys(prefix, requestId).thread, 'channel', 'parentTs');
      if (!channel) return undefined;
      return parentTs ? { channel, parentTs } : { channel };
    },

    async recoverPending() {
      const requestIds = await connection.smembers(pendingRequestsKey(prefix));
      for (const requestId of requestIds) {
        const epoch = Number((await connection.hget(outboxKeys(prefix, requestId).thread, 'epoch')) ?? '0');
        await addFlushJob(requestId, epoch);
      }
      return requestIds.length;
    },

    async close() {
      if (ownsQueue) await queue.close();
    },
  };
}
