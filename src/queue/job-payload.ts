// Reading a job's payload and deciding whether a failure is worth another attempt. A payload that no
// longer fits its schema (an old job after an upgrade, a hand-edited job) can never succeed, so it fails
// at once with UnrecoverableError instead of burning retries; the same goes for errors that retrying
// cannot fix (validation, 4xx other than 408/409/429).
import { UnrecoverableError, type Job } from 'bullmq';
import type { z } from 'zod';
import { isAzureMlError } from '../azureml/errors';
import { isTransientNetworkError } from '../domain/network-errors';

export function parsePayload<S extends z.ZodType>(schema: S, job: Job): z.output<S> {
  const parsed = schema.safeParse(job.data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
    throw new UnrecoverableError(`job ${job.id} has an invalid payload: ${issues}`);
  }
  return parsed.data;
}

/** True when BullMQ will not try this job again after the current attempt fails. */
export function isLastAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/**
 * Whether another attempt could succeed: transient Azure failures (throttling, 5xx, network) and lost
 * connections. Everything else (validation, an output that exists, a path outside the artifacts root,
 * a 4xx from Azure) fails the same way every time, so it is reported at once instead of retried.
 */
export function isWorthRetrying(err: unknown): boolean {
  if (err instanceof UnrecoverableError) return false;
  const cause = (err as { cause?: unknown }).cause;
  if (isAzureMlError(err)) return err.retriable;
  if (isAzureMlError(cause)) return cause.retriable;
  // Network failures of our own connections (Redis, sockets) are transient by nature.
  if (isTransientNetworkError(err)) return true;
  const e = err as { name?: unknown };
  return typeof e.name === 'string' && /MaxRetriesPerRequest|Redis/.test(e.name);
}
