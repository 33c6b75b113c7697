// Removing what a failed deploy created, once the request to remove it is taken (approved if `delete`
// needs approval): the use case (src/usecases/remove-leftovers.ts) removes what the failed deploy's record
// lists; this step reports it in the removal request's own thread and, briefly, in the failed deploy's.
import type { Job } from 'bullmq';
import { buildLeftoversRemovedMessage } from '../slack/blocks/deploy-leftovers-message';
import { removeLeftovers } from '../usecases/remove-leftovers';
import { parsePayload } from './job-payload';
import { lockRefusalFor, refuseLockedChange } from './lock-guard';
import { cleanupJobSchema } from './payloads';
import { createRequestLifecycle } from './request-lifecycle';
import { createRequestThread } from './request-thread';
import type { WorkerContext } from './worker-context';

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
  // Right before removing: a lock set while this request waited for approval must still stop it.
  const refusal = record ? await lockRefusalFor(ctx.locks, 'delete', record.endpointName) : undefined;
  if (record && refusal) {
    await refuseLockedChange(lifecycle, { requester, endpointName: record.endpointName, refusal });
    return { removed: 0, failed: 0 };
  }
  await lifecycle.started({ firstAttempt: job.attemptsStarted <= 1, audit: { sourceRequestId } });
  await lifecycle.running();

  const outcomes = await removeLeftovers({ azureml: ctx.azureml, logger: ctx.logger.child({ requestId }) }, resources, record?.resources ?? []);
  for (const o of outcomes) {
    if (o.resource.kind === 'endpoint' && o.outcome === 'removed') await ctx.endpoints.remove(o.resource.name).catch(() => undefined);
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
