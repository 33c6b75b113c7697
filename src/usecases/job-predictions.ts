// Where a completed job's predictions file is, found the way the SDK's `ml_client.jobs.download` does for
// a batch job: the job's output location (what the job document says, else the scoring step's), then the
// file the scoring step wrote there. The CLI's `download` fetches it; Slack links it (job-outcome.ts).
import type { AzureMlClient } from '../azureml';
import type { OutputFileLocation } from '../azureml/job-artifacts';
import { findBatchJob } from './job-lookup';
import { summarizeJob } from './job-summary';

export interface JobPredictionsDeps {
  azureml: {
    jobs: Pick<AzureMlClient['jobs'], 'get' | 'assertBatchScoring'>;
    artifacts: Pick<AzureMlClient['artifacts'], 'findOutputUri' | 'resolveOutput'>;
  };
}

export type JobPredictions =
  | { found: true; outputUri: string; location: OutputFileLocation }
  /** Only a Completed job has predictions. */
  | { found: false; code: 'JobNotCompleted'; status: string }
  /** The job names no output location, or wrote no file there. */
  | { found: false; code: 'OutputNotFound'; outputUri?: string };

/** TargetNotFoundError when there is no such job; NotABatchScoringJobError for any other kind of job. */
export async function findJobPredictions(deps: JobPredictionsDeps, jobName: string): Promise<JobPredictions> {
  const job = summarizeJob(await findBatchJob(deps, jobName));
  if (job.status !== 'Completed') return { found: false, code: 'JobNotCompleted', status: job.status };
  const az = deps.azureml;
  const outputUri = job.output ?? (job.endpointName ? await az.artifacts.findOutputUri(jobName, job.endpointName) : undefined);
  if (!outputUri) return { found: false, code: 'OutputNotFound' };
  const location = await az.artifacts.resolveOutput(outputUri);
  return location ? { found: true, outputUri, location } : { found: false, code: 'OutputNotFound', outputUri };
}
