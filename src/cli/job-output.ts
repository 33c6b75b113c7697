// What `jobs`, `status` and `run` print about batch scoring jobs, read through ARM (Jobs_Get) or from the
// scoring URI (the data-plane document). As recorded from Azure, a batch job names its endpoint as
// experimentName and its deployment in tags ("azureml.deploymentname"); the data-plane document says
// where its output goes (output {datastoreId, path}); neither carries an error or item counts, which are
// shown only when a document has them.
import { z } from 'zod';
import type { Job } from '../azureml/resources';
import { jobFailure, jobOutputUri, jobStatusOf, type ScoringJob } from '../azureml/scoring';
import { lastSegment } from '../azureml/workspace';
import { renderFields, renderTable } from './text-table';

export const jobSummarySchema = z.object({
  name: z.string(),
  status: z.string(),
  endpointName: z.string().optional(),
  deploymentName: z.string().optional(),
  createdAt: z.string().optional(),
  /** Where the results are: the output's URI as the job reports it. */
  output: z.string().optional(),
  itemsSucceeded: z.number().optional(),
  itemsFailed: z.number().optional(),
  error: z.object({ code: z.string().optional(), message: z.string().optional() }).optional(),
  studioUrl: z.string().optional(),
});
export type JobSummary = z.infer<typeof jobSummarySchema>;

const count = (v: string | null | undefined): number | undefined => (v && /^\d+$/.test(v) ? Number(v) : undefined);

/** The endpoint in a data-plane job id (…/batchEndpoints/{e}/deployments/{d}/jobs/{name}). */
function endpointOfDataPlaneId(id: string): string | undefined {
  return /\/batchEndpoints\/([^/]+)\/deployments\//i.exec(id)?.[1];
}

export function summarizeJob(job: Job | ScoringJob, studioUrl?: (jobName: string) => string): JobSummary {
  const name = job.name ?? lastSegment(job.id);
  const bag = job.properties.properties ?? {};
  const failure = jobFailure(job as ScoringJob);
  const createdAt = (job as { systemData?: { createdAt?: string } }).systemData?.createdAt;
  const summary: JobSummary = { name, status: jobStatusOf(job as ScoringJob) };
  const tags = (job.properties as { tags?: Record<string, string | null> | null }).tags ?? {};
  const endpointName = job.properties.experimentName ?? bag['azureml.endpointName'] ?? endpointOfDataPlaneId(job.id);
  if (endpointName) summary.endpointName = endpointName;
  const deploymentName = tags['azureml.deploymentname'];
  if (deploymentName) summary.deploymentName = deploymentName;
  if (createdAt) summary.createdAt = createdAt;
  const output = jobOutputUri(job);
  if (output) summary.output = output;
  const succeeded = count(bag['azureml.itemsSucceeded']);
  const failed = count(bag['azureml.itemsFailed']);
  if (succeeded !== undefined) summary.itemsSucceeded = succeeded;
  if (failed !== undefined) summary.itemsFailed = failed;
  if (failure.code || failure.message) {
    summary.error = { ...(failure.code ? { code: failure.code } : {}), ...(failure.message ? { message: failure.message } : {}) };
  }
  if (studioUrl) summary.studioUrl = studioUrl(name);
  return summary;
}

export function jobsTable(jobs: readonly JobSummary[], endpointName?: string): string {
  if (jobs.length === 0) return endpointName ? `No batch scoring jobs for endpoint ${endpointName}.` : 'No batch scoring jobs.';
  return renderTable(
    [
      { header: 'job', value: (j: JobSummary) => j.name },
      { header: 'endpoint', value: (j) => j.endpointName },
      { header: 'deployment', value: (j) => j.deploymentName },
      { header: 'status', value: (j) => j.status },
      { header: 'created', value: (j) => j.createdAt },
    ],
    jobs,
  );
}

export function jobDetails(job: JobSummary): string {
  const items =
    job.itemsSucceeded === undefined && job.itemsFailed === undefined
      ? undefined
      : `${job.itemsSucceeded ?? 0} succeeded, ${job.itemsFailed ?? 0} failed`;
  return renderFields([
    ['Job', job.name],
    ['Status', job.status],
    ['Endpoint', job.endpointName],
    ['Deployment', job.deploymentName],
    ['Created', job.createdAt],
    ['Items', items],
    ['Output', job.output],
    ['Error', job.error ? [job.error.code, job.error.message].filter(Boolean).join(': ') : undefined],
    ['Studio', job.studioUrl],
  ]);
}

/** One stderr line per status change while following a job. */
export function jobStatusLine(jobName: string, status: string, elapsedMs: number): string {
  return `job ${jobName}: ${status} (${formatElapsed(elapsedMs)})`;
}

export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
