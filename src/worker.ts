// Entry point of the worker process: the Azure ML client, the stores, and one BullMQ worker per queue
// (deploy, run, watch, ops, notify), closed gracefully on SIGTERM. Any number of worker processes can
// share one Redis; BullMQ hands each job to exactly one of them.
import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { AzureMlClient } from './azureml';
import { createAzureMlFromConfig } from './azureml-from-config';
import { AZURE_CLOUDS } from './azureml/clouds';
import { createAzureCredential, type TokenCredential } from './azureml/credentials';
import { probeCredential } from './azureml/credential-probe';
import type { Config } from './config';
import { createApprovalStore } from './queue/approval-store';
import { createAuditTrail } from './queue/audit-trail';
import { createLeftoverStore } from './queue/leftover-store';
import { createRedisErrorLog, type RedisErrorLog } from './queue/redis-error-log';
import { createRedisConnection } from './queue/connection';
import { createDeployWorker } from './queue/deploy-worker';
import { createEndpointDirectory, endpointEntryOf } from './queue/endpoint-directory';
import { listEndpoints } from './usecases/endpoint-lookup';
import { createLockStore } from './queue/lock-store';
import { createNotifyOutbox } from './queue/notify-outbox';
import { createNotifyWorker } from './queue/notify-worker';
import { createOpsWorker, EXPIRE_APPROVALS_JOB } from './queue/ops-worker';
import { createProducers } from './queue/producers';
import { QUEUE_NAMES } from './queue/queue-names';
import { createRequestStore } from './queue/request-store';
import { createRunWorker } from './queue/run-worker';
import { createWatchWorker } from './queue/watch-worker';
import { startWorkerHost, type WorkerHost } from './queue/worker-host';
import type { WorkerContext } from './queue/worker-context';
import { createSlackClient } from './slack/slack-client';
import { Queue } from 'bullmq';
import { policyFromConfig } from './bot';
import { intakeReply } from './handlers/intake-replies';
import { submitWork, type IntakeDeps } from './handlers/request-intake';
import { createPendingCaps } from './queue/pending-caps';
import { createCancelPermission } from './handlers/cancel-permission';
import { createUserGroupResolver } from './handlers/user-groups';

export interface WorkerOptions {
  logger: Logger;
  /** Another credential than DefaultAzureCredential (the sandbox's). */
  credential?: TokenCredential;
  now?: () => number;
  /** How soon a job whose worker died is picked up by another (BullMQ lockDuration); default 30 s. */
  lockDurationMs?: number;
  /** Pacing of the notify worker per channel; default Slack's 1 message per second. */
  perChannelIntervalMs?: number;
  /** While Slack refuses the bot token: how often it is checked again and held messages look again (default 60 s / 30 s). */
  slackTokenRecheckMs?: number;
  /** The workspace's chat.update budget per minute (default 50, Slack's Tier 3). */
  slackEditsPerMinute?: number;
  /** How often pending approvals are checked for expiry; default 30 s. */
  expirySweepMs?: number;
  /** Poll pacing for long-running operations (sandbox runs use short ones). */
  poll?: { minIntervalMs?: number; maxIntervalMs?: number };
  /** Handle SIGTERM/SIGINT in this process (default true); tests close explicitly. */
  handleSignals?: boolean;
  /** The process's Redis error log, shared with the bot when both run in one process. */
  redisErrors?: RedisErrorLog;
}

export interface WorkersHandle {
  azureml: AzureMlClient;
  workers: Worker[];
  close(): Promise<void>;
}

export async function startWorkers(config: Config, opts: WorkerOptions): Promise<WorkersHandle> {
  const logger = opts.logger.child({ process: 'worker' });
  const now = opts.now ?? Date.now;
  const prefix = config.redis.queuePrefix;
  const connection = createRedisConnection(config.redis, { forWorker: true, name: 'bsb-worker' });
  const producerConnection = createRedisConnection(config.redis, { name: 'bsb-worker-producer' });
  // While Redis is away every client reports every reconnect: one bounded line per cause instead.
  const redisErrors = opts.redisErrors ?? createRedisErrorLog({ logger });
  redisErrors.watch(connection, 'worker');
  redisErrors.watch(producerConnection, 'worker producer');
  const cloud = AZURE_CLOUDS[config.azure.cloud];
  const credential =
    opts.credential ??
    createAzureCredential(cloud, { ...(config.azure.tenantId ? { tenantId: config.azure.tenantId } : {}), ...(config.azure.clientId ? { managedIdentityClientId: config.azure.clientId } : {}) });
  const azureml = createAzureMlFromConfig(config.azure, { logger, credential, artifactsRoot: config.worker.artifactsRoot, poll: opts.poll });
  // One token at start: without any working credential the log says so in one line (which were tried,
  // how to fix it) rather than every request failing later with a long aggregate message.
  void probeCredential(credential, cloud.resourceManagerScope).then((problem) => {
    if (problem) logger.error({ event: 'azure-credential' }, problem);
  });
  const producers = createProducers({ connection: producerConnection, prefix, logger, redisErrors });
  const outbox = createNotifyOutbox({ connection: producerConnection, prefix, logger, redisErrors });

  const slack = createSlackClient({ token: config.slack.botToken, ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}), logger });
  const policy = policyFromConfig(config);
  const requests = createRequestStore({ connection: producerConnection, prefix, now });
  const ctx: WorkerContext = {
    azureml,
    cloud: AZURE_CLOUDS[config.azure.cloud],
    workspace: azureml.workspace,
    outbox,
    audit: createAuditTrail({ connection: producerConnection, prefix, now }),
    requests,
    approvals: createApprovalStore({ connection: producerConnection, prefix, now }),
    producers,
    endpoints: createEndpointDirectory({ connection: producerConnection, prefix }),
    locks: createLockStore({ connection: producerConnection, prefix, now }),
    leftovers: createLeftoverStore({ connection: producerConnection, prefix }),
    // The same rule the bot applies, with the worker's own look-up of Slack's user groups.
    cancels: createCancelPermission({ policy, requests, userGroups: createUserGroupResolver({ client: slack, logger }) }),
    watch: { minIntervalMs: config.worker.watchMinIntervalMs, maxIntervalMs: config.worker.watchMaxIntervalMs },
    logger,
    now,
  };
  // A request whose pre-flight check passed is taken here exactly as the bot takes one (approval or queue).
  const intakeDeps: IntakeDeps = {
    policy,
    approvals: ctx.approvals,
    audit: ctx.audit,
    outbox,
    producers,
    requests: ctx.requests,
    logger,
    now,
    workspaceScope: config.azure.allowedWorkspaces,
    endpoints: ctx.endpoints,
    pendingCaps: createPendingCaps({
      connection: producerConnection,
      prefix,
      now,
      caps: { perUser: config.approvals.maxPendingPerUser, perChannel: config.approvals.maxPendingPerChannel },
    }),
  };
  ctx.intake = { submit: async (input) => intakeReply(await submitWork(intakeDeps, input)) };
  const lockDurationMs = opts.lockDurationMs ?? config.worker.lockDurationMs;
  const common = { connection, prefix, lockDurationMs };
  const concurrency = config.worker.concurrency;
  const workers: Worker[] = [
    createDeployWorker(ctx, { ...common, concurrency }),
    createRunWorker(ctx, { ...common, concurrency }),
    createWatchWorker(ctx, { ...common, concurrency: Math.max(20, concurrency * 5) }),
    createOpsWorker(ctx, { ...common, concurrency }),
    createNotifyWorker({
      connection,
      redisErrors,
      prefix,
      slack,
      logger,
      concurrency: Math.max(10, concurrency * 2),
      perChannelIntervalMs: opts.perChannelIntervalMs ?? config.worker.slackChannelIntervalMs,
      ...(opts.slackTokenRecheckMs !== undefined ? { recoverIntervalMs: opts.slackTokenRecheckMs, tokenHoldMs: opts.slackTokenRecheckMs } : {}),
      ...(opts.slackEditsPerMinute !== undefined ? { editsPerMinute: opts.slackEditsPerMinute } : {}),
      lockDurationMs,
      stalledIntervalMs: lockDurationMs,
    }),
  ];

  // Expired approvals lose their buttons even if nobody clicks: one scheduler for all worker processes.
  const opsQueue = new Queue(QUEUE_NAMES.ops, { connection: producerConnection, prefix });
  opsQueue.on('error', (err) => redisErrors.report(err, `queue ${QUEUE_NAMES.ops} (scheduler)`));
  await opsQueue.upsertJobScheduler(EXPIRE_APPROVALS_JOB, { every: opts.expirySweepMs ?? 30_000 }, {
    name: EXPIRE_APPROVALS_JOB,
    data: {},
    // A sweep every few seconds forever: keep none that completed and only the last few failures.
    opts: { removeOnComplete: true, removeOnFail: 50 },
  });
  await outbox.recoverPending();
  // The run modal offers the workspace's endpoints from this directory; fill it once at start.
  void listEndpoints({ azureml })
    .then((list) => ctx.endpoints.replace(list.map((e) => endpointEntryOf(e))))
    .catch((err: unknown) => logger.warn({ err }, 'could not list the workspace endpoints at start'));

  const host: WorkerHost = startWorkerHost({
    workers,
    logger,
    redisErrors,
    ...(opts.handleSignals === false ? { signals: [] } : {}),
    onClosed: async () => {
      await Promise.all([producers.close(), outbox.close(), opsQueue.close()]);
      await Promise.all([connection.quit().catch(() => connection.disconnect()), producerConnection.quit().catch(() => producerConnection.disconnect())]);
    },
  });
  return { azureml, workers, close: () => host.close() };
}
