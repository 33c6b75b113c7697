// Endpoint locks in Redis: one hash, field = the endpoint's lock key (lower case), value = the lock as
// JSON. HSETNX makes "lock" first-wins when two people lock at once; HDEL makes "unlock" idempotent.
// The bot reads it at intake and the workers read it again right before applying a change.
import { endpointLockSchema, lockKeyOf, type EndpointLock } from '../domain/endpoint-lock';
import type { RedisConnection } from './connection';
import { workspaceKey } from './redis-keys';

export type LockResult = { ok: true; lock: EndpointLock } | { ok: false; existing: EndpointLock };

export interface LockStore {
  /** Sets the lock unless the endpoint is already locked (then returns that lock). */
  lock(input: Omit<EndpointLock, 'lockedAt'>): Promise<LockResult>;
  /** Removes the lock; returns the lock that was lifted, undefined when there was none. */
  unlock(endpointName: string): Promise<EndpointLock | undefined>;
  get(endpointName: string): Promise<EndpointLock | undefined>;
  list(): Promise<EndpointLock[]>;
}

// Removes and returns in one step, so two unlocks at once report the lift once.
const UNLOCK = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then redis.call('HDEL', KEYS[1], ARGV[1]) end
return v
`;

export function createLockStore(deps: { connection: RedisConnection; prefix: string; now: () => number; profile?: string }): LockStore {
  const key = workspaceKey(deps.prefix, 'endpoint-locks', deps.profile);
  const read = (raw: string | null | undefined): EndpointLock | undefined => {
    if (!raw) return undefined;
    const parsed = endpointLockSchema.safeParse(JSON.parse(raw));
    // An unreadable entry still locks: failing open would let a change through a freeze.
    return parsed.success ? parsed.data : { endpointName: 'unknown', lockedBy: 'U00', lockedAt: 0, reason: 'unreadable lock record' };
  };
  return {
    async lock(input) {
      const lock = endpointLockSchema.parse({ ...input, lockedAt: deps.now() });
      const set = await deps.connection.hsetnx(key, lockKeyOf(lock.endpointName), JSON.stringify(lock));
      if (set === 1) return { ok: true, lock };
      const existing = read(await deps.connection.hget(key, lockKeyOf(lock.endpointName)));
      // Lifted between the two calls: try once more rather than report a lock that is gone.
      if (!existing) return this.lock(input);
      return { ok: false, existing };
    },
    async unlock(endpointName) {
      const raw = (await deps.connection.eval(UNLOCK, 1, key, lockKeyOf(endpointName))) as string | null;
      return read(raw);
    },
    async get(endpointName) {
      return read(await deps.connection.hget(key, lockKeyOf(endpointName)));
    },
    async list() {
      const all = await deps.connection.hgetall(key);
      return Object.values(all)
        .map((raw) => read(raw))
        .filter((l): l is EndpointLock => l !== undefined)
        .sort((a, b) => a.endpointName.localeCompare(b.endpointName));
    },
  };
}
