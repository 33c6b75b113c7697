// Finding the job an earlier invoke created. Invoking a batch endpoint is not idempotent: a request the
// service accepted whose answer was lost (a timeout, a 5xx after acceptance, a worker killed before it
// saved the job name) would, if simply sent again, start a second job. Before invoking again, a worker
// looks for a job on the endpoint created since its first attempt with the same input, output and
// deployment, and adopts it.
import type { Job } from './resources';

export interface InvokedJobQuery {
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

const sameUri = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();

function uris(bag: unknown): string[] {
  if (!bag || typeof bag !== 'object') return [];
  return Object.values(bag as Record<string, { uri?: unknown } | null>).flatMap((v) => (v && typeof v.uri === 'string' ? [v.uri] : []));
}

/** The earliest matching job, or undefined when none was created. */
export function findInvokedJob(jobs: readonly Job[], query: InvokedJobQuery): Job | undefined {
  const candidates = jobs.filter((job) => {
    const p = job.properties as Record<string, unknown> & { properties?: Record<string, string | null> | null };
    const createdAt = Date.parse(job.systemData?.createdAt ?? '');
    if (!(createdAt >= query.since - CLOCK_SKEW_MS)) return false;
    if (job.name && query.exclude?.has(job.name)) return false;
    if (!uris(p.inputs).some((u) => sameUri(u, query.inputUri))) return false;
    if (query.outputUri && !uris(p.outputs).some((u) => sameUri(u, query.outputUri))) return false;
    const deployment = p.properties?.['azureml.deploymentName'];
    if (query.deploymentName && deployment && deployment !== query.deploymentName) return false;
    return true;
  });
  return candidates.sort((a, b) => (a.systemData?.createdAt ?? '').localeCompare(b.systemData?.createdAt ?? ''))[0];
}
