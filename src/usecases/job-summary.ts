// What is said about a batch scoring job, everywhere: `jobs`, `status` and `run` in the CLI and in
// Slack. Built from the job as ARM lists it (Jobs_Get, Jobs_List) or as the scoring URI returns it (the
// data-plane document). As recorded from Azure, a batch job names its endpoint as experimentName and its
// deployment in tags ("azureml.deploymentname"); the data-plane document says where its output goes
// (output {datastoreId, path}); neither carries an error or item counts, which are kept only when a
// document has them. Pure: no I/O.
import { z } from 'zod';
import { jobItemCounts } from '../azureml/job-item-counts';
import type { Job } from '../azureml/resources';
import { jobFailure, jobOutputUri, jobStatusOf, type ScoringJob } from '../azureml/scoring';
import { lastSegment } from '../azureml/workspace';
import { studioJobLink, type WorkspaceLinks } from './studio-links';

export const jobSummarySchema = z.object({
  name: z.string(),
  status: z.string(),
  endpointName: z.string().optional(),
  deploymentName: z.string().optional(),
  /** ISO 8601, as the service wrote it. */
  createdAt: z.string().optional(),
  /** The input's URI, when the job document names one (ARM batch jobs list `inputs: null`). */
  input: z.string().optional(),
  /** Where the results are: the output's URI as the job reports it. */
  output: z.string().optional(),
  itemsSucceeded: z.number().optional(),
  itemsFailed: z.number().optional(),
  error: z.object({ code: z.string().optional(), message: z.string().optional() }).optional(),
  studioUrl: z.string().optional(),
});
export type JobSummary = z.infer<typeof jobSummarySchema>;

/** The endpoint in a data-plane job id (…/batchEndpoints/{e}/deployments/{d}/jobs/{name}). */
function endpointOfDataPlaneId(id: string): string | undefined {
  return /\/batchEndpoints\/([^/]+)\/deployments\//i.exec(id)?.[1];
}

function inputUriOf(job: Job | ScoringJob): string | undefined {
  const inputs = ((job.properties as { inputs?: unknown }).inputs ?? {}) as Record<string, { uri?: unknown } | null>;
  const uri = Object.values(inputs).find((i) => typeof i?.uri === 'string' && i.uri)?.uri;
  return typeof uri === 'string' ? uri : undefined;
}

/** A job's summary; with `links`, its studio page too. */
export function summarizeJob(job: Job | ScoringJob, links?: WorkspaceLinks): JobSummary {
  const name = job.name ?? lastSegment(job.id);
  const bag = job.properties.properties ?? {};
  const failure = jobFailure(job as ScoringJob);
  const createdAt = (job as { systemData?: { createdAt?: string } | null }).systemData?.createdAt;
  const summary: JobSummary = { name, status: jobStatusOf(job as ScoringJob) };
  const tags = (job.properties as { tags?: Record<string, string | null> | null }).tags ?? {};
  const endpointName = job.properties.experimentName ?? bag['azureml.endpointName'] ?? endpointOfDataPlaneId(job.id);
  if (endpointName) summary.endpointName = endpointName;
  // A batch job's deployment is in its tags (recorded: test_batch_job_download.json #29).
  const deploymentName = tags['azureml.deploymentname'];
  if (deploymentName) summary.deploymentName = deploymentName;
  if (createdAt) summary.createdAt = createdAt;
  const input = inputUriOf(job);
  if (input) summary.input = input;
  const output = jobOutputUri(job);
  if (output) summary.output = output;
  const items = jobItemCounts(job);
  if (items.succeeded !== undefined) summary.itemsSucceeded = items.succeeded;
  if (items.failed !== undefined) summary.itemsFailed = items.failed;
  if (failure.code || failure.message) {
    summary.error = { ...(failure.code ? { code: failure.code } : {}), ...(failure.message ? { message: failure.message } : {}) };
  }
  if (links) summary.studioUrl = studioJobLink(links, name);
  return summary;
}

/** Newest first (by creation time; jobs without one last). */
export const newestJobFirst = (a: JobSummary, b: JobSummary): number => (b.createdAt ?? '').localeCompare(a.createdAt ?? '');
