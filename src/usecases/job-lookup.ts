// The look-ups about batch scoring jobs, `jobs [<endpoint>]` and `status <job>`, for the ops worker and
// the CLI alike. Only batch scoring jobs of this workspace's batch endpoints are shown, never training or
// other experiments' jobs (src/azureml/batch-scoring-job.ts).
import type { AzureMlClient } from '../azureml';
import { isTerminalJobStatus } from '../azureml/jobs';
import type { Job } from '../azureml/resources';
import { readJobOutcome, type JobOutcomeDeps, type ProblemLog } from './job-outcome';
import type { JobOutcomeView } from './job-outcome-view';
import { newestJobFirst, summarizeJob, type JobSummary } from './job-summary';
import type { WorkspaceLinks } from './studio-links';
import { foundOr } from './target-not-found';

export interface JobLookupDeps {
  azureml: {
    endpoints: Pick<AzureMlClient['endpoints'], 'get'>;
    jobs: Pick<AzureMlClient['jobs'], 'get' | 'list' | 'listForEndpoint' | 'assertBatchScoring' | 'isBatchScoringShape'>;
    /** Logs and outputs of ended jobs; without, `status` shows the job only. */
    artifacts?: JobOutcomeDeps['azureml']['artifacts'];
  };
  links: WorkspaceLinks;
  logger?: ProblemLog;
}

/** An endpoint's jobs, or the workspace's batch scoring jobs, newest first. */
export async function listJobs(deps: JobLookupDeps, endpointName?: string): Promise<JobSummary[]> {
  const az = deps.azureml;
  let jobs: Job[];
  if (endpointName) {
    // An endpoint that does not exist has no jobs either, but "no jobs yet" would be untrue.
    await foundOr(az.endpoints.get(endpointName), { kind: 'endpoint', endpointName });
    jobs = await az.jobs.listForEndpoint(endpointName);
  } else {
    jobs = (await az.jobs.list()).filter((j) => az.jobs.isBatchScoringShape(j));
  }
  return jobs.map((j) => summarizeJob(j, deps.links)).sort(newestJobFirst);
}

/** The batch scoring job of that name; TargetNotFoundError when there is none, NotABatchScoringJobError when it is another kind. */
export async function findBatchJob(deps: { azureml: { jobs: Pick<AzureMlClient['jobs'], 'get' | 'assertBatchScoring'> } }, jobName: string): Promise<Job> {
  const job = await foundOr(deps.azureml.jobs.get(jobName), { kind: 'job', jobName });
  await deps.azureml.jobs.assertBatchScoring(job);
  return job;
}

export interface JobStatusAnswer {
  job: JobSummary;
  /** For an ended job: its triage or results, as its final reply shows them. */
  outcome?: JobOutcomeView;
}

/** What `status` says about a job already read (findBatchJob, or the last look while following it). */
export async function describeJob(deps: JobLookupDeps, found: Job): Promise<JobStatusAnswer> {
  const job = summarizeJob(found, deps.links);
  const artifacts = deps.azureml.artifacts;
  if (!artifacts || !job.endpointName || !isTerminalJobStatus(job.status)) return { job };
  // JobBase has no error field in 2022-05-01: a batch job may carry it in its string map.
  const serviceMessage = job.error?.message ?? found.properties.properties?.['azureml.error.message'] ?? undefined;
  const outcome = await readJobOutcome(
    { azureml: { artifacts }, links: deps.links, ...(deps.logger ? { logger: deps.logger } : {}) },
    { jobName: job.name, endpointName: job.endpointName, status: job.status, ...(serviceMessage ? { serviceMessage } : {}), ...(job.output ? { outputUri: job.output } : {}) },
  );
  return { job, outcome };
}

/** `status <job>`: the job, and for an ended one its outcome. */
export async function jobStatus(deps: JobLookupDeps, jobName: string): Promise<JobStatusAnswer> {
  return describeJob(deps, await findBatchJob(deps, jobName));
}
