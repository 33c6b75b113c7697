// The run queue's processor: invokes the batch endpoint once for a request, records the scoring job's
// name in the job (so a retry never invokes twice) and hands the waiting to the watch queue, which
// re-schedules itself instead of holding a worker while the job runs.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisConnection } from './connection';
import { findInvokedJob } from '../azureml/invoked-job';
import { parseDataReference } from '../domain/data-reference';
import { threadMessages } from '../slack/thread-messages';
import { describeFailure } from './failure-report';
import { isLastAttempt, isWorthRetrying, parsePayload } from './job-payload';
import { runJobSchema, type RunJob } from './payloads';
import { QUEUE_NAMES } from './queue-names';
import { createRequestThread } from './request-thread';
import { workspaceLinks, type WorkerContext } from './worker-context';

/** The job an earlier attempt of this request started, if the service accepted that invoke. */
async function adoptEarlierInvoke(ctx: WorkerContext, requestId: string, spec: RunJob['spec'], since: number): Promise<string | undefined> {
  const jobs = await ctx.azureml.jobs.listForEndpoint(spec.endpointName);
  const claimed = new Set<string>();
  for (;;) {
    const found = findInvokedJob(jobs, {
      inputUri: spec.input.uri,
      ...(spec.output ? { outputUri: spec.output.uri } : {}),
      ...(spec.deploymentName ? { deploymentName: spec.deploymentName } : {}),
      since,
      exclude: claimed,
    });
    if (!found?.name) return undefined;
    const owner = await ctx.requests.findByJob(found.name);
    if (!owner || owner.requestId === requestId) return found.name;
    claimed.add(found.name);
  }
}

export function createRunProcessor(ctx: WorkerContext) {
  return async function processRun(job: Job): Promise<{ jobName: string }> {
    const data: RunJob = parsePayload(runJobSchema, job);
    const { requestId, requester, spec } = data;
    const thread = createRequestThread(ctx.outbox, { requestId, channel: requester.channelId });
    const log = ctx.logger.child({ requestId, jobId: job.id, queue: QUEUE_NAMES.run });
    const approval = await ctx.approvals.get(requestId);
    const subject = { kind: 'run' as const, spec };
    const parent = (status: 'running' | 'failed', detail?: string) =>
      thread.parent(threadMessages.parent({ requestId, requester, subject, status, approval, now: ctx.now(), ...(detail ? { detail } : {}) }));
    let jobName = data.jobName;
    let scoringUri: string;

    if (!jobName && data.invokeStartedAt !== undefined) {
      // An earlier attempt invoked and then failed or died before saving the job's name: if the service
      // had accepted it, adopt that job instead of starting a second one.
      jobName = await adoptEarlierInvoke(ctx, requestId, spec, data.invokeStartedAt);
      if (jobName) {
        log.info({ jobName }, 'adopted the job an earlier attempt started');
        await job.updateData({ ...data, jobName });
        await ctx.requests.linkJob(requestId, jobName);
      }
    }
    if (!jobName) {
      if (job.attemptsStarted <= 1) await ctx.audit.record({ type: 'started', requestId, action: 'run' });
      if (data.invokeStartedAt === undefined) await job.updateData({ ...data, invokeStartedAt: ctx.now() });
      try {
        const invoked = await ctx.azureml.scoring.invoke({
          endpointName: spec.endpointName,
          ...(spec.deploymentName ? { deploymentName: spec.deploymentName } : {}),
          input: { ref: parseDataReference(spec.input.uri), type: spec.input.kind },
          ...(spec.output ? { output: { ref: parseDataReference(spec.output.uri) } } : {}),
          ...(spec.settings ? { settings: spec.settings } : {}),
        });
        jobName = invoked.jobName;
        scoringUri = invoked.scoringUri;
      } catch (err) {
        const retry = isWorthRetrying(err) && !isLastAttempt(job);
        log.warn({ err: describeFailure(err), retry }, 'invoke failed');
        if (retry) throw err;
        const failure = describeFailure(err, 'invoke');
        await ctx.requests.update(requestId, { status: 'failed' });
        await ctx.audit.record({ type: 'failed', requestId, action: 'run', detail: { ...failure } });
        await parent('failed');
        await thread.reply('final', threadMessages.failure({ requester, requestId, what: `Scoring run on ${spec.endpointName}`, failure }), { broadcast: true });
        throw new UnrecoverableError(failure.message);
      }
      // Checkpoint before anything else: from here on a retry must not invoke again.
      await job.updateData({ ...(job.data as RunJob), jobName });
      await ctx.requests.linkJob(requestId, jobName);
    } else {
      scoringUri = await ctx.azureml.scoring.getScoringUri(spec.endpointName);
    }

    await ctx.requests.update(requestId, { status: 'running' });
    await parent('running', `job ${jobName}`);
    await thread.reply(
      'job-started',
      threadMessages.jobStarted({ jobName, endpointName: spec.endpointName, ...(spec.deploymentName ? { deploymentName: spec.deploymentName } : {}), links: workspaceLinks(ctx) }),
    );
    await ctx.producers.watch(
      { requestId, requester, endpointName: spec.endpointName, jobName, scoringUri, spec, startedAt: ctx.now() },
      { delayMs: ctx.watch.minIntervalMs },
    );
    return { jobName };
  };
}

export function createRunWorker(ctx: WorkerContext, deps: { connection: RedisConnection; prefix: string; concurrency?: number; lockDurationMs?: number; autorun?: boolean }): Worker {
  return new Worker(QUEUE_NAMES.run, createRunProcessor(ctx), {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency ?? 4,
    autorun: deps.autorun ?? false,
    ...(deps.lockDurationMs ? { lockDuration: deps.lockDurationMs, stalledInterval: deps.lockDurationMs } : {}),
  });
}
