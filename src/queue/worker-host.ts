// Runs a set of BullMQ workers in one process and stops them cleanly. On SIGTERM (a deploy, `docker
// stop`) or SIGINT, worker.close() lets every active job finish its current step — our steps are
// checkpointed with job.updateData, so the next process resumes where this one stopped — and only
// then are the connections closed. A second signal, or a close that outlasts `forceAfterMs`, closes
// the workers by force: their active jobs are picked up again once their locks expire (stalled jobs).
import type { Logger } from 'pino';
import type { RedisErrorLog } from './redis-error-log';

/** The part of a BullMQ Worker the host uses (so the host is tested without Redis). */
export interface HostedWorker {
  readonly name: string;
  isRunning(): boolean;
  run(): Promise<void>;
  close(force?: boolean): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** Where signals come from: the process, or a stand-in in tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

export interface WorkerHostDeps {
  workers: HostedWorker[];
  logger: Logger;
  /** Default SIGTERM and SIGINT. */
  signals?: NodeJS.Signals[];
  signalSource?: SignalSource;
  /** Runs after every worker has closed: close Redis connections, the Slack client, etc. */
  onClosed?: () => Promise<void>;
  /** Workers' 'error' events (mostly Redis going away) go here, bounded; else each is logged. */
  redisErrors?: RedisErrorLog;
  /** Called after a signal-triggered shutdown finishes; default process.exit. Not called by close(). */
  exit?: (code: number) => void;
  /** A graceful close taking longer than this turns into a forced one; default 60 s. */
  forceAfterMs?: number;
}

export interface WorkerHost {
  /** Closes every worker gracefully, then runs onClosed. Safe to call more than once. */
  close(): Promise<void>;
}

export function startWorkerHost(deps: WorkerHostDeps): WorkerHost {
  const { workers, logger } = deps;
  const signals = deps.signals ?? ['SIGTERM', 'SIGINT'];
  const source: SignalSource = deps.signalSource ?? process;
  const exit = deps.exit ?? ((code: number) => process.exit(code));
  const forceAfterMs = deps.forceAfterMs ?? 60_000;
  let closing: Promise<void> | undefined;

  for (const worker of workers) {
    worker.on('error', (err) =>
      deps.redisErrors ? deps.redisErrors.report(err, `worker ${worker.name}`) : logger.error({ err, worker: worker.name }, 'worker error'),
    );
    // Workers built with autorun: false are started here; the others already run.
    if (!worker.isRunning()) {
      worker.run().catch((err: unknown) => logger.error({ err, worker: worker.name }, 'worker stopped with an error'));
    }
  }
  logger.info({ workers: workers.map((w) => w.name) }, 'workers started');

  async function forceClose(): Promise<void> {
    logger.warn('closing workers by force; their active jobs will be retried after their locks expire');
    await Promise.allSettled(workers.map((w) => w.close(true)));
  }

  async function closeAll(): Promise<void> {
    const timer = setTimeout(() => void forceClose(), forceAfterMs);
    timer.unref();
    try {
      const results = await Promise.allSettled(workers.map((w) => w.close()));
      results.forEach((r, i) => {
        if (r.status === 'rejected') logger.error({ err: r.reason, worker: workers[i]?.name }, 'worker did not close cleanly');
      });
    } finally {
      clearTimeout(timer);
      for (const signal of signals) source.off(signal, onSignal);
    }
    if (deps.onClosed) await deps.onClosed();
    logger.info('workers closed');
  }

  function close(): Promise<void> {
    closing ??= closeAll();
    return closing;
  }

  // The first signal closes gracefully; a second one, while that is under way, means "now".
  function onSignal(): void {
    if (closing) {
      void forceClose();
      return;
    }
    logger.info('shutdown signal received; letting active jobs finish');
    close().then(
      () => exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  }

  for (const signal of signals) source.on(signal, onSignal);

  return { close };
}
