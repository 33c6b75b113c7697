// chat.postMessage allows about one message per second per channel, with short bursts tolerated
// (Slack's rate-limit docs, "Posting messages"; ../shared/notes/slack-facts.md). Modelled as a
// token bucket per channel. Every post beyond the allowance counts as a breach, so a benchmark can
// report how often the bot would have been throttled; in 'enforce' mode the post is also refused
// with HTTP 429 and a Retry-After in whole seconds.
import { z } from 'zod';

export const RateLimitOptionsSchema = z.object({
  mode: z.enum(['enforce', 'count', 'off']).default('enforce'),
  perSecond: z.number().positive().default(1),
  burst: z.number().int().positive().default(4),
});
export type RateLimitOptions = z.input<typeof RateLimitOptionsSchema>;

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSec: number };

export interface ChannelRateLimiter {
  take(channel: string): RateDecision;
  breaches(): number;
}

export function createChannelRateLimiter(options: RateLimitOptions | undefined, now: () => number): ChannelRateLimiter {
  const { mode, perSecond, burst } = RateLimitOptionsSchema.parse(options ?? {});
  const buckets = new Map<string, { tokens: number; at: number }>();
  let breaches = 0;
  return {
    take(channel) {
      if (mode === 'off') return { allowed: true };
      const t = now();
      const bucket = buckets.get(channel) ?? { tokens: burst, at: t };
      bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, t - bucket.at) / 1000) * perSecond);
      bucket.at = Math.max(bucket.at, t);
      buckets.set(channel, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      breaches += 1;
      if (mode === 'count') return { allowed: true };
      const retryAfterSec = Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
      return { allowed: false, retryAfterSec };
    },
    breaches: () => breaches,
  };
}
