// Every simulated wait in the sandbox, in realistic milliseconds, multiplied by `timeScale` at use:
// 1 behaves like the service (a compute cluster takes a minute or two), tests use ~0.01.
import { z } from 'zod';

export const sandboxDurationsSchema = z.object({
  computeCreateMs: z.number().nonnegative(),
  endpointCreateMs: z.number().nonnegative(),
  endpointUpdateMs: z.number().nonnegative(),
  endpointDeleteMs: z.number().nonnegative(),
  deploymentCreateMs: z.number().nonnegative(),
  deploymentUpdateMs: z.number().nonnegative(),
  deploymentDeleteMs: z.number().nonnegative(),
  /** NotStarted → Queued */
  jobQueueMs: z.number().nonnegative(),
  /** Queued → Preparing (waiting for nodes) */
  jobPrepareMs: z.number().nonnegative(),
  /** Preparing → Running (image pull, mounting inputs) */
  jobStartMs: z.number().nonnegative(),
  /** Running → Finalizing → terminal (merging outputs) */
  jobFinalizeMs: z.number().nonnegative(),
  /** Model time per input file, inside a mini-batch. */
  perFileMs: z.number().nonnegative(),
  /** CancelRequested → Canceled */
  jobCancelMs: z.number().nonnegative(),
  /** What `Retry-After` advises for operation polls (ARM sends 10–600 s). */
  pollIntervalMs: z.number().nonnegative(),
});
export type SandboxDurations = z.infer<typeof sandboxDurationsSchema>;

export const REALISTIC_DURATIONS: SandboxDurations = {
  computeCreateMs: 90_000,
  endpointCreateMs: 30_000,
  endpointUpdateMs: 20_000,
  endpointDeleteMs: 30_000,
  deploymentCreateMs: 180_000,
  deploymentUpdateMs: 120_000,
  deploymentDeleteMs: 60_000,
  jobQueueMs: 5_000,
  jobPrepareMs: 20_000,
  jobStartMs: 30_000,
  jobFinalizeMs: 10_000,
  perFileMs: 200,
  jobCancelMs: 10_000,
  pollIntervalMs: 10_000,
};

export interface SandboxClock {
  /** A simulated duration (by name) on this sandbox's time scale, in real milliseconds. */
  ms(name: keyof SandboxDurations): number;
  timeScale: number;
}

export function createSandboxClock(timeScale: number, overrides: Partial<SandboxDurations> = {}): SandboxClock {
  if (!(timeScale > 0)) throw new RangeError(`timeScale must be a positive number, got ${timeScale}`);
  const durations = sandboxDurationsSchema.parse({ ...REALISTIC_DURATIONS, ...overrides });
  return {
    timeScale,
    ms: (name) => Math.max(0, Math.round(durations[name] * timeScale)),
  };
}

/**
 * `Retry-After` is whole seconds (RFC 9110), at least `minSeconds`; `retry-after-ms` carries the exact
 * time-scaled value, which clients prefer (docs/architecture.md). Long-running operations pass
 * 10–600 s, the range mfe.json declares for their 202 `Retry-After` header.
 */
export function retryAfterHeaders(scaledMs: number, bounds: { minSeconds?: number; maxSeconds?: number } = {}): Record<string, string> {
  const seconds = Math.max(bounds.minSeconds ?? 1, Math.ceil(scaledMs / 1000));
  return {
    'Retry-After': String(bounds.maxSeconds === undefined ? seconds : Math.min(bounds.maxSeconds, seconds)),
    'retry-after-ms': String(Math.max(0, Math.round(scaledMs))),
  };
}

/** The Retry-After range mfe.json allows on long-running operations' 202 responses. */
export const LRO_RETRY_AFTER_BOUNDS = { minSeconds: 10, maxSeconds: 600 } as const;
