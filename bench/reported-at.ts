// When the watch reported each job's end: its audit record, written as the final reply is queued (after the
// outcome was read). Splits a reply's lag into noticing the end and delivering the reply.
import type { Redis } from 'ioredis';
import { createAuditTrail } from '../src/queue/audit-trail';
import { summarizeLatencies, type LatencySummary } from './latency-stats';

export async function reportedAtByJob(redis: Redis): Promise<Map<string, number>> {
  const entries = await createAuditTrail({ connection: redis, prefix: 'bsb' }).list({ count: 100_000 });
  return new Map(entries.filter((e) => e.type === 'succeeded' || e.type === 'failed').map((e) => [String(e.detail?.jobName ?? ''), e.at] as const));
}

/** Job end → reported, and reported → reply in Slack, in seconds. */
export function lagSplit(endOf: ReadonlyMap<string, number>, reportedAt: ReadonlyMap<string, number>, replyAt: ReadonlyMap<string, number>): { noticeLagS: LatencySummary; deliveryLagS: LatencySummary } {
  const lags = (pairs: Array<[number | undefined, number | undefined]>): number[] =>
    pairs.filter((p): p is [number, number] => Number.isFinite(p[0]) && Number.isFinite(p[1])).map(([a, b]) => (b - a) / 1000);
  return {
    noticeLagS: summarizeLatencies(lags([...endOf].map(([n, end]) => [end, reportedAt.get(n)]))),
    deliveryLagS: summarizeLatencies(lags([...replyAt.keys()].map((n) => [reportedAt.get(n), replyAt.get(n)]))),
  };
}
