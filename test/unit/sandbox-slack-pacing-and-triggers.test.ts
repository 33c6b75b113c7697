import { createMessageClock } from '../../sandbox/slack/message-timestamps';
import { createChannelRateLimiter } from '../../sandbox/slack/rate-limiter';
import { createTriggerIds } from '../../sandbox/slack/trigger-ids';

describe('message timestamps', () => {
  test('are Slack-shaped, unique and strictly increasing even within one millisecond', () => {
    const next = createMessageClock(() => 1_732_670_000_123);
    const a = next();
    const b = next();
    expect(a).toBe('1732670000.123000');
    expect(b).toBe('1732670000.123001');
  });
});

describe('per-channel pacing', () => {
  test('lets a burst through, then asks to retry after whole seconds, and refills over time', () => {
    let t = 0;
    const limiter = createChannelRateLimiter({ perSecond: 1, burst: 2 }, () => t);
    expect([limiter.take('C1'), limiter.take('C1'), limiter.take('C1')]).toEqual([{ allowed: true }, { allowed: true }, { allowed: false, retryAfterSec: 1 }]);
    expect(limiter.take('C2')).toEqual({ allowed: true });
    t += 1000;
    expect(limiter.take('C1')).toEqual({ allowed: true });
    expect(limiter.breaches()).toBe(1);
  });

  test('in count mode lets everything through but still counts breaches', () => {
    const limiter = createChannelRateLimiter({ mode: 'count', perSecond: 1, burst: 1 }, () => 0);
    expect([limiter.take('C1'), limiter.take('C1')]).toEqual([{ allowed: true }, { allowed: true }]);
    expect(limiter.breaches()).toBe(1);
  });
});

describe('trigger ids', () => {
  test('open one modal within 3 seconds of the interaction', () => {
    let t = 0;
    const triggers = createTriggerIds(() => t);
    const id = triggers.issue('U0ALICE001');
    expect(triggers.exchange(id)).toEqual({ ok: true, user: 'U0ALICE001' });
    expect(triggers.exchange(id)).toEqual({ ok: false, error: 'exchanged_trigger_id' });
    const late = triggers.issue('U0ALICE001');
    t += 3001;
    expect(triggers.exchange(late)).toEqual({ ok: false, error: 'expired_trigger_id' });
    expect(triggers.exchange('12345.98765.abcd')).toEqual({ ok: false, error: 'invalid_trigger_id' });
  });
});
