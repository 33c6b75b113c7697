// The check a request gets before an approver is asked or anything is queued: does what it names exist
// (the endpoint and deployment of a run or set-default, the endpoint of a delete, the job of a cancel and
// whether it is still running, the cluster, registered assets, folders and scoring script of a deploy)?
// The bot never waits on Azure (it must answer Slack within 3 s), so it acknowledges at once and puts the
// request here, on the ops queue; this step asks Azure and then either takes the request (approval or
// queue, exactly as before) or tells the requester privately, in a plain sentence with the next useful
// command. A missing resource is ARM's 404 (status first, then the codes ResourceNotFound / NotFound),
// never a match on message text.
import { UnrecoverableError, type Job } from 'bullmq';
import { z } from 'zod';
import type { AzureMlClient } from '../azureml';
import { isAzureMlError, type AzureMlError } from '../azureml/errors';
import { isTerminalJobStatus } from '../azureml/jobs';
import { isNotFoundError } from '../azureml/resource-lookup';
import { buildMissingTargetMessage, missingTargetView, type MissingTargetView } from '../slack/blocks/missing-target-message';
import type { SlackMessage } from '../slack/blocks/block-kit';
import { code, escapeMrkdwn } from '../slack/mrkdwn';
import { threadMessages } from '../slack/thread-messages';
import { describeFailure } from '../usecases/failure-report';
import { isLastAttempt, isWorthRetrying, parsePayload } from './job-payload';
import { requestIdSchema, requesterSchema, type Requester } from './payloads';
import type { WorkerContext } from './worker-context';
import { workRequestSchema, type WorkRequest } from './work-request';

/** The ops queue's job name for a pre-flight check (job id `preflight-<requestId>`). */
export const PREFLIGHT_JOB = 'preflight';

export const preflightJobSchema = z.object({
  requestId: requestIdSchema,
  requester: requesterSchema,
  work: workRequestSchema,
  /** The slash command's response_url; forms have none, so the answer is an ephemeral message. */
  responseUrl: z.string().url().optional(),
});
export type PreflightJob = z.output<typeof preflightJobSchema>;
export type PreflightJobInput = z.input<typeof preflightJobSchema>;

/** Takes a checked request (approval or queue) and returns what the requester is told (mrkdwn). */
export interface RequestIntake {
  submit(input: { requestId: string; requester: Requester; work: WorkRequest }): Promise<string>;
}

type Found<T> = { found: T } | { missing: AzureMlError };

async function lookUp<T>(get: () => Promise<T>): Promise<Found<T>> {
  try {
    return { found: await get() };
  } catch (err) {
    if (isNotFoundError(err)) return { missing: err };
    throw err;
  }
}

async function checkEndpoint(az: AzureMlClient, endpointName: string, deploymentName: string | undefined): Promise<MissingTargetView | undefined> {
  const endpoint = await lookUp(() => az.endpoints.get(endpointName));
  if ('missing' in endpoint) return missingTargetView({ kind: 'endpoint', endpointName }, endpoint.missing);
  if (deploymentName === undefined) return undefined;
  const deployment = await lookUp(() => az.deployments.get(endpointName, deploymentName));
  if ('missing' in deployment) return missingTargetView({ kind: 'deployment', endpointName, deploymentName }, deployment.missing);
  return undefined;
}

/**
 * The request as it will be taken: a deploy's `latest` labels pinned to the versions that exist now, so the
 * approver sees (and the deploy uses) one concrete version; or what is wrong with it.
 */
export async function preparePreflight(az: AzureMlClient, work: WorkRequest): Promise<{ work: WorkRequest; problem?: MissingTargetView }> {
  if (work.kind !== 'deploy') {
    const problem = await findPreflightProblem(az, work);
    return problem ? { work, problem } : { work };
  }
  const { spec, problems } = await az.resolveDeploySources(work.spec);
  if (problems.length === 0) return { work: { ...work, spec } };
  return {
    work,
    problem: { sentences: problems.map((p) => `*${p.step}*: ${escapeMrkdwn(p.message)}`), next: { command: 'deploy', why: 'opens the form again.' } },
  };
}

/** What is wrong with the request, or undefined when it can go ahead. */
export async function findPreflightProblem(az: AzureMlClient, work: WorkRequest): Promise<MissingTargetView | undefined> {
  switch (work.kind) {
    case 'run':
      return checkEndpoint(az, work.spec.endpointName, work.spec.deploymentName);
    case 'deploy': {
      const problems = await az.checkDeploySources(work.spec);
      if (problems.length === 0) return undefined;
      return { sentences: problems.map((p) => `*${p.step}*: ${escapeMrkdwn(p.message)}`), next: { command: 'deploy', why: 'opens the form again.' } };
    }
    case 'command': {
      const command = work.command;
      switch (command.verb) {
        case 'set-default':
          return checkEndpoint(az, command.endpointName, command.deploymentName);
        case 'delete': {
          const found = await checkEndpoint(az, command.endpointName, undefined);
          return found && { ...found, sentences: [`There is no batch endpoint ${code(command.endpointName)} in this workspace, so there is nothing to delete.`] };
        }
        case 'cancel': {
          const job = await lookUp(() => az.jobs.get(command.jobName));
          if ('missing' in job) return missingTargetView({ kind: 'job', jobName: command.jobName }, job.missing);
          const status = job.found.properties.status;
          if (isTerminalJobStatus(status)) {
            return {
              sentences: [`Job ${code(command.jobName)} already finished (${status}); there is nothing to cancel.`],
              next: { command: `status ${command.jobName}`, why: 'shows how it ended.' },
            };
          }
          return undefined;
        }
        default:
          return undefined;
      }
    }
  }
}

async function answerPrivately(ctx: WorkerContext, job: PreflightJob, answer: SlackMessage, key: string): Promise<void> {
  const { requestId, requester } = job;
  if (job.responseUrl) {
    await ctx.outbox.enqueue({ requestId, channel: requester.channelId, op: 'response-url', key, responseUrl: job.responseUrl, ...answer });
  } else {
    await ctx.outbox.enqueue({ requestId, channel: requester.channelId, op: 'ephemeral', key, user: requester.userId, ...answer });
  }
}

export async function processPreflight(ctx: WorkerContext, job: Job): Promise<unknown> {
  const data = parsePayload(preflightJobSchema, job);
  if (!ctx.intake) throw new UnrecoverableError('this worker cannot take requests (no intake configured)');
  let problem: MissingTargetView | undefined;
  let work: WorkRequest = data.work;
  try {
    ({ work, problem } = await preparePreflight(ctx.azureml, data.work));
  } catch (err) {
    if (isWorthRetrying(err) && !isLastAttempt(job)) throw err;
    // Could not check: say so and start nothing, rather than ask an approver about something unknown.
    const failure = describeFailure(err, 'check');
    const what = isAzureMlError(err) ? 'Checking your request with Azure ML (nothing was asked or started)' : 'Checking your request (nothing was asked or started)';
    await answerPrivately(ctx, data, threadMessages.failure({ requester: data.requester, requestId: data.requestId, what, failure }), 'preflight');
    return { refused: 'check-failed' };
  }
  if (problem) {
    await ctx.audit.record({ type: 'denied', requestId: data.requestId, actor: data.requester.userId, action: data.work.kind === 'command' ? data.work.command.verb : data.work.kind, detail: { reason: 'target-missing' } });
    await answerPrivately(ctx, data, buildMissingTargetMessage(problem), 'preflight');
    return { refused: 'target-missing' };
  }
  const reply = await ctx.intake.submit({ requestId: data.requestId, requester: data.requester, work });
  await answerPrivately(ctx, data, { text: reply, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: reply } }] }, 'preflight');
  return { taken: true };
}
