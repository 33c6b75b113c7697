// When to retry an Azure call and how long to wait, as pure functions. Follows the Azure SDK's
// core-rest-pipeline: exponential backoff capped at maxDelayMs with "equal jitter" (half fixed, half
// random, so a burst of clients spreads out but none retries immediately), and the throttling policy's
// rule that a server's hint wins, preferring retry-after-ms / x-ms-retry-after-ms over Retry-After
// (seconds or an HTTP date, RFC 9110 §10.2.3).

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

/** Node/axios error codes for a connection that failed or timed out before an answer came. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'ERR_NETWORK',
]);

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
  return typeof e.code === 'string' && NETWORK_ERROR_CODES.has(e.code);
}

/**
 * The server's requested wait in milliseconds, from lower-case headers, or undefined without a usable
 * one. `now` only matters for an HTTP-date Retry-After.
 */
export function retryAfterMsFromHeaders(headers: Record<string, string> | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = headers[name];
    if (value !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.round(Number(value));
  }
  const retryAfter = headers['retry-after']?.trim();
  if (!retryAfter) return undefined;
  if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.round(Number(retryAfter) * 1000);
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
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
  const hinted = retryAfterMsFromHeaders(retryAfterHeaders, now);
  if (hinted !== undefined) return hinted;
  const exponent = Math.max(0, attempt - 1);
  const capped = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** exponent);
  const half = capped / 2;
  return Math.round(half + random() * half);
}
