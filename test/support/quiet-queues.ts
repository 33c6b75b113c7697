// "Nothing more will happen": no deploy, run, watch or notify job waiting, delayed or running, and no
// request with notifications still in its outbox. A test waits for this after the final reply before it
// counts replies, so "exactly one" cannot pass only because a duplicate had not been sent yet.
// (The ops queue is left out: its approval-expiry scheduler always has its next run delayed.)
import { waitFor } from '../../sandbox/slack/wait-for';
import { pendingRequestsKey } from '../../src/queue/notify-outbox-store';
import type { QueueName } from '../../src/queue/queue-names';
import type { QueueInspector } from './stack-probes';

const BUSY_STATES = ['waiting', 'delayed', 'active', 'prioritized', 'waiting-children'];
const WATCHED: readonly QueueName[] = ['deploy', 'run', 'watch', 'notify'];

export async function busyJobs(queues: QueueInspector): Promise<number> {
  const counts = await queues.counts();
  return WATCHED.reduce((sum, name) => sum + BUSY_STATES.reduce((n, state) => n + (counts[name][state] ?? 0), 0), 0);
}

export async function waitForQuiet(queues: QueueInspector, opts: { timeoutMs?: number; prefix?: string } = {}): Promise<void> {
  const prefix = opts.prefix ?? 'bsb';
  await waitFor(
    async () => (await busyJobs(queues)) === 0 && (await queues.redis.scard(pendingRequestsKey(prefix))) === 0,
    { what: 'the queues and the notify outbox to drain', timeoutMs: opts.timeoutMs ?? 30_000, intervalMs: 50 },
  );
}

/** Every job not finished yet, queue by queue, with what a stalled test needs to be read: its state, tries and last error. */
export async function unfinishedJobs(queues: QueueInspector): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const name of [...WATCHED, 'ops'] as QueueName[]) {
    const jobs = await queues.queue(name).getJobs(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children'], 0, 50);
    out[name] = await Promise.all(
      jobs.filter(Boolean).map(async (j) => ({ id: j.id, name: j.name, state: await j.getState(), attemptsMade: j.attemptsMade, failedReason: j.failedReason, delay: j.delay, timestamp: j.timestamp, processedOn: j.processedOn })),
    );
  }
  return out;
}
