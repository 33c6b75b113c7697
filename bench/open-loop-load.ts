// Open-loop load: request i is sent at start + i/rate whatever happened to the earlier ones (Slack does
// not wait for our answer before sending the next user's command), over a keep-alive agent, and its
// latency is measured from that intended send time, so a server that falls behind is charged for the
// queue it builds (no "coordinated omission"). Runs in its own process (open-loop-load-child.ts) so the
// load generator does not share an event loop with the server it measures.
import http from 'node:http';
import { z } from 'zod';

export const loadRequestSchema = z.object({ body: z.string(), headers: z.record(z.string(), z.string()) });
export type LoadRequest = z.infer<typeof loadRequestSchema>;

export const loadPlanSchema = z.object({
  url: z.string().url(),
  ratePerSecond: z.number().positive(),
  requests: z.array(loadRequestSchema).min(1),
  /** Give up on one request after this (Slack gives up at 3 s); counted as an error. */
  timeoutMs: z.number().positive().default(10_000),
});
export type LoadPlan = z.input<typeof loadPlanSchema>;

export const loadResultSchema = z.object({
  latenciesMs: z.array(z.number()),
  statuses: z.record(z.string(), z.number()),
  errors: z.number(),
  /** How late the generator itself sent requests (its own lag), p99 in ms. */
  sendLagP99Ms: z.number(),
  durationMs: z.number(),
});
export type LoadResult = z.infer<typeof loadResultSchema>;

export async function runOpenLoop(input: LoadPlan): Promise<LoadResult> {
  const plan = loadPlanSchema.parse(input);
  const url = new URL(plan.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const latencies: number[] = [];
  const lags: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const start = performance.now() + 50;
  const intervalMs = 1000 / plan.ratePerSecond;

  const send = (req: LoadRequest, intendedAt: number): Promise<void> =>
    new Promise((resolve) => {
      lags.push(performance.now() - intendedAt);
      const r = http.request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { ...req.headers, 'Content-Length': Buffer.byteLength(req.body) }, timeout: plan.timeoutMs },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - intendedAt);
            statuses[String(res.statusCode)] = (statuses[String(res.statusCode)] ?? 0) + 1;
            resolve();
          });
        },
      );
      r.on('timeout', () => r.destroy(new Error('timeout')));
      r.on('error', () => {
        errors += 1;
        resolve();
      });
      r.end(req.body);
    });

  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < plan.requests.length; i++) {
    const intendedAt = start + i * intervalMs;
    const wait = intendedAt - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(send(plan.requests[i]!, intendedAt));
  }
  await Promise.all(inFlight);
  agent.destroy();
  lags.sort((a, b) => a - b);
  return {
    latenciesMs: latencies,
    statuses,
    errors,
    sendLagP99Ms: lags[Math.min(lags.length - 1, Math.ceil(lags.length * 0.99) - 1)] ?? 0,
    durationMs: performance.now() - start,
  };
}
