// Batch scoring jobs seen through ARM: `.../jobs/{name}` (mfe.json Jobs_Get, Jobs_List, Jobs_Cancel).
// A job belongs to an endpoint when its experimentName is the endpoint name (docs/architecture.md);
// cancel is `POST .../jobs/{name}/cancel`, a long-running action (202 + Location).
import type { AzureMlContext } from './azureml-context';
import { listPages } from './arm-pages';
import { beginLongRunningAction, waitForOperation, type LongRunningWaitOptions } from './long-running-resource';
import type { PollerState } from './long-running-operation';
import { jobSchema, type Job, type JobStatus } from './resources';
import { parseResponseBody } from './response-validation';
import { jobPath, jobsPath } from './workspace';

/** Completed, Failed and Canceled only: a job never reaches "Succeeded" (that is a provisioning state). */
const TERMINAL: ReadonlySet<JobStatus> = new Set<JobStatus>(['Completed', 'Failed', 'Canceled']);

export function isTerminalJobStatus(status: JobStatus | string | undefined): boolean {
  return status !== undefined && TERMINAL.has(status as JobStatus);
}

export async function getJob(ctx: AzureMlContext, name: string): Promise<Job> {
  const response = await ctx.arm.request({ method: 'GET', path: jobPath(ctx.workspace, name) });
  return parseResponseBody(jobSchema, response.body, `job '${name}'`, response);
}

/**
 * Jobs_List filters that narrow a workspace's whole history to batch scoring jobs: Pipeline jobs (as the
 * service creates them) carrying the `azureml.batchrun` tag key (test_batch_job_download.json). mfe.json
 * 2022-05-01 declares no filter by experiment or creation time, so the rest is done on our side.
 */
export const BATCH_JOB_FILTERS = { jobType: 'Pipeline', tag: 'azureml.batchrun' } as const;

export interface RecentJobsQuery {
  /** At most this many jobs (default 100). */
  limit?: number;
  /** Stop at jobs created before this (ms since epoch, with a clock margin). */
  createdSince?: number;
  /** At most this many pages (default 10): a workspace's history is never read to its end. */
  maxPages?: number;
}

/** Clock difference tolerated between us and the service when comparing creation times. */
const CLOCK_SKEW_MS = 60_000;

const createdAtOf = (job: Job): number => Date.parse(job.systemData?.createdAt ?? '');
const newestFirst = (a: Job, b: Job): number => (b.systemData?.createdAt ?? '').localeCompare(a.systemData?.createdAt ?? '');

/**
 * The head of a job list, newest first. The service lists newest first (docs/sandbox-fidelity.md; a guess
 * the code does not depend on for correctness): paging stops at `limit` matches, at a page whose oldest job
 * predates `createdSince`, or at `maxPages`, whichever comes first.
 */
async function recentJobs(ctx: AzureMlContext, query: Record<string, string>, keep: (job: Job) => boolean, opts: RecentJobsQuery): Promise<Job[]> {
  const limit = opts.limit ?? 100;
  const found: Job[] = [];
  for await (const page of listPages(ctx, jobsPath(ctx.workspace), jobSchema, 'job list', { query, maxPages: opts.maxPages ?? 10 })) {
    for (const job of page) if (keep(job) && (opts.createdSince === undefined || !(createdAtOf(job) < opts.createdSince - CLOCK_SKEW_MS))) found.push(job);
    if (found.length >= limit) break;
    if (opts.createdSince !== undefined && page.some((job) => createdAtOf(job) < opts.createdSince! - CLOCK_SKEW_MS)) break;
  }
  return found.sort(newestFirst).slice(0, limit);
}

/** The workspace's most recent jobs of every kind, newest first (the `jobs` command without an endpoint). */
export function listJobs(ctx: AzureMlContext, opts: RecentJobsQuery = {}): Promise<Job[]> {
  return recentJobs(ctx, {}, () => true, opts);
}

/**
 * Recent jobs of one batch endpoint, newest first: the batch jobs (server-side filters) whose experimentName
 * is the endpoint name (docs/architecture.md), read page by page only as far as needed.
 */
export function listEndpointJobs(ctx: AzureMlContext, endpointName: string, opts: RecentJobsQuery = {}): Promise<Job[]> {
  return recentJobs(
    ctx,
    BATCH_JOB_FILTERS,
    (j) => j.properties.experimentName === endpointName || j.properties.properties?.['azureml.endpointName'] === endpointName,
    opts,
  );
}

/**
 * The pages of the workspace's batch jobs, newest first, for callers that decide themselves when to stop
 * (the watch's status snapshot).
 */
export function batchJobPages(ctx: AzureMlContext, maxPages: number): AsyncGenerator<Job[]> {
  return listPages(ctx, jobsPath(ctx.workspace), jobSchema, 'job list', { query: BATCH_JOB_FILTERS, maxPages });
}

export function beginCancelJob(ctx: AzureMlContext, name: string): Promise<PollerState | undefined> {
  return beginLongRunningAction(ctx, { method: 'POST', path: `${jobPath(ctx.workspace, name)}/cancel` });
}

/**
 * Cancels and waits for the cancel operation. Both recorded answers are handled: 202 + Location, polled to
 * its end (test_batch_job_download.json #51–#53), and 200 with no body and no operation, which Azure gives
 * even for a job that had already ended (azure-powershell Stop-AzMLWorkspaceJob). Returns the job's status
 * when it had already ended (nothing was cancelled), else undefined.
 */
export async function cancelJobAndWait(ctx: AzureMlContext, name: string, options?: LongRunningWaitOptions): Promise<JobStatus | undefined> {
  const poller = await beginCancelJob(ctx, name);
  if (poller) {
    await waitForOperation(ctx, poller, options);
    return undefined;
  }
  const status = (await getJob(ctx, name)).properties.status;
  return isTerminalJobStatus(status) && status !== 'Canceled' ? status : undefined;
}
