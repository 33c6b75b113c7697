// `fanout`: 200 scoring jobs ending within about a second of each other across 20 channels, watched by
// the real worker process, whose notify worker must deliver every final reply without going over
// Slack's ~1 message per second per channel (the stand-in counts breaches instead of refusing them, so
// an over-eager bot shows up as a number rather than as retries). Time to deliver all: from the first
// job's end to the last final reply.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { StandInEvent } from '../sandbox/slack';
import { isTerminalJobStatus } from '../src/azureml/jobs';
import { snapshotKeys } from '../src/queue/job-status-snapshot';
import { createProducers } from '../src/queue/producers';
import type { BenchOutcome } from './bench-report';
import { BENCH_ENDPOINT, BENCH_REQUESTER, benchChannelId, JOB_NAME_IN_TEXT, startBenchStack } from './bench-stack';
import { round, summarizeLatencies, type LatencySummary } from './latency-stats';
import { lagSplit, reportedAtByJob } from './reported-at';
import { LatencyRangeSchema, type LatencyRange } from '../sandbox/slack/latency';

const JOBS = 200;
const CHANNELS = 20;
const DEADLINE_MS = 3 * 60_000;

/** BENCH_SLACK_LATENCY_MS=min-max: Slack's network time on each call, as real Slack has (none when unset). */
function slackLatencyFromEnv(value: string | undefined): LatencyRange | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^(\d+)-(\d+)$/.exec(value);
  const range = LatencyRangeSchema.safeParse(m ? { minMs: Number(m[1]), maxMs: Number(m[2]) } : undefined);
  if (!range.success) throw new Error(`BENCH_SLACK_LATENCY_MS must be min-max in ms, such as 50-250; got '${value}'`);
  return range.data;
}

export async function runFanoutBench(log: (line: string) => void): Promise<BenchOutcome> {
  const slackLatency = slackLatencyFromEnv(process.env.BENCH_SLACK_LATENCY_MS);
  // Every job scores the same single file and lasts ~25 s: long enough for each thread's parent, start
  // and status messages to be out before the jobs all end together.
  const stack = await startBenchStack({
    ...(slackLatency ? { slackLatency } : {}),
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
    const unsubscribe = stack.slack.onEvent((event: StandInEvent) => {
      if (event.type !== 'message_posted') return;
      const m = event.message;
      if (!m.text.includes(`<@${BENCH_REQUESTER}>`) || !/ (completed|failed|canceled)\b/.test(m.text)) return;
      const jobName = JOB_NAME_IN_TEXT.exec(m.text)?.[0];
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
    // When the shared snapshot first held each job as ended: splits noticing an end into the list's
    // share (job end → seen) and the outcome's (seen → reported).
    const seenEndedAt = new Map<string, number>();
    const entriesKey = snapshotKeys('bsb').entries;
    while (finals.size < JOBS && Date.now() - started < DEADLINE_MS) {
      if (breachesAtFirstEnd === undefined && ended().length > 0) breachesAtFirstEnd = stack.slack.rateBreaches();
      for (const [name, line] of Object.entries(await redis.hgetall(entriesKey))) {
        if (!seenEndedAt.has(name) && isTerminalJobStatus(String((JSON.parse(line) as { status?: unknown }).status))) seenEndedAt.set(name, Date.now());
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    unsubscribe();
    const endOf = endTimes();
    // Where the time goes: from a job's end until the watch reported it, then until the reply reached Slack.
    const reportedAt = await reportedAtByJob(redis);
    const { noticeLagS, deliveryLagS } = lagSplit(endOf, reportedAt, new Map([...finals].map(([n, f]) => [n, f.at])));
    // The snapshot keys its lines by the job's name in lower case.
    const lower = <T>(m: ReadonlyMap<string, T>): Map<string, T> => new Map([...m].map(([n, v]) => [n.toLowerCase(), v]));
    const seenLag = lagSplit(lower(endOf), seenEndedAt, lower(reportedAt));
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
    // The pace the replies really kept: the gaps between one channel's consecutive final replies.
    const repliesByChannel = new Map<string, number[]>();
    for (const f of finals.values()) repliesByChannel.set(f.channel, [...(repliesByChannel.get(f.channel) ?? []), f.at]);
    const replyGapsS = [...repliesByChannel.values()].flatMap((list) => list.sort((a, b) => a - b).slice(1).map((at, i) => (at - list[i]!) / 1000));
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
        slackLatencyMs: slackLatency ? `${slackLatency.minMs}-${slackLatency.maxMs}` : 'none',
        duplicates,
        jobsEndedWithinS: round((lastEnd - firstEnd) / 1000, 2),
        repliesPerChannelMax: Math.max(...perChannel.values()),
        paceFloorS: floorSeconds,
        rateBreachesBeforeJobsEnded: breachesAtFirstEnd ?? 0,
        rateBreachesTotal: breaches,
        noticeLagS: lagFigures(noticeLagS),
        seenLagS: lagFigures(seenLag.noticeLagS),
        seenToReportedS: lagFigures(seenLag.deliveryLagS),
        deliveryLagS: lagFigures(deliveryLagS),
        channelReplyGapS: lagFigures(summarizeLatencies(replyGapsS)),
        note: 'seconds = last final reply minus the first job end; the pace floor is when 1 message/s per channel lets the last reply out, given the real job ends; noticeLagS = job end to the watch reporting it (seenLagS: to the shared snapshot holding it as ended, polled every 100 ms; seenToReportedS: from there to reported, the outcome read), deliveryLagS = that to the reply reaching Slack; channelReplyGapS = between one channel\'s consecutive final replies (Slack allows about 1 s)',
      },
    };
  } finally {
    await producers.close();
    await redis.quit().catch(() => undefined);
    await stack.stop();
  }
}

/** p50, p99 and max of a set of lags in seconds, to a tenth. */
function lagFigures(lag: LatencySummary): { p50: number; p99: number; max: number } {
  return { p50: round(lag.p50, 1), p99: round(lag.p99, 1), max: round(lag.max, 1) };
}
