// The watch's shared job-status snapshot on a real redis-server: one Jobs_List serves every watched job
// of every worker process, refreshes are coordinated so only one process lists at a time, failures back
// off, and a job the listing does not show is told apart from one no listing has covered yet.
import { Redis } from 'ioredis';
import { startRedis, type RedisProcess } from '../../sandbox/stack/redis';
import type { Job as ArmJob } from '../../src/azureml/resources';
import { createJobStatusSnapshot, snapshotEntryOf, type JobStatusSnapshot } from '../../src/queue/job-status-snapshot';

let redis: RedisProcess;
let connection: Redis;
let prefix = 'snap';
let prefixSeq = 0;

function armJob(name: string, status: string, extra: { outputUri?: string; error?: string } = {}): ArmJob {
  return {
    id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/jobs/${name}`,
    name,
    type: 'Microsoft.MachineLearningServices/workspaces/jobs',
    properties: {
      jobType: 'Pipeline',
      status: status as ArmJob['properties']['status'],
      properties: extra.error ? { 'azureml.error.code': 'UserError', 'azureml.error.message': extra.error } : {},
      ...(extra.outputUri ? { outputs: { score: { jobOutputType: 'uri_file', uri: extra.outputUri } } } : {}),
    },
  } as ArmJob;
}

/** A workspace whose jobs the test sets, counting Jobs_List calls. */
function fakeWorkspace() {
  const jobs = new Map<string, ArmJob>();
  let calls = 0;
  let failNext = 0;
  return {
    set: (job: ArmJob) => jobs.set(job.name!, job),
    calls: () => calls,
    failNext: (n: number) => (failNext = n),
    listJobs: async (): Promise<ArmJob[]> => {
      calls += 1;
      if (failNext > 0) {
        failNext -= 1;
        throw Object.assign(new Error('TooManyRequests'), { code: 'TooManyRequests' });
      }
      return [...jobs.values()];
    },
  };
}

function snapshotFor(ws: ReturnType<typeof fakeWorkspace>, clock: { t: number }, maxAgeMs = 3_000): JobStatusSnapshot {
  return createJobStatusSnapshot({ connection, prefix, listJobs: ws.listJobs, maxAgeMs, minBackoffMs: maxAgeMs * 2, maxBackoffMs: 60_000, now: () => clock.t });
}

beforeAll(async () => {
  redis = await startRedis();
  connection = new Redis(redis.url, { maxRetriesPerRequest: 2 });
});

afterAll(async () => {
  await connection?.quit();
  await redis?.stop();
});

beforeEach(() => {
  prefix = `snap${++prefixSeq}`;
});

it('answers every watched job from one workspace listing while it is fresh', async () => {
  const ws = fakeWorkspace();
  const clock = { t: 1_000_000 };
  const snapshot = snapshotFor(ws, clock);
  for (let i = 0; i < 50; i++) {
    ws.set(armJob(`job-${i}`, 'Running'));
    await snapshot.watch(`job-${i}`);
  }
  clock.t += 10_000;
  await snapshot.lookup('job-0', 1_000_000);
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => snapshot.lookup(`job-${i}`, 1_000_000)));
  expect(answers.every((a) => a.kind === 'found' && a.entry.status === 'Running')).toBe(true);
  expect(ws.calls()).toBe(1);

  clock.t += 2_000;
  await snapshot.lookup('job-7', 1_000_000);
  expect(ws.calls()).toBe(1);
  clock.t += 1_500;
  ws.set(armJob('job-7', 'Completed', { outputUri: 'azureml://datastores/workspaceblobstore/paths/out/job-7.csv' }));
  // Fifty steps find it stale at once: one lists, the others answer from the previous snapshot meanwhile.
  const stale = await Promise.all(Array.from({ length: 50 }, (_, i) => snapshot.lookup(`job-${i}`, 1_000_000)));
  expect(stale.every((a) => a.kind === 'found')).toBe(true);
  expect(ws.calls()).toBe(2);
  const after = await snapshot.lookup('job-7', 1_000_000);
  expect(after).toMatchObject({ kind: 'found', entry: { status: 'Completed', outputUri: 'azureml://datastores/workspaceblobstore/paths/out/job-7.csv' } });
});

it('shares one listing between worker processes', async () => {
  const ws = fakeWorkspace();
  const clock = { t: 2_000_000 };
  const first = snapshotFor(ws, clock);
  const second = snapshotFor(ws, clock);
  ws.set(armJob('a', 'Queued'));
  ws.set(armJob('b', 'Running'));
  await first.watch('a');
  await second.watch('b');
  clock.t += 5_000;
  expect(await first.lookup('a', 2_000_000)).toMatchObject({ kind: 'found', entry: { status: 'Queued' } });
  expect(await second.lookup('b', 2_000_000)).toMatchObject({ kind: 'found', entry: { status: 'Running' } });
  expect(ws.calls()).toBe(1);
});

it('tells a job the listing does not show from one no listing has covered yet', async () => {
  const ws = fakeWorkspace();
  const clock = { t: 3_000_000 };
  const snapshot = snapshotFor(ws, clock);
  await snapshot.watch('early');
  ws.set(armJob('early', 'Running'));
  await snapshot.lookup('early', clock.t);

  // Watched after that listing started: nothing is known about it yet.
  clock.t += 1_000;
  await snapshot.watch('hidden');
  expect(await snapshot.lookup('hidden', clock.t)).toEqual({ kind: 'pending' });

  // A later listing that does not show it is an answer: ask the job itself.
  clock.t += 5_000;
  expect(await snapshot.lookup('hidden', clock.t - 5_000)).toMatchObject({ kind: 'absent' });
});

it('backs off after a failed listing and keeps serving the previous snapshot', async () => {
  const ws = fakeWorkspace();
  const clock = { t: 4_000_000 };
  const snapshot = snapshotFor(ws, clock, 1_000);
  ws.set(armJob('j', 'Running'));
  await snapshot.watch('j');
  await snapshot.lookup('j', clock.t - 10_000);
  expect(ws.calls()).toBe(1);

  ws.failNext(1);
  clock.t += 1_500;
  expect(await snapshot.lookup('j', 0)).toMatchObject({ kind: 'found', entry: { status: 'Running' } });
  expect(ws.calls()).toBe(2);
  // The first failure waits twice the snapshot's age before anyone lists again.
  clock.t += 1_500;
  await snapshot.lookup('j', 0);
  expect(ws.calls()).toBe(2);
  clock.t += 1_000;
  ws.set(armJob('j', 'Failed', { error: 'the scoring script raised' }));
  expect(await snapshot.lookup('j', 0)).toMatchObject({ kind: 'found', entry: { status: 'Failed', errorCode: 'UserError', errorMessage: 'the scoring script raised' } });
  expect(ws.calls()).toBe(3);
});

it('keeps only the jobs being watched, and forgets a job once unwatched', async () => {
  const ws = fakeWorkspace();
  const clock = { t: 5_000_000 };
  const snapshot = snapshotFor(ws, clock);
  for (let i = 0; i < 20; i++) ws.set(armJob(`old-${i}`, 'Completed'));
  ws.set(armJob('mine', 'Running'));
  await snapshot.watch('mine');
  await snapshot.lookup('mine', clock.t - 10_000);
  expect(await connection.hlen(`${prefix}:watch-snapshot:entries`)).toBe(1);

  await snapshot.unwatch('mine');
  expect(await connection.hlen(`${prefix}:watch-snapshot:entries`)).toBe(0);
  expect(await connection.scard(`${prefix}:watch-snapshot:watched`)).toBe(0);
});

it("reads a job's output and the service's error from the job resource", () => {
  expect(snapshotEntryOf(armJob('x', 'Completed', { outputUri: 'azureml://datastores/d/paths/o.csv' }))).toEqual({ status: 'Completed', outputUri: 'azureml://datastores/d/paths/o.csv' });
  expect(snapshotEntryOf(armJob('y', 'Failed', { error: 'boom' }))).toEqual({ status: 'Failed', errorCode: 'UserError', errorMessage: 'boom' });
});
