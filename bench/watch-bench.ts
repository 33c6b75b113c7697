// `watch`: a workspace with a history, and many scoring jobs running at once. The sandbox is seeded with
// HISTORY past jobs of several kinds (command jobs, sweeps, training pipelines, other endpoints' batch jobs;
// sandbox/azureml/job-history.ts), its lists paged as ARM pages them (PAGE_SIZE items a page), then JOBS
// scoring runs are asked for through the run queue exactly as the slash command's handler enqueues them, with
// durations spread from about 15 s to 75 s (each job scores a folder of 1-12 files at 5 s per file, one file
// per mini-batch, plus the sandbox's queue, prepare, start and finalize phases). The real worker process
// (`src/main.ts worker`, production watch settings: 10 s floor, 2 min ceiling) watches them and replies in
// each thread; beside it, in the same run and on the same jobs, the baseline polls every job with Jobs_Get
// at a fixed 5 s. Counted: the requests each side makes per job (sandbox counters by route), ARM reads per
// second (sampled every second; mean and peak, against ARM's ~25 reads/s refill per principal), the time
// from each job's end to its final reply in Slack (p50/p99), and the worker's peak resident memory.
//
// Sizes (defaults are the issue's: 20,000 history, 5,000 jobs; try small ones first):
//   BENCH_WATCH_HISTORY=200 BENCH_WATCH_JOBS=50 npm run bench -- watch
// BENCH_WATCH_PAGE_SIZE sets the sandbox's list page size (default 20); BENCH_WATCH_CHANNELS spreads the
// requests over that many channels (default one per request, so Slack's 1 message/s per channel does not
// hide the watch's own lag); BENCH_WATCH_DEADLINE_S bounds the run; BENCH_WORKER_NODE_OPTIONS passes
// NODE_OPTIONS to the worker (e.g. --max-old-space-size=160).
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUE_NAMES } from '../src/queue/queue-names';
import type { StandInEvent } from '../sandbox/slack';
import { createProducers } from '../src/queue/producers';
import type { BenchOutcome } from './bench-report';
import { BENCH_ENDPOINT, BENCH_REQUESTER, benchChannelId, JOB_NAME_IN_TEXT, startBenchStack } from './bench-stack';
import { createFixedIntervalPoller } from './fixed-interval-poller';
import { round, summarizeLatencies } from './latency-stats';
import { lagSplit, reportedAtByJob } from './reported-at';
import { sampleRss } from './rss-sampler';

function sizeFromEnv(name: string, fallback: number, min = 0): number {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number ≥ ${min}, got ${raw}`);
  return value;
}

const JOBS = sizeFromEnv('BENCH_WATCH_JOBS', 5_000, 1);
const HISTORY = sizeFromEnv('BENCH_WATCH_HISTORY', 20_000);
const PAGE_SIZE = sizeFromEnv('BENCH_WATCH_PAGE_SIZE', 20, 1);
const CHANNELS = sizeFromEnv('BENCH_WATCH_CHANNELS', JOBS, 1);
const MAX_FILES = 12;
const BASELINE_INTERVAL_MS = 5_000;
const DEADLINE_MS = sizeFromEnv('BENCH_WATCH_DEADLINE_S', Math.max(8 * 60, Math.ceil(JOBS / 10) + 180), 1) * 1000;

/**
 * ARM reads the product's watch makes: Jobs_List pages (the snapshot), and what reading an ended job's outcome
 * asks ARM (the workspace for its data-plane host, the datastores its logs and outputs are on). Until
 * 2026-12-03 only the list was counted, and each ended job's four lookups were not.
 */
const JOBS_LIST_ROUTE = 'GET workspaces/{workspaceName}/jobs';
const WATCH_ARM_ROUTES = [JOBS_LIST_ROUTE, 'GET workspaces/{workspaceName}', 'GET workspaces/{workspaceName}/datastores', 'GET workspaces/{workspaceName}/datastores/{name}'];
/** Requests the product's watch makes: its ARM reads and the scoring GET (its fallback, and an ended job's output). */
const BOT_WATCH_ROUTES = [...WATCH_ARM_ROUTES, 'GET inference/batchEndpoints/{endpointName}/jobs/{jobName}'];
const BASELINE_ROUTE = 'GET workspaces/{workspaceName}/jobs/{id}';

/** ARM reads (GETs on workspace routes) in a counters snapshot, the baseline's Jobs_Get apart. */
function armReads(byRoute: Record<string, number>): { bot: number; watch: number; baseline: number } {
  let all = 0;
  for (const [route, n] of Object.entries(byRoute)) if (route.startsWith('GET workspaces/')) all += n;
  const baseline = byRoute[BASELINE_ROUTE] ?? 0;
  return { bot: all - baseline, watch: WATCH_ARM_ROUTES.reduce((n, route) => n + (byRoute[route] ?? 0), 0), baseline };
}

export async function runWatchBench(log: (line: string) => void): Promise<BenchOutcome> {
  const stack = await startBenchStack({
    channels: CHANNELS,
    durations: { jobQueueMs: 2_000, jobPrepareMs: 4_000, jobStartMs: 4_000, jobFinalizeMs: 2_000, perFileMs: 5_000 },
    deployment: { miniBatchSize: 1, maxConcurrencyPerInstance: 1, instanceCount: 1 },
    // The worker's production settings throughout (watch pacing 10 s → 2 min, concurrency 4).
  });
  const redis = new Redis(stack.redis.url, { maxRetriesPerRequest: 2 });
  const queues = Object.fromEntries((['run', 'watch', 'notify'] as const).map((name) => [name, new Queue(QUEUE_NAMES[name], { connection: redis, prefix: 'bsb' })])) as Record<'run' | 'watch' | 'notify', Queue>;
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
    // The workspace's past, and lists paged as ARM pages them.
    const seededAt = Date.now();
    stack.azureml.admin.seedJobHistory({ count: HISTORY, seed: 2026 });
    stack.azureml.admin.setListPageSize(PAGE_SIZE);
    log(`watch: seeded ${HISTORY} past jobs in ${Date.now() - seededAt} ms, ${PAGE_SIZE} items per list page`);

    const replyAt = new Map<string, number>();
    const finalReplies = new Map<string, number>();
    const unsubscribe = stack.slack.onEvent((event: StandInEvent) => {
      if (event.type !== 'message_posted') return;
      const m = event.message;
      if (!m.text.includes(`<@${BENCH_REQUESTER}>`) || !/ (completed|failed|canceled)\b/.test(m.text)) return;
      const jobName = JOB_NAME_IN_TEXT.exec(m.text)?.[0];
      if (!jobName) return;
      finalReplies.set(jobName, (finalReplies.get(jobName) ?? 0) + 1);
      if (!replyAt.has(jobName)) replyAt.set(jobName, Date.now());
    });

    stack.azureml.admin.resetCounters();
    // ARM reads per second, sampled every second from the sandbox's counters.
    const perSecond: Array<{ bot: number; watch: number; baseline: number }> = [];
    let lastReads = armReads({});
    const sampler = setInterval(() => {
      const now = armReads(stack.azureml.admin.counters().byRoute);
      perSecond.push({ bot: now.bot - lastReads.bot, watch: now.watch - lastReads.watch, baseline: now.baseline - lastReads.baseline });
      lastReads = now;
    }, 1_000);
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
      for (const job of stack.azureml.admin.jobTimeline()) poller.watch(job.name);
    }, 250);

    let lastReport = 0;
    const allDone = (): boolean => replyAt.size >= JOBS && poller.seenTerminalAt.size >= JOBS;
    while (!allDone() && Date.now() - started < DEADLINE_MS) {
      await new Promise((r) => setTimeout(r, 500));
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        const jobs = stack.azureml.admin.jobTimeline();
        const ended = jobs.filter((j) => /Completed|Failed|Canceled/.test(j.status)).length;
        const recent = perSecond.slice(-10);
        const watchReads = recent.reduce((n, s) => n + s.watch, 0) / Math.max(1, recent.length);
        // Where unanswered work waits: the run, watch and notify queues of the worker, as BullMQ counts them.
        const counts = await Promise.all(
          (['run', 'watch', 'notify'] as const).map(async (name) => {
            const c = await queues[name].getJobCounts('waiting', 'active', 'delayed');
            return `${name} ${c.waiting ?? 0}/${c.active ?? 0}/${c.delayed ?? 0}`;
          }),
        );
        log(`watch: ${Math.round((Date.now() - started) / 1000)} s: ${jobs.length} jobs, ${ended} ended, ${replyAt.size} final replies, baseline saw ${poller.seenTerminalAt.size} end, watch ARM reads ${round(watchReads, 1)}/s, worker RSS ${Math.round(rss.currentMb())} MB, queues waiting/active/delayed: ${counts.join(', ')}`);
      }
    }
    clearInterval(discover);
    clearInterval(sampler);
    poller.stop();
    unsubscribe();
    const memory = await rss.stop();
    const elapsedS = (Date.now() - started) / 1000;

    const counters = stack.azureml.admin.counters();
    const botRequests = BOT_WATCH_ROUTES.reduce((n, r) => n + (counters.byRoute[r] ?? 0), 0);
    const baselineRequests = counters.byRoute[BASELINE_ROUTE] ?? 0;
    const jobs = stack.azureml.admin.jobTimeline();
    const endOf = new Map(jobs.map((j) => [j.name, Date.parse(j.endTime ?? '')]));
    const lags = [...replyAt].map(([name, at]) => (at - (endOf.get(name) ?? Number.NaN)) / 1000).filter(Number.isFinite);
    const baselineLags = [...poller.seenTerminalAt].map(([name, at]) => (at - (endOf.get(name) ?? Number.NaN)) / 1000).filter(Number.isFinite);
    const lag = summarizeLatencies(lags);
    // Where a reply's lag goes: noticing the end (and reading the outcome), then delivering the reply.
    const split = lagSplit(endOf, await reportedAtByJob(redis), replyAt);
    log(`watch: job end → reported p50 ${round(split.noticeLagS.p50)} / p99 ${round(split.noticeLagS.p99)} s; reported → reply in Slack p50 ${round(split.deliveryLagS.p50)} / p99 ${round(split.deliveryLagS.p99)} s`);
    const baseLag = summarizeLatencies(baselineLags);
    const durations = jobs.map((j) => (Date.parse(j.endTime ?? '') - Date.parse(j.createdAt)) / 1000).filter(Number.isFinite);
    const rate = (pick: (s: { bot: number; watch: number; baseline: number }) => number) => {
      const values = perSecond.map(pick);
      return { mean: values.reduce((a, b) => a + b, 0) / Math.max(1, values.length), peak: Math.max(0, ...values) };
    };
    const watchRate = rate((s) => s.watch);
    const botRate = rate((s) => s.bot);
    const baselineRate = rate((s) => s.baseline);
    const jobDur = summarizeLatencies(durations);
    // How many ran at the same moment (created, not yet ended): the run queue invokes at its own pace, so
    // with short jobs fewer than JOBS overlap.
    const peakRunning = peakOverlap(jobs.map((j) => [Date.parse(j.createdAt), Date.parse(j.endTime ?? '') || Number.POSITIVE_INFINITY] as const));
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
        history_jobs: HISTORY,
        concurrent_jobs: JOBS,
        arm_reads_per_s_mean: round(watchRate.mean, 2),
        arm_reads_per_s_peak: watchRate.peak,
        p50_reply_lag_s: round(lag.p50, 2),
      },
      tables: [
        {
          title: `Watching ${JOBS} scoring jobs, at most ${peakRunning} running at the same moment (durations p50 ${round(jobDur.p50, 0)} s, max ${round(jobDur.max, 0)} s) in a workspace with ${HISTORY} past jobs, ${PAGE_SIZE} per list page, ${CHANNELS} channels`,
          columns: ['watcher', 'requests', 'per job', 'ARM reads/s mean', 'ARM reads/s peak', 'lag p50 s', 'lag p99 s', 'lag max s', 'jobs seen ending'],
          rows: [
            ['bot (shared snapshot)', botRequests, round(perJob, 3), round(watchRate.mean, 2), watchRate.peak, round(lag.p50), round(lag.p99), round(lag.max), replyAt.size],
            ['baseline (GET each job every 5 s)', baselineRequests, round(basePerJob, 2), round(baselineRate.mean, 2), baselineRate.peak, round(baseLag.p50), round(baseLag.p99), round(baseLag.max), poller.seenTerminalAt.size],
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
        historyJobs: HISTORY,
        listPageSize: PAGE_SIZE,
        channels: CHANNELS,
        armReadsPerSecondWatch: watchRate,
        armReadsPerSecondAllBot: { ...botRate, note: 'every ARM GET the bot made (invokes read the endpoint too), not only the watch' },
        armReadsPerSecondBaseline: baselineRate,
        armReadsPerSecondSamples: perSecond.map((s) => s.watch),
        jobDurationS: jobDur,
        peakRunningAtOnce: peakRunning,
        botRequestsByRoute: Object.fromEntries(BOT_WATCH_ROUTES.map((r) => [r, counters.byRoute[r] ?? 0])),
        baselineRequests,
        baselineRequestsCountedClientSide: poller.requests(),
        replyLagS: lag,
        noticeLagS: split.noticeLagS,
        deliveryLagS: split.deliveryLagS,
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
    await Promise.all(Object.values(queues).map((q) => q.close().catch(() => undefined)));
    await redis.quit().catch(() => undefined);
    await stack.stop();
  }
}

/** The most intervals [start, end) open at one moment. */
function peakOverlap(intervals: ReadonlyArray<readonly [number, number]>): number {
  const events = intervals.filter(([a]) => Number.isFinite(a)).flatMap(([a, b]) => [[a, 1], [b, -1]] as const);
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let open = 0;
  let peak = 0;
  for (const [, d] of events) peak = Math.max(peak, (open += d));
  return peak;
}
