// Which jobs the bot may show and cancel: batch scoring jobs of this workspace's batch endpoints only.
// A workspace also holds training, sweep and pipeline jobs of other experiments; the bot's identity can
// cancel those too, so a runner could stop anyone's training through it. A batch scoring job is a
// Pipeline job whose experimentName is its endpoint's name and whose properties name that endpoint
// (`azureml.endpointName`, docs/architecture.md), and the endpoint must be a batch endpoint of this workspace.
import type { AzureMlContext } from './azureml-context';
import { findBatchEndpoint } from './batch-endpoints';
import type { Job } from './resources';

export class NotABatchScoringJobError extends Error {
  override readonly name = 'NotABatchScoringJobError';
  readonly code = 'NotABatchScoringJob';
  readonly retriable = false;
  constructor(readonly jobName: string) {
    super(`Job ${jobName} is not a batch scoring job of this workspace's batch endpoints; the bot only shows and cancels those.`);
  }
}

/** The endpoint a job claims to score for, when its shape is a batch scoring job's; undefined otherwise. */
export function batchEndpointOfJob(job: Pick<Job, 'properties'>): string | undefined {
  const p = job.properties;
  if (p.jobType.toLowerCase() !== 'pipeline') return undefined;
  const endpoint = p.properties?.['azureml.endpointName'] ?? undefined;
  if (!endpoint || p.experimentName !== endpoint) return undefined;
  return endpoint;
}

/** Throws NotABatchScoringJobError unless `job` is a batch scoring job of one of this workspace's batch endpoints. */
export async function assertBatchScoringJob(ctx: AzureMlContext, job: Job): Promise<void> {
  const endpoint = batchEndpointOfJob(job);
  if (!endpoint || !(await findBatchEndpoint(ctx, endpoint))) throw new NotABatchScoringJobError(job.name);
}
