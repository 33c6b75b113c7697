// How a request moves on and ends, said the same way by every worker. Each step writes, in one order:
// the request's status (request-store.ts), the audit trail, the parent message in the channel, and, for
// an outcome, the final reply in the thread (broadcast). Written once here, so a worker cannot forget a
// part or say its parts in another order (the watch used to tell the store last, after the reply).
//
// The order is the one a reader relies on: once the final reply is visible in Slack (it goes out through
// the notify outbox, after the parent), the store and the audit already say how the request ended. And a
// request keeps its first outcome: the store keeps a final status, and the rest follows the store (a run
// retried after its watch ended must not redraw the parent as running; a late failure of a step after a
// success must not turn the parent red or add a second outcome to the audit).
import type { SlackMessage } from '../slack/blocks/block-kit';
import type { RequestStatus as ParentStatus } from '../slack/blocks/request-parent-message';
import type { RequestSubject } from '../domain/request-subject';
import { threadMessages } from '../slack/thread-messages';
import type { AuditEventType } from './audit-trail';
import type { Requester } from './payloads';
import { FINAL_REQUEST_STATUSES, type RequestStatus } from './request-store';
import { createRequestThread, type RequestThread } from './request-thread';
import type { WorkerContext } from './worker-context';

export interface RequestLifecycleInput {
  requestId: string;
  requester: Requester;
  /** The audit trail's action: 'deploy', 'run', a command verb ('delete' for a leftover removal). */
  action: string;
  /** What the parent message shows; without one (a job the bot did not start) there is no parent to update. */
  subject?: RequestSubject;
  /** Where the request reports; default its own thread in the requester's channel (see request-home.ts). */
  thread?: RequestThread;
}

export interface OutcomeOptions {
  /** A short word beside the parent's status ("job <name>", "refused: …"). */
  parentDetail?: string;
  /** What the audit event records beside its type. */
  audit?: Record<string, unknown>;
  /** The Slack user who caused the outcome, for the audit (a refused requester); omitted: the bot. */
  actor?: string;
  /** Also show the final reply in the channel; default true (a request's last word is broadcast). */
  broadcast?: boolean;
}

export interface RequestLifecycle {
  readonly requestId: string;
  readonly thread: RequestThread;
  /** The work begins: the audit's 'started', on the first attempt only (a retry or a resume is the same start). */
  started(opts: { firstAttempt: boolean; audit?: Record<string, unknown> }): Promise<void>;
  /** The request runs: status and parent say so, unless it already reached an outcome. */
  running(parentDetail?: string): Promise<void>;
  /** A message in the thread updated in place as the work goes on (the deploy checklist, the job's status line). */
  progress(slot: string, message: SlackMessage): Promise<void>;
  /** A reply on the way that is not the last word (e.g. "job started"), posted once per key. */
  note(key: string, message: SlackMessage): Promise<void>;
  succeeded(finalReply: SlackMessage, opts?: OutcomeOptions): Promise<void>;
  failed(finalReply: SlackMessage, opts?: OutcomeOptions): Promise<void>;
  /** Someone asked for the work to stop (a canceled job): its own outcome, not a failure. */
  canceled(finalReply: SlackMessage, opts?: OutcomeOptions): Promise<void>;
  /** Not carried out by rule (a locked endpoint, a cancel not allowed): denied; the parent shows it failed. */
  refused(finalReply: SlackMessage, opts?: OutcomeOptions): Promise<void>;
}

interface Outcome {
  status: RequestStatus;
  audit: AuditEventType;
  parent: ParentStatus;
}

const OUTCOMES = {
  succeeded: { status: 'succeeded', audit: 'succeeded', parent: 'succeeded' },
  failed: { status: 'failed', audit: 'failed', parent: 'failed' },
  canceled: { status: 'canceled', audit: 'canceled', parent: 'canceled' },
  refused: { status: 'denied', audit: 'denied', parent: 'failed' },
} as const satisfies Record<string, Outcome>;

export function createRequestLifecycle(
  ctx: Pick<WorkerContext, 'outbox' | 'requests' | 'audit' | 'approvals' | 'now'>,
  input: RequestLifecycleInput,
): RequestLifecycle {
  const { requestId, requester, action, subject } = input;
  const thread = input.thread ?? createRequestThread(ctx.outbox, { requestId, channel: requester.channelId, requester: requester.userId });
  // Read once, when the parent is first drawn: the decision was taken before the work was queued.
  let approval: Promise<Awaited<ReturnType<WorkerContext['approvals']['get']>>> | undefined;

  async function parent(status: ParentStatus, detail: string | undefined): Promise<void> {
    if (!subject) return;
    approval ??= ctx.approvals.get(requestId);
    const decided = await approval;
    await thread.parent(
      threadMessages.parent({ requestId, requester, subject, status, ...(decided ? { approval: decided } : {}), now: ctx.now(), ...(detail ? { detail } : {}) }),
    );
  }

  async function end(outcome: Outcome, finalReply: SlackMessage, opts: OutcomeOptions = {}): Promise<void> {
    const record = await ctx.requests.update(requestId, { status: outcome.status });
    // It had already ended otherwise (a late or repeated step): the first outcome stands, in every part.
    if (record && FINAL_REQUEST_STATUSES.includes(record.status) && record.status !== outcome.status) return;
    await ctx.audit.record({ type: outcome.audit, requestId, action, ...(opts.actor ? { actor: opts.actor } : {}), ...(opts.audit ? { detail: opts.audit } : {}) });
    await parent(outcome.parent, opts.parentDetail);
    await thread.reply('final', finalReply, opts.broadcast === false ? {} : { broadcast: true });
  }

  return {
    requestId,
    thread,
    async started(opts) {
      if (opts.firstAttempt) await ctx.audit.record({ type: 'started', requestId, action, ...(opts.audit ? { detail: opts.audit } : {}) });
    },
    async running(parentDetail) {
      const record = await ctx.requests.update(requestId, { status: 'running' });
      // The store kept an outcome reached meanwhile: the parent already shows it, and must go on showing it.
      if (record && FINAL_REQUEST_STATUSES.includes(record.status)) return;
      await parent('running', parentDetail);
    },
    progress: (slot, message) => thread.slot(slot, message),
    note: (key, message) => thread.reply(key, message),
    succeeded: (finalReply, opts) => end(OUTCOMES.succeeded, finalReply, opts),
    failed: (finalReply, opts) => end(OUTCOMES.failed, finalReply, opts),
    canceled: (finalReply, opts) => end(OUTCOMES.canceled, finalReply, opts),
    refused: (finalReply, opts) => end(OUTCOMES.refused, finalReply, opts),
  };
}
