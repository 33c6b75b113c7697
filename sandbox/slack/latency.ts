// Network time, on demand: real Slack answers Web API calls and delivers events over the internet, in
// tens to hundreds of milliseconds, and the 3-second acknowledgement window includes Slack's own transit.
// A latency range makes the stand-in answer (and the driver deliver) that slowly, uniformly within it.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

export const LatencyRangeSchema = z
  .object({ minMs: z.number().int().min(0), maxMs: z.number().int().min(0) })
  .refine((r) => r.maxMs >= r.minMs, { message: 'maxMs must be at least minMs' });
export type LatencyRange = z.infer<typeof LatencyRangeSchema>;

export interface Latency {
  /** Waits one draw from the range (nothing when no range is set). */
  wait(): Promise<void>;
}

export function createLatency(range: LatencyRange | undefined, random: () => number = Math.random): Latency {
  const r = range === undefined ? undefined : LatencyRangeSchema.parse(range);
  return {
    wait: async () => {
      if (!r || r.maxMs === 0) return;
      await sleep(r.minMs + Math.round((r.maxMs - r.minMs) * random()));
    },
  };
}
