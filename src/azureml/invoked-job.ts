// Finding the job an earlier invoke created. Invoking a batch endpoint is not idempotent: a request the
// service accepted whose answer was lost (a timeout, a 5xx or a reset after acceptance, a worker killed
// before it saved the job name) would, if simply sent again, start a second job. Before invoking again, a
// worker looks for it, matching on what Azure really exposes (recordings: test_batch_job_download.json
// #28/#29):
// - the ARM job list: a batch job is a Pipeline job whose experimentName is the endpoint, whose tags carry
//   the deployment (`azureml.deploymentname`), created since the first attempt; its inputs and outputs are
//   null there, so the list alone cannot tell two invokes of one endpoint apart;
// - then each candidate's data-plane document (`GET {scoringUri}/{name}`), which echoes the request's
//   inputData and the output it confirmed.
import type { Job } from './resources';
import { jobOutputUri, type ScoringJob } from './scoring';

export interface InvokedJobQuery {
  endpointName: string;
  inputUri: string;
  outputUri?: string;
  deploymentName?: string;
  /** When the first attempt started (ms since epoch). */
  since: number;
  /** Jobs already claimed by other requests. */
  exclude?: ReadonlySet<string>;
}

/** Clock difference tolerated between us and the service when comparing creation times. */
const CLOCK_SKEW_MS = 30_000;

const sameUri = (a: string | undefined | null, b: string | undefined | null): boolean =>
  !!a && !!b && a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();

/** The endpoint's jobs that could be the earlier invoke, oldest first (from the ARM job list). */
export function invokedJobCandidates(jobs: readonly Job[], query: InvokedJobQuery): Job[] {
  return jobs
    .filter((job) => {
      const p = job.properties;
      if (p.experimentName?.toLowerCase() !== query.endpointName.toLowerCase()) return false;
      const createdAt = Date.parse(job.systemData?.createdAt ?? '');
      if (!(createdAt >= query.since - CLOCK_SKEW_MS)) return false;
      if (query.exclude?.has(job.name)) return false;
      const deployment = p.tags?.['azureml.deploymentname'];
      if (query.deploymentName && deployment && deployment.toLowerCase() !== query.deploymentName.toLowerCase()) return false;
      return true;
    })
    .sort((a, b) => {
      // Jobs created after the first attempt first; those inside the clock-skew margin only after them.
      const early = (j: Job) => (Date.parse(j.systemData?.createdAt ?? '') < query.since ? 1 : 0);
      return early(a) - early(b) || (a.systemData?.createdAt ?? '').localeCompare(b.systemData?.createdAt ?? '');
    });
}

/** Whether a job's data-plane document is the invoke described: same input, and no other output. */
export function isInvokeOf(doc: ScoringJob, query: InvokedJobQuery): boolean {
  const inputs = Object.values(doc.properties.inputData ?? {});
  if (!inputs.some((input) => sameUri(input?.uri, query.inputUri))) return false;
  const confirmed = jobOutputUri(doc);
  if (query.outputUri && confirmed && !sameUri(confirmed, query.outputUri)) return false;
  return true;
}
