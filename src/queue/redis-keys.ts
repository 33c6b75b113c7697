// Every key this bot writes — BullMQ's and its own stores' — starts with config.redis.queuePrefix, and
// only this module joins the parts. That is what makes a Redis Cluster work: a multi-key command or Lua
// script must find all its keys in one hash slot, and Redis hashes only the part inside the first `{…}` of
// a key when there is one (the hash tag; redis.io, "Redis cluster specification", Hash tags). With a prefix
// such as `{bsb}` every key of one installation carries the same tag, so all of them — BullMQ's queues,
// approvals, the outbox, the status snapshot, the audit trail — share one slot, as BullMQ's own guide asks
// for its prefix on a cluster. The price: one installation lives on one shard of the cluster.

/** `prefix:part:part…`: the one way keys are built. */
export function redisKey(prefix: string, ...parts: readonly string[]): string {
  return [prefix, ...parts].join(':');
}

/**
 * Keys of a store that holds one workspace's things (endpoint locks, the endpoint directory): endpoint
 * names repeat across workspaces, so each workspace profile has its own. The single workspace of an
 * installation without profiles (`default`) keeps the key it always had, so an upgrade keeps its locks.
 */
export function workspaceKey(prefix: string, part: string, profile: string | undefined): string {
  return profile === undefined || profile === 'default' ? redisKey(prefix, part) : redisKey(prefix, part, 'ws', profile);
}
