// Live progress of a running job: when the reader looks (calls counted), with Azure faked.
import pino from 'pino';
import { createJobProgressReader } from '../../src/queue/job-progress';
import type { WorkerContext } from '../../src/queue/worker-context';

const OVERVIEW = '3 of 10 mini batches processed. 6 items succeeded, 0 items failed\n';

function reader() {
  const clock = { t: 1_000_000 };
  const calls: string[] = [];
  const ctx = {
    azureml: {
      artifacts: {
        findScoringStep: async (job: string) => (calls.push(`step ${job}`), `run-${job}`),
        readProgress: async (run: string) => (calls.push(`read ${run}`), OVERVIEW),
      },
    },
    watch: { minIntervalMs: 10_000, maxIntervalMs: 120_000 },
    now: () => clock.t,
    logger: pino({ level: 'silent' }),
  } as unknown as Pick<WorkerContext, 'azureml' | 'watch' | 'now' | 'logger'>;
  return { clock, calls, progress: createJobProgressReader(ctx) };
}

it('starts a job\'s clock at its first sight running and looks only once the interval has passed', async () => {
  const r = reader();
  // Hundreds of jobs turning Running at once cost nothing at that moment.
  for (let i = 0; i < 300; i++) expect(await r.progress.changed(`job-${i}`, 'ep', 60_000)).toBeUndefined();
  expect(r.calls).toEqual([]);
  r.clock.t += 59_999;
  expect(await r.progress.changed('job-0', 'ep', 60_000)).toBeUndefined();
  expect(r.calls).toEqual([]);
  r.clock.t += 1;
  expect(await r.progress.changed('job-0', 'ep', 60_000)).toMatchObject({ miniBatchesDone: 3, miniBatchesTotal: 10 });
  expect(r.calls).toEqual(['step job-0', 'read run-job-0']);
  // Unchanged since: nothing to edit; the step's run id is remembered.
  r.clock.t += 60_000;
  expect(await r.progress.changed('job-0', 'ep', 60_000)).toBeUndefined();
  expect(r.calls).toEqual(['step job-0', 'read run-job-0', 'read run-job-0']);
});
