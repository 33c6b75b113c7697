// Reads what an ended job left (logs for triage, predictions for results) and makes the outcome view that
// the final reply, `status <job>` in Slack and `batch-score status` all show. Never throws: an answer about
// a job goes out even when its logs cannot be read (what failed goes to the log, for us).
import type { AzureMlClient } from '../azureml';
import { bareJobOutcomeView, jobOutcomeView, type JobOutcomeView } from './job-outcome-view';
import type { WorkspaceLinks } from './studio-links';

export interface JobOutcomeQuery {
  jobName: string;
  endpointName: string;
  status: string;
  serviceMessage?: string;
  /** The output location, when the caller knows it (the invoke answer, the watch payload, the job). */
  outputUri?: string;
  /** The endpoint's scoring URI, to ask the data-plane job for its output when outputUri is unknown. */
  scoringUri?: string;
}

/** Where a use case says what it could not read (pino's `warn` fits). */
export interface ProblemLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface JobOutcomeDeps {
  azureml: { artifacts: Pick<AzureMlClient['artifacts'], 'readOutcome' | 'findOutputUri'> };
  links: WorkspaceLinks;
  logger?: ProblemLog;
}

/** The outcome of an ended job; a job still running (or canceled) gets its status and studio page only. */
export async function readJobOutcome(deps: JobOutcomeDeps, q: JobOutcomeQuery): Promise<JobOutcomeView> {
  const bare = bareJobOutcomeView(q.status, q.jobName, deps.links);
  if (q.status !== 'Completed' && q.status !== 'Failed') return bare;
  const artifacts = deps.azureml.artifacts;
  try {
    const outputUri = q.status === 'Completed' ? (q.outputUri ?? (await artifacts.findOutputUri(q.jobName, q.endpointName, q.scoringUri).catch(() => undefined))) : undefined;
    const details = await artifacts.readOutcome({
      jobName: q.jobName,
      endpointName: q.endpointName,
      status: q.status,
      ...(q.serviceMessage ? { serviceMessage: q.serviceMessage } : {}),
      ...(outputUri ? { outputUri } : {}),
      wantResults: q.status === 'Completed',
    });
    if (details.problems.length > 0) deps.logger?.warn({ jobName: q.jobName, problems: details.problems }, "could not read all of a job's logs and outputs");
    return jobOutcomeView(q.status, q.jobName, details, deps.links);
  } catch (err) {
    deps.logger?.warn({ jobName: q.jobName, err: err instanceof Error ? err.name : 'error' }, "could not read a job's logs and outputs");
    return bare;
  }
}
