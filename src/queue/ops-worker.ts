// The ops queue's processor: every command other than deploy and run. Look-ups (status, jobs, endpoints,
// show) answer the asker privately through the command's response_url; changes (cancel, set-default,
// delete, data register) report in the request's thread like deploys and runs. It also sweeps expired
// approvals, so their messages lose their buttons even if nobody clicks again.
import { UnrecoverableError, type Job, type Worker } from 'bullmq';
import { commandSchema, type Command } from '../domain/command-grammar';
import { withJobOutcome } from '../slack/blocks/job-outcome-sections';
import { threadMessages } from '../slack/thread-messages';
import { endpointEntryOf } from './endpoint-directory';
import { describeFailure } from '../usecases/failure-report';
import { isLastAttempt, isWorthRetrying, parsePayload } from './job-payload';
import { lockRefusalFor, refuseLockedChange } from './lock-guard';
import { stopIfPlanChanged } from './plan-guard';
import { refuseCancel } from './cancel-guard';
import { opsJobSchema, type OpsJob } from './payloads';
import { QUEUE_NAMES } from './queue-names';
import { requestThreadFor } from './request-home';
import { createRequestLifecycle } from './request-lifecycle';
import type { SlackMessage } from '../slack/blocks/block-kit';
import { workspaceLinks, type WorkerContext } from './worker-context';
import { labelledOutbox, createRequestQueueWorker, type RequestQueueWorkerOptions, type WorkspaceContexts } from './workspace-contexts';
import { subjectOfApproval } from './work-request';
import { buildMissingTargetMessage, missingTargetView } from '../slack/blocks/missing-target-message';
import { RequestTargetGoneError } from './request-target-gone';
import { PREFLIGHT_JOB, processPreflight } from './request-preflight';
import { answerPrivately } from './private-answer';
import { CLEANUP_JOB } from './producers';
import { processLeftoverRemoval } from './leftover-removal';
import { cancelJob } from '../usecases/cancel-job';
import { deleteEndpoint } from '../usecases/delete-endpoint';
import { listEndpoints, showEndpoint } from '../usecases/endpoint-lookup';
import { jobStatus, listJobs } from '../usecases/job-lookup';
import { registerData } from '../usecases/register-data';
import { setDefaultDeployment } from '../usecases/set-default-deployment';
import { isTargetNotFound } from '../usecases/target-not-found';

export const EXPIRE_APPROVALS_JOB = 'expire-approvals';

type Lookup = Extract<Command, { verb: 'status' | 'jobs' | 'endpoints' | 'show' }>;
type Change = Extract<Command, { verb: 'cancel' | 'set-default' | 'delete' | 'data-register' }>;

/** What a look-up answers, privately: the summary, or in our words what is not there. */
async function answerLookup(ctx: WorkerContext, command: Lookup): Promise<SlackMessage> {
  const deps = { azureml: ctx.azureml, links: workspaceLinks(ctx), logger: ctx.logger };
  try {
    switch (command.verb) {
      case 'status': {
        const { job, outcome } = await jobStatus(deps, command.jobName);
        const details = threadMessages.jobDetails({ job });
        // An ended job: the same triage or results as its final reply.
        return outcome ? withJobOutcome(details, outcome) : details;
      }
      case 'jobs':
        return threadMessages.jobsList({ jobs: await listJobs(deps, command.endpointName), endpointName: command.endpointName });
      case 'endpoints': {
        const endpoints = await listEndpoints(deps);
        await ctx.endpoints.replace(endpoints.map((e) => endpointEntryOf(e)));
        return threadMessages.endpointsList({ endpoints });
      }
      case 'show': {
        const shown = await showEndpoint(deps, command.endpointName);
        await ctx.endpoints.upsert(endpointEntryOf(shown.endpoint, shown.deployments.map((d) => d.name)));
        return threadMessages.endpointDetails(shown);
      }
    }
  } catch (err) {
    if (!isTargetNotFound(err)) throw err;
    return buildMissingTargetMessage(missingTargetView(err.missing, err, command.verb === 'jobs' ? 'Nothing to list.' : 'Nothing to show.'));
  }
}

/** Carries out a change and says what happened, in one line for the final reply. */
async function applyChange(ctx: WorkerContext, command: Change, where: { inJobThread: boolean }): Promise<string> {
  const deps = { azureml: ctx.azureml, links: workspaceLinks(ctx), now: ctx.now };
  switch (command.verb) {
    case 'cancel': {
      // The job may have ended between the pre-flight check (or the approval) and now: say how it ended.
      const cancel = await cancelJob(deps, command.jobName);
      if (cancel.outcome === 'already-finished') {
        throw new RequestTargetGoneError('JobAlreadyFinished', `Job ${command.jobName} had already finished (${cancel.status}); nothing was canceled.`);
      }
      return where.inJobThread
        ? `Cancel requested for job ${command.jobName}; this thread says when it has stopped.`
        : `Cancel requested for job ${command.jobName}; its own thread reports when it stops.`;
    }
    case 'set-default': {
      const changed = await setDefaultDeployment(deps, command.endpointName, command.deploymentName);
      await ctx.endpoints.list().then(async (all) => {
        const entry = all.find((e) => e.name === command.endpointName);
        if (entry) await ctx.endpoints.upsert({ ...entry, defaultDeployment: command.deploymentName });
      });
      return changed.summary;
    }
    case 'delete': {
      let deleted: { summary: string };
      try {
        deleted = await deleteEndpoint(deps, command.endpointName);
      } catch (err) {
        // Gone since the approval was asked: not reported as deleted.
        if (isTargetNotFound(err)) throw new RequestTargetGoneError('EndpointNotFound', `There is no batch endpoint ${command.endpointName} (any more); nothing was deleted.`);
        throw err;
      }
      await ctx.endpoints.remove(command.endpointName);
      return deleted.summary;
    }
    case 'data-register': {
      return (await registerData(deps, command)).summary;
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
      await answerPrivately(ctx, data, answer, 'answer');
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
      // Right before applying, too: the approved plan must still be what would happen.
      if (await stopIfPlanChanged(ctx, lifecycle, { requestId, requester, work: { kind: 'command', command }, planFingerprint: data.planFingerprint, lastAttempt: isLastAttempt(job) })) {
        return { refused: 'plan-changed' };
      }
      // Checked once: a retry after a half-applied change would see its own work as a change of plan.
      if (data.planFingerprint !== undefined) await job.updateData({ ...data, planFingerprint: undefined });
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
    // The sweep runs in the shared context: its messages carry the label of each approval's own workspace.
    const outbox = labelledOutbox(ctx.outbox, ctx.workspaceLabelOf?.(approval.requester.profile));
    const thread = await requestThreadFor({ outbox, requests: ctx.requests }, { requestId, channel: approval.requester.channelId, work: approval.command, requester: approval.requester.userId });
    await thread.parent(threadMessages.approvalDecided({ approval, subject: subjectOfApproval(approval.command), now: ctx.now() }));
  }
  return { expired: expired.length };
}

export function createOpsWorker(ctx: WorkerContext | WorkspaceContexts, opts: RequestQueueWorkerOptions): Worker {
  return createRequestQueueWorker(QUEUE_NAMES.ops, ctx, createOpsProcessor, { ...opts, defaultConcurrency: 4 });
}
