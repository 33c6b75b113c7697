// Adding work to the queues. Job ids are deterministic (derived from the request id, or the scoring
// job's name for watches) so that a Slack retry, a double click or a replayed approval collapses into
// the job that already exists: BullMQ returns the existing job for a duplicate jobId.
import { Job, Queue, type JobsOptions } from 'bullmq';
import type { RedisConnection } from './connection';
import type { RedisErrorLog } from './redis-error-log';
import type { Logger } from 'pino';
import {
  cleanupJobSchema,
  deployJobSchema,
  opsJobSchema,
  runJobSchema,
  watchJobSchema,
  type CleanupJobInput,
  type DeployJobInput,
  type OpsJobInput,
  type RunJobInput,
  type WatchJobInput,
} from './payloads';
import { QUEUE_NAMES } from './queue-names';
import { PREFLIGHT_JOB, preflightJobSchema, type PreflightJobInput } from './request-preflight';

/** Retries for transient failures (Azure 5xx/429 after the client's own retries, Redis hiccups). */
const WORK_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

export interface Producers {
  deploy(job: DeployJobInput): Promise<string>;
  run(job: RunJobInput): Promise<string>;
  ops(job: OpsJobInput, opts?: { delayMs?: number; jobId?: string }): Promise<string>;
  watch(job: WatchJobInput, opts?: { delayMs?: number }): Promise<string>;
  /**
   * Runs a scoring job's waiting watch step now (a refresh saw its status change): false when no step of it is
   * waiting in the delayed set (one is running, or the watch is over), which then needs nothing.
   */
  wakeWatch(jobName: string): Promise<boolean>;
  /**
   * A request to check with Azure before it is taken (see request-preflight.ts); on the ops queue.
   * `duplicate` when a check for this request id was already enqueued (a Slack retry or a replay).
   */
  preflight(job: PreflightJobInput): Promise<{ jobId: string; duplicate: boolean }>;
  /** Removing what a failed deploy created; on the ops queue. */
  cleanup(job: CleanupJobInput): Promise<string>;
  close(): Promise<void>;
}

/** The ops queue's job name for removing a failed deploy's leftovers. */
export const CLEANUP_JOB = 'cleanup';

export function deployJobId(requestId: string): string {
  return `deploy-${requestId}`;
}
export function runJobId(requestId: string): string {
  return `run-${requestId}`;
}
export function opsJobId(requestId: string): string {
  return `ops-${requestId}`;
}
export function preflightJobId(requestId: string): string {
  return `preflight-${requestId}`;
}
export function watchJobId(jobName: string): string {
  return `watch-${jobName}`;
}

export function createProducers(deps: { connection: RedisConnection; prefix: string; logger?: Logger; redisErrors?: RedisErrorLog }): Producers {
  const make = (name: string) => {
    const queue = new Queue(name, { connection: deps.connection, prefix: deps.prefix });
    // Without a listener, a lost Redis connection is printed to the console instead of the log; with the
    // process's Redis error log, one line per cause for all queues at a bounded rate.
    queue.on('error', (err) =>
      deps.redisErrors ? deps.redisErrors.report(err, `queue ${name}`) : deps.logger?.warn({ err, queue: name }, 'queue connection error'),
    );
    return queue;
  };
  const queues = {
    deploy: make(QUEUE_NAMES.deploy),
    run: make(QUEUE_NAMES.run),
    ops: make(QUEUE_NAMES.ops),
    watch: make(QUEUE_NAMES.watch),
  };
  return {
    async deploy(input) {
      const data = deployJobSchema.parse(input);
      const job = await queues.deploy.add('deploy', data, { ...WORK_JOB_OPTIONS, jobId: deployJobId(data.requestId) });
      return job.id!;
    },
    async run(input) {
      const data = runJobSchema.parse(input);
      const job = await queues.run.add('run', data, { ...WORK_JOB_OPTIONS, jobId: runJobId(data.requestId) });
      return job.id!;
    },
    async ops(input, opts) {
      const data = opsJobSchema.parse(input);
      const job = await queues.ops.add('ops', data, {
        ...WORK_JOB_OPTIONS,
        jobId: opts?.jobId ?? opsJobId(data.requestId),
        ...(opts?.delayMs ? { delay: opts.delayMs } : {}),
      });
      return job.id!;
    },
    async watch(input, opts) {
      const data = watchJobSchema.parse(input);
      // A watch re-schedules itself (moveToDelayed) instead of failing, so many attempts are fine:
      // they only count real errors while talking to Azure.
      const job = await queues.watch.add('watch', data, {
        ...WORK_JOB_OPTIONS,
        attempts: 10,
        jobId: watchJobId(data.jobName),
        ...(opts?.delayMs ? { delay: opts.delayMs } : {}),
      });
      return job.id!;
    },
    async wakeWatch(jobName) {
      const job = await Job.fromId(queues.watch, watchJobId(jobName));
      if (!job) return false;
      try {
        await job.promote();
        return true;
      } catch {
        // Not delayed (running, its delay ran out, another wake came first): it is looking already. A Redis
        // error costs nothing either: the step still runs when its delay ends.
        return false;
      }
    },
    async cleanup(input) {
      const data = cleanupJobSchema.parse(input);
      const job = await queues.ops.add(CLEANUP_JOB, data, { ...WORK_JOB_OPTIONS, jobId: `cleanup-${data.requestId}` });
      return job.id!;
    },
    async preflight(input) {
      const data = preflightJobSchema.parse(input);
      const jobId = preflightJobId(data.requestId);
      // BullMQ returns the existing job for a duplicate id without saying so; look first to tell the user.
      // EXISTS on the job's hash answers what getJob would, without reading and parsing the whole job.
      if ((await deps.connection.exists(queues.ops.toKey(jobId))) > 0) return { jobId, duplicate: true };
      await queues.ops.add(PREFLIGHT_JOB, data, { ...WORK_JOB_OPTIONS, jobId });
      return { jobId, duplicate: false };
    },
    async close() {
      await Promise.all(Object.values(queues).map((q) => q.close()));
    },
  };
}
