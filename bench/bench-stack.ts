// The stack the watch and fanout benchmarks share: redis-server, the Azure ML sandbox on Azurite with
// the durations a benchmark picks, the Slack stand-in with as many channels as it needs (counting,
// not refusing, posts beyond Slack's 1/s per channel), an endpoint already deployed, and the
// environment a worker process (`src/main.ts worker`) is configured with. The worker runs as a child
// process, authenticating through the sandbox's managed identity as a replica on Azure would, so its
// memory can be measured on its own.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startAzureMlSandbox, type AzureMlSandbox, type SandboxDurations } from '../sandbox/azureml';
import { startSlackStandIn, type SlackStandIn } from '../sandbox/slack';
import type { LatencyRange } from '../sandbox/slack/latency';
import { startRedis, type RedisProcess } from '../sandbox/stack/redis';
import { createDeployProgress, type AzureMlClient } from '../src/azureml';
import { exampleDeploySpec, sandboxAzureMlClient, sandboxEnvironment, writeExampleArtifacts } from '../dev/embedded-stack';
import { REPO_ROOT, spawnBenchChild, type BenchChild } from './tsx-child';

const execFileAsync = promisify(execFile);
let building: Promise<unknown> | undefined;
/** `npm run build` once per benchmark run, so worker children run what production runs. */
function compiledProduct(): Promise<unknown> {
  building ??= execFileAsync(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT });
  return building;
}

/**
 * The bot or the worker as production runs it (`npm run start:bot` / `start:worker`): compiled, on plain
 * node, in a process of its own. Resolves once it says it started; the caller stops it.
 */
export async function startCompiledProduct(mode: 'bot' | 'worker', env: Record<string, string>): Promise<BenchChild> {
  await compiledProduct();
  const child = spawnBenchChild(path.join(REPO_ROOT, 'dist', 'src', 'main.js'), [mode], env);
  const deadline = Date.now() + 30_000;
  while (!/batch-score-bot started/.test(child.stdout())) {
    if (Date.now() > deadline || child.child.exitCode !== null) {
      await child.stop();
      throw new Error(`the ${mode} did not start: ${child.stderr().slice(-2000)}${child.stdout().slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return child;
}

/** A scoring job's name in a message: a GUID or `batchjob-<GUID>` (both recorded: recordings/README.md). */
export const JOB_NAME_IN_TEXT = /(?:batchjob-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
export const BENCH_ENDPOINT = 'mnist-bench';
export const BENCH_REQUESTER = 'U0ALICE001';
export const benchChannelId = (i: number): string => `C0BENCH${String(i).padStart(4, '0')}`;

/** Deploy steps take a second or two, so the benchmark's time goes to what it measures. */
export const QUICK_PROVISIONING: Partial<SandboxDurations> = {
  computeCreateMs: 500,
  endpointCreateMs: 500,
  endpointUpdateMs: 500,
  deploymentCreateMs: 1_000,
  deploymentUpdateMs: 500,
  pollIntervalMs: 200,
};

export interface BenchStack {
  redis: RedisProcess;
  azureml: AzureMlSandbox;
  slack: SlackStandIn;
  client: AzureMlClient;
  artifactsRoot: string;
  /** Environment of the worker process. */
  workerEnv: Record<string, string>;
  startWorker(extraEnv?: Record<string, string>): Promise<BenchChild>;
  stop(): Promise<void>;
}

export async function startBenchStack(opts: {
  channels: number;
  durations: Partial<SandboxDurations>;
  deployment?: { miniBatchSize?: number; maxConcurrencyPerInstance?: number; instanceCount?: number };
  env?: Record<string, string>;
  /** How long the Slack stand-in takes to receive each call (real Slack: tens to hundreds of ms); none by default. */
  slackLatency?: LatencyRange;
}): Promise<BenchStack> {
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const redis = await startRedis();
    stops.push(() => redis.stop());
    // requestLogLimit 0: the benchmark counts requests; keeping every Jobs_List answer would only cost memory.
    const azureml = await startAzureMlSandbox({ timeScale: 1, durations: { ...QUICK_PROVISIONING, ...opts.durations }, requestLogLimit: 0 });
    stops.push(() => azureml.stop());
    const slack = await startSlackStandIn({
      channels: Array.from({ length: opts.channels }, (_, i) => ({ id: benchChannelId(i), name: `bench-${i}`, botIsMember: true })),
      rateLimit: { mode: 'count', perSecond: 1, burst: 3 },
      ...(opts.slackLatency ? { latency: opts.slackLatency } : {}),
    });
    stops.push(() => slack.stop());
    const artifactsRoot = await mkdtemp(path.join(tmpdir(), 'bsb-bench-'));
    stops.push(() => rm(artifactsRoot, { recursive: true, force: true }));
    await writeExampleArtifacts(artifactsRoot);

    const client = sandboxAzureMlClient(azureml, { artifactsRoot, poll: { minIntervalMs: 50, maxIntervalMs: 500 } });
    const spec = exampleDeploySpec(BENCH_ENDPOINT, opts.deployment ?? {});
    await client.runDeployPlan(spec, createDeployProgress(spec), async () => undefined);

    const workerEnv: Record<string, string> = {
      // Workers never verify Slack signatures; the port is the bot's, which this stack does not start.
      ...sandboxEnvironment({ azureml, slack, redisUrl: redis.url, signingSecret: 'bench-signing-secret-not-used-by-workers', port: 3000 }),
      BATCH_SCORE_ARTIFACTS_ROOT: artifactsRoot,
      LOG_LEVEL: 'info',
      IDENTITY_ENDPOINT: azureml.identityEndpoint,
      IDENTITY_HEADER: azureml.identityHeader,
      ...opts.env,
    };
    const startWorker = async (extraEnv: Record<string, string> = {}): Promise<BenchChild> => {
      const worker = await startCompiledProduct('worker', { ...workerEnv, ...extraEnv });
      stops.push(() => worker.stop());
      return worker;
    };
    return { redis, azureml, slack, client, artifactsRoot, workerEnv, startWorker, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
