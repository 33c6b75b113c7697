// What tests do with the Azure ML client besides what the bot does: set up an endpoint, follow a scoring
// job to its end. Built from the production pieces (the deploy steps' endpoint PUT and wait, the CLI's job
// following), so tests exercise the code the bot runs rather than a copy of it.
import { setTimeout as delay } from 'node:timers/promises';
import type { AzureMlContext } from '../../src/azureml/azureml-context';
import { beginCreateOrUpdateBatchEndpoint, waitBatchEndpoint, type BatchEndpointSettings } from '../../src/azureml/batch-endpoints';
import { getScoringJob, jobStatusOf, type ScoringJob } from '../../src/azureml/scoring';
import { followJob } from '../../src/cli/job-follow';

/** Creates (or updates) a batch endpoint and waits for it to be ready. */
export async function createEndpoint(ctx: AzureMlContext, settings: BatchEndpointSettings) {
  const { poller } = await beginCreateOrUpdateBatchEndpoint(ctx, settings);
  return waitBatchEndpoint(ctx, settings.name, poller);
}

/** Follows a scoring job to Completed, Failed or Canceled and returns it as it ended. */
export function followScoringJob(ctx: AzureMlContext, scoringUri: string, jobName: string, opts: { intervalMs: number; timeoutMs: number }): Promise<ScoringJob> {
  return followJob({
    fetch: () => getScoringJob(ctx, scoringUri, jobName),
    statusOf: jobStatusOf,
    pacing: { minIntervalMs: opts.intervalMs, maxIntervalMs: opts.intervalMs },
    sleep: (ms, signal) => delay(ms, undefined, signal ? { signal } : undefined),
    now: Date.now,
    signal: AbortSignal.timeout(opts.timeoutMs),
  });
}
