// `cancel <job>`, for the ops worker and the CLI alike: only a batch scoring job of this workspace's
// batch endpoints, and only one still running. The job may have ended between a check (pre-flight, an
// approval) and now, and Azure answers a cancel of a job that ended meanwhile with 200 as if it had
// worked (jobs.ts cancelJobAndWait): both are said as "already finished", never as canceled.
import type { AzureMlClient } from '../azureml';
import { isTerminalJobStatus } from '../azureml/jobs';
import { findBatchJob } from './job-lookup';
import { summarizeJob, type JobSummary } from './job-summary';
import type { WorkspaceLinks } from './studio-links';

export interface CancelJobDeps {
  azureml: { endpoints: Pick<AzureMlClient['endpoints'], 'get'>; jobs: Pick<AzureMlClient['jobs'], 'get' | 'assertBatchScoring' | 'cancelAndWait'> };
  links?: WorkspaceLinks;
}

export type CancelJobResult =
  /** Azure took the cancel; the job stops shortly (its status says when). */
  | { outcome: 'cancel-requested'; jobName: string; before: JobSummary }
  /** Nothing was canceled: the job had ended, with this status. */
  | { outcome: 'already-finished'; jobName: string; status: string; before: JobSummary };

/** TargetNotFoundError when there is no such job; NotABatchScoringJobError for any other kind of job. */
export async function cancelJob(deps: CancelJobDeps, jobName: string): Promise<CancelJobResult> {
  const found = await findBatchJob(deps, jobName);
  const before = summarizeJob(found, deps.links);
  if (isTerminalJobStatus(before.status)) return { outcome: 'already-finished', jobName, status: before.status, before };
  const ended = await deps.azureml.jobs.cancelAndWait(jobName);
  if (ended) return { outcome: 'already-finished', jobName, status: ended, before };
  return { outcome: 'cancel-requested', jobName, before };
}
