// Live progress of a running job for its status line: mini-batches and items done of total, read from
// what Azure exposes while the job runs (logs/job_progress_overview.txt of its batchscoring step). Looked
// at no more often than the watch's minimum interval per job; the notify outbox coalesces the status
// slot's edits newest-wins and paces chat.update, so Slack sees at most what its tier allows.
//
// The step's run id and the last look are kept in this process's memory: a restarted or second worker
// only looks the step up again. Never throws: progress is a nicety, the watch goes on without it.
import { parseProgressOverview, type JobProgress } from '../domain/failure-triage';
import type { WorkerContext } from './worker-context';

interface ProgressMemo {
  scoringRunId?: string;
  checkedAt: number;
  line?: string;
  progress?: JobProgress;
}

/** Bounded: a job that vanished without a terminal status must not grow the memo forever. */
const MAX_MEMOS = 10_000;

export function createJobProgressReader(ctx: Pick<WorkerContext, 'azureml' | 'watch' | 'now' | 'logger'>) {
  const memos = new Map<string, ProgressMemo>();
  return {
    /**
     * The job's progress when it changed since the last look, else undefined (nothing to update).
     * `everyMs`: the least time between two looks at this job (default the watch's floor).
     */
    async changed(jobName: string, endpointName: string, everyMs = ctx.watch.minIntervalMs): Promise<JobProgress | undefined> {
      const memo = memos.get(jobName);
      if (memos.size >= MAX_MEMOS && !memo) memos.delete(memos.keys().next().value as string);
      // The first sight of the job running starts its clock rather than looking at once: a job has done
      // nothing worth showing yet, and hundreds of jobs turning Running together would otherwise each take
      // a run-history and a storage call in the same seconds, in the slots other jobs' steps need.
      if (!memo) return void memos.set(jobName, { checkedAt: ctx.now() });
      if (ctx.now() - memo.checkedAt < everyMs) return undefined;
      const next: ProgressMemo = { ...memo, checkedAt: ctx.now() };
      memos.set(jobName, next);
      try {
        next.scoringRunId ??= await ctx.azureml.artifacts.findScoringStep(jobName, endpointName);
        if (!next.scoringRunId) return undefined;
        const progress = parseProgressOverview(await ctx.azureml.artifacts.readProgress(next.scoringRunId));
        if (!progress) return undefined;
        const line = JSON.stringify(progress);
        if (line === memo?.line) return undefined;
        next.line = line;
        next.progress = progress;
        return progress;
      } catch (err) {
        ctx.logger.debug({ jobName, err: err instanceof Error ? err.name : 'error' }, 'no live progress for this job');
        return undefined;
      }
    },
    /** The last progress seen, to keep it on the status line when the status changes. */
    last: (jobName: string): JobProgress | undefined => memos.get(jobName)?.progress,
    forget: (jobName: string): void => void memos.delete(jobName),
  };
}
export type JobProgressReader = ReturnType<typeof createJobProgressReader>;
