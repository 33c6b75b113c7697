// Caps on open requests, so one person (or one busy channel) cannot flood the approvers: twenty
// `delete`s in a fifth of a second each pinged the approver group and queued twenty approval messages
// ahead of everyone else's threads. A request counts while it is open (awaiting approval, queued or
// running, as the request store records it); beyond the cap a new one is refused with a message and
// nothing is recorded, posted or enqueued.
//
// Per user and per channel, a sorted set of request ids (score = when taken) is kept beside the request
// store. Admission prunes ids whose request is finished or forgotten, counts the rest, and adds the new
// id. The check and the add are two steps: two requests from one user in the same millisecond may both
// pass at the cap's edge; the cap bounds a flood, it is not an exact quota.
import type { RedisConnection } from './connection';
import { redisKey } from './redis-keys';
import { FINAL_REQUEST_STATUSES } from './request-store';

export interface PendingCapsConfig {
  /** Open requests one user may have at once. */
  perUser: number;
  /** Open requests one channel may have at once. */
  perChannel: number;
}

export type Admission = { ok: true } | { ok: false; message: string };

export interface PendingCaps {
  /** Admits `requestId` for this user and channel, or says why not. */
  admit(input: { requestId: string; userId: string; channelId: string }): Promise<Admission>;
  /** Whether a new request would be admitted now, without taking a place (the bot's answer at once). */
  check(input: { userId: string; channelId: string }): Promise<Admission>;
}

/** An id older than this is dropped from the sets even if its request never finished (a lost record). */
const FORGET_AFTER_MS = 7 * 24 * 3600 * 1000;

export function createPendingCaps(deps: { connection: RedisConnection; prefix: string; caps: PendingCapsConfig; now?: () => number }): PendingCaps {
  const { connection, prefix, caps } = deps;
  const now = deps.now ?? Date.now;
  const userKey = (userId: string): string => redisKey(prefix, 'pending', 'user', userId);
  const channelKey = (channelId: string): string => redisKey(prefix, 'pending', 'channel', channelId);
  const requestKey = (requestId: string): string => redisKey(prefix, 'request', requestId);
  const final = new Set<string>(FINAL_REQUEST_STATUSES);

  /** A pipeline's replies, or the first command's error (as if each command had been awaited in turn). */
  async function run(pipeline: ReturnType<RedisConnection['pipeline']>): Promise<unknown[]> {
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([err]) => err);
    if (failed) throw failed[0];
    return replies.map(([, reply]) => reply);
  }

  /**
   * Open request ids in each set, after dropping finished, forgotten and too-old ones. All sets in one
   * pipeline, then all their requests' statuses in another: two round trips on the acknowledgement's
   * path whatever the number of sets, where one set at a time took three each (ack tail, issue 17).
   */
  async function openIn(keys: readonly string[]): Promise<number[]> {
    const listing = connection.pipeline();
    for (const key of keys) listing.zremrangebyscore(key, '-inf', String(now() - FORGET_AFTER_MS)).zrange(key, '0', '-1');
    const listed = await run(listing);
    const idsPerKey = keys.map((_, k) => listed[2 * k + 1] as string[]);
    const allIds = idsPerKey.flat();
    if (allIds.length === 0) return keys.map(() => 0);
    const lookup = connection.pipeline();
    for (const id of allIds) lookup.hget(requestKey(id), 'status');
    const statuses = await run(lookup);
    let at = 0;
    const closedPerKey = idsPerKey.map((ids) =>
      ids.filter(() => {
        const status = statuses[at++];
        return typeof status !== 'string' || final.has(status);
      }),
    );
    const pruning = connection.pipeline();
    keys.forEach((key, k) => {
      const closed = closedPerKey[k]!;
      if (closed.length > 0) pruning.zrem(key, ...closed);
    });
    if (pruning.length > 0) await run(pruning);
    return idsPerKey.map((ids, k) => ids.length - closedPerKey[k]!.length);
  }

  async function check({ userId, channelId }: { userId: string; channelId: string }): Promise<Admission> {
    const [mine = 0, channel = 0] = await openIn([userKey(userId), channelKey(channelId)]);
      if (mine >= caps.perUser) {
        return {
          ok: false,
          message: `You already have ${mine} open requests (the limit is ${caps.perUser}); wait until some are approved, rejected or finished, then ask again.`,
        };
      }
      if (channel >= caps.perChannel) {
        return {
          ok: false,
          message: `This channel already has ${channel} open requests (the limit is ${caps.perChannel}); wait until some are decided or finished, then ask again.`,
        };
      }
    return { ok: true };
  }

  return {
    check,
    async admit({ requestId, userId, channelId }) {
      const verdict = await check({ userId, channelId });
      if (!verdict.ok) return verdict;
      const at = now();
      await connection
        .multi()
        .zadd(userKey(userId), String(at), requestId)
        .pexpire(userKey(userId), FORGET_AFTER_MS)
        .zadd(channelKey(channelId), String(at), requestId)
        .pexpire(channelKey(channelId), FORGET_AFTER_MS)
        .exec();
      return { ok: true };
    },
  };
}
