// After a job ends: what its logs and outputs say, gathered for the final reply, `status <job>` and the
// CLI. Every read is best-effort: a reply about a job must never fail because a log could not be read, so
// what could not be read is reported as missing (and why, for our logs), not thrown.
import { triageFailure, parseProgressOverview, type FailureTriage, type JobProgress } from '../domain/failure-triage';
import { previewPredictions, type PredictionsPreview } from '../domain/predictions-preview';
import type { BlobReadLink, BlobReadLinkFactory } from './blob-read-link';
import { runErrorText } from './run-history-runs';
import { defaultJobOutputUri, findScoringStep, openRunLogs, readOutputHead, resolveOutputFile, type JobArtifactsDeps, type JobLogs, type OutputFileLocation } from './job-artifacts';

export interface JobOutcomeRequest {
  jobName: string;
  /** The job's experiment: the endpoint's name. */
  endpointName: string;
  status: string;
  /** The service's own error message, when it gave one. */
  serviceMessage?: string;
  /** Where the job wrote its results (file or folder URI), when known. */
  outputUri?: string;
  /** Read the predictions file and make a download link (completed jobs). */
  wantResults?: boolean;
}

export interface JobOutcomeDetails {
  scoringRunId?: string;
  triage?: FailureTriage;
  progress?: JobProgress;
  preview?: PredictionsPreview;
  output?: OutputFileLocation;
  link?: BlobReadLink;
  /** Reads that failed, for our logs (never shown verbatim: they may carry URLs). */
  problems: string[];
}

export interface JobOutcomeDeps extends JobArtifactsDeps {
  readLink?: BlobReadLinkFactory;
}

/** How long a download link in the thread works. */
export const RESULT_LINK_TTL_MS = 24 * 3600_000;
/** Bytes of the predictions file read for the preview. */
export const PREVIEW_READ_BYTES = 8 * 1024;

async function attempt<T>(problems: string[], what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    const code = (err as { code?: unknown; statusCode?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
    problems.push(`${what}: ${typeof code === 'string' || typeof code === 'number' ? code : err instanceof Error ? err.name : 'error'}`);
    return undefined;
  }
}

export async function readJobOutcome(deps: JobOutcomeDeps, req: JobOutcomeRequest): Promise<JobOutcomeDetails> {
  const problems: string[] = [];
  // The logs (run history, then the artifact store) and the results (the output's datastore) do not wait
  // on each other, so they are read at once: the final reply waits for the slower chain, not for both.
  const [fromLogs, fromResults] = await Promise.all([readLogsPart(deps, req, problems), readResultsPart(deps, req, problems)]);
  return { ...fromLogs, ...fromResults, problems };
}

/** What the job's scoring step left: its run id, progress, and a triage when something failed. */
async function readLogsPart(deps: JobOutcomeDeps, req: JobOutcomeRequest, problems: string[]): Promise<Omit<JobOutcomeDetails, 'problems'>> {
  const step = await attempt(problems, 'scoring step', () => findScoringStep(deps, req.jobName, req.endpointName));
  const runId = step?.runId;
  // The progress overview first: the other logs serve triage only, so a clean run does not read them (at
  // thousands of jobs ending, they were most of the storage reads, and three of them are listings).
  const runLogs = runId ? await attempt(problems, 'logs', () => openRunLogs(deps, runId)) : undefined;
  const progressOverview = runLogs ? await attempt(problems, 'logs', () => runLogs.progressOverview()) : undefined;
  const progress = parseProgressOverview(progressOverview);
  const failed = req.status === 'Failed' || (progress?.itemsFailed ?? 0) > 0;
  const logs: JobLogs = {
    ...(failed && runLogs ? await attempt(problems, 'logs', () => runLogs.read(['progressOverview'])) : {}),
    ...(progressOverview !== undefined ? { progressOverview } : {}),
  };
  // The job documents carry no error (recorded); the step's run may, in run history (a guess at its shape).
  const serviceMessage = req.serviceMessage ?? runErrorText(step)?.message;
  return {
    ...(runId ? { scoringRunId: runId } : {}),
    ...(progress ? { progress } : {}),
    ...(failed ? { triage: triageFailure({ ...logs, ...(serviceMessage ? { serviceMessage } : {}) }) } : {}),
  };
}

/** A completed job's predictions: where they are, their first rows, and a link to them. */
async function readResultsPart(deps: JobOutcomeDeps, req: JobOutcomeRequest, problems: string[]): Promise<Pick<JobOutcomeDetails, 'output' | 'preview' | 'link'>> {
  if (!req.wantResults) return {};
  // Without an output the request asked for, the results are in the job's default output folder.
  const outputUri = req.outputUri ?? (await attempt(problems, 'default output', () => defaultJobOutputUri(deps, req.jobName)));
  const output = outputUri ? await attempt(problems, 'output', () => resolveOutputFile(deps, outputUri)) : undefined;
  if (!output) return {};
  const readLink = deps.readLink;
  // The preview and the link are of the same file, known now: asked at once too.
  const [head, link] = await Promise.all([
    attempt(problems, 'predictions', () => readOutputHead(deps, output, PREVIEW_READ_BYTES)),
    readLink ? attempt(problems, 'download link', () => readLink(output.datastore, output.blobName, RESULT_LINK_TTL_MS)) : undefined,
  ]);
  return { output, ...(head ? { preview: previewPredictions(head) } : {}), ...(link ? { link } : {}) };
}
