// `--wait` on a running job: a stderr line each time its progress changes (mini-batches and items done of
// total), read where the bot's status line reads it (logs/job_progress_overview.txt of the job's
// batchscoring step). Progress is a nicety: a step not found yet, a file not written yet or a read that
// fails prints nothing and never stops the follow.
import type { AzureMlClient } from '../azureml';
import { parseProgressOverview, type JobProgress } from '../domain/failure-triage';

export type ProgressArtifacts = Pick<AzureMlClient['artifacts'], 'findScoringStep' | 'readProgress'>;

export function progressLine(jobName: string, p: JobProgress): string {
  const items = p.itemsSucceeded !== undefined ? `, ${p.itemsSucceeded} items scored, ${p.itemsFailed ?? 0} failed` : '';
  return `job ${jobName}: ${p.miniBatchesDone} of ${p.miniBatchesTotal} mini-batches done${items}`;
}

/** Looks at the job's progress once per call; prints a line only when it changed since the last one. */
export function createProgressLines(artifacts: ProgressArtifacts, jobName: string, endpointName: string, print: (line: string) => void) {
  let scoringRunId: string | undefined;
  let last: string | undefined;
  return async function look(): Promise<void> {
    try {
      scoringRunId ??= await artifacts.findScoringStep(jobName, endpointName);
      if (!scoringRunId) return;
      const progress = parseProgressOverview(await artifacts.readProgress(scoringRunId));
      if (!progress) return;
      const line = progressLine(jobName, progress);
      if (line !== last) print(line);
      last = line;
    } catch {
      // Nothing to show this time; the job's status is still followed.
    }
  };
}
