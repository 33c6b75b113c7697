// One place that decides how the bot talks to Redis. BullMQ workers hold a blocking connection and
// must never give up on a command, so they need `maxRetriesPerRequest: null` (BullMQ refuses
// otherwise; see ../shared/notes/local-stack.md). Producers (the Bolt handlers) must answer Slack
// within 3 seconds, so their commands fail fast instead of queueing forever while Redis is down.
//
// With seed nodes (REDIS_CLUSTER_NODES) the connection is ioredis' Cluster client: it learns the slot map
// from the seeds and follows MOVED/ASK redirections. BullMQ accepts either client, and so do our stores:
// they only run commands and scripts whose keys share one hash slot (src/queue/redis-keys.ts).
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { SettlingCluster } from './settling-cluster';

/** A single Redis or a Redis Cluster: everything that talks to Redis takes either. */
export type RedisConnection = Redis | Cluster;

/** Where Redis is: config.redis (a URL, and seed nodes when it is a cluster). */
export interface RedisTarget {
  url: string;
  /** redis:// or rediss:// URLs of some cluster nodes; non-empty means "this is a Redis Cluster". */
  clusterNodes?: readonly string[];
}

export interface RedisConnectionOptions {
  /** A connection for a BullMQ Worker (or anything else that blocks): never fail a command. */
  forWorker?: boolean;
  /** Shown by `CLIENT LIST`, so an operator can tell the bot's connections apart. */
  name?: string;
  /**
   * For the bot, which must answer Slack within 3 seconds: a command while Redis is unreachable fails at
   * once (no offline queue, where it would wait for reconnects that back off to seconds each), and a
   * command Redis does not answer fails after FAIL_FAST_COMMAND_TIMEOUT_MS. The user is then told that
   * nothing was started. Workers keep the offline queue: their commands wait for Redis to come back.
   */
  failFast?: boolean;
}

/** How long the bot waits for one Redis command: well inside Slack's 3 s, with room for a few in a row. */
export const FAIL_FAST_COMMAND_TIMEOUT_MS = 1_000;

/** Commands a producer retries across a reconnect before the caller sees the error. */
const PRODUCER_RETRIES_PER_REQUEST = 2;

/** Reconnect with a capped backoff rather than ioredis' unbounded linear one. */
const reconnectDelay = (times: number): number => Math.min(times * 200, 5_000);

/** A single Redis by URL. */
export function createRedisConnection(url: string, opts?: RedisConnectionOptions): Redis;
/** A single Redis, or a Redis Cluster when the target has seed nodes. */
export function createRedisConnection(target: RedisTarget, opts?: RedisConnectionOptions): RedisConnection;
export function createRedisConnection(target: string | RedisTarget, opts: RedisConnectionOptions = {}): RedisConnection {
  const { url, clusterNodes = [] } = typeof target === 'string' ? { url: target } : target;
  const failFast: { enableOfflineQueue?: boolean; commandTimeout?: number } = opts.failFast && !opts.forWorker ? { enableOfflineQueue: false, commandTimeout: FAIL_FAST_COMMAND_TIMEOUT_MS } : {};
  // The default reply shapes (RESP2 as ioredis maps it), which BullMQ and our stores parse.
  const common: RedisOptions & { replyMapping?: 'legacy' } = {
    maxRetriesPerRequest: opts.forWorker ? null : PRODUCER_RETRIES_PER_REQUEST,
    ...(opts.name ? { connectionName: opts.name } : {}),
    ...failFast,
  };
  if (clusterNodes.length === 0) return new Redis(url, { ...common, retryStrategy: reconnectDelay });

  const seeds = clusterNodes.map((node) => new URL(node));
  const first = seeds[0] as URL;
  return new SettlingCluster(
    seeds.map((s) => ({ host: s.hostname, port: Number(s.port || 6379) })),
    {
      // Every node shares the seeds' credentials and TLS setting (as in Azure's clustered caches).
      redisOptions: {
        ...common,
        ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
        ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
        // Nodes announce IP addresses; the certificate names the cache's host, so keep that name for TLS.
        ...(first.protocol === 'rediss:' ? { tls: { servername: first.hostname } } : {}),
      },
      ...(first.protocol === 'rediss:' ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) } : {}),
      clusterRetryStrategy: reconnectDelay,
      ...(failFast.enableOfflineQueue === false ? { enableOfflineQueue: false } : {}),
      // A node that restarts or a slot that fails over answers CLUSTERDOWN/TRYAGAIN for a moment: wait and retry.
      retryDelayOnClusterDown: 200,
      retryDelayOnTryAgain: 200,
      retryDelayOnFailover: 200,
    },
  );
}

/**
 * Resolves once the connection is ready, or after `timeoutMs` (false) when Redis is not there yet: a
 * fail-fast connection refuses commands until then, so the bot waits for it at start, bounded, and starts
 * anyway (each request is then told the bot is temporarily unavailable, and /readyz says 503).
 */
export async function waitForReady(connection: RedisConnection, timeoutMs: number): Promise<boolean> {
  if (connection.status === 'ready') return true;
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      connection.removeListener('ready', onReady);
      resolve(ok);
    };
    const onReady = (): void => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    connection.once('ready', onReady);
  });
}
