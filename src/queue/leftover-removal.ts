// Removing what a failed deploy created, once the request to remove it is taken (approved if `delete`
// needs approval). Only resources the failed deploy's record lists are touched, whatever the job says; in
// an order that works (deployment, endpoint, cluster, then asset versions); what is already gone counts as
// done. Reported in the removal request's own thread and, briefly, in the failed deploy's thread.
import type { Job } from 'bullmq';
import { removalOrder, type CreatedResource } from '../domain/deploy-leftovers';
import { buildLeftoversRemovedMessage } from '../slack/blocks/deploy-leftovers-message';
import { describeFailure } from '../usecases/failure-report';
import { parsePayload } from './job-payload';
import { cleanupJobSchema } from './payloads';
import { createRequestLifecycle } from './request-lifecycle';
import { createRequestThread } from './request-thread';
import type { WorkerContext } from './worker-context';

type Outcome = 'removed' | 'already-gone' | 'failed';

async function removeOne(ctx: WorkerContext, r: CreatedResource): Promise<Exclude<Outcome, 'failed'>> {
  const az = ctx.azureml;
  switch (r.kind) {
    case 'deployment':
      if (!(await az.deployments.find(r.endpointName, r.name))) return 'already-gone';
      await az.deployments.deleteAndWait(r.endpointName, r.name);
      return 'removed';
    case 'endpoint':
      if (!(await az.endpoints.find(r.name))) return 'already-gone';
      await az.endpoints.deleteAndWait(r.name);
      await ctx.endpoints.remove(r.name).catch(() => undefined);
      return 'removed';
    case 'compute':
      if (!(await az.computes.find(r.name))) return 'already-gone';
      await az.computes.deleteAndWait(r.name);
      return 'removed';
    case 'code':
      return az.assets.deleteVersion('codes', r);
    case 'model':
      return az.assets.deleteVersion('models', r);
    case 'environment':
      return az.assets.deleteVersion('environments', r);
  }
}

const sameResource = (a: CreatedResource, b: CreatedResource): boolean => JSON.stringify(a) === JSON.stringify(b);

export async function processLeftoverRemoval(ctx: WorkerContext, job: Job): Promise<{ removed: number; failed: number }> {
  const { requestId, requester, sourceRequestId, resources } = parsePayload(cleanupJobSchema, job);
  const record = await ctx.leftovers?.get(sourceRequestId);
  const subject = {
    kind: 'cleanup' as const,
    sourceRequestId,
    endpointName: record?.endpointName ?? 'unknown',
    deploymentName: record?.deploymentName ?? 'unknown',
    resources,
  };
  const lifecycle = createRequestLifecycle(ctx, { requestId, requester, action: 'delete', subject });
  await lifecycle.started({ firstAttempt: job.attemptsStarted <= 1, audit: { sourceRequestId } });
  await lifecycle.running();

  const outcomes: Array<{ resource: CreatedResource; outcome: Outcome; error?: string }> = [];
  for (const resource of removalOrder(resources)) {
    // The job's list is only a request: what the failed deploy's record does not list is not touched.
    if (!record?.resources.some((known) => sameResource(known, resource))) {
      outcomes.push({ resource, outcome: 'failed', error: 'not something that request created (no record of it)' });
      continue;
    }
    try {
      outcomes.push({ resource, outcome: await removeOne(ctx, resource) });
    } catch (err) {
      const failure = describeFailure(err);
      ctx.logger.warn({ requestId, resource, code: failure.code }, 'could not remove a leftover of a failed deploy');
      outcomes.push({ resource, outcome: 'failed', error: `${failure.code}: ${failure.message}` });
    }
  }

  const failed = outcomes.filter((o) => o.outcome === 'failed').length;
  if (failed === 0) await ctx.leftovers?.markRemoved(sourceRequestId, requestId);
  const report = buildLeftoversRemovedMessage({ requesterId: requester.userId, sourceRequestId, outcomes });
  const said = { audit: { sourceRequestId, outcomes: outcomes.map((o) => ({ ...o.resource, outcome: o.outcome })) } };
  await (failed === 0 ? lifecycle.succeeded(report, said) : lifecycle.failed(report, said));
  if (record) {
    // The failed deploy's thread learns it too, where the button was.
    await createRequestThread(ctx.outbox, { requestId: sourceRequestId, channel: record.requester.channelId }).reply(`removed-by-${requestId}`, report);
  }
  return { removed: outcomes.length - failed, failed };
}
