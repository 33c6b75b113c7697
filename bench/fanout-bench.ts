// `fanout`: 200 scoring jobs ending within about a second of each other across 20 channels, watched by
// the real worker process, whose notify worker must deliver every final reply without going over
// Slack's ~1 message per second per channel (the stand-in counts breaches instead of refusing them, so
// an over-eager bot shows up as a number rather than as retries). Time to deliver all: from the first
// job's end to the last final reply.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { StandInEvent } from '../sandbox/slack';
import { createProducers } from '../src/queue/producers';
import type { BenchOutcome } from './bench-report';
import { BENCH_ENDPOINT, BENCH_REQUESTER, benchChannelId, startBenchStack } from './bench-stack';
import { round } from './latency-stats';

const JOBS = 200;
const CHANNELS = 20;
const DEADLINE_MS = 3 * 60_000;
const pct = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

export async function runFanoutBench(log: (line: string) => void): Promise<BenchOutcome> {
  // Every job scores the same single file and lasts ~25 s: long enough for each thread's parent, start
  // and status messages to be out before the jobs all end together.
  const stack = await startBenchStack({
    channels: CHANNELS,
    durations: { jobQueueMs: 2_000, jobPrepareMs: 5_000, jobStartMs: 5_000, jobFinalizeMs: 3_000, perFileMs: 10_000 },
    deployment: { miniBatchSize: 1, maxConcurrencyPerInstance: 1, instanceCount: 1 },
    env: { BATCH_SCORE_WORKER_CONCURRENCY: '16' },
  });
  const redis = new Redis(stack.redis.url, { maxRetriesPerRequest: 2 });
  const producers = createProducers({ connection: redis, prefix: 'bsb' });
  try {
    await stack.azureml.admin.putDatastoreFile('fanout/in/0.png', Buffer.from('digit-0'));
    await stack.startWorker();
    const finals = new Map<string, { at: number; channel: string; count: number }>();
    let breachesAtFirstEnd: number | undefined;
    // When the bot first showed a job's end anywhere (status line, parent or reply): the watch noticed it.
    const noticed = new Map<string, number>();
    const unsubscribe = stack.slack.onEvent((event: StandInEvent) => {
      if (event.type !== 'message_posted' && event.type !== 'message_updated') return;
      const m = event.message;
      const shown = `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;
      const named = UUID.exec(shown)?.[0];
      if (named && !noticed.has(named) && /\b(Completed|completed|Failed|failed)\b/.test(shown)) noticed.set(named, Date.now());
      if (event.type !== 'message_posted') return;
      if (!m.text.includes(`<@${BENCH_REQUESTER}>`) || !/ (completed|failed|canceled)\b/.test(m.text)) return;
      const jobName = UUID.exec(m.text)?.[0];
      if (!jobName) return;
      const seen = finals.get(jobName);
      finals.set(jobName, { at: seen?.at ?? Date.now(), channel: m.channel, count: (seen?.count ?? 0) + 1 });
    });

    log(`fanout: ${JOBS} runs over ${CHANNELS} channels`);
    const started = Date.now();
    await Promise.all(
      Array.from({ length: JOBS }, (_, i) =>
        producers.run({
          requestId: `fanout-${i}-${randomUUID().slice(0, 8)}`,
          requester: { userId: BENCH_REQUESTER, teamId: stack.slack.teamId, channelId: benchChannelId(i % CHANNELS) },
          spec: { endpointName: BENCH_ENDPOINT, input: { kind: 'UriFolder', uri: 'azureml://datastores/workspaceblobstore/paths/fanout/in/' } },
        }),
      ),
    );
    // The sandbox's own record of when each job ended (the ARM job view carries no end time, as on Azure).
    const endTimes = (): Map<string, number> =>
      new Map(
        stack.azureml.admin
          .jobTimeline()
          .map((j) => [j.name, Date.parse(j.endTime ?? '')] as const)
          .filter(([, t]) => Number.isFinite(t)),
      );
    const ended = (): number[] => [...endTimes().values()];
    while (finals.size < JOBS && Date.now() - started < DEADLINE_MS) {
      if (breachesAtFirstEnd === undefined && ended().length > 0) breachesAtFirstEnd = stack.slack.rateBreaches();
      await new Promise((r) => setTimeout(r, 100));
    }
    unsubscribe();
    const endOf = endTimes();
    // Where the time goes: from a job's end until the bot first shows it (the watch), then until its reply.
    const noticeLagS = [...noticed.entries()].filter(([n]) => endOf.has(n)).map(([n, t]) => (t - (endOf.get(n) as number)) / 1000).sort((a, b) => a - b);
    const lastNoticed = Math.max(...noticed.values());
    const ends = ended().sort((a, b) => a - b);
    const firstEnd = ends[0] ?? Number.NaN;
    const lastEnd = ends[ends.length - 1] ?? Number.NaN;
    const lastReply = Math.max(...[...finals.values()].map((f) => f.at));
    const seconds = (lastReply - firstEnd) / 1000;
    const duplicates = [...finals.values()].filter((f) => f.count > 1).length;
    const breaches = stack.slack.rateBreaches();
    const perChannel = new Map<string, number>();
    for (const f of finals.values()) perChannel.set(f.channel, (perChannel.get(f.channel) ?? 0) + 1);
    // Slack's pace alone: the busiest channel's replies at 1 per second.
    const floorSeconds = Math.max(...perChannel.values()) - 1;
    return {
      summary: {
        delivered: finals.size,
        expected: JOBS,
        seconds: round(seconds, 1),
        rate_breaches: breaches,
        ratio_to_floor: round(seconds / floorSeconds, 2),
      },
      tables: [
        {
          title: `${JOBS} jobs ending together across ${CHANNELS} channels (Slack: 1 message/s per channel)`,
          columns: ['delivered', 'expected', 'duplicates', 'jobs ended within s', 'first end → last reply s', 'pace floor s', 'rate breaches'],
          rows: [[finals.size, JOBS, duplicates, round((lastEnd - firstEnd) / 1000, 1), round(seconds, 1), floorSeconds, breaches]],
        },
      ],
      details: {
        duplicates,
        jobsEndedWithinS: round((lastEnd - firstEnd) / 1000, 2),
        repliesPerChannelMax: Math.max(...perChannel.values()),
        paceFloorS: floorSeconds,
        rateBreachesBeforeJobsEnded: breachesAtFirstEnd ?? 0,
        rateBreachesTotal: breaches,
        noticeLagS: { p50: round(pct(noticeLagS, 0.5), 1), p99: round(pct(noticeLagS, 0.99), 1), max: round(noticeLagS[noticeLagS.length - 1] ?? Number.NaN, 1) },
        lastNoticedToLastReplyS: round((lastReply - lastNoticed) / 1000, 1),
        note: 'seconds = last final reply minus the first job end; the pace floor is what 1 message/s per channel allows for the busiest channel',
      },
    };
  } finally {
    await producers.close();
    await redis.quit().catch(() => undefined);
    await stack.stop();
  }
}
