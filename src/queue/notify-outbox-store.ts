// The notify outbox's Redis state: every read and write of its keys, and the Lua scripts that make
// some of them atomic, live here. The producer side (notify-outbox.ts) enqueues through it, the drain
// (notify-drain.ts) delivers through it; neither knows a key.
//
// Storage, per request (all under `${prefix}:outbox:${requestId}:`):
//   entries    list of entry JSON, head first: the thread's messages still to deliver
//   queued     set of keys now in `entries` (an entry enqueued twice is kept once)
//   delivered  hash key → Slack ts (or 'sent' / 'dead'): what was delivered, so nothing goes twice
//   thread     hash channel, requestedChannel, parentTs, epoch, waiting ('parent' or 'edit': what the
//              sleeping flush job waits for), waitingSince, editDueAt (the edit token this thread holds
//              from the workspace's bucket, notify-pacer.ts, and when it is due), postDueAt (when its
//              place in the channel's line of posts comes), parentFailed,
//              requester (the first entry's: where the thread moves if its channel stops taking posts),
//              movedFrom, movedReason
//   slots      hash slot → ts of the in-place messages updated with chat.update
//   shown      hash slot (or '@parent') → key of the content the in-place message shows now
//   latest     hash slot (or '@parent') → key of the newest content enqueued for it
//   failures   hash key → failed attempts so far (backoff is per entry, not per job)
// plus `${prefix}:outbox:pending` (requests with entries waiting), `…:outbox:dead` (dead letters) and
// `…:outbox:slack-token-refused` (the shared flag while Slack refuses the bot token). The channel pacer's
// gates (notify-pacer.ts) sit beside them.
//
// The epoch: one deduplicated BullMQ flush job per request drains `entries`, and its id carries the
// request's epoch. The epoch is bumped by the same script that finds the list empty (CLOSE_EPOCH), so an
// entry enqueued while the finishing job is still "active" gets a new job instead of being swallowed by
// BullMQ's jobId deduplication (which answers with the existing job until it is removed).
import type { RedisConnection } from './connection';
import { notifyEntrySchema, type NotifyEntry } from './payloads';
import { redisKey } from './redis-keys';

/** How long a request's outbox records (delivered keys, thread ts) outlive its last enqueue. */
export const OUTBOX_TTL_SECONDS = 14 * 24 * 3600;
const DEAD_LETTERS_KEPT = 10_000;

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
type OutboxKeys = ReturnType<typeof outboxKeys>;

export function pendingRequestsKey(prefix: string): string {
  return redisKey(prefix, 'outbox', 'pending');
}

export function deadLetterKey(prefix: string): string {
  return redisKey(prefix, 'outbox', 'dead');
}

/**
 * Set (JSON `{error, since}`) while Slack refuses the bot token (token_revoked, account_inactive…): the
 * notify workers hold every thread message instead of retrying it, and the bot's /readyz reports it.
 */
function slackTokenRefusedKey(prefix: string): string {
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

/** For an upsert, which in-place message it updates (its field in `shown`); undefined for a reply. */
export function shownField(entry: Pick<NotifyEntry, 'op' | 'slot'>): string | undefined {
  if (entry.op === 'upsert-parent') return '@parent';
  if (entry.op === 'upsert-in-thread') return entry.slot;
  return undefined;
}

// Returns {status, epoch, wake}: status 'queued' | 'duplicate' | 'delivered' | 'mismatch' (then epoch
// slot carries the thread's channel); wake = 1 when the flush job sleeps waiting for the parent and
// this entry is the parent, or sleeps until its edit token is due and this entry may post (anything but
// the parent's edit: a reply goes ahead of waiting edits), so the caller promotes it instead of letting
// it sleep out its delay.
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
local waiting = redis.call('HGET', thread, 'waiting')
if (waiting == 'parent' and op == 'upsert-parent') or (waiting == 'edit' and op ~= 'upsert-parent') then
  redis.call('HDEL', thread, 'waiting')
  wake = 1
end
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ttl) end
for i = 6, 8 do redis.call('EXPIRE', KEYS[i], ttl) end
return {'queued', epoch, wake}
`;

// Ends the flush job's epoch if nothing is left to deliver.
const CLOSE_EPOCH = `
if redis.call('LLEN', KEYS[1]) > 0 then return 0 end
local epoch = tonumber(redis.call('HGET', KEYS[2], 'epoch') or '0')
if epoch ~= tonumber(ARGV[1]) then return -1 end
redis.call('HINCRBY', KEYS[2], 'epoch', 1)
redis.call('HDEL', KEYS[2], 'waiting', 'waitingSince', 'editDueAt', 'postDueAt')
redis.call('SREM', KEYS[3], ARGV[2])
return 1
`;

export type EnqueueResult =
  | { status: 'queued' | 'duplicate'; epoch: number; wake: boolean }
  | { status: 'delivered' }
  | { status: 'mismatch'; threadChannel: string };

/** A request's thread as the drain sees it. */
export interface ThreadState {
  channel?: string;
  parentTs?: string;
  epoch: number;
  waitingSince?: number;
  /** The thread holds an edit token from the workspace's bucket, due then (ms): its next edit uses it. */
  editDueAt?: number;
  /** The thread holds a place in its channel's line of posts, coming then (ms): its next post takes it. */
  postDueAt?: number;
  parentFailed: boolean;
  /** Set once the thread moved to the requester's DM: the channel it left. */
  movedFrom?: string;
  /** Who asked (the thread's first entry to say so): where the thread moves if its channel refuses posts. */
  requester?: string;
}

/** One entry of a request's list: its text as stored, and the entry when it parses (else why not). */
export type ListedEntry = { raw: string; entry: NotifyEntry } | { raw: string; entry?: undefined; unreadable: string };

/** What Slack answered for a delivered message. */
export interface Delivered {
  ts?: string;
  channel?: string;
}

/** One request's outbox. */
export interface RequestOutbox {
  /** The producer's half: stores a thread entry atomically (see ENQUEUE_THREAD_ENTRY). */
  enqueueThreadEntry(entry: NotifyEntry): Promise<EnqueueResult>;
  hasDelivered(key: string): Promise<boolean>;
  thread(): Promise<ThreadState>;
  /** The list head first, each entry parsed when it can be. */
  entries(): Promise<ListedEntry[]>;
  head(): Promise<ListedEntry | undefined>;
  /** The key of the content an in-place message (slot or '@parent') shows now. */
  shownKey(field: string): Promise<string | null>;
  /** The ts of each in-place message posted so far, by slot. */
  slots(): Promise<Record<string, string>>;
  slotTs(slot: string): Promise<string | null>;
  /** The in-place message was deleted in Slack: forget it, so the next try posts a fresh one. */
  forgetSlot(slot: string): Promise<void>;
  /**
   * Records a thread entry's delivery in one MULTI right after Slack's answer: this closes the duplicate
   * window. `entry` is the list's entry that was handled; `content` what was sent for it (a newer upsert).
   */
  commitThreadEntry(entry: NotifyEntry, raw: string, content: NotifyEntry, delivered: Delivered): Promise<void>;
  /** Takes an entry whose content is already shown out of the list. */
  dropDelivered(entry: NotifyEntry, raw: string): Promise<void>;
  /** Records an ephemeral or response_url entry's delivery. */
  commitDirectEntry(key: string, ts: string | undefined): Promise<void>;
  /** Counts one more failed attempt of the entry: how many so far. */
  countFailure(key: string): Promise<number>;
  /** Marked so that enqueuing the parent promotes the sleeping flush job (ENQUEUE_THREAD_ENTRY's wake). */
  markWaitingForParent(since: number): Promise<void>;
  /** The thread holds an edit token due at `dueAt`: its next edit waits for then and takes no other. */
  holdEditToken(dueAt: number): Promise<void>;
  /** The held edit token is spent (the edit is going out now). */
  spendEditToken(): Promise<void>;
  /** The thread holds a place in its channel's line of posts, coming at `dueAt`. */
  holdPostTurn(dueAt: number): Promise<void>;
  /** The held place is taken (the post is going out now). */
  spendPostTurn(): Promise<void>;
  /** Marked so that enqueuing a post promotes the flush job sleeping until its edit token is due. */
  markWaitingForEdit(): Promise<void>;
  /** 1 when the list was empty and the epoch ended, -1 when the epoch had already moved on, 0 otherwise. */
  closeEpoch(epoch: number): Promise<number>;
  /**
   * Moves the rest of the thread to `channel` (the requester's DM): the thread starts over there with
   * `parent` and `note` ahead of what was waiting.
   */
  moveThread(move: { channel: string; from: string; reason: string; parent: NotifyEntry; note: NotifyEntry }): Promise<void>;
}

export interface NotifyOutboxStore {
  request(requestId: string): RequestOutbox;
  /** The requests with entries waiting. */
  pendingRequests(): Promise<string[]>;
  pendingCount(): Promise<number>;
  /**
   * Takes an entry out of the way for good, keeping it in the dead-letter list for an operator.
   * `listRaw` is the entry's text in the request's list, when it came from there; `unreadable` what
   * is kept when there is no entry to keep.
   */
  deadLetter(
    requestId: string | undefined,
    letter: { entry?: NotifyEntry; listRaw?: string; reason: string; unreadable?: string },
  ): Promise<void>;
  tokenRefused(): Promise<boolean>;
  readTokenRefusal(): Promise<SlackTokenRefusal | undefined>;
  /** Sets the shared flag; true for the first worker to set it. */
  noteTokenRefused(reason: string): Promise<boolean>;
  clearTokenRefusal(): Promise<void>;
}

export function createNotifyOutboxStore(deps: { connection: RedisConnection; prefix: string }): NotifyOutboxStore {
  const { connection, prefix } = deps;

  function request(requestId: string): RequestOutbox {
    const keys: OutboxKeys = outboxKeys(prefix, requestId);
    const listed = (raw: string): ListedEntry => {
      const parsed = notifyEntrySchema.safeParse(safeJson(raw));
      return parsed.success ? { raw, entry: parsed.data } : { raw, unreadable: parsed.error.message };
    };
    return {
      async enqueueThreadEntry(entry) {
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
        if (status === 'delivered') return { status };
        if (status === 'mismatch') return { status, threadChannel: String(epochOrChannel) };
        return { status: status === 'duplicate' ? 'duplicate' : 'queued', epoch: Number(epochOrChannel), wake: wake === 1 };
      },

      async hasDelivered(key) {
        return (await connection.hexists(keys.delivered, key)) === 1;
      },

      async thread() {
        const [channel, parentTs, epoch, waitingSince, parentFailed, movedFrom, requester, editDueAt, postDueAt] = await connection.hmget(
          keys.thread,
          'channel',
          'parentTs',
          'epoch',
          'waitingSince',
          'parentFailed',
          'movedFrom',
          'requester',
          'editDueAt',
          'postDueAt',
        );
        return {
          ...(channel ? { channel } : {}),
          ...(parentTs ? { parentTs } : {}),
          epoch: Number(epoch ?? '0'),
          ...(waitingSince ? { waitingSince: Number(waitingSince) } : {}),
          ...(editDueAt ? { editDueAt: Number(editDueAt) } : {}),
          ...(postDueAt ? { postDueAt: Number(postDueAt) } : {}),
          parentFailed: parentFailed === '1',
          ...(movedFrom ? { movedFrom } : {}),
          ...(requester ? { requester } : {}),
        };
      },

      async entries() {
        return (await connection.lrange(keys.entries, 0, -1)).map(listed);
      },

      async head() {
        const raw = await connection.lindex(keys.entries, 0);
        return raw === null ? undefined : listed(raw);
      },

      shownKey: (field) => connection.hget(keys.shown, field),
      slots: () => connection.hgetall(keys.slots),
      slotTs: (slot) => connection.hget(keys.slots, slot),

      async forgetSlot(slot) {
        await connection.hdel(keys.slots, slot);
      },

      async commitThreadEntry(entry, raw, content, delivered) {
        const tx = connection
          .multi()
          .lrem(keys.entries, 1, raw)
          .hset(keys.delivered, content.key, delivered.ts ?? 'sent')
          .srem(keys.queued, entry.key)
          .hdel(keys.failures, entry.key)
          // The worker may be the first to write `delivered`: the enqueue's EXPIRE found no key then.
          .expire(keys.delivered, OUTBOX_TTL_SECONDS);
        const field = shownField(content);
        if (field !== undefined) tx.hset(keys.shown, field, content.key).expire(keys.shown, OUTBOX_TTL_SECONDS);
        if (entry.op === 'upsert-parent' && delivered.ts) {
          tx.hset(keys.thread, 'parentTs', delivered.ts, ...(delivered.channel ? ['channel', delivered.channel] : []));
          tx.hdel(keys.thread, 'waiting', 'waitingSince');
        }
        if (entry.op === 'upsert-in-thread' && entry.slot && delivered.ts) {
          tx.hset(keys.slots, entry.slot, delivered.ts).expire(keys.slots, OUTBOX_TTL_SECONDS);
        }
        await tx.exec();
      },

      async dropDelivered(entry, raw) {
        await connection.multi().lrem(keys.entries, 1, raw).srem(keys.queued, entry.key).exec();
      },

      async commitDirectEntry(key, ts) {
        await connection.multi().hset(keys.delivered, key, ts ?? 'sent').hdel(keys.failures, key).expire(keys.delivered, OUTBOX_TTL_SECONDS).exec();
      },

      async countFailure(key) {
        const counted = await connection.multi().hincrby(keys.failures, key, 1).expire(keys.failures, OUTBOX_TTL_SECONDS).exec();
        return Number(counted?.[0]?.[1] ?? 1);
      },

      async markWaitingForParent(since) {
        await connection.hset(keys.thread, 'waiting', 'parent', 'waitingSince', String(since));
      },

      async holdEditToken(dueAt) {
        await connection.hset(keys.thread, 'editDueAt', String(dueAt));
      },

      async spendEditToken() {
        await connection.hdel(keys.thread, 'editDueAt');
      },

      async holdPostTurn(dueAt) {
        await connection.hset(keys.thread, 'postDueAt', String(dueAt));
      },

      async spendPostTurn() {
        await connection.hdel(keys.thread, 'postDueAt');
      },

      async markWaitingForEdit() {
        await connection.hset(keys.thread, 'waiting', 'edit');
      },

      async closeEpoch(epoch) {
        return Number(await connection.eval(CLOSE_EPOCH, 3, keys.entries, keys.thread, keys.pending, epoch, requestId));
      },

      async moveThread({ channel, from, reason, parent, note }) {
        await connection
          .multi()
          .hset(keys.thread, 'channel', channel, 'movedFrom', from, 'movedReason', reason)
          .hdel(keys.thread, 'parentTs', 'waiting', 'waitingSince', 'parentFailed', 'editDueAt', 'postDueAt')
          .del(keys.slots, keys.shown)
          // LPUSH puts each at the head: the parent first, then the note, then what was waiting.
          .lpush(keys.entries, JSON.stringify(note))
          .lpush(keys.entries, JSON.stringify(parent))
          .sadd(keys.queued, note.key)
          .exec();
      },
    };
  }

  return {
    request,

    pendingRequests: () => connection.smembers(pendingRequestsKey(prefix)),
    pendingCount: () => connection.scard(pendingRequestsKey(prefix)),

    async deadLetter(requestId, { entry, listRaw, reason, unreadable }) {
      const tx = connection.multi();
      const keys = requestId === undefined ? undefined : outboxKeys(prefix, requestId);
      if (keys && listRaw !== undefined) tx.lrem(keys.entries, 1, listRaw);
      if (keys && entry) {
        // Marked delivered ('dead') so that enqueuing the key again does not start the same failure over.
        tx.srem(keys.queued, entry.key).hdel(keys.failures, entry.key).hset(keys.delivered, entry.key, 'dead');
        tx.expire(keys.delivered, OUTBOX_TTL_SECONDS);
        if (entry.op === 'upsert-parent') tx.hset(keys.thread, 'parentFailed', '1');
      }
      // The response_url is a bearer capability (anyone holding it can post), so it is not kept.
      const record = { at: Date.now(), reason, ...(entry ? { entry: { ...entry, responseUrl: undefined } } : { unreadable }) };
      tx.lpush(deadLetterKey(prefix), JSON.stringify(record)).ltrim(deadLetterKey(prefix), 0, DEAD_LETTERS_KEPT - 1);
      await tx.exec();
    },

    async tokenRefused() {
      return (await connection.exists(slackTokenRefusedKey(prefix))) === 1;
    },

    readTokenRefusal: () => readSlackTokenRefusal(connection, prefix),

    async noteTokenRefused(reason) {
      return (await connection.set(slackTokenRefusedKey(prefix), JSON.stringify({ error: reason, since: Date.now() }), 'NX')) === 'OK';
    },

    async clearTokenRefusal() {
      await connection.del(slackTokenRefusedKey(prefix));
    },
  };
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
