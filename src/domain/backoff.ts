// How long to wait before trying again after failures, as one pure function for every retry and pacing
// loop (the Azure client's retries, the notify worker's per-entry retries, the status snapshot after a
// failed list, the watch's growing interval). Exponential from `baseMs`, capped at `maxMs`, with the
// jitter the caller needs: "equal" (half fixed, half random: a burst of clients spreads out but none
// retries at once, as the Azure SDK's core-rest-pipeline does), "full" (anywhere up to the step), or none
// for a schedule that is shared through Redis or meant to be steady.

export interface BackoffPolicy {
  /** The wait after the first failure. */
  baseMs: number;
  /** No wait is longer. */
  maxMs: number;
  /** Growth per further failure; default 2. */
  factor?: number;
  /** Default 'equal'. */
  jitter?: 'equal' | 'full' | 'none';
}

/** Beyond this many doublings every real policy is at its cap; it keeps the arithmetic finite. */
const MAX_EXPONENT = 30;

/** The wait after `failures` failures (1 after the first), rounded to whole milliseconds. */
export function backoffDelayMs(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(MAX_EXPONENT, Math.max(0, failures - 1));
  const step = Math.min(policy.maxMs, policy.baseMs * (policy.factor ?? 2) ** exponent);
  switch (policy.jitter ?? 'equal') {
    case 'none':
      return Math.round(step);
    case 'full':
      return Math.round(step * random());
    case 'equal':
      return Math.round(step / 2 + (step / 2) * random());
  }
}
