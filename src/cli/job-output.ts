// What `jobs`, `status` and `run` print about batch scoring jobs: the job summaries of
// src/usecases/job-summary.ts as a table or as fields.
import type { JobSummary } from '../usecases/job-summary';
import { renderFields, renderTable } from './text-table';

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
    ['Input', job.input],
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
