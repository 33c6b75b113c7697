// The watch baseline: what a script does — every job polled on its own at a fixed interval (5 s) with
// ARM's Jobs_Get (`GET …/workspaces/{ws}/jobs/{name}`, as `az ml job show` calls it) until it reaches a
// terminal status. Each request is counted here and, by route, in the sandbox.
import axios from 'axios';

const TERMINAL = new Set(['Completed', 'Failed', 'Canceled']);

export interface FixedIntervalPoller {
  /** Starts polling a job (once per name). */
  watch(jobName: string): void;
  /** When the poller first saw each job terminal (ms since the epoch). */
  seenTerminalAt: Map<string, number>;
  requests(): number;
  stop(): void;
}

export function createFixedIntervalPoller(opts: { baseUrl: string; workspacePath: string; token: string; intervalMs: number; apiVersion?: string }): FixedIntervalPoller {
  const http = axios.create({ baseURL: opts.baseUrl, headers: { Authorization: `Bearer ${opts.token}` }, validateStatus: () => true, timeout: 30_000 });
  const timers = new Map<string, NodeJS.Timeout>();
  const seenTerminalAt = new Map<string, number>();
  let requests = 0;
  let stopped = false;

  const poll = async (jobName: string): Promise<void> => {
    if (stopped) return;
    requests += 1;
    const res = await http.get(`${opts.workspacePath}/jobs/${jobName}`, { params: { 'api-version': opts.apiVersion ?? '2022-05-01' } }).catch(() => undefined);
    const status = (res?.data as { properties?: { status?: string } } | undefined)?.properties?.status;
    if (status && TERMINAL.has(status)) {
      seenTerminalAt.set(jobName, Date.now());
      timers.delete(jobName);
      return;
    }
    if (!stopped) timers.set(jobName, setTimeout(() => void poll(jobName), opts.intervalMs));
  };

  return {
    watch(jobName) {
      if (timers.has(jobName) || seenTerminalAt.has(jobName)) return;
      timers.set(jobName, setTimeout(() => void poll(jobName), opts.intervalMs));
    },
    seenTerminalAt,
    requests: () => requests,
    stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}
