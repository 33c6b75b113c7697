// Entry point of the worker process: the Azure ML client, the stores, and one BullMQ worker per queue
// (deploy, run, watch, ops, notify), closed gracefully on SIGTERM. Any number of worker processes can
// share one Redis; BullMQ hands each job to exactly one of them.
import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { AzureMlClient } from './azureml';
import { createAzureMlFromConfig } from './azureml-from-config';
import { AZURE_CLOUDS } from './azureml/clouds';
import type { RevokedTokenReplacement, TokenCredential } from './azureml/credentials';
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
import { credentialOfProfile, policyOfProfile, workspaceLabels } from './workspace-profiles';
import { labelledOutbox, workspaceContexts } from './queue/workspace-contexts';

export interface WorkerOptions {
  logger: Logger;
  /** Another credential than each profile's own (the sandbox's), for every profile or by profile name. */
  credential?: TokenCredential | ((profile: string) => TokenCredential | undefined);
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
  /** The first workspace's client. */
  azureml: AzureMlClient;
  /** One context per workspace profile, in configuration order. */
  workspaces: readonly WorkerContext[];
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
  const producers = createProducers({ connection: producerConnection, prefix, logger, redisErrors });
  const rawOutbox = createNotifyOutbox({ connection: producerConnection, prefix, logger, redisErrors });
  const slack = createSlackClient({ token: config.slack.botToken, ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}), logger });
  const basePolicy = policyFromConfig(config);
  const requests = createRequestStore({ connection: producerConnection, prefix, now });
  const shared = {
    audit: createAuditTrail({ connection: producerConnection, prefix, now }),
    requests,
    approvals: createApprovalStore({ connection: producerConnection, prefix, now }),
    producers,
    leftovers: createLeftoverStore({ connection: producerConnection, prefix }),
    watch: {
      minIntervalMs: config.worker.watchMinIntervalMs,
      maxIntervalMs: config.worker.watchMaxIntervalMs,
      // Live progress is looked at no faster than the status lines can show it (notify-pacer.ts's edit budget).
      ...(opts.slackEditsPerMinute !== undefined ? { statusEditsPerMinute: opts.slackEditsPerMinute } : {}),
    },
    now,
  };
  const userGroups = createUserGroupResolver({ client: slack, logger });
  const pendingCaps = createPendingCaps({
    connection: producerConnection,
    prefix,
    now,
    caps: { perUser: config.approvals.maxPendingPerUser, perChannel: config.approvals.maxPendingPerChannel },
  });
  const labels = workspaceLabels(config.profiles);
  // One context per workspace profile: its own credential, Azure client, endpoint directory and locks;
  // its outbox names the workspace on every message when there are several.
  const contexts: WorkerContext[] = config.profiles.map((profile) => {
    const cloud = AZURE_CLOUDS[profile.azure.cloud];
    const override = typeof opts.credential === 'function' ? opts.credential(profile.name) : opts.credential;
    const credential = override ?? credentialOfProfile(profile);
    const profileLogger = config.profiles.length > 1 ? logger.child({ workspace: profile.name }) : logger;
    const azureml = createAzureMlFromConfig(profile.azure, {
      logger: profileLogger,
      credential,
      // The profile's own credential is rebuilt after a revoked token; an injected one (the sandbox's) is not.
      ...(override ? {} : { makeCredential: (replacing?: RevokedTokenReplacement) => credentialOfProfile(profile, replacing) }),
      artifactsRoot: config.worker.artifactsRoot,
      poll: opts.poll,
    });
    // One token at start: without any working credential the log says so in one line (which were tried,
    // how to fix it) rather than every request failing later with a long aggregate message.
    void probeCredential(credential, cloud.resourceManagerScope).then((problem) => {
      if (problem) profileLogger.error({ event: 'azure-credential', workspace: profile.name }, problem);
    });
    const policy = policyOfProfile(basePolicy, profile);
    const outbox = labelledOutbox(rawOutbox, labels.get(profile.name));
    const ctx: WorkerContext = {
      ...shared,
      profile: profile.name,
      azureml,
      cloud,
      workspace: azureml.workspace,
      outbox,
      endpoints: createEndpointDirectory({ connection: producerConnection, prefix, profile: profile.name }),
      locks: createLockStore({ connection: producerConnection, prefix, now, profile: profile.name }),
      // The same rule the bot applies, with the worker's own look-up of Slack's user groups.
      cancels: createCancelPermission({ policy, requests, userGroups }),
      logger: profileLogger,
    };
    // A request whose pre-flight check passed is taken here exactly as the bot takes one (approval or queue).
    const intakeDeps: IntakeDeps = {
      policy,
      approvals: ctx.approvals,
      audit: ctx.audit,
      outbox,
      producers,
      requests: ctx.requests,
      logger: profileLogger,
      now,
      workspaceScope: profile.azure.allowedWorkspaces,
      endpoints: ctx.endpoints,
      pendingCaps,
    };
    ctx.intake = { submit: async (input) => intakeReply(await submitWork(intakeDeps, input)) };
    return ctx;
  });
  const served = workspaceContexts(contexts, labels, rawOutbox);
  const lockDurationMs = opts.lockDurationMs ?? config.worker.lockDurationMs;
  const common = { connection, prefix, lockDurationMs };
  const concurrency = config.worker.concurrency;
  const workers: Worker[] = [
    createDeployWorker(served, { ...common, concurrency }),
    createRunWorker(served, { ...common, concurrency }),
    createWatchWorker(served, { ...common, concurrency: Math.max(20, concurrency * 5) }),
    createOpsWorker(served, { ...common, concurrency }),
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
  await rawOutbox.recoverPending();
  // The run modal offers the workspace's endpoints from this directory; fill it once at start.
  for (const ctx of contexts) {
    void listEndpoints({ azureml: ctx.azureml })
      .then((list) => ctx.endpoints.replace(list.map((e) => endpointEntryOf(e))))
      .catch((err: unknown) => ctx.logger.warn({ err }, 'could not list the workspace endpoints at start'));
  }

  const host: WorkerHost = startWorkerHost({
    workers,
    logger,
    redisErrors,
    ...(opts.handleSignals === false ? { signals: [] } : {}),
    onClosed: async () => {
      await Promise.all([producers.close(), rawOutbox.close(), opsQueue.close()]);
      await Promise.all([connection.quit().catch(() => connection.disconnect()), producerConnection.quit().catch(() => producerConnection.disconnect())]);
    },
  });
  return { azureml: (contexts[0] as WorkerContext).azureml, workspaces: contexts, workers, close: () => host.close() };
}
