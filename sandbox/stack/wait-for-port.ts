// Readiness probes with a deadline: a launcher is done only when its process answers, not when it
// has been spawned.
import net from 'node:net';

export class StartupTimeoutError extends Error {
  constructor(what: string, timeoutMs: number, detail?: string) {
    super(`${what} did not become ready within ${timeoutMs} ms${detail ? `: ${detail}` : ''}`);
    this.name = 'StartupTimeoutError';
  }
}

function tryConnect(port: number, payload?: string, expect?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let received = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => {
      if (payload === undefined) finish(true);
      else socket.write(payload);
    });
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (expect !== undefined && received.includes(expect)) finish(true);
      else if (received.includes('\r\n')) finish(false);
    });
  });
}

export interface ProbeOptions {
  what: string;
  port: number;
  timeoutMs: number;
  /** Bytes to send once connected; with `expect`, the probe succeeds only when the answer contains it. */
  payload?: string;
  expect?: string;
  /** Returns a reason when the process has already died, so we fail fast instead of waiting. */
  failed?: () => string | undefined;
}

export async function waitUntilAnswering(opts: ProbeOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let delay = 10;
  for (;;) {
    const failure = opts.failed?.();
    if (failure !== undefined) throw new Error(`${opts.what} failed to start: ${failure}`);
    if (await tryConnect(opts.port, opts.payload, opts.expect)) return;
    if (Date.now() > deadline) throw new StartupTimeoutError(opts.what, opts.timeoutMs);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 100);
  }
}
