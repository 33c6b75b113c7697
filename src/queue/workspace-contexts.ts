// One worker fleet serves every workspace profile: each job is processed in the context of the workspace
// its request is for (`requester.profile`, chosen at intake), with that workspace's Azure client, cloud,
// credential, endpoint directory and locks, and an outbox that labels every message with the workspace.
// Work that belongs to no request (the approval expiry sweep) runs in the shared context.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisConnection } from './connection';
import type { NotifyOutbox } from './notify-outbox';
import type { QueueName } from './queue-names';
import type { WorkerContext } from './worker-context';
import { withWorkspaceLabel } from '../slack/blocks/workspace-label';

export interface WorkspaceContexts {
  /** For work of no request: the first profile's context, its outbox unlabelled, `workspaceLabelOf` set. */
  shared: WorkerContext;
  /** The context of a profile; undefined for a profile this fleet does not serve. */
  of(profile: string | undefined): WorkerContext | undefined;
  profiles: readonly string[];
}

/** An outbox whose every message (thread, ephemeral, response_url) names the workspace. */
export function labelledOutbox(outbox: NotifyOutbox, label: string | undefined): NotifyOutbox {
  if (label === undefined) return outbox;
  return { ...outbox, enqueue: (entry) => outbox.enqueue(withWorkspaceLabel(entry, label)) };
}

/** `outbox`: the unlabelled one, for the shared context (each profile's own outbox labels its messages). */
export function workspaceContexts(contexts: readonly WorkerContext[], labels: ReadonlyMap<string, string>, outbox: NotifyOutbox): WorkspaceContexts {
  const first = contexts[0];
  if (!first) throw new Error('workspaceContexts needs at least one context');
  const byProfile = new Map(contexts.map((ctx) => [ctx.profile ?? 'default', ctx] as const));
  const labelOf = (profile: string | undefined): string | undefined => labels.get(profile ?? first.profile ?? 'default');
  return {
    // Not the first profile's labelled outbox: the sweep labels each message with its own request's workspace.
    shared: { ...first, outbox, workspaceLabelOf: labelOf },
    // A request queued before profiles existed names none: it was for the one workspace there was, the first.
    of: (profile) => (profile === undefined ? first : byProfile.get(profile)),
    profiles: [...byProfile.keys()],
  };
}

/** The profile a job's payload names, read before the processor validates the rest. */
function profileOfJob(job: Job): string | undefined {
  const requester = (job.data as { requester?: { profile?: unknown } } | undefined)?.requester;
  return typeof requester?.profile === 'string' ? requester.profile : undefined;
}

/** Several workspaces (WorkspaceContexts), not one WorkerContext. */
export function isContexts(value: WorkerContext | WorkspaceContexts): value is WorkspaceContexts {
  return 'shared' in value && 'of' in value;
}

/**
 * A processor that runs each job with its workspace's processor (made once per profile). A job for a
 * profile this fleet does not serve (the configuration changed while it waited) fails at once and says so.
 */
export function processorPerWorkspace<P extends (job: Job, token?: string, signal?: AbortSignal) => Promise<unknown>>(
  contexts: WorkerContext | WorkspaceContexts,
  make: (ctx: WorkerContext) => P,
): (job: Job, token?: string, signal?: AbortSignal) => Promise<unknown> {
  if (!isContexts(contexts)) return make(contexts);
  const made = new Map<WorkerContext, P>();
  const processorOf = (ctx: WorkerContext): P => {
    let p = made.get(ctx);
    if (!p) {
      p = make(ctx);
      made.set(ctx, p);
    }
    return p;
  };
  // async: a refusal is a rejected promise, as the signature says, not a throw out of the call.
  return async (job, token, signal) => {
    const hasRequester = (job.data as { requester?: unknown } | undefined)?.requester !== undefined;
    const profile = profileOfJob(job);
    const ctx = hasRequester ? contexts.of(profile) : contexts.shared;
    if (!ctx) {
      contexts.shared.logger.error({ jobId: job.id, profile, served: contexts.profiles }, 'a job is for a workspace this worker does not serve');
      throw new UnrecoverableError(`This request is for workspace '${profile}', which is no longer configured (BATCH_SCORE_WORKSPACES: ${contexts.profiles.join(', ')}).`);
    }
    return processorOf(ctx)(job, token, signal);
  };
}

/** How a request queue's worker runs: the same options for the deploy, run, watch and ops queues. */
export interface RequestQueueWorkerOptions {
  connection: RedisConnection;
  prefix: string;
  /** Jobs at once in this process; each queue has its own default. */
  concurrency?: number;
  /** How soon a job whose worker died is taken over (BullMQ lockDuration, and the stalled check with it). */
  lockDurationMs?: number;
  /** Default false: the worker host starts the workers once every one is built. */
  autorun?: boolean;
}

/** The BullMQ Worker of a request queue, running each job in its workspace's context (processorPerWorkspace). */
export function createRequestQueueWorker<P extends (job: Job, token?: string, signal?: AbortSignal) => Promise<unknown>>(
  queue: QueueName,
  contexts: WorkerContext | WorkspaceContexts,
  make: (ctx: WorkerContext) => P,
  opts: RequestQueueWorkerOptions & { defaultConcurrency: number },
): Worker {
  return new Worker(queue, processorPerWorkspace(contexts, make), {
    connection: opts.connection,
    prefix: opts.prefix,
    concurrency: opts.concurrency ?? opts.defaultConcurrency,
    autorun: opts.autorun ?? false,
    ...(opts.lockDurationMs ? { lockDuration: opts.lockDurationMs, stalledInterval: opts.lockDurationMs } : {}),
  });
}
