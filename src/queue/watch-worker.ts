// The watch queue's processor, in BullMQ's "step job" pattern: each run looks at the scoring job once,
// reports a status change in the thread, and either posts the final reply or moves itself back to the
// delayed set (job.moveToDelayed + DelayedError). No worker is held while a job runs, so one process can
// watch thousands of jobs; the interval backs off while a job runs long and yields to Retry-After.
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { isAzureMlError } from '../azureml/errors';
import { isTerminalJobStatus } from '../azureml/jobs';
import { jobFailure, jobStatusOf, type ScoringJob } from '../azureml/scoring';
import { nextWatchIntervalMs } from '../domain/watch-pacing';
import { threadMessages } from '../slack/thread-messages';
import { describeFailure } from './failure-report';
import { parsePayload } from './job-payload';
import { watchJobSchema, type WatchJob } from './payloads';
import { QUEUE_NAMES } from './queue-names';
import { createRequestThread } from './request-thread';
import { workspaceLinks, type WorkerContext } from './worker-context';

/** Where the job wrote its results: the named output's URI, as the job resource reports it. */
export function jobOutputUri(job: ScoringJob): string | undefined {
  const outputs = (job.properties as { outputs?: Record<string, { uri?: unknown } | null> }).outputs;
  for (const output of Object.values(outputs ?? {})) {
    if (output && typeof output.uri === 'string') return output.uri;
  }
  return undefined;
}

export function createWatchProcessor(ctx: WorkerContext) {
  return async function processWatch(job: Job, token?: string): Promise<{ status: string }> {
    const data: WatchJob = parsePayload(watchJobSchema, job);
    const { requestId, requester, jobName } = data;
    const thread = createRequestThread(ctx.outbox, { requestId, channel: requester.channelId });
    const reschedule = async (next: Partial<WatchJob>, delayMs: number): Promise<never> => {
      await job.updateData({ ...data, ...next });
      await job.moveToDelayed(ctx.now() + delayMs, token);
      throw new DelayedError();
    };

    let scoringJob: ScoringJob;
    try {
      scoringJob = await ctx.azureml.scoring.getJob(data.scoringUri, jobName);
    } catch (err) {
      if (isAzureMlError(err) && err.retriable) {
        // Throttled or unavailable even after the client's retries: look again later, don't fail.
        ctx.logger.warn({ requestId, jobName, code: err.code }, 'job status unavailable; will look again');
        return reschedule({ polls: data.polls + 1 }, nextWatchIntervalMs(data.polls + 1, ctx.watch));
      }
      const failure = describeFailure(err, 'watch');
      await thread.reply('final', threadMessages.failure({ requester, requestId, what: `Scoring job ${jobName}`, failure, durationMs: ctx.now() - data.startedAt }), { broadcast: true });
      await ctx.requests.update(requestId, { status: 'failed' });
      await ctx.audit.record({ type: 'failed', requestId, action: 'run', detail: { ...failure, jobName } });
      throw new UnrecoverableError(failure.message);
    }

    const status = jobStatusOf(scoringJob);
    if (status !== data.lastStatus) {
      await thread.slot('status', threadMessages.jobStatus({ jobName, endpointName: data.endpointName, status, elapsedMs: ctx.now() - data.startedAt }));
    }
    if (!isTerminalJobStatus(status)) {
      return reschedule({ lastStatus: status, polls: data.polls + 1 }, nextWatchIntervalMs(data.polls, ctx.watch));
    }

    const durationMs = ctx.now() - data.startedAt;
    const outcome = status === 'Completed' ? 'succeeded' : status === 'Canceled' ? 'canceled' : 'failed';
    await ctx.requests.update(requestId, { status: outcome });
    if (data.spec) {
      const approval = await ctx.approvals.get(requestId);
      await thread.parent(
        threadMessages.parent({ requestId, requester, subject: { kind: 'run', spec: data.spec }, status: outcome, approval, detail: `job ${jobName}`, now: ctx.now() }),
      );
    }
    if (status === 'Completed') {
      await thread.reply(
        'final',
        threadMessages.jobSucceeded({ requester, jobName, endpointName: data.endpointName, outputUri: jobOutputUri(scoringJob), durationMs, links: workspaceLinks(ctx) }),
        { broadcast: true },
      );
      await ctx.audit.record({ type: 'succeeded', requestId, action: 'run', detail: { jobName } });
    } else {
      const service = jobFailure(scoringJob);
      const failure = { step: 'scoring job', code: service.code ?? (status === 'Canceled' ? 'JobCanceled' : 'JobFailed'), message: service.message ?? `the job ended ${status}` };
      await thread.reply('final', threadMessages.failure({ requester, requestId, what: `Scoring job ${jobName}`, failure, durationMs: ctx.now() - data.startedAt }), { broadcast: true });
      await ctx.audit.record({ type: status === 'Canceled' ? 'canceled' : 'failed', requestId, action: 'run', detail: { jobName, ...failure } });
    }
    return { status };
  };
}

export function createWatchWorker(ctx: WorkerContext, deps: { connection: Redis; prefix: string; concurrency?: number; lockDurationMs?: number; autorun?: boolean }): Worker {
  return new Worker(QUEUE_NAMES.watch, createWatchProcessor(ctx), {
    connection: deps.connection,
    prefix: deps.prefix,
    // Each step is one short HTTP call, so many can run at once.
    concurrency: deps.concurrency ?? 20,
    autorun: deps.autorun ?? false,
    ...(deps.lockDurationMs ? { lockDuration: deps.lockDurationMs, stalledInterval: deps.lockDurationMs } : {}),
  });
}
