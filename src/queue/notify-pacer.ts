// Slack's pace, shared by every notify worker through Redis (Redis' clock, not the workers', so
// workers on several hosts agree):
// - Posts: about 1 message per second per channel, short bursts tolerated (slack-facts.md): each post
//   takes a place in its channel's line, one interval after the last, and goes when its place has come,
//   the channel is open (an interval after the last post went; a 429's Retry-After) and no other post is
//   on its way.
// - Edits: chat.update is Tier 3 (~50 per minute for the app in the workspace, Slack's rate-limits guide
//   and chat.update's reference), shared by every request's in-place edits, so edits take a token from
//   one workspace-wide bucket, in the order they asked (a reservation may lie in the future); a chat.update
//   429 closes that bucket for Retry-After.
// Each gate answers how long to wait (0: go now); the caller decides how to wait.
import type { RedisConnection } from './connection';
import { redisKey } from './redis-keys';

/** chat.update is Tier 3: 50+ per minute per app and workspace (Slack's rate-limits guide). */
export const DEFAULT_EDITS_PER_MINUTE = 50;
export const DEFAULT_EDIT_BURST = 5;
/** Slack's ~1 message/s per channel. */
const DEFAULT_PER_CHANNEL_INTERVAL_MS = 1_000;

/** Per channel: where its line of posts ends (the next free place, ms), when it opens, and the post on its way. */
function channelKeys(prefix: string, channel: string): [lineEnd: string, openAt: string, inFlight: string] {
  const key = (part: string): string => redisKey(prefix, 'outbox', 'channel', channel, part);
  return [key('next-at'), key('open-at'), key('in-flight')];
}

/**
 * The longest a post holds its channel while on its way: past the worker's Slack call timeout (10 s,
 * slack-client.ts), so only a worker that died mid-post leaves the channel waiting this long.
 */
const POST_IN_FLIGHT_MAX_MS = 15_000;

/** Slack's in-place edits (chat.update) are one Tier 3 budget for the whole workspace: one gate for all requests. */
function editGateKey(prefix: string): string {
  return redisKey(prefix, 'outbox', 'edits');
}

// A channel's posts (KEYS: line end, open-at, in-flight; ARGV: interval, in-flight hold). Posts take
// places in the channel's line one interval apart, each caller sleeping until its own place (at hundreds of
// threads per channel, every waiter asking again each time the channel came free took five or six wakes
// per post). When its place comes, a post goes once the channel is open and no post is on its way, so
// none overtakes another however late it reached Slack. The channel opens one interval after the last
// post *went* (the in-flight key holds when), and no sooner than a quarter interval after its answer:
// spacing from answers instead made every post wait the last one's round trip on top of the interval (at
// a 100-300 ms round trip, a channel's replies came 10-30 % slower than Slack allows). Posts then reach Slack
// one interval apart give or take the network's jitter: a late one and the next on time arrive closer,
// once, a short burst, which Slack tolerates; over any stretch they never outpace the interval.

// A place in line: 0 when the post may go now (it is then on its way), else ms until its place comes.
const RESERVE_POST = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'), tonumber(redis.call('GET', KEYS[2]) or '0'))
local busy = redis.call('EXISTS', KEYS[3]) == 1
if slot == now and not busy then
  redis.call('SET', KEYS[3], now, 'PX', ARGV[2])
  redis.call('SET', KEYS[1], now + interval, 'PX', interval + 60000)
  return 0
end
if slot == now then slot = now + interval end
redis.call('SET', KEYS[1], slot + interval, 'PX', slot + interval - now + 60000)
return slot - now
`;

// The post whose place has come (or one that waits in no line, when ARGV[3] is '1' and nobody is in line):
// 0 when it may go now (it is then on its way), else ms to wait, keeping its place.
const CLAIM_POST = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local openAt = tonumber(redis.call('GET', KEYS[2]) or '0')
if ARGV[3] == '1' then openAt = math.max(openAt, tonumber(redis.call('GET', KEYS[1]) or '0')) end
if openAt > now then return openAt - now end
-- A post on its way: the channel opens one interval after it went, or on its answer, not known yet.
local went = redis.call('GET', KEYS[3])
if went then return math.max(tonumber(went) + interval - now, math.floor(interval / 4)) end
redis.call('SET', KEYS[3], now, 'PX', ARGV[2])
if ARGV[3] == '1' then redis.call('SET', KEYS[1], now + interval, 'PX', interval + 60000) end
return 0
`;

// The post on its way was answered (or refused, or failed): the channel opens one interval (ARGV[1]) after
// the post went, at least ARGV[2] ms after this answer (one interval when the time it went is not known), never
// sooner than already set, and its line starts no sooner.
const POST_ANSWERED = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local went = tonumber(redis.call('GET', KEYS[3]) or '')
local wanted = now + interval
if went then wanted = math.max(went + interval, now + tonumber(ARGV[2])) end
redis.call('DEL', KEYS[3])
if wanted > tonumber(redis.call('GET', KEYS[2]) or '0') then redis.call('SET', KEYS[2], wanted, 'PX', interval + 60000) end
if wanted > tonumber(redis.call('GET', KEYS[1]) or '0') then redis.call('SET', KEYS[1], wanted, 'PX', interval + 60000) end
return 0
`;

// Slack answered a post with 429: the channel opens ARGV[1] ms from now (its Retry-After), never sooner
// than already set, and its line starts no sooner.
const HOLD_POSTS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wanted = now + tonumber(ARGV[1])
redis.call('DEL', KEYS[3])
if wanted > tonumber(redis.call('GET', KEYS[2]) or '0') then redis.call('SET', KEYS[2], wanted, 'PX', tonumber(ARGV[1]) + 60000) end
if wanted > tonumber(redis.call('GET', KEYS[1]) or '0') then redis.call('SET', KEYS[1], wanted, 'PX', tonumber(ARGV[1]) + 60000) end
return 0
`;

// Reserves one token from the workspace's edit bucket (KEYS[1], a hash): ARGV[1] edits per minute, ARGV[2]
// the burst. The bucket may go into debt: an edit that cannot go now still takes its place in line and is
// told when its token is due, so every waiting thread wakes once, at its turn, instead of all of them
// asking again each time one token comes back (at thousands of threads that churn filled the notify queue
// and held back the replies behind it). Returns {wait ms, 1 = reserved}; while a 429 closed the bucket
// (PUSH_EDIT_GATE) nothing is reserved: {ms until it opens, 0}.
const TAKE_EDIT_TOKEN = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local perMs = tonumber(ARGV[1]) / 60000
local burst = tonumber(ARGV[2])
local s = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'blockedUntil')
local blocked = tonumber(s[3] or '0')
if blocked > now then return {blocked - now, 0} end
local tokens = tonumber(s[1] or ARGV[2])
local at = tonumber(s[2] or tostring(now))
tokens = math.min(burst, tokens + math.max(0, now - at) * perMs) - 1
local wait = 0
if tokens < 0 then wait = math.ceil(-tokens / perMs) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.max(300000, wait + 60000))
return {wait, 1}
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

export interface NotifyPacerOptions {
  /** Minimum gap between two messages to one channel; default 1000 (Slack's ~1 message/s per channel). */
  perChannelIntervalMs?: number;
  /** In-place edits (chat.update) per minute for the whole workspace; default 50 (Slack's Tier 3). */
  editsPerMinute?: number;
  /** Edits allowed at once before the per-minute pace applies; default 5. */
  editBurst?: number;
}

export interface EditReservation {
  waitMs: number;
  reserved: boolean;
}

export interface NotifyPacer {
  /** The gap between two posts to one channel. */
  readonly postIntervalMs: number;
  /**
   * Takes a place in the channel's line of posts: 0 when the post may go now, else how long until its
   * place comes; the caller keeps that time and then calls claimPost (not reservePost again).
   */
  reservePost(channel: string): Promise<number>;
  /**
   * For a post whose place in line has come: 0 when it may go now, else how long to wait (it keeps its
   * place). `outOfLine`: a post that took no place (an ephemeral message) goes only when nobody is in line.
   */
  claimPost(channel: string, opts?: { outOfLine?: boolean }): Promise<number>;
  /**
   * Takes a token for one chat.update from the workspace's bucket. `waitMs` 0: go now. Otherwise, when
   * `reserved`, the token is this caller's once `waitMs` has passed (send then without asking again);
   * when not (a 429 closed the bucket), ask again after `waitMs`.
   */
  reserveEdit(): Promise<EditReservation>;
  /**
   * A post to the channel was answered, or failed: the channel reopens one interval after the post went,
   * and not before a quarter interval from now. The channel is held while the post is on its way, so a
   * post never overtakes the one before; posts go one interval apart, so they reach Slack at its pace on
   * average, and one that arrived late is followed closely at most once (a burst of two, which Slack
   * tolerates). Must follow every reservePost or claimPost that returned 0.
   */
  postAnswered(channel: string): Promise<void>;
  /** Slack answered a post with 429: the channel stays closed for Retry-After. */
  holdPosts(channel: string, retryAfterMs: number): Promise<void>;
  /** Slack answered an edit with 429: chat.update's limit is the workspace's, not the channel's. */
  holdEdits(retryAfterMs: number): Promise<void>;
}

export function createNotifyPacer(deps: { connection: RedisConnection; prefix: string } & NotifyPacerOptions): NotifyPacer {
  const { connection, prefix } = deps;
  const intervalMs = deps.perChannelIntervalMs ?? DEFAULT_PER_CHANNEL_INTERVAL_MS;
  const editsPerMinute = deps.editsPerMinute ?? DEFAULT_EDITS_PER_MINUTE;
  const editBurst = deps.editBurst ?? DEFAULT_EDIT_BURST;
  return {
    postIntervalMs: intervalMs,
    async reservePost(channel) {
      return Number(await connection.eval(RESERVE_POST, 3, ...channelKeys(prefix, channel), intervalMs, POST_IN_FLIGHT_MAX_MS));
    },
    async claimPost(channel, opts = {}) {
      return Number(await connection.eval(CLAIM_POST, 3, ...channelKeys(prefix, channel), intervalMs, POST_IN_FLIGHT_MAX_MS, opts.outOfLine ? '1' : '0'));
    },
    async reserveEdit() {
      const [waitMs, reserved] = (await connection.eval(TAKE_EDIT_TOKEN, 1, editGateKey(prefix), editsPerMinute, editBurst)) as [number, number];
      return { waitMs: Number(waitMs), reserved: Number(reserved) === 1 };
    },
    async postAnswered(channel) {
      await connection.eval(POST_ANSWERED, 3, ...channelKeys(prefix, channel), intervalMs, Math.floor(intervalMs / 4));
    },
    async holdPosts(channel, retryAfterMs) {
      await connection.eval(HOLD_POSTS, 3, ...channelKeys(prefix, channel), retryAfterMs);
    },
    async holdEdits(retryAfterMs) {
      await connection.eval(PUSH_EDIT_GATE, 1, editGateKey(prefix), retryAfterMs);
    },
  };
}
