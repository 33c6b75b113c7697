// The notify queue's worker: wires the outbox store (notify-outbox-store.ts), Slack's pace
// (notify-pacer.ts) and Slack itself (slack/slack-delivery.ts) into the drain protocol
// (notify-drain.ts), which says how a request's messages reach Slack, and runs the sweep that finds
// requests whose flush job was lost and tells when Slack takes a refused token again.
import { Worker, type Job, type WorkerOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { WebClient } from '@slack/web-api';
import { createSlackDelivery, type SlackDelivery } from '../slack/slack-delivery';
import type { RedisConnection } from './connection';
import { createNotifyDrain, type NotifyRetryPolicy } from './notify-drain';
import { createNotifyOutbox, DIRECT_JOB_NAME, FLUSH_JOB_NAME, type NotifyOutbox } from './notify-outbox';
import { createNotifyOutboxStore, type NotifyOutboxStore } from './notify-outbox-store';
import { createNotifyPacer, type NotifyPacerOptions } from './notify-pacer';
import { QUEUE_NAMES } from './queue-names';
import type { RedisErrorLog } from './redis-error-log';

export interface NotifyWorkerDeps extends NotifyPacerOptions {
  /** A worker connection: createRedisConnection(url, { forWorker: true }). */
  connection: RedisConnection;
  /** When the worker runs under startWorkerHost with a Redis error log, its 'error' events are logged there. */
  redisErrors?: RedisErrorLog;
  prefix: string;
  /** createSlackClient(): its own retries are off, because they live here. */
  slack: WebClient;
  logger: Logger;
  concurrency?: number;
  retry?: Partial<NotifyRetryPolicy>;
  /** How long a reply waits for its thread's parent to be enqueued before it is dead-lettered. */
  parentWaitMaxMs?: number;
  /** How often to look for requests whose flush job was lost; 0 turns the sweep off. */
  recoverIntervalMs?: number;
  /** Passed to BullMQ: how soon a job whose worker died is picked up again. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Timeout of a response_url POST. */
  httpTimeoutMs?: number;
  /** While Slack refuses the token, how long a held job sleeps before looking at the flag again (default 30 s). */
  tokenHoldMs?: number;
}

export function createNotifyWorker(deps: NotifyWorkerDeps): Worker {
  const { connection, prefix } = deps;
  const logger = deps.logger.child({ queue: QUEUE_NAMES.notify });
  const store = createNotifyOutboxStore({ connection, prefix });
  const slack = createSlackDelivery(deps.slack, { ...(deps.httpTimeoutMs !== undefined ? { httpTimeoutMs: deps.httpTimeoutMs } : {}) });
  const drain = createNotifyDrain({
    store,
    pacer: createNotifyPacer(deps),
    slack,
    logger,
    isClosing: () => Boolean(worker.closing),
    ...(deps.retry ? { retry: deps.retry } : {}),
    ...(deps.parentWaitMaxMs !== undefined ? { parentWaitMaxMs: deps.parentWaitMaxMs } : {}),
    ...(deps.tokenHoldMs !== undefined ? { tokenHoldMs: deps.tokenHoldMs } : {}),
  });

  const worker: NotifyWorker = new NotifyWorker(
    async (job: Job, token?: string) => {
      if (job.name === FLUSH_JOB_NAME) return drain.flush(job, token);
      if (job.name === DIRECT_JOB_NAME) return drain.direct(job, token);
      logger.error({ jobName: job.name, jobId: job.id }, 'unknown notify job; discarded');
      return 'unknown';
    },
    {
      connection,
      prefix,
      concurrency: deps.concurrency ?? 16,
      ...(deps.lockDurationMs ? { lockDuration: deps.lockDurationMs } : {}),
      ...(deps.stalledIntervalMs ? { stalledInterval: deps.stalledIntervalMs } : {}),
    },
    { outbox: createNotifyOutbox({ connection, prefix }), store, slack, log: logger },
    deps.recoverIntervalMs ?? 60_000,
  );
  worker.on('failed', (job, err) => logger.error({ jobId: job?.id, err }, 'notify job failed'));
  // Under a worker host with a Redis error log, the host reports this worker's errors (once, bounded).
  if (!deps.redisErrors) worker.on('error', (err) => logger.error({ err }, 'notify worker error'));
  return worker;
}

/**
 * The notify queue's Worker, which also sweeps for requests whose flush job was lost (failed for
 * good, or its worker died between finding the list empty and finishing) and closes that sweep's
 * queue with itself.
 */
class NotifyWorker extends Worker {
  private readonly sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    processor: (job: Job, token?: string) => Promise<string>,
    opts: WorkerOptions,
    private readonly sweeping: { outbox: NotifyOutbox; store: NotifyOutboxStore; slack: SlackDelivery; log: Logger },
    recoverIntervalMs: number,
  ) {
    super(QUEUE_NAMES.notify, processor, opts);
    void this.sweep();
    if (recoverIntervalMs > 0) {
      this.sweepTimer = setInterval(() => void this.sweep(), recoverIntervalMs);
      this.sweepTimer.unref();
    }
  }

  private async sweep(): Promise<void> {
    const { outbox, log } = this.sweeping;
    try {
      await this.recheckToken();
      const count = await outbox.recoverPending();
      if (count > 0) log.debug({ count }, 'notify outbox: requests with entries waiting');
    } catch (err) {
      if (!this.closing) log.warn({ err }, 'notify outbox recovery sweep failed');
    }
  }

  /** While the token is refused, one auth.test per sweep: when Slack accepts it again, the held messages go. */
  private async recheckToken(): Promise<void> {
    const { store, slack, log } = this.sweeping;
    const refusal = await store.readTokenRefusal();
    if (!refusal || !(await slack.tokenWorks())) return;
    await store.clearTokenRefusal();
    log.info({ slackError: refusal.error, heldForMs: Date.now() - refusal.since }, 'Slack accepts the bot token again; delivering the held messages');
  }

  override async close(force = false): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await super.close(force);
    await this.sweeping.outbox.close();
  }
}
