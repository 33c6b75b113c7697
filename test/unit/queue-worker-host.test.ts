// The worker host: graceful close on SIGTERM/SIGINT, force on a second signal.
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { startWorkerHost, type HostedWorker, type SignalSource } from '../../src/queue/worker-host';

const logger = pino({ level: 'silent' });

/** A worker whose active job finishes when the test says so. */
class FakeWorker extends EventEmitter implements HostedWorker {
  running: boolean;
  closes: boolean[] = [];
  private finishJob!: () => void;
  private readonly jobDone = new Promise<void>((resolve) => (this.finishJob = resolve));

  constructor(
    readonly name: string,
    running = true,
  ) {
    super();
    this.running = running;
  }
  isRunning(): boolean {
    return this.running;
  }
  async run(): Promise<void> {
    this.running = true;
  }
  async close(force = false): Promise<void> {
    this.closes.push(force);
    if (!force) await this.jobDone;
    this.running = false;
  }
  finishActiveJob(): void {
    this.finishJob();
  }
}

function signals(): SignalSource & EventEmitter {
  return new EventEmitter() as SignalSource & EventEmitter;
}

/** Lets pending promise callbacks run (no timers involved). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('worker host', () => {
  it('starts the workers that are not running yet', () => {
    const idle = new FakeWorker('deploy', false);
    const busy = new FakeWorker('run', true);
    const host = startWorkerHost({ workers: [idle, busy], logger, signalSource: signals(), exit: jest.fn() });
    expect(idle.running).toBe(true);
    idle.finishActiveJob();
    busy.finishActiveJob();
    return host.close();
  });

  it('lets active jobs finish on SIGTERM, then closes connections and exits 0', async () => {
    const worker = new FakeWorker('deploy');
    const source = signals();
    const order: string[] = [];
    const exit = jest.fn((code: number) => order.push(`exit ${code}`));
    startWorkerHost({ workers: [worker], logger, signalSource: source, exit, onClosed: async () => void order.push('connections closed') });

    source.emit('SIGTERM');
    await settle();
    expect(worker.closes).toEqual([false]);
    expect(exit).not.toHaveBeenCalled();

    worker.finishActiveJob();
    await waitUntil(() => exit.mock.calls.length > 0);
    expect(order).toEqual(['connections closed', 'exit 0']);
    expect(source.listenerCount('SIGTERM')).toBe(0);
  });

  it('closes by force on a second signal while jobs are still finishing', async () => {
    const worker = new FakeWorker('watch');
    const source = signals();
    const exit = jest.fn();
    startWorkerHost({ workers: [worker], logger, signalSource: source, exit });
    source.emit('SIGINT');
    await settle();
    source.emit('SIGINT');
    await settle();
    expect(worker.closes).toEqual([false, true]);
    worker.finishActiveJob();
    await waitUntil(() => exit.mock.calls.length > 0);
  });

  it('closes once however often close() is called, without exiting the process', async () => {
    const worker = new FakeWorker('ops');
    const exit = jest.fn();
    const onClosed = jest.fn(async () => undefined);
    const host = startWorkerHost({ workers: [worker], logger, signalSource: signals(), exit, onClosed });
    worker.finishActiveJob();
    await Promise.all([host.close(), host.close()]);
    expect(worker.closes).toEqual([false]);
    expect(onClosed).toHaveBeenCalledTimes(1);
    expect(exit).not.toHaveBeenCalled();
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await settle();
  }
}
