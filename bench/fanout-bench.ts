// `fanout`: 200 scoring jobs ending within about a second of each other across 20 channels, watched by
// the real worker process, whose notify worker must deliver every final reply without going over
// Slack's ~1 message per second per channel (the stand-in counts breaches instead of refusing them, so
// an over-eager bot shows up as a number rather than as retries). Time to deliver all: from the first
// job's end to the last final reply.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { StandInEvent } from '../sandbox/slack';
import { createProducers } from '../src/queue/producers';
import { createAuditTrail } from '../src/queue/audit-trail';
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
    // Every post's arrival by channel, to show when and what went over Slack's pace if anything did.
    const posts = new Map<string, Array<{ at: number; what: string }>>();
    const unsubscribe = stack.slack.onEvent((event: StandInEvent) => {
      if (event.type !== 'message_posted' && event.type !== 'message_updated') return;
      const m = event.message;
      if (event.type === 'message_posted') {
        const list = posts.get(m.channel) ?? [];
        list.push({ at: Date.now(), what: m.text.replace(UUID, '<job>').slice(0, 40) });
        posts.set(m.channel, list);
      }
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
    // Where the time goes: from a job's end until the watch reported it (its audit record, written when the
    // final reply is queued), then until the reply reached Slack.
    const reportedAt = new Map(
      (await createAuditTrail({ connection: redis, prefix: 'bsb' }).list({ count: 10_000 }))
        .filter((e) => e.type === 'succeeded' || e.type === 'failed')
        .map((e) => [String(e.detail?.jobName ?? ''), e.at] as const),
    );
    const lagsS = (pairs: Array<[number | undefined, number | undefined]>): number[] =>
      pairs.filter((p): p is [number, number] => p[0] !== undefined && p[1] !== undefined).map(([a, b]) => (b - a) / 1000).sort((x, y) => x - y);
    const noticeLagS = lagsS([...endOf.entries()].map(([n, end]) => [end, reportedAt.get(n)]));
    const deliveryLagS = lagsS([...finals.keys()].map((n) => [reportedAt.get(n), finals.get(n)?.at]));
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
    // Slack's pace alone, given when the jobs really ended: in each channel a reply goes out at its job's
    // end or one second after the previous reply, whichever is later; the floor is the last such moment.
    const endsByChannel = new Map<string, number[]>();
    for (const [n, f] of finals) if (endOf.has(n)) endsByChannel.set(f.channel, [...(endsByChannel.get(f.channel) ?? []), endOf.get(n) as number]);
    const paceDone = [...endsByChannel.values()].map((list) => list.sort((a, b) => a - b).reduce((prev, end) => Math.max(end, prev + 1_000), Number.NEGATIVE_INFINITY));
    const floorSeconds = round((Math.max(...paceDone) - firstEnd) / 1000, 1);
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
        deliveryLagS: { p50: round(pct(deliveryLagS, 0.5), 1), p99: round(pct(deliveryLagS, 0.99), 1), max: round(deliveryLagS[deliveryLagS.length - 1] ?? Number.NaN, 1) },
        firstVisibleLagS: firstVisibleLag(noticed, endOf),
        lastNoticedToLastReplyS: round((lastReply - lastNoticed) / 1000, 1),
        overPace: overPace(posts, started),
        note: 'seconds = last final reply minus the first job end; the pace floor is when 1 message/s per channel lets the last reply out, given the real job ends; noticeLagS = job end to the watch reporting it, deliveryLagS = that to the reply reaching Slack',
      },
    };
  } finally {
    await producers.close();
    await redis.quit().catch(() => undefined);
    await stack.stop();
  }
}

/** Posts that found the stand-in's bucket (1/s, burst 3) empty: channel, seconds into the run, the four posts up to it. */
function overPace(posts: ReadonlyMap<string, Array<{ at: number; what: string }>>, started: number): Array<{ channel: string; atS: number; window: string[] }> {
  const out: Array<{ channel: string; atS: number; window: string[] }> = [];
  for (const [channel, list] of posts) {
    let tokens = 3;
    let at = list[0]?.at ?? 0;
    list.forEach((p, i) => {
      tokens = Math.min(3, tokens + (p.at - at) / 1000);
      at = p.at;
      if (tokens >= 1) tokens -= 1;
      else out.push({ channel, atS: round((p.at - started) / 1000, 2), window: list.slice(Math.max(0, i - 3), i + 1).map((q) => `${round((q.at - started) / 1000, 2)}s ${q.what}`) });
    });
  }
  return out.slice(0, 10);
}

function firstVisibleLag(noticed: ReadonlyMap<string, number>, endOf: ReadonlyMap<string, number>): number {
  const lags = [...noticed.entries()].filter(([n]) => endOf.has(n)).map(([n, t]) => (t - (endOf.get(n) as number)) / 1000).sort((a, b) => a - b);
  return round(pct(lags, 0.5), 1);
}
