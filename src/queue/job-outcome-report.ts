// The extra sections of a job's final reply and of `status <job>`: triage for a failure, results for a
// completion, read from the job's logs and outputs on the workspace storage. Never throws: a reply about
// a job goes out even when its logs cannot be read (what failed is logged, for us).
import type { JobOutcomeDetails } from '../azureml/job-outcome';
import { studioJobLink } from '../slack/thread-messages';
import type { JobOutcomeView } from '../slack/blocks/job-outcome-sections';
import { workspaceLinks, type WorkerContext } from './worker-context';

export interface JobOutcomeQuery {
  jobName: string;
  endpointName: string;
  status: string;
  serviceMessage?: string;
  /** The output location, when the caller knows it (the invoke answer, the watch payload). */
  outputUri?: string;
  /** The endpoint's scoring URI, to ask the data-plane job for its output when outputUri is unknown. */
  scoringUri?: string;
}

async function findOutputUri(ctx: WorkerContext, q: JobOutcomeQuery): Promise<string | undefined> {
  return q.outputUri ?? ctx.azureml.artifacts.findOutputUri(q.jobName, q.endpointName, q.scoringUri);
}

export function outcomeView(ctx: Pick<WorkerContext, 'cloud' | 'workspace'>, q: JobOutcomeQuery, details: JobOutcomeDetails): JobOutcomeView {
  return {
    status: q.status,
    ...(details.progress ? { progress: details.progress } : {}),
    ...(details.triage ? { triage: { errorLines: details.triage.errorLines, ...(details.triage.recognised ? { fix: details.triage.recognised.fix } : {}) } } : {}),
    ...(details.preview ? { preview: details.preview } : {}),
    ...(details.output ? { outputFile: details.output.blobName } : {}),
    ...(details.link ? { link: { url: details.link.url, expiresOn: details.link.expiresOn.getTime() } } : {}),
    logsUrl: studioJobLink(workspaceLinks(ctx), details.scoringRunId ?? q.jobName),
  };
}

export async function readJobOutcomeView(ctx: WorkerContext, q: JobOutcomeQuery): Promise<JobOutcomeView> {
  const bare: JobOutcomeView = { status: q.status, logsUrl: studioJobLink(workspaceLinks(ctx), q.jobName) };
  if (q.status !== 'Completed' && q.status !== 'Failed') return bare;
  try {
    const outputUri = q.status === 'Completed' ? await findOutputUri(ctx, q).catch(() => undefined) : undefined;
    const details = await ctx.azureml.artifacts.readOutcome({
      jobName: q.jobName,
      endpointName: q.endpointName,
      status: q.status,
      ...(q.serviceMessage ? { serviceMessage: q.serviceMessage } : {}),
      ...(outputUri ? { outputUri } : {}),
      wantResults: q.status === 'Completed',
    });
    if (details.problems.length > 0) ctx.logger.warn({ jobName: q.jobName, problems: details.problems }, 'could not read all of a job\'s logs and outputs');
    return outcomeView(ctx, q, details);
  } catch (err) {
    ctx.logger.warn({ jobName: q.jobName, err: err instanceof Error ? err.name : 'error' }, 'could not read a job\'s logs and outputs');
    return bare;
  }
}
