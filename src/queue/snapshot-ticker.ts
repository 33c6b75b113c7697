// Keeps the workspaces' job-status snapshots fresh on a timer of their own. Watch steps that wait for a
// wake (a status change) may all sleep for the same half minute, having started together; a refresh that
// only a step's look could start would then wait for them, and so would every end it would have told.
// Each worker process ticks; the snapshot's lock lets one of them list at a time, and a tick with nothing
// watched or not yet due is one Redis round trip.
import type { JobStatusSnapshot } from './job-status-snapshot';

export interface SnapshotTicker {
  /** Keeps this snapshot fresh from now on (a workspace's first watch step adds it). */
  add(snapshot: Pick<JobStatusSnapshot, 'refreshIfDue'>): void;
  stop(): void;
}

/**
 * How often a worker process asks whether a snapshot is due: a quarter of the shortest gap between
 * refreshes (watch-pacing.ts SNAPSHOT_MIN_GAP_MS), so a due refresh starts within a quarter second.
 */
export const SNAPSHOT_TICK_MS = 250;

export function createSnapshotTicker(opts: { everyMs?: number; onError: (err: unknown) => void }): SnapshotTicker {
  const snapshots = new Set<Pick<JobStatusSnapshot, 'refreshIfDue'>>();
  const busy = new Set<Pick<JobStatusSnapshot, 'refreshIfDue'>>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = (): void => {
    for (const snapshot of snapshots) {
      // A refresh of hundreds of pages outlasts many ticks: one at a time per snapshot.
      if (busy.has(snapshot)) continue;
      busy.add(snapshot);
      snapshot
        .refreshIfDue()
        .catch(opts.onError)
        .finally(() => busy.delete(snapshot));
    }
  };
  return {
    add(snapshot) {
      if (stopped) return;
      snapshots.add(snapshot);
      if (!timer) {
        timer = setInterval(tick, opts.everyMs ?? SNAPSHOT_TICK_MS);
        // Never what keeps a process alive.
        timer.unref();
      }
    },
    stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      snapshots.clear();
    },
  };
}
