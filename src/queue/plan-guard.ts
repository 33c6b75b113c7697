// The approver decided on a plan; the change is applied only if what exists is still what the plan was
// computed from. Right before the first change the worker computes the plan again: another fingerprint
// means something moved meanwhile (another deployment became the default, the live settings changed, a
// job started), so nothing is applied, the thread says why, and the new plan goes to the approvers as a
// new request under the same rules (intake: approval policy, caps, audit).
import { message, section } from '../slack/blocks/block-kit';
import { code, mention } from '../slack/mrkdwn';
import { planChange } from '../usecases/change-facts';
import type { ChangePlan } from '../usecases/change-plan';
import { failureLogFields } from '../usecases/failure-report';
import { checkRequest } from '../usecases/request-check';
import { isWorthRetrying } from './job-payload';
import type { Requester } from './payloads';
import type { RequestLifecycle } from './request-lifecycle';
import type { WorkerContext } from './worker-context';
import type { WorkRequest } from './work-request';

/** The id of the request that asks again: `<original>-replan<n>`, counting on from an earlier re-plan. */
export function replanRequestId(requestId: string): string {
  const earlier = /^(.*)-replan(\d+)$/.exec(requestId);
  const base = earlier ? earlier[1]! : requestId;
  const n = earlier ? Number(earlier[2]) + 1 : 2;
  const suffix = `-replan${n}`;
  return `${base.slice(0, 128 - suffix.length)}${suffix}`;
}

/**
 * True when the request was stopped because what exists changed since its plan was approved (the new
 * plan has been asked for); false when it may go ahead (same facts, or no plan was approved).
 */
export async function stopIfPlanChanged(
  ctx: WorkerContext,
  lifecycle: RequestLifecycle,
  input: { requestId: string; requester: Requester; work: WorkRequest; planFingerprint: string | undefined; lastAttempt: boolean },
): Promise<boolean> {
  if (input.planFingerprint === undefined) return false;
  let plan: ChangePlan | undefined;
  try {
    // What the request names is gone (an endpoint deleted meanwhile, a folder removed): no new plan to ask
    // about; the change's own path says so in its words, as it did before plans.
    if ((await checkRequest(ctx, input.work)).problem) return false;
    plan = await planChange(ctx, input.work);
  } catch (err) {
    if (isWorthRetrying(err) && !input.lastAttempt) throw err;
    // Unreadable for good: the change's own path meets the same error and reports it.
    ctx.logger.warn({ requestId: input.requestId, ...failureLogFields(err) }, 'could not compute the plan again; the change reports what it meets');
    return false;
  }
  if (!plan || plan.fingerprint === input.planFingerprint) return false;
  const next = replanRequestId(input.requestId);
  const asked = ctx.intake ? ` The plan was computed again and goes to the approvers as a new request ${code(next)}.` : ' Ask again to see the new plan.';
  const text = `:x: ${mention(input.requester.userId)} What exists changed since the plan was shown, so nothing was applied.${asked}`;
  await lifecycle.refused(message(text, [section(text)]), {
    audit: { reason: 'plan-changed', approvedPlan: input.planFingerprint, currentPlan: plan.fingerprint, next },
    parentDetail: 'not applied: what exists changed since the plan',
  });
  if (ctx.intake) await ctx.intake.submit({ requestId: next, requester: input.requester, work: input.work, plan });
  return true;
}
