// `watch`: 1,000 scoring jobs running at once, with durations spread from about 15 s to 75 s (each job
// scores a folder of 1-12 files at 5 s per file, one file per mini-batch, plus the sandbox's queue,
// prepare, start and finalize phases), asked for through the run queue exactly as the slash command's
// handler enqueues them, spread over 100 channels. The real worker process (`src/main.ts worker`, with
// its production watch settings: 10 s floor, 2 min ceiling) watches them and replies in each thread;
// beside it, in the same run and on the same jobs, the baseline polls every job with Jobs_Get at a
// fixed 5 s. Counted: the requests each side makes per job (sandbox counters by route), the time from
// each job's end (its endTime) to its final reply in Slack, and the worker's peak resident memory.
// One request per channel by default, so Slack's 1 message/s per channel (the fanout benchmark's
// subject) does not hide the watch's own lag; BENCH_WATCH_CHANNELS=100 shows the two together.
// BENCH_WORKER_NODE_OPTIONS passes NODE_OPTIONS to the worker (e.g. --max-old-space-size=160).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { StandInEvent } from '../sandbox/slack';
import { createProducers } from '../src/queue/producers';
import type { BenchOutcome } from './bench-report';
import { BENCH_ENDPOINT, BENCH_REQUESTER, benchChannelId, startBenchStack } from './bench-stack';
import { createFixedIntervalPoller } from './fixed-interval-poller';
import { round, summarizeLatencies } from './latency-stats';
import { sampleRss } from './rss-sampler';

const JOBS = 1_000;
const CHANNELS = Number(process.env.BENCH_WATCH_CHANNELS ?? 1_000);
const MAX_FILES = 12;
const BASELINE_INTERVAL_MS = 5_000;
const DEADLINE_MS = 8 * 60_000;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/** Requests the product's watch makes: Jobs_List (the snapshot) and the scoring GET (its fallback). */
const BOT_WATCH_ROUTES = ['GET workspaces/{workspaceName}/jobs', 'GET inference/batchEndpoints/{endpointName}/jobs/{jobName}'];
const BASELINE_ROUTE = 'GET workspaces/{workspaceName}/jobs/{id}';

export async function runWatchBench(log: (line: string) => void): Promise<BenchOutcome> {
  const stack = await startBenchStack({
    channels: CHANNELS,
    durations: { jobQueueMs: 2_000, jobPrepareMs: 4_000, jobStartMs: 4_000, jobFinalizeMs: 2_000, perFileMs: 5_000 },
    deployment: { miniBatchSize: 1, maxConcurrencyPerInstance: 1, instanceCount: 1 },
    // The worker's production settings throughout (watch pacing 10 s → 2 min, concurrency 4).
  });
  const redis = new Redis(stack.redis.url, { maxRetriesPerRequest: 2 });
  const producers = createProducers({ connection: redis, prefix: 'bsb' });
  const poller = createFixedIntervalPoller({
    baseUrl: stack.azureml.baseUrl,
    workspacePath: `/subscriptions/${stack.azureml.subscriptionId}/resourceGroups/${stack.azureml.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${stack.azureml.workspace}`,
    token: stack.azureml.token,
    intervalMs: BASELINE_INTERVAL_MS,
  });
  let discover: NodeJS.Timeout | undefined;
  try {
    for (let k = 1; k <= MAX_FILES; k++) {
      await Promise.all(Array.from({ length: k }, (_, i) => stack.azureml.admin.putDatastoreFile(`watch/in-${k}/${i}.png`, Buffer.from(`digit-${i}`))));
    }
    const worker = await stack.startWorker(process.env.BENCH_WORKER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_WORKER_NODE_OPTIONS } : {});
    // The idle worker's footprint (modules loaded, connections open), to tell what the watch itself costs.
    const idle = sampleRss(worker.pid, 200);
    await new Promise((r) => setTimeout(r, 2_000));
    const idleMemory = await idle.stop();
    const rss = sampleRss(worker.pid);

    const replyAt = new Map<string, number>();
    const finalReplies = new Map<string, number>();
    const unsubscribe = stack.slack.onEvent((event: StandInEvent) => {
      if (event.type !== 'message_posted') return;
      const m = event.message;
      if (!m.text.includes(`<@${BENCH_REQUESTER}>`) || !/ (completed|failed|canceled)\b/.test(m.text)) return;
      const jobName = UUID.exec(m.text)?.[0];
      if (!jobName) return;
      finalReplies.set(jobName, (finalReplies.get(jobName) ?? 0) + 1);
      if (!replyAt.has(jobName)) replyAt.set(jobName, Date.now());
    });

    stack.azureml.admin.resetCounters();
    const started = Date.now();
    log(`watch: enqueueing ${JOBS} runs over ${CHANNELS} channels`);
    await Promise.all(
      Array.from({ length: JOBS }, (_, i) =>
        producers.run({
          requestId: `watch-bench-${i}-${randomUUID().slice(0, 8)}`,
          requester: { userId: BENCH_REQUESTER, teamId: stack.slack.teamId, channelId: benchChannelId(i % CHANNELS) },
          spec: {
            endpointName: BENCH_ENDPOINT,
            input: { kind: 'UriFolder', uri: `azureml://datastores/workspaceblobstore/paths/watch/in-${(i % MAX_FILES) + 1}/` },
          },
        }),
      ),
    );
    // The baseline learns of each job as soon as it exists, as a script that invoked it would.
    discover = setInterval(() => {
      for (const job of stack.azureml.admin.listJobs()) poller.watch(String(job.name));
    }, 250);

    let lastReport = 0;
    const allDone = (): boolean => replyAt.size >= JOBS && poller.seenTerminalAt.size >= JOBS;
    while (!allDone() && Date.now() - started < DEADLINE_MS) {
      await new Promise((r) => setTimeout(r, 500));
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        const jobs = stack.azureml.admin.listJobs();
        const ended = jobs.filter((j) => /Completed|Failed|Canceled/.test(String((j.properties as { status?: string }).status))).length;
        log(`watch: ${Math.round((Date.now() - started) / 1000)} s: ${jobs.length} jobs, ${ended} ended, ${replyAt.size} final replies, baseline saw ${poller.seenTerminalAt.size} end, worker RSS ${Math.round(rss.currentMb())} MB`);
      }
    }
    clearInterval(discover);
    poller.stop();
    unsubscribe();
    const memory = await rss.stop();
    const elapsedS = (Date.now() - started) / 1000;

    const counters = stack.azureml.admin.counters();
    const botRequests = BOT_WATCH_ROUTES.reduce((n, r) => n + (counters.byRoute[r] ?? 0), 0);
    const baselineRequests = counters.byRoute[BASELINE_ROUTE] ?? 0;
    const jobs = stack.azureml.admin.listJobs();
    const endOf = new Map(
      jobs.map((j) => [String(j.name), Date.parse(String(((j.properties as { properties?: Record<string, string> }).properties ?? {})['azureml.endTime'] ?? ''))]),
    );
    const lags = [...replyAt].map(([name, at]) => (at - (endOf.get(name) ?? Number.NaN)) / 1000).filter(Number.isFinite);
    const baselineLags = [...poller.seenTerminalAt].map(([name, at]) => (at - (endOf.get(name) ?? Number.NaN)) / 1000).filter(Number.isFinite);
    const lag = summarizeLatencies(lags);
    const baseLag = summarizeLatencies(baselineLags);
    const durations = jobs
      .map((j) => {
        const p = ((j.properties as { properties?: Record<string, string> }).properties ?? {}) as Record<string, string>;
        return (Date.parse(p['azureml.endTime'] ?? '') - Date.parse(String((j.systemData as { createdAt?: string } | undefined)?.createdAt ?? ''))) / 1000;
      })
      .filter(Number.isFinite);
    const jobDur = summarizeLatencies(durations);
    const duplicates = [...finalReplies.values()].filter((n) => n > 1).length;
    const perJob = botRequests / JOBS;
    const basePerJob = baselineRequests / JOBS;

    return {
      summary: {
        requests_per_job: round(perJob, 3),
        baseline_requests_per_job: round(basePerJob, 2),
        requests_ratio_to_baseline: round(perJob / basePerJob, 4),
        p99_reply_lag_s: round(lag.p99, 2),
        peak_rss_mb: round(memory.peakMb, 1),
      },
      tables: [
        {
          title: `Watching ${JOBS} scoring jobs at once (durations p50 ${round(jobDur.p50, 0)} s, max ${round(jobDur.max, 0)} s), ${CHANNELS} channels`,
          columns: ['watcher', 'requests', 'per job', 'lag p50 s', 'lag p99 s', 'lag max s', 'jobs seen ending'],
          rows: [
            ['bot (shared snapshot)', botRequests, round(perJob, 3), round(lag.p50), round(lag.p99), round(lag.max), replyAt.size],
            ['baseline (GET each job every 5 s)', baselineRequests, round(basePerJob, 2), round(baseLag.p50), round(baseLag.p99), round(baseLag.max), poller.seenTerminalAt.size],
          ],
        },
        {
          title: 'Worker process',
          columns: ['peak RSS MB', 'idle RSS MB', 'RSS at end MB', 'duplicate final replies', 'Slack rate breaches', 'wall s'],
          rows: [[round(memory.peakMb, 1), round(idleMemory.lastMb, 1), round(memory.lastMb, 1), duplicates, stack.slack.rateBreaches(), round(elapsedS, 0)]],
        },
      ],
      details: {
        jobs: JOBS,
        channels: CHANNELS,
        jobDurationS: jobDur,
        botRequestsByRoute: Object.fromEntries(BOT_WATCH_ROUTES.map((r) => [r, counters.byRoute[r] ?? 0])),
        baselineRequests,
        baselineRequestsCountedClientSide: poller.requests(),
        replyLagS: lag,
        baselineDetectionLagS: baseLag,
        finalReplies: replyAt.size,
        duplicateFinalReplies: duplicates,
        slackRateBreaches: stack.slack.rateBreaches(),
        rssSamples: memory.samples,
        idleRssMb: round(idleMemory.lastMb, 1),
        workerNodeOptions: process.env.BENCH_WORKER_NODE_OPTIONS ?? '(none: V8 defaults)',
        note: 'lag = final reply posted in Slack minus the job endTime; the worker runs in its own process (src/main.ts worker) with production watch pacing',
      },
    };
  } finally {
    if (discover) clearInterval(discover);
    poller.stop();
    await producers.close();
    await redis.quit().catch(() => undefined);
    await stack.stop();
  }
}
