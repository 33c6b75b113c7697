// Run history, the service the SDK asks for a batch job's child step (azure-ai-ml `_job_operations.py`,
// `_get_batch_job_scoring_output_uri` → `get_run_children`): `GET {api host}/history/v1.0/subscriptions/{sub}
// /resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}/experiments/{experiment}
// /runs/{runId}/children` ("Get details of all child runs", RunHistory's runs_get_child), ML audience.
// The api host is the origin of the workspace's discoveryUrl. The answer's shape ({value, continuationToken,
// nextLink}, runs with runId/parentRunId/status/…) follows run history's paged lists; which fields a
// child carries is a **guess** beyond runId and status (no recording shows run history), `error` included.
import { SandboxHttpError } from './arm-errors';
import type { BatchJobRecord } from './batch-job';
import type { RouteTable } from './route-table';
import type { SandboxContext } from './sandbox-context';
import { key } from './workspace-state';

export const HISTORY_PREFIX = 'history/v1.0';

function childRun(ctx: SandboxContext, job: BatchJobRecord): Record<string, unknown> {
  return {
    runId: job.scoringRunId,
    parentRunId: job.name,
    rootRunId: job.name,
    experimentId: job.endpointName,
    status: job.status,
    displayName: 'batchscoring',
    name: 'batchscoring',
    runType: 'azureml.StepRun',
    computeTarget: job.computeId ? job.computeId.split('/').at(-1) : null,
    startTimeUtc: job.startTime ?? null,
    endTimeUtc: job.endTime ?? null,
    properties: { StepType: 'ParallelRunStep', 'azureml.nodeid': 'batchscoring', 'azureml.pipelinerunid': job.name },
    tags: {},
    target: ctx.identity.workspace,
    // **Guess**: a failed run's ErrorResponse, as azure-ai-ml prints it for failed runs (`run_details.error`,
    // `_job_ops_helper.stream_logs_until_completion`) and the azureml R SDK reads it (`error$error$message`).
    ...(job.status === 'Failed' && job.error ? { error: { error: { code: job.error.code, message: job.error.message } } } : {}),
  };
}

export function registerRunHistoryRoutes(routes: RouteTable, ctx: SandboxContext): void {
  const base = `${HISTORY_PREFIX}/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}`;
  routes.add('GET', `${base}/experiments/{experimentName}/runs/{runId}/children`, (req) => {
    const { sub, rg, ws, runId } = req.params as Record<string, string>;
    if (key(sub!) !== key(ctx.identity.subscriptionId) || key(rg!) !== key(ctx.identity.resourceGroup) || key(ws!) !== key(ctx.identity.workspace)) {
      throw new SandboxHttpError(404, 'NotFound', `Workspace ${ws} was not found`);
    }
    const job = ctx.jobs.get(runId!.toLowerCase());
    if (!job) throw new SandboxHttpError(404, 'RunNotFound', `Run ${runId} was not found`);
    return { status: 200, body: { value: [childRun(ctx, job)], continuationToken: null, nextLink: null } };
  });
}
