// A job seen ended by a snapshot refresh wakes its watch step at once, on a real redis-server and real
// BullMQ: the step waiting in the delayed set (for the refresh to end, or its next look) is moved to the
// wait list, so the final reply does not wait for the rest of a refresh of hundreds of pages.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedis, type RedisProcess } from '../../sandbox/stack/redis';
import type { Job as ArmJob } from '../../src/azureml/resources';
import { createJobStatusSnapshot } from '../../src/queue/job-status-snapshot';
import { createProducers, watchJobId, type Producers } from '../../src/queue/producers';
import { QUEUE_NAMES } from '../../src/queue/queue-names';

const PREFIX = 'wake';
let redis: RedisProcess;
let connection: Redis;
let producers: Producers;
let queue: Queue;

beforeAll(async () => {
  redis = await startRedis();
  connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  producers = createProducers({ connection, prefix: PREFIX });
  queue = new Queue(QUEUE_NAMES.watch, { connection, prefix: PREFIX });
});

afterAll(async () => {
  await queue?.close();
  await producers?.close();
  await connection?.quit();
  await redis?.stop();
});

const armJob = (name: string, status: string, createdAt: number): ArmJob =>
  ({
    id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/jobs/${name}`,
    name,
    type: 'Microsoft.MachineLearningServices/workspaces/jobs',
    systemData: { createdAt: new Date(createdAt).toISOString() },
    properties: { jobType: 'Pipeline', status },
  }) as ArmJob;

const watchStep = (jobName: string, n: number) =>
  producers.watch(
    {
      requestId: `rwake${String(n).padStart(4, '0')}`,
      requester: { userId: 'U0ALICE001', teamId: 'T0SANDBOX1', channelId: 'C0MLOPS0001' },
      endpointName: 'mnist',
      jobName,
      scoringUri: 'https://mnist.eastus.inference.ml.azure.com/jobs',
      startedAt: Date.now(),
    },
    { delayMs: 60_000 },
  );

it("moves an ended job's delayed watch step to now, and leaves a running job's step where it was", async () => {
  const t = Date.now();
  const jobs = [armJob('batchjob-ended', 'Completed', t - 1_000), armJob('batchjob-running', 'Running', t - 2_000)];
  const snapshot = createJobStatusSnapshot({
    connection,
    prefix: PREFIX,
    listJobPages: async function* () {
      yield jobs;
    },
    maxAgeMs: 3_000,
    onStatusChanged: async (names) => {
      await Promise.all(names.map((name) => producers.wakeWatch(name)));
    },
  });
  for (const [i, job] of jobs.entries()) {
    await watchStep(job.name!, i);
    await snapshot.watch(job.name!, t - 10_000);
  }
  expect(await queue.getJobState(watchJobId('batchjob-ended'))).toBe('delayed');

  await snapshot.lookup('batchjob-running', Date.now());

  expect(await queue.getJobState(watchJobId('batchjob-ended'))).toBe('waiting');
  expect(await queue.getJobState(watchJobId('batchjob-running'))).toBe('delayed');
  // A step no longer delayed (or a job with no watch) needs no wake.
  expect(await producers.wakeWatch('batchjob-ended')).toBe(false);
  expect(await producers.wakeWatch('batchjob-unknown')).toBe(false);
});
