// Delivers the notify outbox (notify-outbox.ts) to Slack. Three promises shape it:
// - In order within a thread: one flush job per request drains its list head-first, and the parent
//   (upsert-parent) goes before any reply, which needs the parent's ts as thread_ts.
// - None twice: an entry is removed from the list and its key recorded as delivered, with the ts
//   Slack returned, in one MULTI right after Slack answers. A worker dying between Slack's answer and
//   that MULTI is the only window for a duplicate.
// - Slack's pace: about 1 message per second per channel (slack-facts.md), kept with a next-allowed
//   timestamp per channel in Redis; a 429's Retry-After pushes that timestamp. Waiting never holds a
//   worker: the job is re-scheduled with job.moveToDelayed + DelayedError (BullMQ's "step job"
//   pattern), so other channels keep flowing while one waits.
// - Slack's edit budget: chat.update is Tier 3 (~50 per minute for the app in the workspace, Slack's
//   rate-limits guide and chat.update's reference), shared by every request's in-place edits, so edits
//   take a token from one workspace-wide bucket in Redis; a chat.update 429 closes that bucket for
//   Retry-After. Upserts are newest-wins, so an edit that waits costs nothing: it goes out with the
//   newest content.
// Retries of Slack failures are counted per entry (a flush job may deliver hundreds of entries), with
// exponential backoff and jitter; an entry that cannot be delivered is dead-lettered, never dropped.
// Two failures are not the entry's fault and are not retried per entry:
// - Slack refuses the bot token (token_revoked, account_inactive…): every call would fail the same way.
//   One line is logged, a shared flag is set, and thread and ephemeral messages are held, not retried and
//   not dead-lettered; the sweep asks auth.test once a minute and delivers them when the token works
//   again. The bot's /readyz reports the flag.
// - The thread's channel stops taking posts (archived, the bot removed): the thread moves to the bot's
//   DM with the requester, with a note saying why, so the request's outcome still reaches them.
import { DelayedError, Worker, type Job, type WorkerOptions } from 'bullmq';
import type { RedisConnection } from './connection';
import type { RedisErrorLog } from './redis-error-log';
import type { Logger } from 'pino';
import axios, { isAxiosError } from 'axios';
import { ErrorCode, type ChatPostMessageArguments, type WebClient } from '@slack/web-api';
import { QUEUE_NAMES } from './queue-names';
import { TOKEN_REFUSED_ERRORS } from '../slack/bot-token-check';
import { notifyEntrySchema, type NotifyEntry } from './payloads';
import {
  channelGateKey,
  createNotifyOutbox,
  deadLetterKey,
  editGateKey,
  readSlackTokenRefusal,
  slackTokenRefusedKey,
  DIRECT_JOB_NAME,
  FLUSH_JOB_NAME,
  OUTBOX_TTL_SECONDS,
  outboxKeys,
  shownField,
  type FlushJobData,
  type NotifyOutbox,
  type OutboxKeys,
} from './notify-outbox';

export interface NotifyRetryPolicy {
  /** First backoff after a failure; doubled each further failure of the same entry. */
  baseMs: number;
  maxMs: number;
  /** Failures of one entry before it is dead-lettered. */
  maxAttempts: number;
}

export interface NotifyWorkerDeps {
  /** A worker connection: createRedisConnection(url, { forWorker: true }). */
  connection: RedisConnection;
  /** When the worker runs under startWorkerHost with a Redis error log, its 'error' events are logged there. */
  redisErrors?: RedisErrorLog;
  prefix: string;
  /** createSlackClient(): its own retries are off, because they live here. */
  slack: WebClient;
  logger: Logger;
  concurrency?: number;
  /** Minimum gap between two messages to one channel; default 1000 (Slack's ~1 message/s per channel). */
  perChannelIntervalMs?: number;
  retry?: Partial<NotifyRetryPolicy>;
  /** How long a reply waits for its thread's parent to be enqueued before it is dead-lettered. */
  parentWaitMaxMs?: number;
  /** How often to look for requests whose flush job was lost; 0 turns the sweep off. */
  recoverIntervalMs?: number;
  /** Passed to BullMQ: how soon a job whose worker died is picked up again. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Timeout of a response_url POST. */
  httpTimeoutMs?: number;
  /** In-place edits (chat.update) per minute for the whole workspace; default 50 (Slack's Tier 3). */
  editsPerMinute?: number;
  /** Edits allowed at once before the per-minute pace applies; default 5. */
  editBurst?: number;
  /** While Slack refuses the token, how long a held job sleeps before looking at the flag again (default 30 s). */
  tokenHoldMs?: number;
}

export const DEFAULT_RETRY_POLICY: NotifyRetryPolicy = { baseMs: 1_000, maxMs: 5 * 60_000, maxAttempts: 12 };
/** chat.update is Tier 3: 50+ per minute per app and workspace (Slack's rate-limits guide). */
export const DEFAULT_EDITS_PER_MINUTE = 50;
export const DEFAULT_EDIT_BURST = 5;
/** How long a held message waits before looking at the token flag again (no Slack call while held). */
const DEFAULT_TOKEN_HOLD_MS = 30_000;
const DEFAULT_PARENT_WAIT_MAX_MS = 10 * 60_000;
const PARENT_POLL_MS = 2_000;
const DEAD_LETTERS_KEPT = 10_000;

// ---------------------------------------------------------------------------------------------
// What Slack's answer means for the entry (pure, so it is tested without Slack).

export type SlackFailure =
  | { kind: 'rate-limited'; retryAfterMs: number }
  | { kind: 'token-refused'; reason: string }
  | { kind: 'conversation-gone'; reason: string }
  | { kind: 'transient'; reason: string }
  | { kind: 'target-gone'; reason: string }
  | { kind: 'permanent'; reason: string };

// Platform errors (HTTP 200, ok:false) that mean "try again later" (chat.postMessage's documented
// errors: internal_error, fatal_error, service_unavailable, request_timeout, ratelimited).
const TRANSIENT_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited', 'team_added_to_org']);
// chat.update's errors when the message to update no longer exists or can no longer be edited.
const TARGET_GONE_ERRORS = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed']);
// The conversation no longer takes the bot's posts (chat.postMessage's errors): archived, or the bot was
// removed (not_in_channel for a public channel, channel_not_found for a private one).
const CONVERSATION_GONE_ERRORS = new Set(['is_archived', 'not_in_channel', 'channel_not_found']);

export function classifySlackFailure(err: unknown): SlackFailure {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === ErrorCode.RateLimitedError) {
    const seconds = Number((err as { retryAfter?: unknown }).retryAfter);
    return { kind: 'rate-limited', retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000 };
  }
  if (code === ErrorCode.HTTPError) {
    const status = Number((err as { statusCode?: unknown }).statusCode);
    if (status === 408 || status === 409 || status >= 500) return { kind: 'transient', reason: `http ${status}` };
    return { kind: 'permanent', reason: `http ${status}` };
  }
  if (code === ErrorCode.RequestError) return { kind: 'transient', reason: 'request failed' };
  if (code === ErrorCode.PlatformError) {
    const error = String((err as { data?: { error?: unknown } }).data?.error ?? 'unknown_error');
    if (TRANSIENT_PLATFORM_ERRORS.has(error)) return { kind: 'transient', reason: error };
    if (TARGET_GONE_ERRORS.has(error)) return { kind: 'target-gone', reason: error };
    if (TOKEN_REFUSED_ERRORS.has(error)) return { kind: 'token-refused', reason: error };
    if (CONVERSATION_GONE_ERRORS.has(error)) return { kind: 'conversation-gone', reason: error };
    return { kind: 'permanent', reason: error };
  }
  return { kind: 'transient', reason: err instanceof Error ? err.message : String(err) };
}

/** A response_url answers like any webhook: 404/410 once it expired (30 minutes, 5 uses). */
export function classifyResponseUrlFailure(err: unknown): SlackFailure {
  if (!isAxiosError(err)) return { kind: 'transient', reason: err instanceof Error ? err.message : String(err) };
  const status = err.response?.status;
  if (status === undefined) return { kind: 'transient', reason: err.code ?? 'request failed' };
  if (status === 429) {
    const seconds = Number(err.response?.headers['retry-after']);
    return { kind: 'rate-limited', retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000 };
  }
  if (status === 408 || status === 409 || status >= 500) return { kind: 'transient', reason: `http ${status}` };
  return { kind: 'permanent', reason: `http ${status}` };
}

/** Exponential backoff with "equal jitter": half fixed, half random, so retries of many entries spread out. */
export function backoffDelayMs(failures: number, policy: NotifyRetryPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}

// ---------------------------------------------------------------------------------------------
// Redis scripts.

// Reserves the channel's next send slot. Redis' clock, not the worker's, so workers on several hosts
// agree. Returns 0 (go now) or how many ms to wait.
const RESERVE_CHANNEL_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nextAt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nextAt > now then return nextAt - now end
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], now + interval, 'PX', interval + 60000)
return 0
`;

// A 429 closes the channel for Retry-After (never shortens an existing wait).
const PUSH_CHANNEL_GATE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nextAt = tonumber(redis.call('GET', KEYS[1]) or '0')
local wanted = now + tonumber(ARGV[1])
if wanted > nextAt then redis.call('SET', KEYS[1], wanted, 'PX', tonumber(ARGV[1]) + 60000) end
return 0
`;

// Takes one token from the workspace's edit bucket (KEYS[1], a hash): ARGV[1] edits per minute, ARGV[2]
// the burst. Returns 0 (go now) or how many ms to wait; a 429 sets blockedUntil (PUSH_EDIT_GATE).
const TAKE_EDIT_TOKEN = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local perMs = tonumber(ARGV[1]) / 60000
local burst = tonumber(ARGV[2])
local s = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'blockedUntil')
local blocked = tonumber(s[3] or '0')
if blocked > now then return blocked - now end
local tokens = tonumber(s[1] or ARGV[2])
local at = tonumber(s[2] or tostring(now))
tokens = math.min(burst, tokens + math.max(0, now - at) * perMs)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / perMs) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 300000)
return wait
`;

const PUSH_EDIT_GATE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wanted = now + tonumber(ARGV[1])
local blocked = tonumber(redis.call('HGET', KEYS[1], 'blockedUntil') or '0')
if wanted > blocked then redis.call('HSET', KEYS[1], 'blockedUntil', tostring(wanted)) end
redis.call('PEXPIRE', KEYS[1], 300000)
return 0
`;

// Ends the flush job's epoch if nothing is left to deliver (see notify-outbox.ts for why).
const CLOSE_EPOCH = `
if redis.call('LLEN', KEYS[1]) > 0 then return 0 end
local epoch = tonumber(redis.call('HGET', KEYS[2], 'epoch') or '0')
if epoch ~= tonumber(ARGV[1]) then return -1 end
redis.call('HINCRBY', KEYS[2], 'epoch', 1)
redis.call('HDEL', KEYS[2], 'waiting', 'waitingSince')
redis.call('SREM', KEYS[3], ARGV[2])
return 1
`;

// ---------------------------------------------------------------------------------------------

/** Thrown out of a step to re-schedule the job (already moved to delayed). */
async function delayJob(job: Job, token: string | undefined, ms: number): Promise<never> {
  await job.moveToDelayed(Date.now() + Math.max(1, Math.ceil(ms)), token);
  throw new DelayedError();
}

interface ThreadState {
  channel?: string;
  parentTs?: string;
  epoch: number;
  waitingSince?: number;
  parentFailed: boolean;
  /** Set once the thread moved to the requester's DM: the channel it left. */
  movedFrom?: string;
  /** Who asked (the thread's first entry to say so): where the thread moves if its channel refuses posts. */
  requester?: string;
}

type Delivered = { ts?: string; channel?: string };

/** Block Kit blocks as @slack/web-api types them; entries carry them as already-built JSON. */
type SlackBlocks = Extract<ChatPostMessageArguments, { blocks: unknown }>['blocks'];

function messageContent(entry: NotifyEntry): { text: string; blocks?: SlackBlocks } {
  return { text: entry.text, ...(entry.blocks ? { blocks: entry.blocks as SlackBlocks } : {}) };
}

/**
 * chat.update keeps a message's previous blocks when none are sent (Slack's chat.update reference), which
 * would leave old blocks (an approval's buttons, say) above new text: an edit always says what the blocks
 * become, an empty array when the new content has none.
 */
function replacing(content: { text: string; blocks?: SlackBlocks }): { text: string; blocks: SlackBlocks } {
  return { ...content, blocks: content.blocks ?? [] };
}

export function createNotifyWorker(deps: NotifyWorkerDeps): Worker {
  const { connection, prefix, slack } = deps;
  const logger = deps.logger.child({ queue: QUEUE_NAMES.notify });
  const intervalMs = deps.perChannelIntervalMs ?? 1_000;
  const retry: NotifyRetryPolicy = { ...DEFAULT_RETRY_POLICY, ...deps.retry };
  const parentWaitMaxMs = deps.parentWaitMaxMs ?? DEFAULT_PARENT_WAIT_MAX_MS;
  const httpTimeoutMs = deps.httpTimeoutMs ?? 10_000;
  const editsPerMinute = deps.editsPerMinute ?? DEFAULT_EDITS_PER_MINUTE;
  const editBurst = deps.editBurst ?? DEFAULT_EDIT_BURST;
  const tokenHoldMs = deps.tokenHoldMs ?? DEFAULT_TOKEN_HOLD_MS;

  async function readThread(keys: OutboxKeys): Promise<ThreadState> {
    const [channel, parentTs, epoch, waitingSince, parentFailed, movedFrom, requester] = await connection.hmget(
      keys.thread,
      'channel',
      'parentTs',
      'epoch',
      'waitingSince',
      'parentFailed',
      'movedFrom',
      'requester',
    );
    return {
      ...(channel ? { channel } : {}),
      ...(parentTs ? { parentTs } : {}),
      epoch: Number(epoch ?? '0'),
      ...(waitingSince ? { waitingSince: Number(waitingSince) } : {}),
      parentFailed: parentFailed === '1',
      ...(movedFrom ? { movedFrom } : {}),
      ...(requester ? { requester } : {}),
    };
  }

  async function waitForChannel(job: Job, token: string | undefined, channel: string): Promise<void> {
    const waitMs = Number(await connection.eval(RESERVE_CHANNEL_SLOT, 1, channelGateKey(prefix, channel), intervalMs));
    if (waitMs > 0) await delayJob(job, token, waitMs);
  }

  /** Takes a token for one chat.update from the workspace's bucket: 0, or how long until one is free. */
  async function editSlotWaitMs(): Promise<number> {
    return Number(await connection.eval(TAKE_EDIT_TOKEN, 1, editGateKey(prefix), editsPerMinute, editBurst));
  }

  /** While Slack refuses the bot token, nothing is sent with it: the job looks again later. */
  async function holdWhileTokenRefused(job: Job, token: string | undefined): Promise<void> {
    if ((await connection.exists(slackTokenRefusedKey(prefix))) === 1) await delayJob(job, token, tokenHoldMs);
  }

  /** The first worker to see the refusal sets the shared flag and says so, once. */
  async function noteTokenRefused(reason: string): Promise<void> {
    const set = await connection.set(slackTokenRefusedKey(prefix), JSON.stringify({ error: reason, since: Date.now() }), 'NX');
    if (set === 'OK') {
      const waiting = await connection.scard(outboxKeys(prefix, '_').pending);
      logger.error(
        { slackError: reason, requestsWaiting: waiting },
        `Slack refused the bot token (${reason}): thread and ephemeral messages are held, not retried and not dropped, until Slack accepts the token again (checked with auth.test about once a minute). Reinstall the app or set SLACK_BOT_TOKEN to its current Bot User OAuth Token.`,
      );
    }
  }

  /**
   * The thread's channel stopped taking posts: the rest of the thread goes to the bot's DM with the
   * requester (chat.postMessage to a user id posts there), after a new parent and a note saying why.
   * Returns false when that is not possible (no requester known, or the thread already moved once).
   */
  async function moveThreadToRequester(keys: OutboxKeys, entry: NotifyEntry, thread: ThreadState, reason: string): Promise<boolean> {
    const requester = thread.requester ?? entry.requester;
    if (!requester || thread.movedFrom !== undefined) return false;
    const from = thread.channel ?? entry.channel;
    const why = reason === 'is_archived' ? 'the channel was archived' : 'I was removed from the channel';
    const note = `:warning: I can no longer post in <#${from}> (${why}), so I will report request \`${entry.requestId}\` here instead.`;
    const base = { requestId: entry.requestId, channel: entry.channel, requester };
    const parentEntry: NotifyEntry = { ...base, op: 'upsert-parent', key: 'moved:parent', text: note };
    const noteEntry: NotifyEntry = { ...base, op: 'reply', key: 'moved:note', text: note };
    await connection
      .multi()
      .hset(keys.thread, 'channel', requester, 'movedFrom', from, 'movedReason', reason)
      .hdel(keys.thread, 'parentTs', 'waiting', 'waitingSince', 'parentFailed')
      .del(keys.slots, keys.shown)
      // LPUSH puts each at the head: the parent first, then the note, then what was waiting.
      .lpush(keys.entries, JSON.stringify(noteEntry))
      .lpush(keys.entries, JSON.stringify(parentEntry))
      .sadd(keys.queued, noteEntry.key)
      .exec();
    logger.warn(
      { requestId: entry.requestId, channel: from, slackError: reason, requester },
      'the request\'s channel no longer takes the bot\'s posts; its thread continues in a DM with the requester',
    );
    return true;
  }

  /**
   * Takes an entry out of the way for good, keeping it in the dead-letter list for an operator.
   * `listRaw` is the entry's text in the request's list, when it came from there.
   */
  async function deadLetter(keys: OutboxKeys | undefined, entry: NotifyEntry | undefined, listRaw: string | undefined, reason: string, unreadable?: string): Promise<void> {
    const tx = connection.multi();
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
    logger.error({ requestId: entry?.requestId, key: entry?.key, op: entry?.op, reason }, 'notification dead-lettered');
  }

  /** Turns a failed delivery into a wait (never returns) or, when retrying is pointless, a dead letter. */
  async function handleFailure(
    job: Job,
    token: string | undefined,
    keys: OutboxKeys,
    entry: NotifyEntry,
    raw: string | undefined,
    failure: SlackFailure,
    opts: { edit?: boolean; thread?: ThreadState } = {},
  ): Promise<void> {
    const log = logger.child({ requestId: entry.requestId, key: entry.key, op: entry.op });
    switch (failure.kind) {
      case 'rate-limited':
        log.warn({ retryAfterMs: failure.retryAfterMs, channel: entry.channel, edit: opts.edit === true }, 'Slack rate-limited the call');
        if (opts.edit) {
          // chat.update's limit is the workspace's, not the channel's.
          await connection.eval(PUSH_EDIT_GATE, 1, editGateKey(prefix), failure.retryAfterMs);
        } else if (entry.op !== 'response-url') {
          await connection.eval(PUSH_CHANNEL_GATE, 1, channelGateKey(prefix, entry.channel), failure.retryAfterMs);
        }
        return delayJob(job, token, failure.retryAfterMs);
      case 'token-refused':
        await noteTokenRefused(failure.reason);
        return delayJob(job, token, tokenHoldMs);
      case 'conversation-gone':
        if (opts.thread && (await moveThreadToRequester(keys, entry, opts.thread, failure.reason))) return;
        return deadLetter(keys, entry, raw, failure.reason);
      case 'transient': {
        const counted = await connection.multi().hincrby(keys.failures, entry.key, 1).expire(keys.failures, OUTBOX_TTL_SECONDS).exec();
        const failures = Number(counted?.[0]?.[1] ?? 1);
        if (failures >= retry.maxAttempts) return deadLetter(keys, entry, raw, `gave up after ${failures} attempts: ${failure.reason}`);
        const waitMs = backoffDelayMs(failures, retry);
        log.warn({ failures, waitMs, reason: failure.reason }, 'notification failed; retrying');
        return delayJob(job, token, waitMs);
      }
      case 'target-gone':
        if (entry.op === 'upsert-in-thread' && entry.slot) {
          // The in-place message was deleted: forget it, so the next try posts a fresh one.
          await connection.hdel(keys.slots, entry.slot);
          log.warn({ slot: entry.slot, reason: failure.reason }, 'in-place message is gone; posting it again');
          return;
        }
        return deadLetter(keys, entry, raw, failure.reason);
      case 'permanent':
        return deadLetter(keys, entry, raw, failure.reason);
    }
  }

  async function sendThreadEntry(entry: NotifyEntry, thread: ThreadState, slotTs: string | null): Promise<Delivered> {
    const channel = thread.channel ?? entry.channel;
    const content = messageContent(entry);
    if (entry.op === 'upsert-parent') {
      if (thread.parentTs) {
        await slack.chat.update({ channel, ts: thread.parentTs, ...replacing(content) });
        return { ts: thread.parentTs };
      }
      const res = await slack.chat.postMessage({ channel, ...content });
      return { ts: res.ts, channel: res.channel };
    }
    const threadTs = thread.parentTs as string;
    if (entry.op === 'upsert-in-thread') {
      if (slotTs) {
        await slack.chat.update({ channel, ts: slotTs, ...replacing(content) });
        return { ts: slotTs };
      }
    }
    const res = await slack.chat.postMessage({
      channel,
      thread_ts: threadTs,
      ...content,
      reply_broadcast: entry.op === 'reply' && entry.replyBroadcast === true,
    });
    return { ts: res.ts };
  }

  /**
   * Records the delivery right after Slack's answer: this MULTI closes the duplicate window. `entry`
   * is the list's entry that was handled; `content` what was sent for it (a newer upsert, perhaps).
   */
  async function commitThreadEntry(keys: OutboxKeys, entry: NotifyEntry, raw: string, content: NotifyEntry, delivered: Delivered): Promise<void> {
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
  }

  async function dropDelivered(keys: OutboxKeys, entry: NotifyEntry, raw: string): Promise<void> {
    await connection.multi().lrem(keys.entries, 1, raw).srem(keys.queued, entry.key).exec();
  }

  /**
   * What to send for `entry`, or undefined when it is already delivered: a reply as it is; for an
   * upsert, the newest entry queued for the same message, unless that is what the message shows.
   */
  async function contentToDeliver(keys: OutboxKeys, entry: NotifyEntry): Promise<NotifyEntry | undefined> {
    const field = shownField(entry);
    if (field === undefined) return (await connection.hexists(keys.delivered, entry.key)) === 1 ? undefined : entry;
    let newest = entry;
    for (const raw of await connection.lrange(keys.entries, 0, -1)) {
      const parsed = notifyEntrySchema.safeParse(safeJson(raw));
      if (parsed.success && shownField(parsed.data) === field) newest = parsed.data;
    }
    return (await connection.hget(keys.shown, field)) === newest.key ? undefined : newest;
  }


  /**
   * The first entry that posts a new message rather than editing one (a reply, or an in-place message's
   * first post), when the edit budget is spent: posts go ahead of waiting edits, in their own order, so a
   * busy workspace's status edits never hold back a thread's replies (an edit is newest-wins, so going
   * later costs nothing). Undefined when only edits are waiting.
   */
  async function firstPostBehindEdits(keys: OutboxKeys, thread: ThreadState): Promise<string | undefined> {
    if (!thread.parentTs) return undefined;
    const slots = await connection.hgetall(keys.slots);
    for (const raw of await connection.lrange(keys.entries, 0, -1)) {
      const parsed = notifyEntrySchema.safeParse(safeJson(raw));
      if (!parsed.success) return raw;
      const e = parsed.data;
      const isEdit = e.op === 'upsert-parent' || (e.op === 'upsert-in-thread' && e.slot !== undefined && slots[e.slot] !== undefined);
      if (!isEdit) return raw;
    }
    return undefined;
  }

  /** Picks what to deliver next: the head, unless the thread has no parent yet and one is queued behind. */
  async function pickNext(keys: OutboxKeys, thread: ThreadState): Promise<{ raw: string } | { waitForParent: true } | undefined> {
    const head = await connection.lindex(keys.entries, 0);
    if (head === null) return undefined;
    if (thread.parentTs) return { raw: head };
    const all = await connection.lrange(keys.entries, 0, -1);
    const parent = all.find((raw) => {
      const parsed = notifyEntrySchema.safeParse(safeJson(raw));
      return parsed.success && parsed.data.op === 'upsert-parent';
    });
    if (parent !== undefined) return { raw: parent };
    return { waitForParent: true };
  }

  async function flush(job: Job<FlushJobData>, token: string | undefined): Promise<string> {
    const { requestId, epoch } = job.data;
    const keys = outboxKeys(prefix, requestId);
    // Set when the head is an edit and the workspace's edit budget is spent: how long until the next edit.
    let editWaitMs = 0;
    for (;;) {
      const thread = await readThread(keys);
      // A job from an epoch that already ended (its worker died after the end) has nothing to do.
      if (thread.epoch !== epoch) return 'stale';
      // Hand over instead of holding a closing worker for the rest of the thread.
      if (worker.closing) await delayJob(job, token, 0);

      let next: Awaited<ReturnType<typeof pickNext>>;
      if (editWaitMs > 0) {
        const post = await firstPostBehindEdits(keys, thread);
        if (post === undefined) await delayJob(job, token, editWaitMs);
        next = post === undefined ? undefined : { raw: post };
        editWaitMs = 0;
      } else {
        next = await pickNext(keys, thread);
      }
      if (next === undefined) {
        const closed = Number(await connection.eval(CLOSE_EPOCH, 3, keys.entries, keys.thread, keys.pending, epoch, requestId));
        if (closed !== 0) return 'drained';
        continue;
      }
      if ('waitForParent' in next) {
        await waitForParent(job, token, keys, thread);
        continue;
      }
      const parsed = notifyEntrySchema.safeParse(safeJson(next.raw));
      if (!parsed.success) {
        await deadLetter(keys, undefined, next.raw, `unreadable entry: ${parsed.error.message}`, next.raw);
        continue;
      }
      const entry = parsed.data;
      // For an upsert, what goes out is the newest content queued for the same message.
      const content = await contentToDeliver(keys, entry);
      if (content === undefined) {
        await dropDelivered(keys, entry, next.raw);
        continue;
      }
      const slotTs = entry.op === 'upsert-in-thread' && entry.slot ? await connection.hget(keys.slots, entry.slot) : null;
      // Slack's ~1 message/s per channel limits posting (chat.postMessage); edits in place (chat.update,
      // a per-workspace tier) do not take a channel slot, so a status line's updates don't slow replies.
      const edits = (entry.op === 'upsert-parent' && thread.parentTs !== undefined) || (entry.op === 'upsert-in-thread' && slotTs !== null);
      await holdWhileTokenRefused(job, token);
      if (edits) {
        editWaitMs = await editSlotWaitMs();
        if (editWaitMs > 0) continue;
      } else {
        await waitForChannel(job, token, entry.channel);
      }
      let delivered: Delivered;
      try {
        delivered = await sendThreadEntry(content, thread, slotTs);
      } catch (err) {
        await handleFailure(job, token, keys, entry, next.raw, classifySlackFailure(err), { edit: edits, thread });
        continue;
      }
      await commitThreadEntry(keys, entry, next.raw, content, delivered);
    }
  }

  async function waitForParent(job: Job, token: string | undefined, keys: OutboxKeys, thread: ThreadState): Promise<void> {
    const head = await connection.lindex(keys.entries, 0);
    const headEntry = head === null ? undefined : notifyEntrySchema.safeParse(safeJson(head));
    const since = thread.waitingSince ?? Date.now();
    if (thread.parentFailed || Date.now() - since > parentWaitMaxMs) {
      const reason = thread.parentFailed ? 'the thread parent could not be posted' : 'no thread parent was enqueued in time';
      await deadLetter(keys, headEntry?.success ? headEntry.data : undefined, head ?? undefined, reason, head ?? undefined);
      return;
    }
    // Marked so that enqueuing the parent promotes this job instead of letting it sleep.
    await connection.hset(keys.thread, 'waiting', 'parent', 'waitingSince', String(since));
    await delayJob(job, token, PARENT_POLL_MS);
  }

  async function direct(job: Job<unknown>, token: string | undefined): Promise<string> {
    const parsed = notifyEntrySchema.safeParse(job.data);
    if (!parsed.success) {
      await deadLetter(undefined, undefined, undefined, `unreadable entry: ${parsed.error.message}`, JSON.stringify(job.data));
      return 'dead';
    }
    const entry = parsed.data;
    const keys = outboxKeys(prefix, entry.requestId);
    if ((await connection.hexists(keys.delivered, entry.key)) === 1) return 'already delivered';
    if (entry.op === 'ephemeral') {
      await holdWhileTokenRefused(job, token);
      await waitForChannel(job, token, entry.channel);
    }
    let ts: string | undefined;
    try {
      if (entry.op === 'ephemeral') {
        const res = await slack.chat.postEphemeral({ channel: entry.channel, user: entry.user as string, ...messageContent(entry) });
        ts = res.message_ts;
      } else {
        await axios.post(
          entry.responseUrl as string,
          {
            text: entry.text,
            ...(entry.blocks ? { blocks: entry.blocks } : {}),
            response_type: entry.responseType ?? 'ephemeral',
            ...(entry.replaceOriginal !== undefined ? { replace_original: entry.replaceOriginal } : {}),
          },
          { timeout: httpTimeoutMs, maxRedirects: 0 },
        );
      }
    } catch (err) {
      const failure = entry.op === 'ephemeral' ? classifySlackFailure(err) : classifyResponseUrlFailure(err);
      await handleFailure(job, token, keys, entry, undefined, failure);
      return 'dead';
    }
    await connection.multi().hset(keys.delivered, entry.key, ts ?? 'sent').hdel(keys.failures, entry.key).expire(keys.delivered, OUTBOX_TTL_SECONDS).exec();
    return 'delivered';
  }

  /** While the token is refused, one auth.test per sweep: when Slack accepts it again, the held messages go. */
  async function recheckToken(): Promise<void> {
    const refusal = await readSlackTokenRefusal(connection, prefix);
    if (!refusal) return;
    try {
      await slack.auth.test();
    } catch {
      return;
    }
    await connection.del(slackTokenRefusedKey(prefix));
    logger.info({ slackError: refusal.error, heldForMs: Date.now() - refusal.since }, 'Slack accepts the bot token again; delivering the held messages');
  }

  const worker: NotifyWorker = new NotifyWorker(
    async (job: Job, token?: string) => {
      if (job.name === FLUSH_JOB_NAME) return flush(job as Job<FlushJobData>, token);
      if (job.name === DIRECT_JOB_NAME) return direct(job, token);
      logger.error({ jobName: job.name, jobId: job.id }, 'unknown notify job; discarded');
      return 'unknown';
    },
    {
      connection,
      prefix,
      concurrency: deps.concurrency ?? 16,
      ...(deps.lockDurationMs ? { lockDuration: deps.lockDurationMs } : {}),
      ...(deps.stalledIntervalMs ? { stalledInterval: deps.stalledIntervalMs } : {}),
    },
    createNotifyOutbox({ connection, prefix }),
    logger,
    deps.recoverIntervalMs ?? 60_000,
    recheckToken,
  );
  worker.on('failed', (job, err) => logger.error({ jobId: job?.id, err }, 'notify job failed'));
  // Under a worker host with a Redis error log, the host reports this worker's errors (once, bounded).
  if (!deps.redisErrors) worker.on('error', (err) => logger.error({ err }, 'notify worker error'));
  return worker;
}

/**
 * The notify queue's Worker, which also sweeps for requests whose flush job was lost (failed for
 * good, or its worker died between finding the list empty and finishing) and closes that sweep's
 * queue with itself.
 */
class NotifyWorker extends Worker {
  private readonly sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    processor: (job: Job, token?: string) => Promise<string>,
    opts: WorkerOptions,
    private readonly outbox: NotifyOutbox,
    private readonly log: Logger,
    recoverIntervalMs: number,
    private readonly recheckToken: () => Promise<void>,
  ) {
    super(QUEUE_NAMES.notify, processor, opts);
    void this.sweep();
    if (recoverIntervalMs > 0) {
      this.sweepTimer = setInterval(() => void this.sweep(), recoverIntervalMs);
      this.sweepTimer.unref();
    }
  }

  private async sweep(): Promise<void> {
    try {
      await this.recheckToken();
      const count = await this.outbox.recoverPending();
      if (count > 0) this.log.debug({ count }, 'notify outbox: requests with entries waiting');
    } catch (err) {
      if (!this.closing) this.log.warn({ err }, 'notify outbox recovery sweep failed');
    }
  }

  override async close(force = false): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await super.close(force);
    await this.outbox.close();
  }
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
