// One watch step at a time, with the workspace snapshot and Azure faked: where the step looks for the
// job's status, when it asks the job itself, and what it says in the thread.
import { DelayedError, type Job } from 'bullmq';
import pino from 'pino';
import { AzureMlError } from '../../src/azureml/errors';
import type { ScoringJob } from '../../src/azureml/scoring';
import type { JobSnapshotEntry, JobStatusSnapshot, SnapshotLookup } from '../../src/queue/job-status-snapshot';
import type { NotifyEntryInput } from '../../src/queue/payloads';
import { createWatchProcessor } from '../../src/queue/watch-worker';
import type { WorkerContext } from '../../src/queue/worker-context';

const T0 = 1_700_000_000_000;
const JOB = 'b8f1c2d4-0000-4000-8000-000000000001';

function world(
  opts: { lookup?: () => SnapshotLookup; getJob?: () => Promise<ScoringJob>; readOutcome?: () => Promise<unknown>; outcomeReadsAtOnce?: number; lineNow?: () => string | undefined } = {},
) {
  const clock = { t: T0 };
  const armGets: string[] = [];
  const enqueued: NotifyEntryInput[] = [];
  const gets: string[] = [];
  const lookups: string[] = [];
  const watched = new Set<string>();
  const wakes: string[] = [];
  const snapshot: JobStatusSnapshot = {
    maxAgeMs: 3_000,
    watch: async (name) => void watched.add(name),
    unwatch: async (name) => void watched.delete(name),
    lookup: async (name) => {
      lookups.push(name);
      return opts.lookup ? opts.lookup() : { kind: 'pending', refreshing: false };
    },
    refreshIfDue: async () => undefined,
    statusOf: async () => {
      const now = opts.lineNow?.();
      if (now !== undefined) return now;
      const found = opts.lookup?.();
      return found?.kind === 'found' ? found.entry.status : undefined;
    },
  };
  const ctx = {
    azureml: {
      jobs: {
        get: async (name: string) => {
          armGets.push(name);
          return { name, properties: { status: 'Completed', properties: { 'azureml.itemsSucceeded': '9', 'azureml.itemsFailed': '1' } } };
        },
      },
      ...(opts.readOutcome ? { artifacts: { readOutcome: opts.readOutcome, findOutputUri: async () => undefined } } : {}),
      scoring: {
        getJob: async (_uri: string, name: string) => {
          gets.push(name);
          if (!opts.getJob) throw new Error('unexpected GET');
          return opts.getJob();
        },
      },
    },
    cloud: { studioUrl: 'https://ml.azure.com' },
    workspace: { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws', location: 'eastus' },
    outbox: { enqueue: async (e: NotifyEntryInput) => void enqueued.push(e) },
    producers: { wakeWatch: async (name: string) => (wakes.push(name), true) },
    audit: { record: async () => undefined },
    requests: { update: async () => undefined },
    approvals: { get: async () => undefined },
    watch: { minIntervalMs: 10_000, maxIntervalMs: 120_000 },
    logger: pino({ level: 'silent' }),
    now: () => clock.t,
  } as unknown as WorkerContext;
  const watchJob = (jobName: string, requestId: string) => ({
    id: `watch-${jobName}`,
    data: {
      requestId,
      requester: { userId: 'U0ALICE001', teamId: 'T0SANDBOX1', channelId: 'C0MLOPS0001' },
      endpointName: 'mnist',
      jobName,
      scoringUri: 'https://mnist.eastus.inference.ml.azure.com/jobs',
      startedAt: T0,
      polls: 0,
    } as Record<string, unknown>,
    delayedUntil: undefined as number | undefined,
    async updateData(d: Record<string, unknown>) {
      this.data = d;
    },
    async moveToDelayed(at: number) {
      this.delayedUntil = at;
    },
  });
  const job = watchJob(JOB, 'req-1');
  // One processor, as one worker process has, so what it keeps between steps (outcome reads in flight) is shared.
  const processor = createWatchProcessor(ctx, {
    snapshot,
    ...(opts.outcomeReadsAtOnce !== undefined ? { outcomeReadsAtOnce: opts.outcomeReadsAtOnce } : {}),
  });
  const step = async (of: ReturnType<typeof watchJob> = job): Promise<'delayed' | string> => {
    try {
      return (await processor(of as unknown as Job, 'token')).status;
    } catch (err) {
      if (err instanceof DelayedError) return 'delayed';
      throw err;
    }
  };
  return { clock, enqueued, gets, armGets, lookups, watched, wakes, job, watchJob, step };
}

const entry = (status: string, more: Partial<JobSnapshotEntry> = {}): SnapshotLookup => ({ kind: 'found', entry: { status, ...more }, listedAt: T0, watched: 1, refreshing: false });
const finals = (enqueued: NotifyEntryInput[]) => enqueued.filter((e) => e.op === 'reply' && e.key === 'reply:final');

it('reads a running job from the shared snapshot, without asking the job, and shows its status', async () => {
  const w = world({ lookup: () => entry('Running') });
  expect(await w.step()).toBe('delayed');
  expect(w.gets).toEqual([]);
  expect(w.watched.has(JOB)).toBe(true);
  expect(w.enqueued.some((e) => e.op === 'upsert-in-thread' && e.slot === 'status')).toBe(true);
});

it('posts one final reply with the output from the snapshot and stops watching the job', async () => {
  const w = world({ lookup: () => entry('Completed', { outputUri: 'azureml://datastores/workspaceblobstore/paths/out/p.csv' }) });
  expect(await w.step()).toBe('Completed');
  expect(finals(w.enqueued)).toHaveLength(1);
  expect(finals(w.enqueued)[0]!.text + JSON.stringify(finals(w.enqueued)[0]!.blocks)).toContain('azureml://datastores/workspaceblobstore/paths/out/p.csv');
  expect(w.watched.has(JOB)).toBe(false);
});

it('takes a completed job\'s item counts from the listed job, with no read of its own', async () => {
  const w = world({ lookup: () => entry('Completed', { itemsSucceeded: 8, itemsFailed: 2 }) });
  expect(await w.step()).toBe('Completed');
  expect(w.armGets).toEqual([]);
  expect(JSON.stringify(finals(w.enqueued))).toMatch(/2 (of 10 )?items? failed|2 failed/);
});

it('reads the item counts of a completed job when the listed job does not carry them', async () => {
  const w = world({ lookup: () => entry('Completed') });
  expect(await w.step()).toBe('Completed');
  expect(w.armGets).toEqual([JOB]);
});

it("reports the service's error for a job the snapshot shows failed", async () => {
  const w = world({ lookup: () => entry('Failed', { errorCode: 'UserError', errorMessage: 'No input files found' }) });
  expect(await w.step()).toBe('Failed');
  expect(JSON.stringify(finals(w.enqueued))).toContain('No input files found');
});

it('asks the job itself when the listing does not show it, then not again before its own interval', async () => {
  const w = world({
    lookup: () => ({ kind: 'absent', listedAt: T0 + 1 }),
    getJob: async () => ({ id: `/x/jobs/${JOB}`, properties: { status: 'Running' } }),
  });
  expect(await w.step()).toBe('delayed');
  expect(w.gets).toEqual([JOB]);
  w.clock.t += 3_000;
  expect(await w.step()).toBe('delayed');
  expect(w.gets).toHaveLength(1);
  w.clock.t += 7_000;
  expect(await w.step()).toBe('delayed');
  expect(w.gets).toHaveLength(2);
});

it('waits for the snapshot while no listing covers the job yet, and asks the job once it has been silent for the ceiling', async () => {
  const w = world({ getJob: async () => ({ id: `/x/jobs/${JOB}`, properties: { status: 'Queued' } }) });
  expect(await w.step()).toBe('delayed');
  expect(w.gets).toEqual([]);
  w.clock.t += 120_000;
  expect(await w.step()).toBe('delayed');
  expect(w.gets).toEqual([JOB]);
});

it('keeps to the snapshot while a refresh is under way, however old its line or long the silence (a long list takes many pages)', async () => {
  const running = { id: `/x/jobs/${JOB}`, properties: { status: 'Running' } };
  const old = world({ lookup: () => ({ ...entry('Running'), listedAt: T0 - 200_000, refreshing: true }), getJob: async () => running });
  expect(await old.step()).toBe('delayed');
  expect(old.gets).toEqual([]);
  const silent = world({ lookup: () => ({ kind: 'pending', refreshing: true }), getJob: async () => running });
  silent.clock.t += 300_000;
  expect(await silent.step()).toBe('delayed');
  expect(silent.gets).toEqual([]);
  // With no refresh under way, the same old line is not trusted: the job is asked.
  const stale = world({ lookup: () => ({ ...entry('Running'), listedAt: T0 - 200_000 }), getJob: async () => running });
  expect(await stale.step()).toBe('delayed');
  expect(stale.gets).toEqual([JOB]);
});

/** Ended jobs, one outcome read at a time; the first read waits until `release`. */
function oneOutcomeReadAtATime() {
  let release!: () => void;
  const reads: Array<Promise<void>> = [new Promise<void>((r) => (release = r))];
  const w = world({
    lookup: () => entry('Completed', { itemsSucceeded: 1, itemsFailed: 0 }),
    outcomeReadsAtOnce: 1,
    readOutcome: async () => {
      await (reads.shift() ?? Promise.resolve());
      return { problems: [] };
    },
  });
  return { w, release: () => release() };
}

it('serves ended jobs waiting for an outcome read in the order they came, waking the next when a read ends', async () => {
  const { w, release } = oneOutcomeReadAtATime();
  const second = w.watchJob('b8f1c2d4-0000-4000-8000-000000000002', 'req-2');
  const third = w.watchJob('b8f1c2d4-0000-4000-8000-000000000003', 'req-3');
  const first = w.step();
  expect(await w.step(second)).toBe('delayed');
  expect(await w.step(third)).toBe('delayed');
  release();
  expect(await first).toBe('Completed');
  // The read that ended is kept for the second, woken; the third, back first, waits on.
  expect(w.wakes).toEqual([second.id.slice('watch-'.length)]);
  expect(await w.step(third)).toBe('delayed');
  expect(await w.step(second)).toBe('Completed');
  expect(w.wakes).toEqual([second.id.slice('watch-'.length), third.id.slice('watch-'.length)]);
  expect(await w.step(third)).toBe('Completed');
});

it('waits for a wake on a status change instead of looking every few seconds, and wakes itself if the change came while it ran', async () => {
  // Queued: nothing to show until its status changes, so the step waits for the wake, up to its ceiling.
  const queued = world({ lookup: () => entry('Queued') });
  expect(await queued.step()).toBe('delayed');
  expect(queued.job.delayedUntil).toBe(T0 + 30_000);
  expect(queued.wakes).toEqual([]);
  // Running: until its live progress is due (one job watched: the per-job floor of 10 s).
  const running = world({ lookup: () => entry('Running') });
  expect(await running.step()).toBe('delayed');
  expect(running.job.delayedUntil).toBe(T0 + 10_000);
  // The refresh wrote 'Completed' while the step read 'Running': its wake found the step running, so the
  // step, once waiting, wakes itself.
  const raced = world({ lookup: () => entry('Running'), lineNow: () => 'Completed' });
  expect(await raced.step()).toBe('delayed');
  expect(raced.wakes).toEqual([JOB]);
});

it('looks again later when Azure throttles the job GET, backing off', async () => {
  const w = world({
    lookup: () => ({ kind: 'absent', listedAt: T0 + 1 }),
    getJob: async () => {
      throw new AzureMlError({ code: 'TooManyRequests', message: 'throttled', statusCode: 429 });
    },
  });
  expect(await w.step()).toBe('delayed');
  expect(w.job.delayedUntil! - T0).toBeGreaterThan(10_000);
  expect(finals(w.enqueued)).toHaveLength(0);
});

it('ends the request failed when its last attempt meets an error, instead of leaving it running', async () => {
  const w = world({
    lookup: () => {
      throw Object.assign(new Error('Connection is closed.'), { name: 'MaxRetriesPerRequestError' });
    },
  });
  Object.assign(w.job, { attemptsMade: 9, opts: { attempts: 10 }, data: { ...w.job.data, lastStatus: 'Running' } });
  await expect(w.step()).rejects.toThrow('Connection is closed.');
  expect(JSON.stringify(finals(w.enqueued))).toContain('failed');
  // The status line stops saying Running; Cancel is not offered for a job the bot did not start.
  const status = w.enqueued.find((e) => e.op === 'upsert-in-thread' && e.slot === 'status');
  expect(status?.text).toContain('*Unknown*');
  expect(w.watched.has(JOB)).toBe(false);
});

it('leaves an error before the last attempt to BullMQ to try again, saying nothing', async () => {
  const w = world({
    lookup: () => {
      throw Object.assign(new Error('Connection is closed.'), { name: 'MaxRetriesPerRequestError' });
    },
  });
  Object.assign(w.job, { attemptsMade: 3, opts: { attempts: 10 } });
  await expect(w.step()).rejects.toThrow('Connection is closed.');
  expect(w.enqueued).toEqual([]);
});

it('reads a bounded number of ended jobs\' outcomes at once; an ended job over the bound comes back later, backing off to 16 s', async () => {
  const { w, release } = oneOutcomeReadAtATime();
  const second = w.watchJob('b8f1c2d4-0000-4000-8000-000000000002', 'req-2');
  const first = w.step();
  // The first ended job holds the only outcome read: the second does not wait in its slot, it comes back.
  expect(await w.step(second)).toBe('delayed');
  expect(second.delayedUntil).toBe(T0 + 500);
  expect(await w.step(second)).toBe('delayed');
  expect(second.delayedUntil).toBe(T0 + 1_000);
  expect(await w.step(second)).toBe('delayed');
  expect(second.delayedUntil).toBe(T0 + 2_000);
  for (let i = 0; i < 4; i++) expect(await w.step(second)).toBe('delayed');
  expect(second.delayedUntil).toBe(T0 + 16_000);
  expect(finals(w.enqueued)).toHaveLength(0);
  release();
  expect(await first).toBe('Completed');
  expect(await w.step(second)).toBe('Completed');
  expect(finals(w.enqueued)).toHaveLength(2);
});
