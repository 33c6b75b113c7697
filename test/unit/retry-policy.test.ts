import { DEFAULT_RETRY_OPTIONS, isRetriable, retryDelayMs } from '../../src/azureml/retry-policy';

const opts = { ...DEFAULT_RETRY_OPTIONS };

describe('which failures are retried', () => {
  it.each([408, 429, 500, 502, 503, 504])('retries HTTP %i', (status) => {
    expect(isRetriable(status)).toBe(true);
  });

  it.each([400, 401, 403, 404, 409, 412, 422, 501])('never retries HTTP %i', (status) => {
    expect(isRetriable(status)).toBe(false);
  });

  it('retries network errors and timeouts by their code, but not an abort', () => {
    expect(isRetriable(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetriable(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRetriable(Object.assign(new Error('slow'), { code: 'ETIMEDOUT' }))).toBe(true);
    expect(isRetriable(Object.assign(new Error('canceled'), { code: 'ERR_CANCELED' }))).toBe(false);
    expect(isRetriable(new Error('a bug'))).toBe(false);
    expect(isRetriable(undefined)).toBe(false);
  });

  it("trusts an error's own retriable flag", () => {
    expect(isRetriable({ retriable: true, code: 'Whatever' })).toBe(true);
    expect(isRetriable({ retriable: false, code: 'ECONNRESET' })).toBe(false);
  });
});

describe('how long to wait', () => {
  it('doubles from baseDelayMs with equal jitter: between half and all of the step', () => {
    expect(retryDelayMs(1, opts, undefined, () => 0)).toBe(400);
    expect(retryDelayMs(1, opts, undefined, () => 1)).toBe(800);
    expect(retryDelayMs(2, opts, undefined, () => 1)).toBe(1600);
    expect(retryDelayMs(3, opts, undefined, () => 0.5)).toBe(2400);
  });

  it('never waits longer than maxDelayMs without a server hint', () => {
    expect(retryDelayMs(20, opts, undefined, () => 1)).toBe(30_000);
    expect(retryDelayMs(20, opts, undefined, () => 0)).toBe(15_000);
  });

  it('honours retry-after-ms, then x-ms-retry-after-ms, before Retry-After', () => {
    expect(retryDelayMs(1, opts, { 'retry-after-ms': '1500', 'x-ms-retry-after-ms': '2500', 'retry-after': '9' })).toBe(1500);
    expect(retryDelayMs(1, opts, { 'x-ms-retry-after-ms': '2500', 'retry-after': '9' })).toBe(2500);
    expect(retryDelayMs(1, opts, { 'retry-after': '9' })).toBe(9000);
  });

  it('ignores a hint it cannot read and falls back to backoff', () => {
    expect(retryDelayMs(1, opts, { 'retry-after-ms': '-5' }, () => 1)).toBe(800);
  });
});
