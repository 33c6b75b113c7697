// Jobs (mfe.json Jobs_List with its jobType/tag/listViewType filters, paged, over the sandbox's own jobs and a
// seeded history (job-history.ts); Jobs_Get; Jobs_Cancel → 202 + Location with body null, polled 202 {} then
// 200, as test_batch_job_download.json #51–#53 record; a job already finished answers 200 with no body, as
// azure-powershell's Stop-AzMLWorkspaceJob recording shows), the workspace itself, and the operation
// status/result URLs that Azure-AsyncOperation and Location point at (…/locations/{loc}/mfeOperationsStatus/{id}
// and …/mfeOperationResults/{id}, computeOperations* for clusters — the paths the service uses).
import { resourceNotFound } from './arm-errors';
import { BATCH_JOB_TYPE, batchJobView, jobTags, TERMINAL_JOB_STATUSES, type BatchJobRecord } from './batch-job';
import { historicalJobView, type HistoricalJob } from './job-history';
import { pageOf } from './list-pages';
import type { RouteTable } from './route-table';
import { apiVersionOf, type SandboxContext } from './sandbox-context';

export function registerJobRoutes(routes: RouteTable, ctx: SandboxContext): void {
  const jobView = (job: BatchJobRecord, apiVersion: string) => batchJobView({ workspacePath: ctx.workspacePath, studioHost: ctx.cloud.studioHost, apiVersion }, job);
  const historyView = (job: HistoricalJob, apiVersion?: string) => historicalJobView({ workspacePath: ctx.workspacePath, studioHost: ctx.cloud.studioHost, apiVersion }, job);
  const requireJob = (id: string): BatchJobRecord => {
    const job = ctx.jobs.get(id.toLowerCase());
    if (!job) throw resourceNotFound('Microsoft.MachineLearningServices/workspaces/jobs', `${ctx.identity.workspace}/${id}`, ctx.identity.resourceGroup);
    return job;
  };

  // Jobs_List (mfe.json 2022-05-01): the filters it declares are jobType, tag ("Jobs returned will have this
  // tag key"), listViewType (ActiveOnly by default: archived jobs hidden) and the `$skip` continuation token.
  // The workspace's whole history is listed, newest first (guess: the order is not documented; the studio and
  // the SDK show newest first), one page at a time.
  const historyRows = new Map<string, ListedJob[]>();
  routes.add('GET', 'jobs', (req) => {
    const jobType = req.query.get('jobType')?.toLowerCase();
    const tag = req.query.get('tag');
    const view = (req.query.get('listViewType') ?? 'ActiveOnly').toLowerCase();
    const keep = (j: { jobType: string; isArchived: boolean }, tags: () => Record<string, string>): boolean =>
      (jobType === undefined || j.jobType.toLowerCase() === jobType) &&
      (!tag || tag in tags()) &&
      (view === 'all' || (view === 'archivedonly' ? j.isArchived : !j.isArchived));
    // Only the page's own jobs are rendered: rendering every live job for each page made a 5,000-job list
    // cost the stand-in 250 x 5,000 job views a pass, CPU taken from the bot on the same machine.
    const live: ListedJob[] = [];
    for (const job of ctx.jobs.values()) {
      const entry: ListedJob = { id: `${ctx.workspacePath}/jobs/${job.name}`, createdAtMs: Date.parse(job.systemData.createdAt), jobType: BATCH_JOB_TYPE, isArchived: false, live: job };
      if (keep(entry, () => jobTags(job))) live.push(entry);
    }
    live.sort((a, b) => b.createdAtMs - a.createdAtMs);
    // The history changes only when seeded (or a seeded job is cancelled): its filtered rows are built once per filter.
    const cacheKey = `${ctx.history.version}|${jobType ?? ''}|${tag ?? ''}|${view}`;
    let past = historyRows.get(cacheKey);
    if (!past) {
      past = [];
      for (const job of ctx.history.newestFirst()) {
        if (keep(job, () => job.tags)) past.push({ id: `${ctx.workspacePath}/jobs/${job.name}`, createdAtMs: job.createdAtMs, jobType: job.jobType, isArchived: job.isArchived, past: job });
      }
      if (historyRows.size > 16) historyRows.clear();
      historyRows.set(cacheKey, past);
    }
    const merged = mergeNewestFirst(live, past);
    const page = pageOf(merged, { baseUrl: ctx.baseUrl, path: req.path, query: req.query, pageSize: ctx.listPageSize.value }, (j) => j.id, (j) => (j.live ? jobView(j.live, apiVersionOf(req.query)) : historyView(j.past!, apiVersionOf(req.query))));
    return { status: 200, body: page, paged: true };
  });

  routes.add('GET', 'jobs/{id}', (req) => {
    const past = ctx.jobs.has(req.params.id!.toLowerCase()) ? undefined : ctx.history.get(req.params.id!);
    return { status: 200, body: past ? historyView(past, apiVersionOf(req.query)) : jobView(requireJob(req.params.id!), apiVersionOf(req.query)) };
  });

  routes.add('POST', 'jobs/{id}/cancel', (req) => {
    const past = ctx.jobs.has(req.params.id!.toLowerCase()) ? undefined : ctx.history.get(req.params.id!);
    if (past) {
      // A seeded job has nothing running behind it: cancelling one that has not ended ends it at once.
      if (!['Completed', 'Failed', 'Canceled'].includes(past.status)) past.status = 'Canceled';
      return { status: 200 };
    }
    const job = requireJob(req.params.id!);
    if (TERMINAL_JOB_STATUSES.has(job.status)) return { status: 200 };
    ctx.runner.cancel(job);
    const op = ctx.ops.start({
      durationMs: 0,
      probe: () => (TERMINAL_JOB_STATUSES.has(job.status) ? { status: 'Succeeded' } : undefined),
    });
    return { status: 202, headers: ctx.ops.cancelHeaders(op, apiVersionOf(req.query)), body: null };
  });
}

export function registerWorkspaceRoute(routes: RouteTable, ctx: SandboxContext): void {
  routes.add('GET', '', () => ({
    status: 200,
    body: {
      id: ctx.workspacePath,
      name: ctx.identity.workspace,
      type: 'Microsoft.MachineLearningServices/workspaces',
      location: ctx.identity.location,
      tags: {},
      sku: { name: 'Basic', tier: 'Basic' },
      identity: { type: 'SystemAssigned', principalId: '00000000-0000-0000-0000-000000000000', tenantId: '00000000-0000-0000-0000-000000000000' },
      properties: {
        friendlyName: ctx.identity.workspace,
        provisioningState: 'Succeeded',
        discoveryUrl: `${ctx.baseUrl}/discovery`,
        hbiWorkspace: false,
        storageHnsEnabled: false,
        publicNetworkAccess: 'Enabled',
      },
    },
  }));
}

/** Routes under `/subscriptions/{sub}/providers/Microsoft.MachineLearningServices/locations/{location}/`. */
export function registerOperationRoutes(routes: RouteTable, ctx: SandboxContext): void {
  for (const family of ['mfe', 'compute'] as const) {
    routes.add('GET', `${family}OperationsStatus/{operationId}`, (req) => {
      const op = ctx.ops.get(req.params.operationId!);
      if (!op) throw resourceNotFound('Microsoft.MachineLearningServices/operations', req.params.operationId!, ctx.identity.resourceGroup);
      return ctx.ops.statusDocument(op, apiVersionOf(req.query));
    });
    routes.add('GET', `${family}OperationResults/{operationId}`, (req) => {
      const op = ctx.ops.get(req.params.operationId!);
      if (!op) throw resourceNotFound('Microsoft.MachineLearningServices/operations', req.params.operationId!, ctx.identity.resourceGroup);
      return ctx.ops.resultResponse(op, apiVersionOf(req.query));
    });
  }
}

/** One row of the jobs list before rendering: the fields Jobs_List filters and orders on. */
interface ListedJob {
  id: string;
  createdAtMs: number;
  jobType: string;
  isArchived: boolean;
  /** The sandbox's own job, or the seeded one, rendered only when its page is served. */
  live?: BatchJobRecord;
  past?: HistoricalJob;
}

function mergeNewestFirst(a: ListedJob[], b: ListedJob[]): ListedJob[] {
  if (a.length === 0) return b;
  if (b.length === 0 || a[a.length - 1]!.createdAtMs >= b[0]!.createdAtMs) return a.concat(b);
  const out: ListedJob[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]!.createdAtMs >= b[j]!.createdAtMs)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}
