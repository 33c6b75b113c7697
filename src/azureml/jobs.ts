// Batch scoring jobs seen through ARM: `.../jobs/{name}` (mfe.json Jobs_Get, Jobs_List, Jobs_Cancel).
// A job belongs to an endpoint when its experimentName is the endpoint name (docs/architecture.md);
// cancel is `POST .../jobs/{name}/cancel`, a long-running action (202 + Location).
import type { AzureMlContext } from './azureml-context';
import { listAllPages } from './arm-pages';
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

export function listJobs(ctx: AzureMlContext): Promise<Job[]> {
  return listAllPages(ctx, jobsPath(ctx.workspace), jobSchema, 'job list');
}

/** Jobs of one batch endpoint, newest first. */
export async function listEndpointJobs(ctx: AzureMlContext, endpointName: string): Promise<Job[]> {
  const jobs = await listAllPages(ctx, jobsPath(ctx.workspace), jobSchema, 'job list', { jobType: 'Pipeline' });
  return jobs
    .filter(
      (j) => j.properties.experimentName === endpointName || j.properties.properties?.['azureml.endpointName'] === endpointName,
    )
    .sort((a, b) => (b.systemData?.createdAt ?? '').localeCompare(a.systemData?.createdAt ?? ''));
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
