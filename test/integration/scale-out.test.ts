// Scale-out: two worker processes (`src/main.ts worker`, as `npm run start:worker` runs it) share one
// Redis behind one bot. Twenty scoring runs asked for in Slack are each invoked exactly once (one POST to
// the scoring URI per request), each thread gets exactly one final reply, and both processes take work.
// The workers authenticate through the sandbox's managed identity with DefaultAzureCredential, as a
// replica on Azure would. Each run is asked for in its own channel: Slack paces the bot to about one
// message per channel per second, and the notify worker honours that across processes. Played twice: on one
// redis-server, and on a three-master Redis Cluster (seed nodes, the {bsb} hash-tag prefix).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startAzureMlSandbox, type AzureMlSandbox } from '../../sandbox/azureml';
import { startSlackStandIn, type SlackStandIn, type StoredMessage } from '../../sandbox/slack';
import { createSlackDriver, type SlackDriver } from '../../sandbox/slack/driver';
import { getFreePort } from '../../sandbox/stack/free-port';
import { startRedis, type RedisProcess } from '../../sandbox/stack/redis';
import { startRedisCluster, type RedisClusterProcess } from '../../sandbox/stack/redis-cluster';
import { createDeployProgress } from '../../src/azureml';
import { startBot, type BotHandle } from '../../src/bot';
import { loadConfig } from '../../src/config';
import { exampleDeploySpec, sandboxAzureMlClient, sandboxEnvironment, writeExampleArtifacts } from '../../dev/embedded-stack';
import { startWorkerProcess, type TsxChild } from '../support/worker-process';

const RUNS = 20;
const ENDPOINT = 'mnist-scale';
const REQUESTER = 'U0ALICE001';
const channelId = (i: number): string => `C0SCALE${String(i).padStart(4, '0')}`;
const SCORING_POST = new RegExp(`/inference/batchEndpoints/${ENDPOINT}/jobs$`, 'i');

describe.each([
  ['one redis-server', false],
  ['a three-master Redis Cluster', true],
])('on %s', (_name, cluster) => {
  let redis: RedisProcess | RedisClusterProcess;
  let azureml: AzureMlSandbox;
  let slack: SlackStandIn;
  let bot: BotHandle;
  let driver: SlackDriver;
  let artifactsRoot: string;
  const workers: TsxChild[] = [];

  beforeAll(async () => {
    [redis, azureml, slack] = await Promise.all([
      cluster ? startRedisCluster() : startRedis(),
      startAzureMlSandbox({ timeScale: 0.002 }),
      startSlackStandIn({
        channels: Array.from({ length: RUNS }, (_, i) => ({ id: channelId(i), name: `scale-${i}`, botIsMember: true })),
        rateLimit: { mode: 'count', perSecond: 1, burst: 3 },
      }),
    ]);
    artifactsRoot = await mkdtemp(path.join(tmpdir(), 'bsb-scale-'));
    await writeExampleArtifacts(artifactsRoot);

    // The endpoint exists before the runs (deploying is not what this test is about).
    const client = sandboxAzureMlClient(azureml, { artifactsRoot });
    const spec = exampleDeploySpec(ENDPOINT);
    await Promise.all([
      client.runDeployPlan(spec, createDeployProgress(spec), async () => undefined),
      ...Array.from({ length: 5 }, (_, i) => azureml.admin.putDatastoreFile(`scale/in/${i}.png`, Buffer.from(`digit-${i}`))),
    ]);

    const port = await getFreePort();
    const signingSecret = randomBytes(16).toString('hex');
    const env: Record<string, string> = {
      ...sandboxEnvironment({ azureml, slack, redisUrl: 'url' in redis ? redis.url : 'redis://unused:6379', signingSecret, port }),
      ...('seeds' in redis ? { REDIS_CLUSTER_NODES: redis.seeds.join(','), BATCH_SCORE_QUEUE_PREFIX: '{bsb}' } : {}),
      BATCH_SCORE_ARTIFACTS_ROOT: artifactsRoot,
      BATCH_SCORE_WATCH_MIN_INTERVAL: '200ms',
      BATCH_SCORE_WATCH_MAX_INTERVAL: '1s',
      // Two jobs at a time per process, so one process cannot take the whole burst by itself.
      BATCH_SCORE_WORKER_CONCURRENCY: '2',
      // Twenty runs from one user at once: above the default cap on one user's open requests.
      BATCH_SCORE_MAX_PENDING_PER_USER: '100',
      PORT: String(port),
    };
    bot = await startBot(loadConfig(env), { logger: pino({ level: 'silent' }) });
    driver = createSlackDriver({ botUrl: `http://127.0.0.1:${port}/slack/events`, signingSecret, standIn: slack });
    // LOG_LEVEL debug: each worker logs every Azure request it makes, which is how we see who did what.
    workers.push(startWorkerProcess(env, azureml, { LOG_LEVEL: 'debug' }), startWorkerProcess(env, azureml, { LOG_LEVEL: 'debug' }));
    await Promise.all(workers.map((w) => w.waitForOutput(/batch-score-bot started/)));
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGTERM')));
    await bot?.stop();
    await Promise.all([slack?.stop(), azureml?.stop(), redis?.stop()]);
    if (artifactsRoot) await rm(artifactsRoot, { recursive: true, force: true });
  });

  /** The final reply mentions the requester ("@alice job … completed in 2s" / "… failed"); status lines do not. */
  const isFinalRunReply = (m: StoredMessage): boolean => m.text.includes(`<@${REQUESTER}>`) && / (completed|failed|canceled)\b/.test(m.text);

  function runThread(channel: string): { parent: StoredMessage; finals: StoredMessage[] } | undefined {
    const parent = slack.messages(channel).find((m) => !m.ephemeralTo && (m.thread_ts === undefined || m.thread_ts === m.ts));
    if (!parent) return undefined;
    const replies = slack.thread(channel, parent.ts).slice(1);
    return { parent, finals: replies.filter(isFinalRunReply) };
  }

  /** Scoring POSTs a worker process made, from its own debug log of Azure requests. */
  function scoringPostsBy(worker: TsxChild): number {
    return worker
      .stdout()
      .split('\n')
      .filter((line) => line.includes('"msg":"azure request"'))
      .map((line) => JSON.parse(line) as { method?: string; url?: string })
      .filter((entry) => entry.method === 'POST' && SCORING_POST.test(new URL(entry.url ?? '', 'http://x').pathname)).length;
  }

  it("processes each of 20 runs exactly once, across both worker processes", async () => {
    azureml.admin.resetCounters();
    const answers = await Promise.all(
      Array.from({ length: RUNS }, (_, i) =>
        driver.slash(`run ${ENDPOINT} azureml://datastores/workspaceblobstore/paths/scale/in`, { user: REQUESTER, channel: channelId(i) }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(RUNS).fill(200));

    const threads = await driver.waitFor(
      () => {
        const all = Array.from({ length: RUNS }, (_, i) => runThread(channelId(i)));
        return all.every((t) => t && t.finals.length > 0) ? all : undefined;
      },
      { timeoutMs: 45_000, what: 'a final reply in each of the 20 run threads' },
    ).catch((err: unknown) => {
      const seen = Array.from({ length: RUNS }, (_, i) => slack.messages(channelId(i)).flatMap((m) => [m, ...slack.thread(channelId(i), m.ts).slice(1)]).map((m) => `${channelId(i)} ${m.ts} ${m.ephemeralTo ?? ''} ${m.text.slice(0, 100)}`));
      throw new Error(`${(err as Error).message}\n${seen.flat().join('\n')}\n${workers.map((w) => w.stderr().slice(-1000)).join('\n')}`);
    });

    // Exactly once: one scoring POST and one job per request, one final reply per thread, all succeeded.
    expect(azureml.admin.requestCount({ method: 'POST', path: SCORING_POST })).toBe(RUNS);
    const jobNames = azureml.admin.listJobs().map((j) => String(j.name));
    expect(new Set(jobNames).size).toBe(RUNS);
    for (const t of threads) {
      expect(t!.finals).toHaveLength(1);
      expect(t!.finals[0]!.text).toContain('completed');
    }

    // Both processes took work, and together they account for every invocation.
    const perWorker = workers.map(scoringPostsBy);
    expect(perWorker.every((n) => n > 0)).toBe(true);
    expect(perWorker.reduce((a, b) => a + b, 0)).toBe(RUNS);
  });
});
