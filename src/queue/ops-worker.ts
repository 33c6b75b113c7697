// The ops queue's processor: every command other than deploy and run. Look-ups (status, jobs, endpoints,
// show) answer the asker privately through the command's response_url; changes (cancel, set-default,
// delete, data register) report in the request's thread like deploys and runs. It also sweeps expired
// approvals, so their messages lose their buttons even if nobody clicks again.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisConnection } from './connection';
import { commandSchema, type Command } from '../domain/command-grammar';
import { jobOutputUri } from '../azureml/scoring';
import { withJobOutcome } from '../slack/blocks/job-outcome-sections';
import { threadMessages } from '../slack/thread-messages';
import { readJobOutcomeView } from './job-outcome-report';
import { endpointEntryOf } from './endpoint-directory';
import { describeFailure } from '../usecases/failure-report';
import { isLastAttempt, isWorthRetrying, parsePayload } from './job-payload';
import { lockRefusalFor, refuseLockedChange } from './lock-guard';
import { refuseCancel } from './cancel-guard';
import { opsJobSchema, type OpsJob } from './payloads';
import { QUEUE_NAMES } from './queue-names';
import { requestThreadFor } from './request-home';
import { createRequestLifecycle } from './request-lifecycle';
import type { SlackMessage } from '../slack/blocks/block-kit';
import { workspaceLinks, type WorkerContext } from './worker-context';
import { subjectOfApproval } from './work-request';
import { isTerminalJobStatus } from '../azureml/jobs';
import { buildMissingTargetMessage } from '../slack/blocks/missing-target-message';
import { lookUp, missingEndpoint, missingJob } from './request-preflight';
import { RequestTargetGoneError } from './request-target-gone';
import { PREFLIGHT_JOB, processPreflight } from './request-preflight';
import { CLEANUP_JOB } from './producers';
import { processLeftoverRemoval } from './leftover-removal';

export const EXPIRE_APPROVALS_JOB = 'expire-approvals';

type Lookup = Extract<Command, { verb: 'status' | 'jobs' | 'endpoints' | 'show' }>;
type Change = Extract<Command, { verb: 'cancel' | 'set-default' | 'delete' | 'data-register' }>;

async function answerLookup(ctx: WorkerContext, command: Lookup): Promise<SlackMessage> {
  const az = ctx.azureml;
  switch (command.verb) {
    case 'status': {
      const found = await lookUp(() => az.jobs.get(command.jobName));
      if ('missing' in found) return buildMissingTargetMessage(missingJob(command.jobName, found.missing, 'Nothing to show.'));
      const job = found.found;
      // Only batch scoring jobs of this workspace's batch endpoints, never training or other experiments.
      await az.jobs.assertBatchScoring(job);
      const details = threadMessages.jobDetails({ job, links: workspaceLinks(ctx), now: ctx.now() });
      const status = job.properties.status ?? 'Unknown';
      const endpointName = job.properties.experimentName ?? job.properties.properties?.['azureml.endpointName'] ?? undefined;
      if (!endpointName || !isTerminalJobStatus(status)) return details;
      // An ended job: the same triage or results as its final reply.
      // JobBase has no error field in 2022-05-01: batch jobs carry it in the string map (scoring.ts jobFailure).
      const failure = { message: job.properties.properties?.['azureml.error.message'] ?? undefined };
      const outputUri = jobOutputUri(job);
      return withJobOutcome(
        details,
        await readJobOutcomeView(ctx, {
          jobName: job.name ?? command.jobName,
          endpointName,
          status,
          ...(failure.message ? { serviceMessage: failure.message } : {}),
          ...(outputUri ? { outputUri } : {}),
        }),
      );
    }
    case 'jobs': {
      // A missing endpoint has no jobs either, but "no jobs yet" would be untrue.
      if (command.endpointName) {
        const endpoint = await lookUp(() => az.endpoints.get(command.endpointName!));
        if ('missing' in endpoint) return buildMissingTargetMessage(missingEndpoint(command.endpointName, endpoint.missing, 'Nothing to list.'));
      }
      // Without an endpoint, the workspace's batch scoring jobs only (not training or sweep jobs).
      const jobs = command.endpointName ? await az.jobs.listForEndpoint(command.endpointName) : (await az.jobs.list()).filter((j) => az.jobs.isBatchScoringShape(j));
      return threadMessages.jobsList({ jobs, endpointName: command.endpointName });
    }
    case 'endpoints': {
      const endpoints = await az.endpoints.list();
      await ctx.endpoints.replace(endpoints.map((e) => endpointEntryOf(e)));
      return threadMessages.endpointsList({ endpoints });
    }
    case 'show': {
      const found = await lookUp(() => az.endpoints.get(command.endpointName));
      if ('missing' in found) return buildMissingTargetMessage(missingEndpoint(command.endpointName, found.missing, 'Nothing to show.'));
      const endpoint = found.found;
      const deployments = await az.deployments.list(command.endpointName);
      await ctx.endpoints.upsert(endpointEntryOf(endpoint, deployments.map((d) => d.name)));
      return threadMessages.endpointDetails({ endpoint, deployments, links: workspaceLinks(ctx) });
    }
  }
}

/** Carries out a change and says what happened, in one line for the final reply. */
async function applyChange(ctx: WorkerContext, command: Change, where: { inJobThread: boolean }): Promise<string> {
  const az = ctx.azureml;
  switch (command.verb) {
    case 'cancel': {
      // The job may have ended between the pre-flight check (or the approval) and now: say how it ended.
      const before = await az.jobs.get(command.jobName);
      // Only batch scoring jobs of this workspace's batch endpoints, never training or other experiments.
      await az.jobs.assertBatchScoring(before);
      if (isTerminalJobStatus(before.properties.status)) {
        throw new RequestTargetGoneError('JobAlreadyFinished', `Job ${command.jobName} had already finished (${before.properties.status}); nothing was canceled.`);
      }
      // Azure answers a cancel of a job that ended meanwhile with 200 as if it had worked: say what really happened.
      const ended = await az.jobs.cancelAndWait(command.jobName);
      if (ended) {
        throw new RequestTargetGoneError('JobAlreadyFinished', `Job ${command.jobName} had already finished (${ended}); nothing was canceled.`);
      }
      return where.inJobThread
        ? `Cancel requested for job ${command.jobName}; this thread says when it has stopped.`
        : `Cancel requested for job ${command.jobName}; its own thread reports when it stops.`;
    }
    case 'set-default':
      // Fail early with the service's own 404 when the deployment does not exist.
      await az.deployments.get(command.endpointName, command.deploymentName);
      await az.endpoints.setDefaultDeploymentAndWait(command.endpointName, command.deploymentName);
      await ctx.endpoints.list().then(async (all) => {
        const entry = all.find((e) => e.name === command.endpointName);
        if (entry) await ctx.endpoints.upsert({ ...entry, defaultDeployment: command.deploymentName });
      });
      return `${command.deploymentName} is now the default deployment of ${command.endpointName}.`;
    case 'delete':
      // ARM answers DELETE of a missing resource with 204 as if it worked; look first, so a gone endpoint
      // (deleted since the approval was asked) is not reported as deleted.
      if (!(await az.endpoints.find(command.endpointName))) {
        throw new RequestTargetGoneError('EndpointNotFound', `There is no batch endpoint ${command.endpointName} (any more); nothing was deleted.`);
      }
      await az.deleteEndpoint(command.endpointName);
      await ctx.endpoints.remove(command.endpointName);
      return `Endpoint ${command.endpointName} and all its deployments are deleted.`;
    case 'data-register': {
      const version = command.version ?? String(ctx.now());
      const dataType = command.kind === 'UriFile' ? 'uri_file' : 'uri_folder';
      const created = await az.assets.createDataVersion({ name: command.name, version }, dataType, command.uri);
      return `Data asset ${command.name}:${version} registered (${dataType}) as ${created.id}.`;
    }
  }
}

export function createOpsProcessor(ctx: WorkerContext) {
  return async function processOps(job: Job): Promise<unknown> {
    if (job.name === EXPIRE_APPROVALS_JOB) return expireApprovals(ctx);
    if (job.name === PREFLIGHT_JOB) return processPreflight(ctx, job);
    if (job.name === CLEANUP_JOB) return processLeftoverRemoval(ctx, job);
    const data: OpsJob = parsePayload(opsJobSchema, job);
    const parsed = commandSchema.safeParse(data.command);
    if (!parsed.success) throw new UnrecoverableError(`ops job ${job.id} carries an invalid command`);
    const command = parsed.data;
    const { requestId, requester } = data;

    if (command.verb === 'status' || command.verb === 'jobs' || command.verb === 'endpoints' || command.verb === 'show') {
      let answer: SlackMessage;
      try {
        answer = await answerLookup(ctx, command);
      } catch (err) {
        if (isWorthRetrying(err) && !isLastAttempt(job)) throw err;
        answer = threadMessages.failure({ requester, requestId, what: `\`${command.verb}\``, failure: describeFailure(err, command.verb) });
      }
      if (data.responseUrl) {
        await ctx.outbox.enqueue({ requestId, channel: requester.channelId, op: 'response-url', key: 'answer', responseUrl: data.responseUrl, ...answer });
      } else {
        await ctx.outbox.enqueue({ requestId, channel: requester.channelId, op: 'ephemeral', key: 'answer', user: requester.userId, ...answer });
      }
      return { answered: command.verb };
    }
    if (command.verb !== 'cancel' && command.verb !== 'set-default' && command.verb !== 'delete' && command.verb !== 'data-register') {
      throw new UnrecoverableError(`the ops queue does not handle '${command.verb}'`);
    }

    const thread = await requestThreadFor(ctx, { requestId, channel: requester.channelId, work: { kind: 'command', command }, requester: requester.userId });
    const lifecycle = createRequestLifecycle(ctx, { requestId, requester, action: command.verb, subject: { kind: 'command', command }, thread });
    if (command.verb === 'set-default' || command.verb === 'delete') {
      // Right before applying: a lock set while this request waited for approval must still stop it.
      const refusal = await lockRefusalFor(ctx.locks, command.verb, command.endpointName);
      if (refusal) {
        await refuseLockedChange(lifecycle, { requester, endpointName: command.endpointName, refusal });
        return { refused: 'endpoint-locked' };
      }
    }
    if (command.verb === 'cancel') {
      // Asked again here, not only in the bot: this payload may be a replay, or enqueued by another path.
      let refusal: string | undefined;
      try {
        refusal = await ctx.cancels.refusal({ jobName: command.jobName, who: requester });
      } catch (err) {
        if (!isLastAttempt(job)) throw err;
        // Fail closed: without Slack's answer on who is an approver, nothing is canceled.
        ctx.logger.warn({ requestId, err: describeFailure(err, 'cancel') }, 'could not check who may cancel; refusing');
        refusal = 'Who may cancel this job could not be checked with Slack just now.';
      }
      if (refusal) {
        await refuseCancel(lifecycle, { requester, jobName: command.jobName, refusal });
        return { refused: 'not-a-canceler' };
      }
    }
    await lifecycle.started({ firstAttempt: job.attemptsStarted <= 1 });
    await lifecycle.running();
    let summary: string;
    try {
      summary = await applyChange(ctx, command, { inJobThread: thread.within !== undefined });
    } catch (err) {
      if (isWorthRetrying(err) && !isLastAttempt(job)) throw err;
      const failure = describeFailure(err, command.verb);
      await lifecycle.failed(threadMessages.failure({ requester, requestId, what: `\`${command.verb}\``, failure }), { audit: { ...failure } });
      throw new UnrecoverableError(failure.message);
    }
    // In the job's own thread, beside the run's own last word: said as a cancel, not as the thread's outcome.
    await lifecycle.succeeded(
      thread.within ? threadMessages.cancelRequested({ requester, summary }) : threadMessages.changeSucceeded({ requester, summary }),
      { broadcast: !thread.within },
    );
    return { summary };
  };
}

async function expireApprovals(ctx: WorkerContext): Promise<{ expired: number }> {
  const expired = await ctx.approvals.expireDue();
  for (const approval of expired) {
    const requestId = approval.requestId ?? approval.id;
    await ctx.requests.update(requestId, { status: 'expired' });
    await ctx.audit.record({ type: 'expired', requestId, action: approval.action });
    const thread = await requestThreadFor(ctx, { requestId, channel: approval.requester.channelId, work: approval.command, requester: approval.requester.userId });
    await thread.parent(threadMessages.approvalDecided({ approval, subject: subjectOfApproval(approval.command), now: ctx.now() }));
  }
  return { expired: expired.length };
}

export function createOpsWorker(ctx: WorkerContext, deps: { connection: RedisConnection; prefix: string; concurrency?: number; lockDurationMs?: number; autorun?: boolean }): Worker {
  return new Worker(QUEUE_NAMES.ops, createOpsProcessor(ctx), {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency ?? 4,
    autorun: deps.autorun ?? false,
    ...(deps.lockDurationMs ? { lockDuration: deps.lockDurationMs, stalledInterval: deps.lockDurationMs } : {}),
  });
}
