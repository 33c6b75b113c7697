// One worker fleet serves every workspace profile: each job runs with the context of the workspace its
// request is for (requester.profile), work of no request in the shared context, and a job for a profile
// the fleet no longer serves fails at once, without retries, saying so.
import { UnrecoverableError, type Job } from 'bullmq';
import pino from 'pino';
import type { NotifyOutbox } from '../../src/queue/notify-outbox';
import type { WorkerContext } from '../../src/queue/worker-context';
import { labelledOutbox, processorPerWorkspace, workspaceContexts } from '../../src/queue/workspace-contexts';

const logged: Record<string, unknown>[] = [];
const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(JSON.parse(line)) });

/** A context as the dispatch sees it: only its profile and logger matter here. */
const contextOf = (profile: string): WorkerContext => ({ profile, logger }) as unknown as WorkerContext;
const dev = contextOf('dev');
const prod = contextOf('prod');
const labels = new Map([
  ['dev', ':label: Workspace *dev*'],
  ['prod', ':label: Workspace *prod*'],
]);

/** A job as BullMQ hands it to a processor: its id and payload. */
/** The worker's outbox before any profile labels it. */
const rawOutbox = { enqueue: async () => undefined } as unknown as NotifyOutbox;

const job = (id: string, data: Record<string, unknown>): Job => ({ id, data }) as unknown as Job;
const requester = (profile?: string) => ({ userId: 'U0ALICE', channelId: 'C0PROD', ...(profile === undefined ? {} : { profile }) });

/** Each context's processor answers which context it was made for, and how often it was made. */
function dispatcher(contexts: WorkerContext | ReturnType<typeof workspaceContexts>) {
  const made: WorkerContext[] = [];
  const processor = processorPerWorkspace(contexts, (ctx) => {
    made.push(ctx);
    return async () => ctx.profile;
  });
  return { processor, made };
}

describe('processing each job in its workspace', () => {
  it('routes a job by requester.profile, making one processor per profile', async () => {
    const { processor, made } = dispatcher(workspaceContexts([dev, prod], labels, rawOutbox));
    expect(await processor(job('run-1', { requester: requester('prod') }))).toBe('prod');
    expect(await processor(job('run-2', { requester: requester('dev') }))).toBe('dev');
    expect(await processor(job('run-3', { requester: requester('prod') }))).toBe('prod');
    expect(made.map((c) => c.profile)).toEqual(['prod', 'dev']);
  });

  it('gives a request from before profiles existed (no profile named) to the first workspace', async () => {
    const { processor } = dispatcher(workspaceContexts([dev, prod], labels, rawOutbox));
    expect(await processor(job('run-old', { requester: requester() }))).toBe('dev');
  });

  it("runs work of no request (no requester) in the shared context, which can label any profile's messages", async () => {
    const contexts = workspaceContexts([dev, prod], labels, rawOutbox);
    const seen: WorkerContext[] = [];
    const processor = processorPerWorkspace(contexts, (ctx) => async () => void seen.push(ctx));
    await processor(job('expire-approvals', { sweep: true }));
    expect(seen).toEqual([contexts.shared]);
    // Its outbox is the unlabelled one: a message gets its own request's label, never the first profile's too.
    expect(contexts.shared.outbox).toBe(rawOutbox);
    expect(contexts.shared.workspaceLabelOf?.('prod')).toBe(':label: Workspace *prod*');
    expect(contexts.shared.workspaceLabelOf?.(undefined)).toBe(':label: Workspace *dev*');
    expect(contexts.profiles).toEqual(['dev', 'prod']);
  });

  it('fails a job for a profile no longer configured at once, naming the ones served', async () => {
    logged.length = 0;
    const { processor, made } = dispatcher(workspaceContexts([dev, prod], labels, rawOutbox));
    const run = processor(job('run-9', { requester: requester('staging') }));
    await expect(run).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(run).rejects.toThrow("This request is for workspace 'staging', which is no longer configured (BATCH_SCORE_WORKSPACES: dev, prod).");
    expect(made).toEqual([]);
    expect(logged).toEqual([expect.objectContaining({ jobId: 'run-9', profile: 'staging', served: ['dev', 'prod'], msg: 'a job is for a workspace this worker does not serve' })]);
  });

  it('uses the one context as is when the fleet serves one workspace', async () => {
    const { processor, made } = dispatcher(dev);
    expect(await processor(job('run-1', { requester: requester('prod') }))).toBe('dev');
    expect(made).toEqual([dev]);
  });
});

describe('the labelled outbox', () => {
  it('adds the workspace label to every entry, and nothing without a label', async () => {
    const entries: unknown[] = [];
    const outbox = { enqueue: async (entry: unknown) => void entries.push(entry) } as unknown as NotifyOutbox;
    await labelledOutbox(outbox, ':label: Workspace *prod*').enqueue({ text: 'Job finished' } as never);
    await labelledOutbox(outbox, undefined).enqueue({ text: 'Job finished' } as never);
    expect(entries).toEqual([{ text: 'Job finished\n:label: Workspace *prod*' }, { text: 'Job finished' }]);
  });
});
