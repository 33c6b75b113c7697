// `--wait`: follows a batch scoring job to Completed, Failed or Canceled, reporting each status change.
// The pacing is the watch queue's (src/domain/watch-pacing.ts): early checks come soon, a long job is
// looked at less and less often up to a ceiling. It returns the final job whatever its end, so the CLI
// can print (and put in its JSON) what a failed job says about itself.
import { isAzureMlError } from '../azureml/errors';
import { isTerminalJobStatus } from '../azureml/jobs';
import { nextWatchIntervalMs, type WatchPacingPolicy } from '../domain/watch-pacing';

export interface FollowJobOptions<J> {
  /** Reads the job once. */
  fetch: () => Promise<J>;
  statusOf: (job: J) => string;
  /** Called with the first status seen and every change after it. */
  onStatus?: (status: string, job: J, elapsedMs: number) => void;
  /** Called after each look at a job that has not ended (after onStatus); must not throw. */
  onPoll?: (status: string, job: J) => Promise<void>;
  pacing: WatchPacingPolicy;
  /**
   * Retriable failures (throttling, 5xx, network) tolerated in a row after the client's own retries,
   * before giving up; default 3. A long wait in CI should not die of one bad minute.
   */
  maxConsecutiveFailures?: number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => number;
  signal?: AbortSignal;
}

export async function followJob<J>(opts: FollowJobOptions<J>): Promise<J> {
  const started = opts.now();
  const tolerated = opts.maxConsecutiveFailures ?? 3;
  let last: string | undefined;
  let polls = 0;
  let failures = 0;
  for (;;) {
    opts.signal?.throwIfAborted();
    let job: J;
    try {
      job = await opts.fetch();
      failures = 0;
    } catch (err) {
      failures += 1;
      if (!isAzureMlError(err) || !err.retriable || failures > tolerated) throw err;
      await opts.sleep(nextWatchIntervalMs(polls++, opts.pacing), opts.signal);
      continue;
    }
    const status = opts.statusOf(job);
    if (status !== last) opts.onStatus?.(status, job, opts.now() - started);
    last = status;
    if (isTerminalJobStatus(status)) return job;
    await opts.onPoll?.(status, job);
    await opts.sleep(nextWatchIntervalMs(polls++, opts.pacing), opts.signal);
  }
}
