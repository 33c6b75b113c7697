// The deploy queue's processor: runs (or resumes) the deploy plan for one request. Progress is saved in
// the job after every step change (job.updateData), so a worker that dies mid-way is replaced by one that
// skips finished steps and resumes an in-flight long-running operation from its saved poller.
import { UnrecoverableError, type Job, type Worker } from 'bullmq';
import { createDeployProgress, deployProgressSchema, type DeployProgress } from '../domain/deploy-plan';
import { deploy } from '../usecases/deploy';
import { deployChecklist, type DeployResult } from '../usecases/deploy-summary';
import { describeFailure, failureLogFields } from '../usecases/failure-report';
import { isLastAttempt, isWorthRetrying, parsePayload } from './job-payload';
import { lockRefusalFor, refuseLockedChange } from './lock-guard';
import { stopIfPlanChanged } from './plan-guard';
import { deployJobSchema, type DeployJob } from './payloads';
import { QUEUE_NAMES } from './queue-names';
import { createRequestLifecycle } from './request-lifecycle';
import { workspaceLinks, type WorkerContext } from './worker-context';
import { createRequestQueueWorker, type RequestQueueWorkerOptions, type WorkspaceContexts } from './workspace-contexts';
import { threadMessages } from '../slack/thread-messages';
import { retryDeployButtons, withButtons } from '../slack/blocks/job-buttons';
import { withLeftovers } from '../slack/blocks/deploy-leftovers-message';
import { createdResources } from '../azureml/deploy-leftovers';

export function createDeployProcessor(ctx: WorkerContext) {
  return async function processDeploy(job: Job): Promise<{ scoringUri?: string }> {
    const data: DeployJob = parsePayload(deployJobSchema, job);
    const { requestId, requester, spec } = data;
    const lifecycle = createRequestLifecycle(ctx, { requestId, requester, action: 'deploy', subject: { kind: 'deploy', spec } });
    const log = ctx.logger.child({ requestId, jobId: job.id, queue: QUEUE_NAMES.deploy });
    let progress: DeployProgress = data.progress ? deployProgressSchema.parse(data.progress) : createDeployProgress(spec);
    const startedAt = job.processedOn ?? ctx.now();

    if (!data.progress) {
      // Right before the first change: a lock set while this request waited must still stop it. A deploy
      // already under way (saved progress) finishes; a half-done deploy would be worse than a late one.
      const refusal = await lockRefusalFor(ctx.locks, 'deploy', spec.endpointName);
      if (refusal) {
        await refuseLockedChange(lifecycle, { requester, endpointName: spec.endpointName, refusal });
        return {};
      }
      // Once the first step has saved progress this block is skipped: the deploy's own changes are no change of plan.
      if (await stopIfPlanChanged(ctx, lifecycle, { requestId, requester, work: { kind: 'deploy', spec }, planFingerprint: data.planFingerprint, lastAttempt: isLastAttempt(job) })) return {};
    }
    await lifecycle.started({ firstAttempt: job.attemptsStarted <= 1 && !data.progress });
    await lifecycle.running();
    await lifecycle.progress('checklist', threadMessages.deployChecklist({ spec, steps: deployChecklist(spec, progress) }));

    let result: DeployResult;
    try {
      ({ progress, result } = await deploy({ azureml: ctx.azureml, links: workspaceLinks(ctx) }, spec, {
        progress,
        onStep: async (event) => {
          progress = event.progress;
          await job.updateData({ ...data, progress });
          await lifecycle.progress('checklist', threadMessages.deployChecklist({ spec, steps: deployChecklist(spec, progress) }));
        },
      }));
    } catch (err) {
      const retry = isWorthRetrying(err) && !isLastAttempt(job);
      log.warn({ ...failureLogFields(err), retry }, 'deploy failed');
      if (retry) throw err;
      const failure = describeFailure(err);
      // What this request created before it failed (never what existed), with a button to remove it.
      const resources = ctx.leftovers ? createdResources(spec, progress) : [];
      if (resources.length > 0) {
        await ctx.leftovers!.put({ requestId, requester, endpointName: spec.endpointName, deploymentName: spec.deploymentName, resources, recordedAt: ctx.now() });
      }
      const failed = threadMessages.failure({ requester, requestId, what: `Deploy of ${spec.deploymentName} to ${spec.endpointName}`, failure, durationMs: ctx.now() - startedAt });
      // Retry deploy reopens the form filled in with this request's values (src/handlers/job-actions.ts).
      await lifecycle.failed(withButtons(withLeftovers(failed, { requestId, resources }), retryDeployButtons(requestId)), { audit: { ...failure } });
      throw new UnrecoverableError(failure.message);
    }

    const scoringUri = result.scoringUri;
    const durationMs = ctx.now() - startedAt;
    await ctx.endpoints
      .upsert({ name: spec.endpointName, deployments: [spec.deploymentName], ...(scoringUri ? { scoringUri } : {}), ...(spec.makeDefault ? { defaultDeployment: spec.deploymentName } : {}) })
      .catch((err: unknown) => log.warn({ err }, 'could not refresh the endpoint directory'));
    await lifecycle.succeeded(threadMessages.deploySucceeded({ requester, result, durationMs, links: workspaceLinks(ctx) }), {
      audit: { endpoint: spec.endpointName, deployment: spec.deploymentName },
    });
    return scoringUri ? { scoringUri } : {};
  };
}

export function createDeployWorker(ctx: WorkerContext | WorkspaceContexts, opts: RequestQueueWorkerOptions): Worker {
  return createRequestQueueWorker(QUEUE_NAMES.deploy, ctx, createDeployProcessor, { ...opts, defaultConcurrency: 2 });
}
