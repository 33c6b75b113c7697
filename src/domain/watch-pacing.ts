// How often a running scoring job is looked at. Jobs that have just started change state quickly, so the
// first checks come soon; a job that runs long is checked less and less often, up to a ceiling, so a
// team's hundreds of long jobs do not spend the workspace's ARM read budget. A server's Retry-After
// always wins over our own pacing.
import { backoffDelayMs } from './backoff';

export interface WatchPacingPolicy {
  minIntervalMs: number;
  maxIntervalMs: number;
  /** Growth per check; 1.5 reaches a 2-minute ceiling from 10 s in about six checks. */
  factor?: number;
}

export function nextWatchIntervalMs(polls: number, policy: WatchPacingPolicy, retryAfterMs?: number): number {
  // A steady schedule (no jitter): the watch of one job is one caller.
  const grown = backoffDelayMs(polls + 1, { baseMs: policy.minIntervalMs, maxMs: policy.maxIntervalMs, factor: policy.factor ?? 1.5, jitter: 'none' });
  const paced = Math.max(policy.minIntervalMs, grown);
  return retryAfterMs !== undefined && retryAfterMs > paced ? retryAfterMs : paced;
}

/**
 * How often one running job's live progress is looked at. A status line shows it through an in-place edit,
 * and the workspace has one chat.update budget for all of them (`editsPerMinute`, Slack's Tier 3), so with
 * `watched` jobs running each line can change about once per `watched × 60 s / editsPerMinute`: looking
 * more often only reads logs nobody will see (at 5,000 running jobs, hundreds of reads a second). A few
 * jobs keep the per-job floor.
 */
export function liveProgressIntervalMs(watched: number, policy: Pick<WatchPacingPolicy, 'minIntervalMs'>, editsPerMinute: number): number {
  return Math.max(policy.minIntervalMs, Math.ceil((Math.max(1, watched) * 60_000) / Math.max(1, editsPerMinute)));
}

/**
 * The shared workspace snapshot (src/queue/job-status-snapshot.ts) is listed at most once per this, and
 * each watch step re-reads it at the same cadence, so a job's end is seen within about two of these:
 * 3 s keeps a final reply within 10 s of the job's end, while ARM sees 20 list calls a minute however
 * many jobs run. Never slower than the per-job floor (tests run the watch with a 200 ms floor).
 */
export const SNAPSHOT_MAX_AGE_CEILING_MS = 3_000;

export function snapshotMaxAgeMs(policy: Pick<WatchPacingPolicy, 'minIntervalMs'>): number {
  return Math.max(1, Math.min(SNAPSHOT_MAX_AGE_CEILING_MS, policy.minIntervalMs));
}

/**
 * ARM reads per second the shared snapshot may spend on average (its refreshes are spaced by their cost):
 * ARM refills about 25 reads/s per principal, and the team's other tools need theirs, so the watch keeps
 * to under a fifth of it, with room left for the per-job reads and the bot's commands.
 */
export const SNAPSHOT_READS_PER_SECOND = 4;
