// While Redis is unreachable, every client the process holds reports every failed reconnect: the bot's
// connection, each BullMQ Queue on it, each Worker and its blocking connection, and each refused request.
// Logged one by one that was tens of lines a second, with stacks. This keeps one JSON line per cause
// (ECONNREFUSED, a closed connection, a timed-out command, …) at most once per interval, saying how many
// were held back, and one line when Redis is reachable again.
import type { Logger } from 'pino';
import type { RedisConnection } from './connection';
import { TRANSIENT_NETWORK_ERROR_CODES } from '../domain/network-errors';

export interface RedisErrorLog {
  /** An error from a Redis client, a BullMQ Queue or Worker, or a request that failed on Redis. */
  report(err: unknown, source: string): void;
  /** Listens to a connection's errors and its recovery. */
  watch(connection: RedisConnection, source: string): void;
}

export interface RedisErrorLogOptions {
  logger: Logger;
  /** One line per cause at most this often; default 30 s. */
  intervalMs?: number;
  now?: () => number;
}

/** ioredis' own messages for "Redis is not there" (the socket's codes are the transient network errors). */
const UNREACHABLE_MESSAGES = [/Stream isn't writeable/i, /Connection is closed/i, /Command timed out/i, /Reached the max retries per request/i, /ClusterAllFailedError|Failed to refresh slots cache/i];

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True when the error means Redis could not be reached (as opposed to a command Redis refused). */
export function isRedisUnreachable(err: unknown): boolean {
  const code = codeOf(err);
  if (code && TRANSIENT_NETWORK_ERROR_CODES.has(code)) return true;
  const message = messageOf(err);
  return UNREACHABLE_MESSAGES.some((re) => re.test(message));
}

/** A stable name for what went wrong: the code, else the message without addresses and numbers. */
function causeOf(err: unknown): string {
  const code = codeOf(err);
  if (code && TRANSIENT_NETWORK_ERROR_CODES.has(code)) return code;
  return messageOf(err)
    .replace(/\d+(\.\d+)*(:\d+)?/g, 'N')
    .slice(0, 120);
}

interface CauseState {
  lastLoggedAt: number;
  heldBack: number;
  sources: Set<string>;
}

export function createRedisErrorLog(opts: RedisErrorLogOptions): RedisErrorLog {
  const intervalMs = opts.intervalMs ?? 30_000;
  const now = opts.now ?? Date.now;
  const causes = new Map<string, CauseState>();
  let failingSince: number | undefined;
  let failures = 0;

  const report = (err: unknown, source: string): void => {
    const cause = causeOf(err);
    const unreachable = isRedisUnreachable(err);
    if (unreachable) {
      failingSince ??= now();
      failures += 1;
    }
    const state = causes.get(cause);
    if (state && now() - state.lastLoggedAt < intervalMs) {
      state.heldBack += 1;
      state.sources.add(source);
      return;
    }
    const heldBack = state?.heldBack ?? 0;
    const sources = [...(state?.sources ?? []), source].filter((s, i, all) => all.indexOf(s) === i).slice(0, 10);
    causes.set(cause, { lastLoggedAt: now(), heldBack: 0, sources: new Set() });
    // No stack: the cause and where it was seen are what an operator acts on; the rest repeats.
    const fields = {
      event: unreachable ? 'redis-unreachable' : 'redis-error',
      cause,
      error: messageOf(err).slice(0, 300),
      sources,
      ...(heldBack > 0 ? { heldBack } : {}),
      nextReportAfterMs: intervalMs,
    };
    opts.logger.warn(
      fields,
      unreachable
        ? `Redis unreachable (${cause}): requests are refused and nothing is started until it is back; this cause is logged at most every ${Math.round(intervalMs / 1000)} s`
        : `Redis error (${cause}); logged at most every ${Math.round(intervalMs / 1000)} s`,
    );
  };

  return {
    report,
    watch(connection, source) {
      connection.on('error', (err: unknown) => report(err, source));
      connection.on('ready', () => {
        if (failingSince === undefined) return;
        opts.logger.info({ event: 'redis-reachable', downForMs: now() - failingSince, errors: failures, source }, 'Redis is reachable again');
        failingSince = undefined;
        failures = 0;
        causes.clear();
      });
    },
  };
}
