// Slack limits every Web API method "per API method per app per workspace" by tier (Slack's rate-limits
// guide): Tier 1 1+ per minute, Tier 2 20+, Tier 3 50+, Tier 4 100+, "Special" where the method's page
// says so (chat.postMessage: ~1 message per second per channel, rate-limiter.ts). Each method's tier is
// the one its reference page lists under "Rate limits"; a throttled call is HTTP 429 with Retry-After
// in seconds and `{ok: false, error: "ratelimited"}`.
// Modelled as one token bucket per method (the stand-in is one workspace and one app). **Guess**: the
// bucket holds one minute's allowance (Slack tolerates bursts without saying how large) and refills
// continuously; docs/sandbox-fidelity.md says so.
import { z } from 'zod';

export const TIER_PER_MINUTE = { 1: 1, 2: 20, 3: 50, 4: 100 } as const;
export type Tier = keyof typeof TIER_PER_MINUTE;

/**
 * The tier of each method the stand-in answers. chat.postMessage is absent: its Special limit is the
 * per-channel one. auth.test and chat.getPermalink are "Special" on their pages with no number given:
 * **guess** Tier 4.
 */
export const METHOD_TIERS: Readonly<Record<string, Tier>> = {
  'auth.test': 4,
  'chat.update': 3,
  'chat.delete': 3,
  'chat.postEphemeral': 4,
  'chat.getPermalink': 4,
  'conversations.info': 3,
  'users.info': 4,
  'usergroups.users.list': 2,
  'views.open': 4,
  'views.push': 4,
  'views.update': 4,
  'views.publish': 4,
  // apps.connections.open is Tier 1 in Slack's reference, but not limited here: Bolt's Socket Mode client
  // opens one per connection and per refresh, and the stand-in's refreshes come far more often than
  // Slack's, so a Tier 1 bucket would throttle what Slack would not (docs/sandbox-fidelity.md).
};

const LimitSchema = z.object({ perMinute: z.number().positive(), burst: z.number().int().positive().optional() });

export const MethodRateLimitOptionsSchema = z.object({
  mode: z.enum(['enforce', 'count', 'off']).default('enforce'),
  /** Tighter (or looser) limits for some methods, e.g. a small chat.update allowance in a test. */
  overrides: z.record(z.string(), LimitSchema).default({}),
});
export type MethodRateLimitOptions = z.input<typeof MethodRateLimitOptionsSchema>;

export type MethodDecision = { allowed: true } | { allowed: false; retryAfterSec: number };

export interface MethodRateLimiter {
  take(method: string): MethodDecision;
  /** Calls beyond a method's allowance so far (counted in 'enforce' and 'count' modes), per method. */
  breaches(): Record<string, number>;
}

export function createMethodRateLimiter(options: MethodRateLimitOptions | undefined, now: () => number): MethodRateLimiter {
  const { mode, overrides } = MethodRateLimitOptionsSchema.parse(options ?? {});
  const buckets = new Map<string, { tokens: number; at: number }>();
  const breaches: Record<string, number> = {};

  const limitOf = (method: string): { perMinute: number; burst: number } | undefined => {
    const override = overrides[method];
    if (override) return { perMinute: override.perMinute, burst: override.burst ?? Math.max(1, Math.ceil(override.perMinute)) };
    const tier = METHOD_TIERS[method];
    if (tier === undefined) return undefined;
    const perMinute = TIER_PER_MINUTE[tier];
    return { perMinute, burst: perMinute };
  };

  return {
    take(method) {
      const limit = mode === 'off' ? undefined : limitOf(method);
      if (!limit) return { allowed: true };
      const perMs = limit.perMinute / 60_000;
      const t = now();
      const bucket = buckets.get(method) ?? { tokens: limit.burst, at: t };
      bucket.tokens = Math.min(limit.burst, bucket.tokens + Math.max(0, t - bucket.at) * perMs);
      bucket.at = Math.max(bucket.at, t);
      buckets.set(method, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      breaches[method] = (breaches[method] ?? 0) + 1;
      if (mode === 'count') return { allowed: true };
      return { allowed: false, retryAfterSec: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
    },
    breaches: () => ({ ...breaches }),
  };
}
