// The one reading of a server's "try again in" (src/domain/retry-after.ts), and the one list of network
// failures worth another attempt (src/domain/network-errors.ts).
import { isTransientNetworkError, TRANSIENT_NETWORK_ERROR_CODES } from '../../src/domain/network-errors';
import { retryAfterMs } from '../../src/domain/retry-after';
import { isRetriable } from '../../src/azureml/retry-policy';
import { isWorthRetrying } from '../../src/queue/job-payload';
import { isRedisUnreachable } from '../../src/queue/redis-error-log';

describe('Retry-After', () => {
  it('reads seconds, also with a fraction or as a number', () => {
    expect(retryAfterMs({ 'retry-after': '9' })).toBe(9_000);
    expect(retryAfterMs({ 'retry-after': ' 1.5 ' })).toBe(1_500);
    expect(retryAfterMs({ 'retry-after': 7 })).toBe(7_000);
    expect(retryAfterMs({ 'retry-after': '0' })).toBe(0);
  });

  it('reads an HTTP date, never as a wait into the past', () => {
    const now = Date.parse('2026-11-27T10:00:00Z');
    expect(retryAfterMs({ 'retry-after': 'Fri, 27 Nov 2026 10:00:30 GMT' }, now)).toBe(30_000);
    expect(retryAfterMs({ 'retry-after': 'Fri, 27 Nov 2026 09:00:00 GMT' }, now)).toBe(0);
  });

  it('prefers retry-after-ms, then x-ms-retry-after-ms, as the Azure SDK does', () => {
    expect(retryAfterMs({ 'retry-after-ms': '1500', 'x-ms-retry-after-ms': '2500', 'retry-after': '9' })).toBe(1_500);
    expect(retryAfterMs({ 'x-ms-retry-after-ms': '2500', 'retry-after': '9' })).toBe(2_500);
    expect(retryAfterMs({ 'retry-after-ms': '-5', 'retry-after': '2' })).toBe(2_000);
  });

  it('says nothing without a hint it can read', () => {
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs({})).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': 'soon' })).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': '-1' })).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': ['9'] })).toBeUndefined();
  });
});

describe('transient network errors', () => {
  const withCode = (code: string) => Object.assign(new Error(code), { code });

  it('are one list: the Azure client, a worker\'s job and the Redis log agree on every code', () => {
    for (const code of TRANSIENT_NETWORK_ERROR_CODES) {
      expect(isTransientNetworkError(withCode(code))).toBe(true);
      expect(isRetriable(withCode(code))).toBe(true);
      expect(isWorthRetrying(withCode(code))).toBe(true);
      expect(isRedisUnreachable(withCode(code))).toBe(true);
    }
  });

  it('leave out errors that are not about the connection', () => {
    expect(isTransientNetworkError(withCode('ENOENT'))).toBe(false);
    expect(isTransientNetworkError(new Error('a bug'))).toBe(false);
    expect(isTransientNetworkError(undefined)).toBe(false);
  });
});
