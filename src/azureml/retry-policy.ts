// When to retry an Azure call and how long to wait, as pure functions. Follows the Azure SDK's
// core-rest-pipeline: exponential backoff capped at maxDelayMs with "equal jitter" (domain/backoff.ts),
// and the throttling policy's rule that a server's hint (domain/retry-after.ts) wins.
import { backoffDelayMs } from '../domain/backoff';
import { isTransientNetworkError } from '../domain/network-errors';
import { retryAfterMs } from '../domain/retry-after';

export interface RetryOptions {
  /** Attempts in total, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Budget from the first attempt; a retry whose wait would end past it is not made. */
  maxTotalMs: number;
  /**
   * When set, only answers with these HTTP statuses are retried (never a timeout or a lost connection):
   * for a call that must not run twice, e.g. invoke retries only 429, which the service refused unprocessed.
   */
  onlyStatuses?: readonly number[];
}

export const DEFAULT_RETRY_OPTIONS: Readonly<RetryOptions> = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 800,
  maxDelayMs: 30_000,
  maxTotalMs: 120_000,
});

/** 408 Request Timeout, 429 Too Many Requests, and the 5xx answers a gateway or a busy RP gives. */
const RETRIABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Whether a failure is worth retrying: an HTTP status, an error carrying `retriable` (AzureMlError), or a
 * network error (by its `code`). Never other 4xx: a bad request stays bad.
 */
export function isRetriable(statusOrError: unknown): boolean {
  if (typeof statusOrError === 'number') return RETRIABLE_STATUS.has(statusOrError);
  if (typeof statusOrError !== 'object' || statusOrError === null) return false;
  const e = statusOrError as { retriable?: unknown; code?: unknown; name?: unknown };
  if (typeof e.retriable === 'boolean') return e.retriable;
  if (e.name === 'AbortError' || e.code === 'ERR_CANCELED') return false;
  return isTransientNetworkError(e);
}

/**
 * How long to wait before the next attempt, after `attempt` attempts have failed (1 after the first).
 * A server hint is honoured as given (the caller's maxTotalMs decides whether it is affordable);
 * otherwise base·2^(attempt-1), capped at maxDelayMs, with equal jitter.
 */
export function retryDelayMs(
  attempt: number,
  opts: RetryOptions,
  retryAfterHeaders?: Record<string, string>,
  random: () => number = Math.random,
  now: number = Date.now(),
): number {
  return retryAfterMs(retryAfterHeaders, now) ?? backoffDelayMs(attempt, { baseMs: opts.baseDelayMs, maxMs: opts.maxDelayMs, jitter: 'equal' }, random);
}
