// The watch's shared job-status snapshot on a real redis-server: one Jobs_List serves every watched job
// of every worker process, refreshes are coordinated so only one process lists at a time, failures back
// off, a job the listing does not show is told apart from one no listing has covered yet, and a refresh
// reads only as many pages as the watched jobs need, however long the history behind them.
import { Redis } from 'ioredis';
import { startRedis, type RedisProcess } from '../../sandbox/stack/redis';
import type { Job as ArmJob } from '../../src/azureml/resources';
import { createJobStatusSnapshot, snapshotEntryOf, snapshotKeys, type JobStatusSnapshot } from '../../src/queue/job-status-snapshot';

let redis: RedisProcess;
let connection: Redis;
let prefix = 'snap';
let prefixSeq = 0;

let created = 0;

function armJob(name: string, status: string, extra: { outputUri?: string; error?: string; createdAt?: number } = {}): ArmJob {
  return {
    systemData: { createdAt: new Date(extra.createdAt ?? 1_700_000_000_000 + ++created * 1000).toISOString() },
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

/** A workspace whose jobs the test sets, listed newest first in pages of `pageSize`, counting page reads. */
function fakeWorkspace(pageSize = 100) {
  const jobs = new Map<string, ArmJob>();
  let calls = 0;
  let failNext = 0;
  let beforePage: () => Promise<unknown> = async () => undefined;
  const createdAt = (j: ArmJob): string => j.systemData?.createdAt ?? '';
  return {
    set: (job: ArmJob) => jobs.set(job.name!, { ...job, systemData: jobs.get(job.name!)?.systemData ?? job.systemData }),
    calls: () => calls,
    failNext: (n: number) => (failNext = n),
    /** Every page from now on waits for `wait` before it is read (a slow or paused listing). */
    slowPages: (wait: () => Promise<unknown>) => (beforePage = wait),
    async *listJobPages(maxPages: number): AsyncGenerator<ArmJob[]> {
      const all = [...jobs.values()].sort((a, b) => createdAt(b).localeCompare(createdAt(a)));
      for (let page = 0; page < maxPages && (page === 0 || page * pageSize < all.length); page++) {
        await beforePage();
        calls += 1;
        if (failNext > 0) {
          failNext -= 1;
          throw Object.assign(new Error('TooManyRequests'), { code: 'TooManyRequests' });
        }
        yield all.slice(page * pageSize, (page + 1) * pageSize);
      }
    },
  };
}

function snapshotFor(ws: ReturnType<typeof fakeWorkspace>, clock: { t: number }, maxAgeMs = 3_000, readsPerSecond = 100, more: { lockTtlMs?: number } = {}): JobStatusSnapshot {
  return createJobStatusSnapshot({ connection, prefix, listJobPages: (n) => ws.listJobPages(n), maxAgeMs, minBackoffMs: maxAgeMs * 2, maxBackoffMs: 60_000, readsPerSecond, now: () => clock.t, ...more });
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

it('says a refresh is under way while another process lists, so its watches keep to the old lines', async () => {
  const ws = fakeWorkspace(1);
  const clock = { t: 3_000_000 };
  const lister = snapshotFor(ws, clock);
  const reader = snapshotFor(ws, clock);
  ws.set(armJob('a', 'Running'));
  ws.set(armJob('b', 'Running'));
  await lister.watch('a');
  await lister.watch('b');
  expect(await reader.lookup('a', clock.t - 1)).toMatchObject({ kind: 'found', refreshing: false });
  // The next listing is slow (its pages paused here): the other process reads meanwhile.
  let resume!: () => void;
  const paused = new Promise<void>((r) => (resume = r));
  ws.slowPages(() => paused);
  clock.t += 5_000;
  const listing = lister.lookup('a', 3_000_000);
  await new Promise((r) => setTimeout(r, 50));
  expect(await reader.lookup('b', 3_000_000)).toMatchObject({ kind: 'found', entry: { status: 'Running' }, refreshing: true });
  resume();
  await listing;
  expect(await reader.lookup('b', 3_000_000)).toMatchObject({ kind: 'found', refreshing: false });
});

it('does not take a lock outliving its holder (a worker died, Redis restarted) for a refresh under way', async () => {
  const ws = fakeWorkspace();
  const clock = { t: 5_000_000 };
  const snapshot = snapshotFor(ws, clock);
  ws.set(armJob('a', 'Running'));
  await snapshot.watch('a', 1);
  await snapshot.lookup('a', 0);
  // A refresh's lock is left behind, its last page read long ago.
  const keys = snapshotKeys(prefix);
  clock.t += 200_000;
  await connection.set(keys.lock, 'gone', 'PX', 60_000);
  await connection.set(keys.pageAt, String(clock.t - 150_000));
  expect(await snapshot.lookup('a', 0)).toMatchObject({ kind: 'found', refreshing: false });
  // While pages come, it is.
  await connection.set(keys.pageAt, String(clock.t - 1_000));
  expect(await snapshot.lookup('a', 0)).toMatchObject({ kind: 'found', refreshing: true });
});

it('keeps the refresh lock while pages keep coming, so a long refresh is never run twice at once', async () => {
  const ws = fakeWorkspace(1);
  const clock = { t: 4_000_000 };
  const lister = snapshotFor(ws, clock, 3_000, 100, { lockTtlMs: 300 });
  const other = snapshotFor(ws, clock, 3_000, 100, { lockTtlMs: 300 });
  for (const name of ['a', 'b', 'c', 'd']) {
    ws.set(armJob(name, 'Running'));
    await lister.watch(name, 1);
  }
  // Each page takes 200 ms: four of them outlast the 300 ms lock unless it is renewed.
  ws.slowPages(() => new Promise((r) => setTimeout(r, 200)));
  const listing = lister.lookup('a', 0);
  await new Promise((r) => setTimeout(r, 650));
  // 'a', the oldest, is on the last page, not read yet.
  expect(await other.lookup('a', 0)).toMatchObject({ kind: 'pending', refreshing: true });
  await listing;
  expect(ws.calls()).toBe(4);
});

it("shows each page's lines while the refresh goes on, and tells the jobs whose status changed, once", async () => {
  const ws = fakeWorkspace(1);
  const clock = { t: 4_500_000 };
  const told: string[][] = [];
  const lister = createJobStatusSnapshot({
    connection,
    prefix,
    listJobPages: (n) => ws.listJobPages(n),
    maxAgeMs: 3_000,
    readsPerSecond: 100,
    now: () => clock.t,
    onStatusChanged: async (names) => void told.push(names),
  });
  const reader = snapshotFor(ws, clock);
  ws.set(armJob('a', 'Queued'));
  ws.set(armJob('b', 'Running'));
  ws.set(armJob('c', 'Running'));
  ws.set(armJob('d', 'Completed'));
  for (const name of ['a', 'b', 'c', 'd']) await lister.watch(name, 1);
  // First sight: only the job already ended is told (the others' steps look for their first line anyway).
  await lister.lookup('a', 0);
  expect(told).toEqual([['d']]);
  await lister.unwatch('d');
  // 'c' (newest of the rest) ends; the refresh that sees it reads its page (after d's), then waits on the next.
  ws.set(armJob('c', 'Completed'));
  let pagesLeft = 2;
  let resume!: () => void;
  const paused = new Promise<void>((r) => (resume = r));
  ws.slowPages(() => (pagesLeft-- > 0 ? Promise.resolve() : paused));
  clock.t += 5_000;
  const listing = lister.lookup('a', 0);
  await new Promise((r) => setTimeout(r, 50));
  expect(told).toEqual([['d'], ['c']]);
  expect(await reader.lookup('c', 0)).toMatchObject({ kind: 'found', entry: { status: 'Completed' }, refreshing: true });
  resume();
  await listing;
  // Seen the same again by the next refresh: not told twice. A change to Running is told too.
  ws.set(armJob('a', 'Running'));
  clock.t += 5_000;
  await lister.lookup('a', 0);
  expect(told).toEqual([['d'], ['c'], ['a']]);
  // A job unwatched (its end reported) is not looked for, and keeps no line.
  expect(await connection.hexists(snapshotKeys(prefix).entries, 'd')).toBe(0);
  expect(await lister.statusOf('c')).toBe('Completed');
});

it('refreshes on a timer\'s call when jobs are watched and the snapshot is due, not otherwise', async () => {
  const ws = fakeWorkspace();
  const clock = { t: 4_800_000 };
  const snapshot = snapshotFor(ws, clock);
  ws.set(armJob('a', 'Running'));
  await snapshot.refreshIfDue();
  expect(ws.calls()).toBe(0);
  await snapshot.watch('a', 1);
  await snapshot.refreshIfDue();
  expect(ws.calls()).toBe(1);
  clock.t += 1_000;
  await snapshot.refreshIfDue();
  expect(ws.calls()).toBe(1);
  ws.set(armJob('a', 'Completed'));
  clock.t += 3_000;
  await snapshot.refreshIfDue();
  expect(ws.calls()).toBe(2);
  expect(await snapshot.statusOf('a')).toBe('Completed');
});

it('does not list again for a caller that found the snapshot due just before another refresh ended', async () => {
  const ws = fakeWorkspace();
  const clock = { t: 4_900_000 };
  ws.set(armJob('a', 'Running'));
  // The late caller's lock attempt waits until the other process has refreshed and released the lock.
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const gated = new Proxy(connection, {
    get(target, prop) {
      // Taking the lock: a SET … NX, or a script that does one.
      if (prop === 'eval' || prop === 'set') {
        return async (...args: unknown[]) => {
          if (args.some((a) => String(a).includes('NX'))) await gate;
          return (target[prop] as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const late = createJobStatusSnapshot({ connection: gated, prefix, listJobPages: (n) => ws.listJobPages(n), maxAgeMs: 3_000, readsPerSecond: 100, now: () => clock.t });
  const other = snapshotFor(ws, clock);
  await other.watch('a', 1);
  const lateCall = late.refreshIfDue();
  await new Promise((r) => setTimeout(r, 20));
  await other.refreshIfDue();
  expect(ws.calls()).toBe(1);
  open();
  await lateCall;
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
  expect(await snapshot.lookup('hidden', clock.t)).toEqual({ kind: 'pending', refreshing: false });

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
  expect(await connection.hlen(`${prefix}:watch-snapshot:watching`)).toBe(0);
});

it('reads only the pages the watched jobs need, however long the history behind them', async () => {
  const ws = fakeWorkspace(20);
  const clock = { t: 6_000_000 };
  const snapshot = snapshotFor(ws, clock);
  const historyEnd = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < 5_000; i++) ws.set(armJob(`past-${i}`, 'Completed', { createdAt: historyEnd - (5_000 - i) * 60_000 }));
  const startedAt = historyEnd + 3_600_000;
  for (let i = 0; i < 30; i++) {
    ws.set(armJob(`mine-${i}`, 'Running', { createdAt: startedAt + i * 1000 }));
    await snapshot.watch(`mine-${i}`, startedAt);
  }
  clock.t += 10_000;
  expect(await snapshot.lookup('mine-0', 0)).toMatchObject({ kind: 'found', entry: { status: 'Running' } });
  // 30 watched jobs in pages of 20: two pages hold them all; the 5,000 older jobs are never read.
  expect(ws.calls()).toBe(2);

  // A watched job whose request started long ago (no start time known): the page cap bounds the search.
  await snapshot.watch('lost');
  clock.t += 10_000;
  expect(await snapshot.lookup('lost', 0)).toMatchObject({ kind: 'absent' });
  expect(ws.calls() - 2).toBeLessThanOrEqual(2 + Math.ceil(31 / 20));
});

it('reads back past newer jobs it does not watch (ended, other teams\') to the oldest watched one', async () => {
  const ws = fakeWorkspace(20);
  const clock = { t: 7_000_000 };
  const snapshot = snapshotFor(ws, clock);
  const startedAt = Date.parse('2026-02-01T00:00:00Z');
  for (let i = 0; i < 1_000; i++) ws.set(armJob(`past-${i}`, 'Completed', { createdAt: startedAt - (1_000 - i) * 3_600_000 }));
  // 200 jobs since, of which only the 10 oldest are still watched: 190 newer ones sit above them in the list.
  for (let i = 0; i < 200; i++) ws.set(armJob(`run-${i}`, i < 10 ? 'Running' : 'Completed', { createdAt: startedAt + i * 1000 }));
  for (let i = 0; i < 10; i++) await snapshot.watch(`run-${i}`, startedAt);
  clock.t += 10_000;
  for (let i = 0; i < 10; i++) expect(await snapshot.lookup(`run-${i}`, 0)).toMatchObject({ kind: 'found', entry: { status: 'Running' } });
  // Ten pages hold the 200; none of the 1,000 older ones is read.
  expect(ws.calls()).toBe(10);
});

it('spaces refreshes by their cost so the snapshot keeps to its read budget', async () => {
  const ws = fakeWorkspace(1);
  const clock = { t: 7_000_000 };
  const snapshot = createJobStatusSnapshot({ connection, prefix, listJobPages: (n) => ws.listJobPages(n), maxAgeMs: 1_000, maxBackoffMs: 600_000, readsPerSecond: 2, now: () => clock.t });
  for (let i = 0; i < 10; i++) {
    ws.set(armJob(`b-${i}`, 'Running'));
    await snapshot.watch(`b-${i}`, 0);
  }
  await snapshot.lookup('b-0', 0);
  expect(ws.calls()).toBe(10);
  // Ten pages at two reads a second: the next refresh is due five seconds later, not one.
  clock.t += 4_000;
  await snapshot.lookup('b-0', 0);
  expect(ws.calls()).toBe(10);
  clock.t += 1_000;
  await snapshot.lookup('b-0', 0);
  expect(ws.calls()).toBe(20);
});

it('lists a cheap snapshot every minGapMs, and a costly one as its read budget allows', async () => {
  const ws = fakeWorkspace(1);
  const clock = { t: 7_500_000 };
  const snapshot = createJobStatusSnapshot({ connection, prefix, listJobPages: (n) => ws.listJobPages(n), maxAgeMs: 3_000, minGapMs: 1_000, maxBackoffMs: 600_000, readsPerSecond: 4, now: () => clock.t });
  /** The timer's call `ms` later: how many pages have been read by then. */
  const pagesReadAfter = async (ms: number): Promise<number> => {
    clock.t += ms;
    await snapshot.refreshIfDue();
    return ws.calls();
  };
  ws.set(armJob('c-0', 'Running'));
  await snapshot.watch('c-0', 0);
  expect(await pagesReadAfter(0)).toBe(1);
  // One page: due again a second later, not at the 3 s age.
  expect(await pagesReadAfter(999)).toBe(1);
  expect(await pagesReadAfter(1)).toBe(2);
  for (let i = 1; i < 10; i++) {
    ws.set(armJob(`c-${i}`, 'Running'));
    await snapshot.watch(`c-${i}`, 0);
  }
  expect(await pagesReadAfter(1_000)).toBe(12);
  // Ten pages at four reads a second: 2.5 s.
  expect(await pagesReadAfter(2_499)).toBe(12);
  expect(await pagesReadAfter(1)).toBe(22);
});

it('keeps a status value newer than the client\'s api-version as text', async () => {
  const ws = fakeWorkspace();
  const clock = { t: 8_000_000 };
  const snapshot = snapshotFor(ws, clock);
  ws.set(armJob('new', 'Scheduled'));
  await snapshot.watch('new', 0);
  expect(await snapshot.lookup('new', 0)).toMatchObject({ kind: 'found', entry: { status: 'Scheduled' } });
});

it("reads a job's output and the service's error from the job resource", () => {
  expect(snapshotEntryOf(armJob('x', 'Completed', { outputUri: 'azureml://datastores/d/paths/o.csv' }))).toEqual({ status: 'Completed', outputUri: 'azureml://datastores/d/paths/o.csv' });
  expect(snapshotEntryOf(armJob('y', 'Failed', { error: 'boom' }))).toEqual({ status: 'Failed', errorCode: 'UserError', errorMessage: 'boom' });
});

it("keeps a listed job's item counts, so a completed job's reply needs no read of its own", () => {
  const job = armJob('z', 'Completed');
  job.properties.properties = { 'azureml.itemsSucceeded': '7', 'azureml.itemsFailed': '0' };
  expect(snapshotEntryOf(job)).toEqual({ status: 'Completed', itemsSucceeded: 7, itemsFailed: 0 });
});
