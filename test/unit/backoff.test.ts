// The one backoff every retry and pacing loop uses (src/domain/backoff.ts).
import { backoffDelayMs } from '../../src/domain/backoff';

const policy = { baseMs: 1_000, maxMs: 8_000 };

describe('backoff between attempts', () => {
  it('doubles each failure, with up to half of it random (equal jitter, the default)', () => {
    expect(backoffDelayMs(1, policy, () => 0)).toBe(500);
    expect(backoffDelayMs(1, policy, () => 1)).toBe(1_000);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(2_000);
    expect(backoffDelayMs(3, policy, () => 1)).toBe(4_000);
  });

  it('never waits longer than the cap, however many failures', () => {
    expect(backoffDelayMs(30, policy, () => 1)).toBe(8_000);
    expect(backoffDelayMs(10_000, policy, () => 1)).toBe(8_000);
    expect(backoffDelayMs(10_000, { ...policy, jitter: 'none' })).toBe(8_000);
  });

  it('spreads a full-jitter wait anywhere up to the step', () => {
    expect(backoffDelayMs(2, { ...policy, jitter: 'full' }, () => 0)).toBe(0);
    expect(backoffDelayMs(2, { ...policy, jitter: 'full' }, () => 0.25)).toBe(500);
    expect(backoffDelayMs(2, { ...policy, jitter: 'full' }, () => 1)).toBe(2_000);
  });

  it('keeps a steady schedule without jitter, at its own growth factor', () => {
    const steady = { baseMs: 10_000, maxMs: 120_000, factor: 1.5, jitter: 'none' } as const;
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelayMs(n, steady))).toEqual([10_000, 15_000, 22_500, 33_750, 50_625, 75_938, 113_906, 120_000]);
  });

  it('treats zero or fewer failures as the first', () => {
    expect(backoffDelayMs(0, { ...policy, jitter: 'none' })).toBe(1_000);
    expect(backoffDelayMs(-3, { ...policy, jitter: 'none' })).toBe(1_000);
  });
});
