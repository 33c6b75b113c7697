// Jobs (mfe.json Jobs_List with jobType/tag filters, Jobs_Get, Jobs_Cancel → 202 + Location with body
// null, polled 202 {} then 200, as test_batch_job_download.json #51–#53 record; a job already finished
// answers 200 with no body, as azure-powershell's Stop-AzMLWorkspaceJob recording shows), the workspace itself, and the operation status/result URLs that
// Azure-AsyncOperation and Location point at (…/locations/{loc}/mfeOperationsStatus/{id} and
// …/mfeOperationResults/{id}, computeOperations* for clusters — the paths the service uses).
import { resourceNotFound } from './arm-errors';
import { batchJobView, jobTags, TERMINAL_JOB_STATUSES, type BatchJobRecord } from './batch-job';
import type { RouteTable } from './route-table';
import { apiVersionOf, type SandboxContext } from './sandbox-context';

export function registerJobRoutes(routes: RouteTable, ctx: SandboxContext): void {
  const jobView = (job: BatchJobRecord, apiVersion: string) => batchJobView({ workspacePath: ctx.workspacePath, studioHost: ctx.cloud.studioHost, apiVersion }, job);
  const requireJob = (id: string): BatchJobRecord => {
    const job = ctx.jobs.get(id.toLowerCase());
    if (!job) throw resourceNotFound('Microsoft.MachineLearningServices/workspaces/jobs', `${ctx.identity.workspace}/${id}`, ctx.identity.resourceGroup);
    return job;
  };

  routes.add('GET', 'jobs', (req) => {
    const jobType = req.query.get('jobType');
    const tag = req.query.get('tag');
    let jobs = [...ctx.jobs.values()];
    if (jobType && jobType.toLowerCase() !== 'pipeline') jobs = [];
    if (tag) {
      const [tagKey, tagValue] = tag.split('=', 2) as [string, string | undefined];
      jobs = jobs.filter((j) => {
        const tags = jobTags(j);
        return tagKey in tags && (tagValue === undefined || tags[tagKey] === tagValue);
      });
    }
    return { status: 200, body: { value: jobs.map((j) => jobView(j, apiVersionOf(req.query))) } };
  });

  routes.add('GET', 'jobs/{id}', (req) => ({ status: 200, body: jobView(requireJob(req.params.id!), apiVersionOf(req.query)) }));

  routes.add('POST', 'jobs/{id}/cancel', (req) => {
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
