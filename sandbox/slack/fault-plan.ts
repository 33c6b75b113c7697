// Faults on demand: "answer the next n calls to this method with that". Lets resilience tests see
// how the bot copes with throttling (429 + Retry-After), server errors, and Slack error codes.

export type FaultAnswer = { status: 429; retryAfterSec: number } | { status: 500 } | { error: string };

export interface FaultPlan {
  next(method: string | '*', n: number, answer: FaultAnswer): void;
  clear(): void;
}

export interface FaultSource extends FaultPlan {
  /** The fault for this call, consuming one use; undefined when the call proceeds normally. */
  take(method: string): FaultAnswer | undefined;
}

export function createFaultPlan(): FaultSource {
  let pending: { method: string; remaining: number; answer: FaultAnswer }[] = [];
  return {
    next(method, n, answer) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`fault count must be a positive integer, got ${n}`);
      pending.push({ method, remaining: n, answer });
    },
    clear() {
      pending = [];
    },
    take(method) {
      const entry = pending.find((p) => p.method === method || p.method === '*');
      if (!entry) return undefined;
      entry.remaining -= 1;
      if (entry.remaining === 0) pending = pending.filter((p) => p !== entry);
      return entry.answer;
    },
  };
}
