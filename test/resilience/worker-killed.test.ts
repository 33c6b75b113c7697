// A worker process SIGKILLed in the middle of the work: another worker process takes the job over once
// its BullMQ lock expires, resumes from the checkpoint (deploy plan progress, the scoring job's name) and
// finishes it. The sandbox must then hold exactly one endpoint, one deployment and one job, made with one
// PUT of the deployment and one scoring POST, and the request's thread exactly one final reply.
// Workers are real child processes authenticating through the sandbox's managed identity.
import { waitFor } from '../../sandbox/slack/wait-for';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import type { StoredMessage } from '../../sandbox/slack';
import { createQueueInspector, createThreadReader, type QueueInspector, type ThreadReader } from '../support/stack-probes';
import { deployApproved } from '../support/user-gestures';
import { startWorkerChild } from '../support/worker-children';
import type { TsxChild } from '../support/worker-process';
import { waitForQuiet } from '../support/quiet-queues';

let stack: EmbeddedStack;
let queues: QueueInspector;
let threads: ThreadReader;
/** The one worker process alive at any time; each case kills it and starts its replacement. */
let worker: TsxChild | undefined;
const takeovers: Array<{ point: string; killedAfterMs: number; finishedAfterMs: number }> = [];

beforeAll(async () => {
  // Time scale 0.02: a deployment provisions for 3.6 s, a compute for 1.8 s, a job runs about 2 s, so
  // each has a middle to be killed in.
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), workers: false, timeScale: 0.02, slackRateLimit: 'count' });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
  threads = createThreadReader(stack.slack, STACK_CHANNEL);
  // A larger model folder than the example's, so the upload has a middle: 48 files of 1 MiB.
  const big = path.join(stack.artifactsRoot, 'models', 'big');
  await mkdir(big, { recursive: true });
  await writeFile(path.join(big, 'MLmodel'), 'flavors:\n  pytorch: {}\n');
  for (let i = 0; i < 48; i++) await writeFile(path.join(big, `shard-${String(i).padStart(2, '0')}.bin`), randomBytes(1024 * 1024));
  worker = await startWorkerChild(stack.env, stack.azureml);
}, 90_000);

afterAll(async () => {
  await worker?.stop();
  await queues?.close();
  await stack?.stop();
});

/** The deploy job's saved progress (job.updateData checkpoints), by endpoint name. */
async function deployProgressOf(endpoint: string): Promise<Record<string, { status?: string; poller?: string }> | undefined> {
  const jobs = await queues.queue('deploy').getJobs(['active', 'waiting', 'delayed']);
  const job = jobs.find((j) => (j.data as { spec?: { endpointName?: string } }).spec?.endpointName === endpoint);
  return (job?.data as { progress?: { steps?: Record<string, { status?: string; poller?: string }> } } | undefined)?.progress?.steps;
}

async function killAndReplace(): Promise<void> {
  const exit = await worker!.stop('SIGKILL');
  expect(exit.signal).toBe('SIGKILL');
  worker = await startWorkerChild(stack.env, stack.azureml);
}

async function expectOneFinalReply(parent: StoredMessage, success: RegExp): Promise<void> {
  await waitFor(() => threads.finalReplies(parent)[0], { what: 'the final reply', timeoutMs: 60_000 });
  await waitForQuiet(queues, { timeoutMs: 30_000 });
  const finals = threads.finalReplies(parent);
  expect(finals).toHaveLength(1);
  expect(finals[0]!.text).toMatch(success);
}

function expectOneDeploy(endpoint: string): void {
  const resources = stack.azureml.admin.resources();
  expect(resources.batchEndpoints!.filter((e) => e.name === endpoint)).toHaveLength(1);
  expect(resources.batchDeployments!.filter((d) => String(d.id).toLowerCase().includes(`/batchendpoints/${endpoint}/`))).toHaveLength(1);
  expect(stack.azureml.admin.requestCount({ method: 'PUT', path: new RegExp(`/batchendpoints/${endpoint}/deployments/mnist-torch$`) })).toBe(1);
}

const DEPLOY_KILL_POINTS: Array<{ point: string; model: string; reached: (steps: Record<string, { status?: string; poller?: string }>) => boolean }> = [
  { point: 'while uploading the model folder', model: 'models/big', reached: (s) => s.model?.status === 'running' },
  { point: 'while the endpoint is being created', model: 'models/mnist', reached: (s) => Boolean(s.endpoint?.poller) },
  { point: "while waiting on the deployment's long-running operation", model: 'models/mnist', reached: (s) => Boolean(s.deployment?.poller) },
];

describe.each(DEPLOY_KILL_POINTS)('a worker killed $point', ({ point, model, reached }) => {
  it('is replaced by another worker that finishes the deploy once', async () => {
    const endpoint = `kill-${DEPLOY_KILL_POINTS.findIndex((p) => p.point === point)}-${randomBytes(2).toString('hex')}`;
    const started = Date.now();
    const parent = await deployApproved(stack, endpoint, { model, model_name: model === 'models/big' ? 'big' : 'mnist' });
    await waitFor(async () => {
      const steps = await deployProgressOf(endpoint);
      return steps && reached(steps);
    }, { what: `the deploy to reach the point ${point}`, timeoutMs: 30_000 });
    const killedAfterMs = Date.now() - started;
    await killAndReplace();
    await expectOneFinalReply(parent, /deployed/);
    takeovers.push({ point, killedAfterMs, finishedAfterMs: Date.now() - started });
    expectOneDeploy(endpoint);
    // The takeover is visible in the job: a second attempt started by the replacement.
    const job = await queues.queue('deploy').getJobs(['completed']);
    const mine = job.find((j) => (j.data as { spec?: { endpointName?: string } }).spec?.endpointName === endpoint);
    expect(mine?.attemptsStarted).toBeGreaterThanOrEqual(2);
  });
});

describe('a worker killed while watching a scoring job', () => {
  it('is replaced by another worker that reports the job once, invoked once', async () => {
    const endpoint = `watch-${randomBytes(2).toString('hex')}`;
    const parentDeploy = await deployApproved(stack, endpoint);
    await expectOneFinalReply(parentDeploy, /deployed/);
    for (let i = 0; i < 40; i++) await stack.azureml.admin.putDatastoreFile(`${endpoint}/in/${i}.png`, Buffer.from(`digit-${i}`));
    const scoringPosts = () => stack.azureml.admin.requestCount({ method: 'POST', path: new RegExp(`/inference/batchendpoints/${endpoint}/jobs$`) });
    expect(scoringPosts()).toBe(0);

    const started = Date.now();
    const res = await stack.driver.slash(`run ${endpoint} azureml://datastores/workspaceblobstore/paths/${endpoint}/in`, { user: STACK_USERS.requester, channel: STACK_CHANNEL });
    expect(JSON.stringify(res.body)).toContain('Checking request');
    // Killed once the scoring job exists and is being watched, before it ends.
    await waitFor(
      async () => {
        const job = stack.azureml.admin.listJobs().find((j) => (j.properties as { experimentName?: string }).experimentName === endpoint);
        const status = (job?.properties as { status?: string } | undefined)?.status;
        const watches = (await queues.queue('watch').getJobs(['delayed', 'active', 'waiting'])).length;
        return status !== undefined && !['Completed', 'Failed', 'Canceled'].includes(status) && watches > 0;
      },
      { what: 'a watched, still running scoring job', timeoutMs: 30_000 },
    );
    const killedAfterMs = Date.now() - started;
    await killAndReplace();
    const parent = await waitFor(() => threads.parentWith(`Run* a batch scoring job on \`${endpoint}\``), { what: 'the run request' });
    await expectOneFinalReply(parent, /completed/);
    takeovers.push({ point: 'while watching a scoring job', killedAfterMs, finishedAfterMs: Date.now() - started });
    expect(scoringPosts()).toBe(1);
    const jobs = stack.azureml.admin.listJobs().filter((j) => (j.properties as { experimentName?: string }).experimentName === endpoint);
    expect(jobs).toHaveLength(1);
  });
});

afterAll(() => {
  // Figures for docs/reliability.md.
  process.stdout.write(`worker takeovers: ${JSON.stringify(takeovers)}\n`);
});
