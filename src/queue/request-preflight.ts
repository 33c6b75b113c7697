// The pre-flight step: the check a request gets before an approver is asked or anything is queued
// (src/usecases/request-check.ts: does what it names exist, is the job still running, are a deploy's
// sources there). The bot never waits on Azure (it must answer Slack within 3 s), so it acknowledges at
// once and puts the request here, on the ops queue; this step runs the check and then either takes the
// request (approval or queue, exactly as before) or tells the requester privately, in a plain sentence
// with the next useful command.
import { UnrecoverableError, type Job } from 'bullmq';
import { z } from 'zod';
import { isAzureMlError } from '../azureml/errors';
import { buildMissingTargetMessage, requestProblemView } from '../slack/blocks/missing-target-message';
import { checkRequest, type RequestProblem } from '../usecases/request-check';
import { threadMessages } from '../slack/thread-messages';
import { describeFailure, failureLogFields } from '../usecases/failure-report';
import type { ChangePlan } from '../usecases/change-plan';
import { planChange } from '../usecases/change-facts';
import { isLastAttempt, isWorthRetrying, parsePayload } from './job-payload';
import { answerPrivately } from './private-answer';
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
  /** `plan`: what the change will do against what exists now, shown to the approver. */
  submit(input: { requestId: string; requester: Requester; work: WorkRequest; plan?: ChangePlan }): Promise<string>;
}

export async function processPreflight(ctx: WorkerContext, job: Job): Promise<unknown> {
  const data = parsePayload(preflightJobSchema, job);
  if (!ctx.intake) throw new UnrecoverableError('this worker cannot take requests (no intake configured)');
  let problem: RequestProblem | undefined;
  let work: WorkRequest = data.work;
  let plan: ChangePlan | undefined;
  try {
    ({ work, problem } = await checkRequest(ctx, data.work));
    // The plan is read after the check, so it describes the request as it will be taken (labels pinned).
    if (!problem) {
      plan = await planChange(ctx, work).catch((err: unknown) => {
        if (isWorthRetrying(err) && !isLastAttempt(job)) throw err;
        // A plan that cannot be read (a folder the deploy step will refuse, say) asks without one, as before plans.
        ctx.logger.warn({ requestId: data.requestId, ...failureLogFields(err) }, 'could not compute the plan; asking without it');
        return undefined;
      });
    }
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
    await answerPrivately(ctx, data, buildMissingTargetMessage(requestProblemView(problem)), 'preflight');
    return { refused: 'target-missing' };
  }
  const reply = await ctx.intake.submit({ requestId: data.requestId, requester: data.requester, work, ...(plan ? { plan } : {}) });
  await answerPrivately(ctx, data, { text: reply, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: reply } }] }, 'preflight');
  return { taken: true };
}
