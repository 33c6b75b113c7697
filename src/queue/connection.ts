// One place that decides how the bot talks to Redis. BullMQ workers hold a blocking connection and
// must never give up on a command, so they need `maxRetriesPerRequest: null` (BullMQ refuses
// otherwise; see ../shared/notes/local-stack.md). Producers (the Bolt handlers) must answer Slack
// within 3 seconds, so their commands fail fast instead of queueing forever while Redis is down.
import { Redis } from 'ioredis';

export interface RedisConnectionOptions {
  /** A connection for a BullMQ Worker (or anything else that blocks): never fail a command. */
  forWorker?: boolean;
  /** Shown by `CLIENT LIST`, so an operator can tell the bot's connections apart. */
  name?: string;
}

/** Commands a producer retries across a reconnect before the caller sees the error. */
const PRODUCER_RETRIES_PER_REQUEST = 2;

export function createRedisConnection(url: string, opts: RedisConnectionOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: opts.forWorker ? null : PRODUCER_RETRIES_PER_REQUEST,
    ...(opts.name ? { connectionName: opts.name } : {}),
    // Reconnect with a capped backoff rather than ioredis' unbounded linear one.
    retryStrategy: (times) => Math.min(times * 200, 5_000),
  });
}
