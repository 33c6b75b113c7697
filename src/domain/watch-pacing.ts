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
 * The oldest the shared workspace snapshot (src/queue/job-status-snapshot.ts) gets before a reader
 * refreshes it, and how long a watch step waiting on it sleeps before it looks again. Steps are woken when
 * a refresh sees their job change, so this bounds what a lost wake costs; how soon an end is seen is the
 * gap between refreshes (SNAPSHOT_MIN_GAP_MS below). Never slower than the per-job floor (tests run the
 * watch with a 200 ms floor).
 */
export const SNAPSHOT_MAX_AGE_CEILING_MS = 3_000;

export function snapshotMaxAgeMs(policy: Pick<WatchPacingPolicy, 'minIntervalMs'>): number {
  return Math.max(1, Math.min(SNAPSHOT_MAX_AGE_CEILING_MS, policy.minIntervalMs));
}

/**
 * The shortest gap between two refreshes of the snapshot. Watch steps are woken when a refresh sees their
 * job change, so an end is told about half a gap after it happens: a refresh of a page or two is listed
 * every second (a few jobs cost one or two reads a second, within the budget below), a longer one as its
 * pages and SNAPSHOT_READS_PER_SECOND allow (200 running jobs: 10 pages, every 2.5 s).
 */
export const SNAPSHOT_MIN_GAP_MS = 1_000;

/**
 * ARM reads per second the shared snapshot may spend on average (its refreshes are spaced by their cost):
 * ARM refills about 25 reads/s per principal, and the team's other tools need theirs, so the watch keeps
 * to under a fifth of it, with room left for the per-job reads and the bot's commands.
 */
export const SNAPSHOT_READS_PER_SECOND = 4;
