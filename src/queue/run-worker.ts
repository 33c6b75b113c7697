// The run queue's processor: invokes the batch endpoint once for a request, records the scoring job's
// name in the job (so a retry never invokes twice) and hands the waiting to the watch queue, which
// re-schedules itself instead of holding a worker while the job runs. One job per request: the invoke
// carries the request's repeatability id, is never retried blind by the HTTP client, and whenever an
// attempt failed after the request may have been sent (timeout, 5xx, reset, a worker killed), the job is
// looked for before anything is invoked again (invoked-job.ts).
import { UnrecoverableError, type Job, type Worker } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { findEarlierInvoke, invokeJob } from '../usecases/invoke-job';
import { threadMessages } from '../slack/thread-messages';
import { recogniseFailure } from '../domain/failure-triage';
import { describeFailure } from '../usecases/failure-report';
import { isLastAttempt, isWorthRetrying, parsePayload } from './job-payload';
import { runJobSchema, type RunJob } from './payloads';
import { QUEUE_NAMES } from './queue-names';
import { createRequestLifecycle } from './request-lifecycle';
import { workspaceLinks, type WorkerContext } from './worker-context';
import { createRequestQueueWorker, type RequestQueueWorkerOptions, type WorkspaceContexts } from './workspace-contexts';

/** A failure after which the invoke may have reached the service and started a job. */
function mayHaveStartedJob(err: unknown): boolean {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (e.code === 'Timeout' || e.code === 'NetworkError') return true;
  return typeof e.statusCode === 'number' && e.statusCode >= 500;
}

export function createRunProcessor(ctx: WorkerContext) {
  return async function processRun(job: Job): Promise<{ jobName: string }> {
    const data: RunJob = parsePayload(runJobSchema, job);
    const { requestId, requester, spec } = data;
    const lifecycle = createRequestLifecycle(ctx, { requestId, requester, action: 'run', subject: { kind: 'run', spec } });
    const log = ctx.logger.child({ requestId, jobId: job.id, queue: QUEUE_NAMES.run });
    let jobName = data.jobName;
    let scoringUri: string;
    let outputUri = data.outputUri ?? spec.output?.uri;
    let studioUrl = data.studioUrl;
    const adopt = async (since: number): Promise<boolean> => {
      const found = await findEarlierInvoke(ctx, spec, since, async (candidate) => {
        const owner = await ctx.requests.requestIdOfJob(candidate);
        return owner !== undefined && owner !== requestId;
      });
      if (!found) return false;
      log.info({ jobName: found.jobName }, 'adopted the job an earlier attempt started');
      jobName = found.jobName;
      scoringUri = found.scoringUri;
      outputUri = found.outputUri ?? outputUri;
      studioUrl = found.studioUrl ?? studioUrl;
      await job.updateData({ ...(job.data as RunJob), jobName, ...(outputUri ? { outputUri } : {}), ...(studioUrl ? { studioUrl } : {}) });
      await ctx.requests.linkJob(requestId, jobName);
      return true;
    };

    if (!jobName && data.invokeStartedAt !== undefined) {
      // An earlier attempt invoked and then failed or died before saving the job's name: if the service
      // had accepted it, adopt that job instead of starting a second one.
      await adopt(data.invokeStartedAt);
    }
    if (!jobName) {
      await lifecycle.started({ firstAttempt: job.attemptsStarted <= 1 });
      const invokeStartedAt = data.invokeStartedAt ?? ctx.now();
      const repeatabilityId = data.repeatabilityId ?? randomUUID();
      if (data.invokeStartedAt === undefined || data.repeatabilityId === undefined) {
        await job.updateData({ ...(job.data as RunJob), invokeStartedAt, repeatabilityId });
      }
      try {
        const invoked = await invokeJob(ctx, spec, { repeatabilityId, firstSentAt: invokeStartedAt });
        jobName = invoked.jobName;
        scoringUri = invoked.scoringUri;
        outputUri = invoked.outputUri ?? outputUri;
        studioUrl = invoked.studioUrl ?? studioUrl;
      } catch (err) {
        // The answer may be lost while the job runs: look for it now, before any retry could invoke again.
        if (mayHaveStartedJob(err) && (await adopt(invokeStartedAt).catch(() => false))) {
          log.warn({ err: describeFailure(err), jobName }, 'invoke answer lost; the job it started was found');
        } else {
          const retry = isWorthRetrying(err) && !isLastAttempt(job);
          log.warn({ err: describeFailure(err), retry }, 'invoke failed');
          if (retry) throw err;
          const failure = describeFailure(err, 'invoke');
          // A refusal users hit often (wrong token audience, an output that exists) comes with its fix.
          const recognised = recogniseFailure([failure.code, failure.message]);
          await lifecycle.failed(
            threadMessages.failure({ requester, requestId, what: `Scoring run on ${spec.endpointName}`, failure, ...(recognised ? { hint: recognised.fix } : {}) }),
            { audit: { ...failure } },
          );
          throw new UnrecoverableError(failure.message);
        }
      }
      // Checkpoint before anything else: from here on a retry must not invoke again.
      await job.updateData({ ...(job.data as RunJob), jobName, ...(outputUri ? { outputUri } : {}), ...(studioUrl ? { studioUrl } : {}) });
      await ctx.requests.linkJob(requestId, jobName!);
    } else {
      scoringUri ??= await ctx.azureml.scoring.getScoringUri(spec.endpointName);
    }
    const name = jobName!;

    await lifecycle.running(`job ${name}`);
    // The job's one message in the thread: posted now as "started", then edited in place into its status
    // line by the watch. A channel takes about one post a second, so every post a job makes at its start
    // delays the final replies of the channel's jobs that end meanwhile.
    await lifecycle.progress(
      'status',
      threadMessages.jobStarted({ jobName: name, endpointName: spec.endpointName, ...(spec.deploymentName ? { deploymentName: spec.deploymentName } : {}), links: workspaceLinks(ctx) }),
    );
    await ctx.producers.watch(
      {
        requestId,
        requester,
        endpointName: spec.endpointName,
        jobName: name,
        scoringUri: scoringUri!,
        spec,
        startedAt: ctx.now(),
        ...(outputUri ? { outputUri } : {}),
        ...(studioUrl ? { studioUrl } : {}),
      },
      // The first step at once: it enters the job in the workspace's shared snapshot, whose listing reads only
      // as many pages as the watched jobs need. Left unwatched for the watch floor, hundreds of jobs just
      // invoked would sit at the head of the list and push the watched ones past those pages.
      { delayMs: 0 },
    );
    return { jobName: name };
  };
}

export function createRunWorker(ctx: WorkerContext | WorkspaceContexts, opts: RequestQueueWorkerOptions): Worker {
  return createRequestQueueWorker(QUEUE_NAMES.run, ctx, createRunProcessor, { ...opts, defaultConcurrency: 4 });
}
