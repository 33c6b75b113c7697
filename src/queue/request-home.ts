// Which thread a request reports in. Most requests open their own (the parent message in the channel
// they came from). A cancel of a job the bot started reports in that run's thread instead: its approval,
// its progress and its outcome sit next to the job's own status and final reply, where the people who
// follow the job look, rather than in a new top-level message (issue 13). A cancel of a job the bot did
// not start (or whose run it no longer remembers) keeps its own thread, in the channel it was asked in.
// Every step that speaks for a request (intake, approval, worker, expiry) asks here, so they agree.
import type { NotifyOutbox } from './notify-outbox';
import type { RequestStore } from './request-store';
import { createRequestThread, type RequestThread } from './request-thread';
import { workRequestSchema } from './work-request';

export async function requestThreadFor(
  deps: { outbox: NotifyOutbox; requests: Pick<RequestStore, 'findByJob'> },
  input: { requestId: string; channel: string; work: unknown; requester?: string },
): Promise<RequestThread> {
  const own = createRequestThread(deps.outbox, { requestId: input.requestId, channel: input.channel, ...(input.requester !== undefined ? { requester: input.requester } : {}) });
  const work = workRequestSchema.safeParse(input.work);
  if (!work.success || work.data.kind !== 'command' || work.data.command.verb !== 'cancel') return own;
  const run = await deps.requests.findByJob(work.data.command.jobName);
  if (!run || run.kind !== 'run' || run.requestId === input.requestId) return own;
  // In the run's thread, the person to tell if that channel stops taking posts is the run's requester.
  return createRequestThread(deps.outbox, { requestId: input.requestId, channel: run.channel, within: { requestId: run.requestId }, requester: run.requester.userId });
}
