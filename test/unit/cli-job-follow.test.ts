// --wait: a job is followed to its end on a fake clock, each status change reported once, the pacing
// growing like the watch queue's, and a short run of retriable failures tolerated.
import { AzureMlError } from '../../src/azureml/errors';
import { followJob } from '../../src/cli/job-follow';
import { createProgressLines } from '../../src/cli/job-progress-lines';

function fakeClock() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleeps,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

const sequence = <T = { s: string }>(items: (T | Error)[]) => {
  let i = 0;
  return async (): Promise<T> => {
    const item = items[Math.min(i++, items.length - 1)] as T | Error;
    if (item instanceof Error) throw item;
    return item;
  };
};

const throttled = () => new AzureMlError({ code: 'TooManyRequests', message: 'slow down', statusCode: 429 });

describe('followJob', () => {
  it('returns the job once it is Completed, reporting each status change once', async () => {
    const clock = fakeClock();
    const seen: [string, number][] = [];
    const job = await followJob({
      fetch: sequence([{ s: 'Queued' }, { s: 'Running' }, { s: 'Running' }, { s: 'Completed' }]),
      statusOf: (j: { s: string }) => j.s,
      onStatus: (status, _j, elapsed) => seen.push([status, elapsed]),
      pacing: { minIntervalMs: 100, maxIntervalMs: 200 },
      ...clock,
    });
    expect(job).toEqual({ s: 'Completed' });
    expect(seen).toEqual([['Queued', 0], ['Running', 100], ['Completed', 450]]);
    expect(clock.sleeps).toEqual([100, 150, 200]);
  });

  it('looks at every poll of a job that has not ended, after its status is reported, and not at the end', async () => {
    const clock = fakeClock();
    const events: string[] = [];
    await followJob({
      fetch: sequence([{ s: 'Queued' }, { s: 'Running' }, { s: 'Running' }, { s: 'Completed' }]),
      statusOf: (j: { s: string }) => j.s,
      onStatus: (status) => void events.push(`status ${status}`),
      onPoll: async (status) => void events.push(`poll ${status}`),
      pacing: { minIntervalMs: 100, maxIntervalMs: 200 },
      ...clock,
    });
    expect(events).toEqual(['status Queued', 'poll Queued', 'status Running', 'poll Running', 'poll Running', 'status Completed']);
  });

  it('returns a Failed or Canceled job too, for the caller to report', async () => {
    const clock = fakeClock();
    await expect(followJob({ fetch: sequence([{ s: 'Failed' }]), statusOf: (j: { s: string }) => j.s, pacing: { minIntervalMs: 1, maxIntervalMs: 1 }, ...clock })).resolves.toEqual({ s: 'Failed' });
  });

  it('looks again after a few retriable failures, and gives up after too many', async () => {
    const clock = fakeClock();
    const ok = await followJob({ fetch: sequence<{ s: string }>([throttled(), throttled(), { s: 'Completed' }]), statusOf: (j: { s: string }) => j.s, pacing: { minIntervalMs: 10, maxIntervalMs: 10 }, ...clock });
    expect(ok).toEqual({ s: 'Completed' });
    await expect(
      followJob({ fetch: sequence<{ s: string }>([throttled()]), statusOf: (j: { s: string }) => j.s, pacing: { minIntervalMs: 10, maxIntervalMs: 10 }, maxConsecutiveFailures: 2, ...fakeClock() }),
    ).rejects.toMatchObject({ code: 'TooManyRequests' });
  });

  it('fails at once on an error that retrying cannot fix', async () => {
    const notFound = new AzureMlError({ code: 'NotFound', message: 'no job', statusCode: 404 });
    await expect(followJob({ fetch: sequence<{ s: string }>([notFound]), statusOf: (j: { s: string }) => j.s, pacing: { minIntervalMs: 10, maxIntervalMs: 10 }, ...fakeClock() })).rejects.toBe(notFound);
  });

  it('stops when the signal is aborted', async () => {
    const stop = new AbortController();
    const clock = fakeClock();
    const following = followJob({
      fetch: async () => ({ s: 'Running' }),
      statusOf: (j: { s: string }) => j.s,
      pacing: { minIntervalMs: 10, maxIntervalMs: 10 },
      now: clock.now,
      sleep: async () => stop.abort(),
      signal: stop.signal,
    });
    await expect(following).rejects.toThrow();
  });
});

describe('progress lines while following', () => {
  it('prints a line when the progress changes, nothing when it does not or cannot be read, and finds the step once', async () => {
    const printed: string[] = [];
    const overviews = ['', '1 of 4 mini batches processed. 1 items succeeded, 0 items failed, of 4 items.', '1 of 4 mini batches processed. 1 items succeeded, 0 items failed, of 4 items.', new Error('read failed'), '3 of 4 mini batches processed.'];
    let finds = 0;
    const look = createProgressLines(
      {
        findScoringStep: async () => {
          finds += 1;
          return 'step-run-id';
        },
        readProgress: async () => {
          const next = overviews.shift();
          if (next instanceof Error) throw next;
          return next;
        },
      },
      'job-1',
      'ep',
      (line) => void printed.push(line),
    );
    for (let i = 0; i < 5; i++) await look();
    expect(printed).toEqual(['job job-1: 1 of 4 mini-batches done, 1 items scored, 0 failed', 'job job-1: 3 of 4 mini-batches done']);
    expect(finds).toBe(1);
  });
});
