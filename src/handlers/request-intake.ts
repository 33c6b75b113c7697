// Where a validated request enters the system, whatever surface it came from (slash command, modal,
// approval button): record it, then either ask for approval (a channel message with Approve / Reject)
// or enqueue the work. Deciding an approval is atomic in the store, so two clicks at once or a Slack
// retry enqueue the work exactly once; the job id derived from the request id makes enqueueing
// idempotent as well.
import type { Logger } from 'pino';
import {
  approvalExpiresAt,
  mayDecide,
  mayWithdraw,
  needsApproval,
  type ApprovalPolicy,
  type Decision,
  type DecideDenial,
  type WithdrawDenial,
} from '../domain/approval-policy';
import { buildApprovalRequestMessage } from '../slack/blocks/approval-request-message';
import { subjectAction, subjectTitle } from '../slack/blocks/request-subject';
import { threadMessages } from '../slack/thread-messages';
import { ApprovalExistsError, type ApprovalRequest, type ApprovalStore } from '../queue/approval-store';
import type { AuditTrail } from '../queue/audit-trail';
import type { NotifyOutbox } from '../queue/notify-outbox';
import type { Requester } from '../queue/payloads';
import type { Producers } from '../queue/producers';
import type { RequestStore } from '../queue/request-store';
import { requestThreadFor } from '../queue/request-home';
import type { WorkspaceScope } from '../domain/workspace-scope';
import type { PendingCaps } from '../queue/pending-caps';
import type { EndpointDirectory } from '../queue/endpoint-directory';
import type { Action } from '../domain/approval-policy';
import { outsideWorkspaceRefusal } from './work-references';
import { planLines, type ChangePlan } from '../usecases/change-plan';
import { enqueueWork, requestKindOf, subjectOfApproval, workRequestSchema, type WorkRequest } from '../queue/work-request';

export interface IntakeDeps {
  policy: ApprovalPolicy;
  approvals: ApprovalStore;
  audit: AuditTrail;
  outbox: NotifyOutbox;
  producers: Producers;
  requests: RequestStore;
  logger: Logger;
  now: () => number;
  /** Workspaces data references may name (the configured one first); unset: not checked here. */
  workspaceScope?: WorkspaceScope;
  /** Caps on open requests per user and per channel; unset: no cap. */
  pendingCaps?: PendingCaps;
  /** The workers' last view of the endpoints: which deployment is each endpoint's default. */
  endpoints?: EndpointDirectory;
}

/**
 * Everything a request may change, so it needs every approval any of its effects needs. A deploy that
 * ticks "make default" sets the default; a deploy onto the endpoint's current default deployment replaces
 * what the default serves. The bot never calls Azure while Slack waits, so it knows the current default
 * only from the workers' endpoint directory: a deploy counts as touching the default unless the
 * directory shows that endpoint with another deployment as its default (an unknown endpoint or default
 * counts as touching it, so a stale or empty directory errs towards asking).
 */
export async function effectsOf(work: WorkRequest, endpoints: EndpointDirectory | undefined): Promise<Action[]> {
  if (work.kind !== 'deploy') return [subjectAction(work)];
  if (work.spec.makeDefault) return ['deploy', 'set-default'];
  const entry = (await endpoints?.list())?.find((e) => e.name === work.spec.endpointName);
  const otherDefault = entry?.defaultDeployment !== undefined && entry.defaultDeployment !== work.spec.deploymentName;
  return otherDefault ? ['deploy'] : ['deploy', 'set-default'];
}

export type IntakeOutcome =
  /** `inJobThread`: it reports in the thread of the run that started its job (a cancel), not its own. */
  | { kind: 'queued'; requestId: string; inJobThread?: boolean }
  | { kind: 'awaiting-approval'; requestId: string; expiresAt: number; inJobThread?: boolean }
  | { kind: 'duplicate'; requestId: string }
  /** Not taken; `message` (plain text, ours) says why. */
  | { kind: 'refused'; requestId: string; message: string };

/** Plain text of a subject title for summaries (the title is mrkdwn with code spans). */
function plainTitle(work: WorkRequest): string {
  return subjectTitle(work).replace(/[*`]/g, '').slice(0, 500);
}

export async function submitWork(
  deps: IntakeDeps,
  input: { requestId: string; requester: Requester; work: WorkRequest; plan?: ChangePlan },
): Promise<IntakeOutcome> {
  const { requestId, requester, plan } = input;
  const work = workRequestSchema.parse(input.work);
  const action = subjectAction(work);
  const thread = await requestThreadFor(deps, { requestId, channel: requester.channelId, work, requester: requester.userId });
  const gated = (await effectsOf(work, deps.endpoints)).some((effect) => needsApproval(deps.policy, effect));
  const createdAt = deps.now();

  const existing = await deps.requests.get(requestId);
  if (existing) return { kind: 'duplicate', requestId };
  const outside = outsideWorkspaceRefusal(work, deps.workspaceScope);
  if (outside) {
    await deps.audit.record({ type: 'denied', requestId, actor: requester.userId, action, detail: { reason: 'outside-workspace' } });
    return { kind: 'refused', requestId, message: outside };
  }
  const admitted = (await deps.pendingCaps?.admit({ requestId, userId: requester.userId, channelId: requester.channelId })) ?? { ok: true };
  if (!admitted.ok) {
    await deps.audit.record({ type: 'denied', requestId, actor: requester.userId, action, detail: { reason: 'too-many-open-requests' } });
    return { kind: 'refused', requestId, message: admitted.message };
  }
  await deps.requests.create({
    requestId,
    kind: requestKindOf(work),
    requester,
    channel: thread.channel,
    summary: plainTitle(work),
    status: gated ? 'awaiting-approval' : 'queued',
    work,
  });
  await deps.audit.record({ type: 'requested', requestId, actor: requester.userId, action, detail: { work } });

  if (gated) {
    let approval: ApprovalRequest;
    try {
      approval = await deps.approvals.create({
        id: requestId,
        requestId,
        action,
        requester,
        command: work,
        ...(plan ? { plan } : {}),
        expiresAt: approvalExpiresAt(deps.policy, createdAt),
      });
    } catch (err) {
      if (err instanceof ApprovalExistsError) return { kind: 'duplicate', requestId };
      throw err;
    }
    await thread.parent(
      buildApprovalRequestMessage({
        approvalId: approval.id,
        requesterId: requester.userId,
        subject: work,
        createdAt: approval.createdAt,
        expiresAt: approval.expiresAt,
        approvers: deps.policy.approvers,
        ...(approval.plan ? { plan: approval.plan } : {}),
      }),
    );
    await deps.audit.record({ type: 'approval-requested', requestId, actor: requester.userId, action });
    return { kind: 'awaiting-approval', requestId, expiresAt: approval.expiresAt, ...(thread.within ? { inJobThread: true } : {}) };
  }

  // Nobody approves an ungated change, so its plan is only logged.
  if (plan) deps.logger.info({ requestId, plan: planLines(plan) }, 'change plan');
  await thread.parent(threadMessages.parent({ requestId, requester, subject: work, status: 'queued', now: createdAt }));
  await enqueueWork(deps.producers, requestId, requester, work);
  return { kind: 'queued', requestId, ...(thread.within ? { inJobThread: true } : {}) };
}

export type DecideOutcome =
  | { ok: true; approval: ApprovalRequest }
  | { ok: false; reason: DecideDenial | 'not-found'; message: string };

/**
 * An approver's click. The policy decides who may decide (approvers only, never the requester, not after
 * expiry); the store decides who wins (exactly one decision per approval).
 */
export async function decideApproval(
  deps: IntakeDeps,
  input: { approvalId: string; approve: boolean; decider: { userId: string; userGroups: readonly string[] } },
): Promise<DecideOutcome> {
  const now = deps.now();
  const approval = await deps.approvals.get(input.approvalId);
  if (!approval) return { ok: false, reason: 'not-found', message: 'This request no longer exists; ask again with the same command.' };
  const requestId = approval.requestId ?? approval.id;

  // The requester's own Reject is a withdrawal they meant: point them at the button that does it.
  if (!input.approve && input.decider.userId === approval.requester.userId && approval.status === 'pending') {
    return {
      ok: false,
      reason: 'self-approval',
      message: 'This is your own request, so you cannot reject it; to take it back, click *Withdraw (requester)* on the request.',
    };
  }
  const allowed: Decision<DecideDenial> = mayDecide(
    deps.policy,
    { requesterId: approval.requester.userId, createdAt: approval.createdAt, expiresAt: approval.expiresAt, status: approval.status },
    input.decider,
    now,
  );
  if (!allowed.ok) {
    await deps.audit.record({ type: 'denied', requestId, actor: input.decider.userId, action: approval.action, detail: { reason: allowed.reason } });
    return allowed;
  }

  const decided = await deps.approvals.decide(approval.id, { approve: input.approve, userId: input.decider.userId, at: now });
  if (!decided.ok) {
    const message =
      decided.reason === 'expired'
        ? 'This request expired without a decision; ask again with the same command.'
        : decided.reason === 'already-decided'
          ? `This request was already ${decided.request?.status ?? 'decided'}; nothing more to decide.`
          : 'This request no longer exists; ask again with the same command.';
    return { ok: false, reason: decided.reason, message };
  }

  const result = decided.request;
  const subject = subjectOfApproval(result.command);
  const thread = await requestThreadFor(deps, { requestId, channel: result.requester.channelId, work: result.command, requester: result.requester.userId });
  if (input.approve) {
    await deps.audit.record({ type: 'approved', requestId, actor: input.decider.userId, action: result.action });
    await deps.requests.update(requestId, { status: 'queued' });
    await thread.parent(threadMessages.parent({ requestId, requester: result.requester, subject, status: 'approved', approval: result, now }));
    await enqueueWork(deps.producers, requestId, result.requester, workRequestSchema.parse(result.command), result.plan?.fingerprint);
  } else {
    await deps.audit.record({ type: 'rejected', requestId, actor: input.decider.userId, action: result.action });
    await deps.requests.update(requestId, { status: 'rejected' });
    await thread.parent(threadMessages.approvalDecided({ approval: result, subject, now }));
  }
  return { ok: true, approval: result };
}

export type WithdrawOutcome =
  | { ok: true; approval: ApprovalRequest }
  | { ok: false; reason: WithdrawDenial | 'not-found'; message: string };

/**
 * The requester takes back a request that waits for approval. Only the requester may (checked against
 * the stored request, never the button's payload); the store's atomic transition is the same one an
 * approver's click goes through, so a Withdraw and an Approve at once have one winner and the work is
 * enqueued only if Approve won.
 */
export async function withdrawRequest(deps: IntakeDeps, input: { approvalId: string; userId: string }): Promise<WithdrawOutcome> {
  const now = deps.now();
  const approval = await deps.approvals.get(input.approvalId);
  if (!approval) return { ok: false, reason: 'not-found', message: 'This request no longer exists; there is nothing to withdraw.' };
  const requestId = approval.requestId ?? approval.id;
  const allowed = mayWithdraw(
    { requesterId: approval.requester.userId, createdAt: approval.createdAt, expiresAt: approval.expiresAt, status: approval.status },
    input.userId,
    now,
  );
  if (!allowed.ok) {
    if (allowed.reason === 'not-the-requester') {
      await deps.audit.record({ type: 'denied', requestId, actor: input.userId, action: approval.action, detail: { reason: allowed.reason } });
    }
    return allowed;
  }
  const withdrawn = await deps.approvals.withdraw(approval.id, { userId: input.userId, at: now });
  if (!withdrawn.ok) {
    const message =
      withdrawn.reason === 'expired'
        ? 'This request already expired without a decision; there is nothing to withdraw.'
        : withdrawn.reason === 'already-decided'
          ? `This request was already ${withdrawn.request?.status ?? 'decided'}; there is nothing to withdraw.`
          : 'This request no longer exists; there is nothing to withdraw.';
    return { ok: false, reason: withdrawn.reason, message };
  }
  const result = withdrawn.request;
  await deps.audit.record({ type: 'withdrawn', requestId, actor: input.userId, action: result.action });
  await deps.requests.update(requestId, { status: 'withdrawn' });
  const thread = await requestThreadFor(deps, { requestId, channel: result.requester.channelId, work: result.command, requester: result.requester.userId });
  await thread.parent(threadMessages.approvalDecided({ approval: result, subject: subjectOfApproval(result.command), now }));
  return { ok: true, approval: result };
}
