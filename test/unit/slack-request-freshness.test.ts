import { isAheadOfWindow, MAX_CLOCK_DIFFERENCE_SECONDS } from '../../src/slack/request-freshness';

describe("Slack's five-minute window, future side", () => {
  const now = 1_800_000_000_000;
  const nowSec = now / 1000;

  it('accepts timestamps up to five minutes ahead (clock skew) and any past one (Bolt judges those)', () => {
    expect(isAheadOfWindow(String(nowSec), now)).toBe(false);
    expect(isAheadOfWindow(String(nowSec + MAX_CLOCK_DIFFERENCE_SECONDS), now)).toBe(false);
    expect(isAheadOfWindow(String(nowSec - 3600), now)).toBe(false);
  });

  it('refuses a timestamp more than five minutes ahead', () => {
    expect(isAheadOfWindow(String(nowSec + MAX_CLOCK_DIFFERENCE_SECONDS + 1), now)).toBe(true);
    expect(isAheadOfWindow([String(nowSec + 3600)], now)).toBe(true);
  });

  it('leaves a missing or malformed header to the signature check', () => {
    expect(isAheadOfWindow(undefined, now)).toBe(false);
    expect(isAheadOfWindow('soon', now)).toBe(false);
  });
});
