// Entry point of the Slack-facing process: the Bolt app (HTTP receiver, or Socket Mode with an app-level
// token), its listeners, and the producers they enqueue to. It never calls Azure: every listener
// validates, acknowledges and enqueues. Health: /healthz (alive) and /readyz (Redis and Slack reachable, and
// in Socket Mode the WebSocket open), on PORT in both modes.
import { withDeadline } from './deadline';
import { App, HTTPReceiver, LogLevel, SocketModeReceiver, type CustomRoute, type Logger as BoltLogger } from '@slack/bolt';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from './config';
import { approvalPolicySchema, type ApprovalPolicy } from './domain/approval-policy';
import { registerAppHome } from './handlers/app-home';
import { registerApprovalActions } from './handlers/approval-actions';
import { registerJobActions } from './handlers/job-actions';
import type { BotDeps } from './handlers/bot-deps';
import type { BotWorkspace } from './handlers/bot-workspaces';
import { labelledOutbox } from './queue/workspace-contexts';
import { policyOfProfile, workspaceLabels } from './workspace-profiles';
import { registerModalSubmissions } from './handlers/modal-submissions';
import { registerSlashCommand } from './handlers/slash-command';
import { createConversationAccess } from './handlers/conversation-access';
import { createUserGroupResolver } from './handlers/user-groups';
import { createApprovalStore } from './queue/approval-store';
import { createAuditTrail } from './queue/audit-trail';
import { createRedisErrorLog, type RedisErrorLog } from './queue/redis-error-log';
import { createRedisConnection, waitForReady, type RedisConnection } from './queue/connection';
import { createEndpointDirectory } from './queue/endpoint-directory';
import { createLockStore } from './queue/lock-store';
import { TOKEN_REFUSED_ERRORS } from './slack/bot-token-check';
import { createLeftoverStore } from './queue/leftover-store';
import { registerLeftoverActions } from './handlers/leftover-actions';
import { createNotifyOutbox } from './queue/notify-outbox';
import { readSlackTokenRefusal } from './queue/notify-outbox-store';
import { createPendingCaps } from './queue/pending-caps';
import { createProducers } from './queue/producers';
import { createRequestStore } from './queue/request-store';
import { refuseFutureTimestamps } from './slack/request-freshness';
import { botClientOptions } from './slack/slack-client';

export const SLASH_COMMAND = '/batch-score';

/** How long each /readyz check may take before it counts as unreachable (a probe's own timeout is ~5 s). */
export const READINESS_CHECK_MS = { redis: 1_000, slack: 2_000 } as const;

export function policyFromConfig(config: Pick<Config, 'approvals' | 'slack'>): ApprovalPolicy {
  return approvalPolicySchema.parse({
    ...config.approvals,
    ...(config.slack.allowedChannelIds ? { allowedChannelIds: config.slack.allowedChannelIds } : {}),
    ...(config.slack.allowedTeamIds ? { allowedTeamIds: config.slack.allowedTeamIds } : {}),
  });
}

/** Bolt logs through its own interface; route it into our pino logger. */
function boltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.INFO;
  const child = logger.child({ component: 'bolt' });
  return {
    debug: (...msg: unknown[]) => child.debug(msg.map(String).join(' ')),
    info: (...msg: unknown[]) => child.info(msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => child.warn(msg.map(String).join(' ')),
    error: (...msg: unknown[]) => child.error(msg.map(String).join(' ')),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** How long the bot waits for Redis at start before it listens anyway. */
const REDIS_READY_AT_START_MS = 10_000;

export interface BotHandle {
  app: App;
  port: number;
  deps: BotDeps;
  stop(): Promise<void>;
}

export async function startBot(
  config: Config,
  opts: { logger: Logger; port?: number; now?: () => number; /** Shared with the workers when both run in one process. */ redisErrors?: RedisErrorLog },
): Promise<BotHandle> {
  const logger = opts.logger.child({ process: 'bot' });
  const now = opts.now ?? Date.now;
  const prefix = config.redis.queuePrefix;
  // Fail fast: while Redis is unreachable a request is told at once (within Slack's 3 s) that the bot is
  // temporarily unavailable and nothing was started, instead of waiting on reconnects until Slack gives up.
  const connection: RedisConnection = createRedisConnection(config.redis, { name: 'bsb-bot', failFast: true });
  const redisErrors = opts.redisErrors ?? createRedisErrorLog({ logger });
  redisErrors.watch(connection, 'bot');
  const policy = policyFromConfig(config);
  const producers = createProducers({ connection, prefix, logger, redisErrors });
  const outbox = createNotifyOutbox({ connection, prefix, logger, redisErrors });
  const port = opts.port ?? config.slack.port;

  let slackReachableAt = 0;
  const readiness = async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const checks: Record<string, string> = {};
    try {
      // Each check is bounded, so /readyz answers (503) even when a dependency hangs instead of refusing.
      await withDeadline(connection.ping(), READINESS_CHECK_MS.redis, 'Redis');
      checks.redis = 'ok';
    } catch (err) {
      checks.redis = `unreachable: ${(err as Error).message}`;
    }
    // The notify workers may have met a refused token first; then the cached auth.test success is stale.
    try {
      const refusal = await withDeadline(readSlackTokenRefusal(connection, prefix), READINESS_CHECK_MS.redis, 'Redis');
      // Named only while it matters, so a healthy answer keeps its usual checks.
      if (refusal) {
        checks.notifications = `held since ${new Date(refusal.since).toISOString()}: Slack refused the bot token (${refusal.error})`;
        slackReachableAt = 0;
      }
    } catch {
      // Redis being down is already reported above.
    }
    try {
      // auth.test is cheap but rate limited; a success is trusted for 30 s.
      if (now() - slackReachableAt > 30_000) {
        await withDeadline(app.client.auth.test(), READINESS_CHECK_MS.slack, 'Slack auth.test');
        slackReachableAt = now();
      }
      checks.slack = 'ok';
    } catch (err) {
      // A refused token is not an outage: say so, so the operator reinstalls instead of waiting.
      const slackError = (err as { data?: { error?: unknown } }).data?.error;
      checks.slack =
        typeof slackError === 'string' && TOKEN_REFUSED_ERRORS.has(slackError)
          ? `token refused: ${slackError} (reinstall the app or set SLACK_BOT_TOKEN to its current Bot User OAuth Token)`
          : `unreachable: ${(err as Error).message}`;
    }
    // Socket Mode: Slack reaches the bot only through this WebSocket (it reconnects by itself after a refresh).
    if (socketReceiver) checks.socket = socketReceiver.client.websocket?.isActive() ? 'ok' : 'not connected';
    const ok = Object.values(checks).every((v) => v === 'ok');
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok, checks }));
  };

  const socketMode = Boolean(config.slack.appToken);
  const customRoutes: CustomRoute[] = [
    {
      path: '/healthz',
      method: 'GET',
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      },
    },
    { path: '/readyz', method: 'GET', handler: (req, res) => void readiness(req, res) },
  ];
  // The HTTP receiver is built here (not by App) so that future-dated requests are refused in front of it.
  const receiver = socketMode
    ? undefined
    : new HTTPReceiver({
        signingSecret: config.slack.signingSecret,
        // Acknowledge first (Slack's 3-second window); listeners keep running after the response.
        processBeforeResponse: false,
        customRoutes,
        logger: boltLogger(logger),
      });
  if (receiver) receiver.requestListener = refuseFutureTimestamps(receiver.requestListener, now);
  const clientOptions = config.slack.apiUrl ? { clientOptions: { slackApiUrl: config.slack.apiUrl } } : {};
  // Built here too: Bolt's App hands the Socket Mode receiver no port (its health routes would sit on
  // 3000 whatever PORT says; app.start(port) does not reach it) and no clientOptions (apps.connections.open
  // would ignore BATCH_SCORE_SLACK_API_URL). Slack's requests come over the WebSocket, unsigned.
  const socketReceiver =
    socketMode && config.slack.appToken
      ? new SocketModeReceiver({ appToken: config.slack.appToken, installerOptions: { port, ...clientOptions }, customRoutes, logger: boltLogger(logger) })
      : undefined;
  const app = new App({
    token: config.slack.botToken,
    receiver: receiver ?? socketReceiver,
    clientOptions: botClientOptions(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    logger: boltLogger(logger),
    // Bolt's conversation store (a per-process map, consulted on every request) keeps nothing we read:
    // every decision lives in Redis.
    convoStore: false,
  });

  const pendingCaps = createPendingCaps({
    connection,
    prefix,
    now,
    caps: { perUser: config.approvals.maxPendingPerUser, perChannel: config.approvals.maxPendingPerChannel },
  });
  const shared = {
    approvals: createApprovalStore({ connection, prefix, now }),
    audit: createAuditTrail({ connection, prefix, now }),
    requests: createRequestStore({ connection, prefix, now }),
  };
  const labels = workspaceLabels(config.profiles);
  // One view per workspace profile: its approvers, directory, locks and scope, and an outbox that names
  // the workspace on every message when there are several (the workers label theirs the same way).
  const workspaces: BotWorkspace[] = config.profiles.map((profile) => {
    const label = labels.get(profile.name);
    const profilePolicy = policyOfProfile(policy, profile);
    const endpoints = createEndpointDirectory({ connection, prefix, profile: profile.name });
    return {
      name: profile.name,
      channels: profile.channels,
      ...(label !== undefined ? { label } : {}),
      policy: profilePolicy,
      intake: {
        ...shared,
        policy: profilePolicy,
        outbox: labelledOutbox(outbox, label),
        producers,
        logger: config.profiles.length > 1 ? logger.child({ workspace: profile.name }) : logger,
        now,
        workspaceScope: profile.azure.allowedWorkspaces,
        endpoints,
        pendingCaps,
      },
      endpoints,
      locks: createLockStore({ connection, prefix, now, profile: profile.name }),
    };
  });
  const first = workspaces[0] as BotWorkspace;
  const deps: BotDeps = {
    workspaces,
    intake: first.intake,
    producers,
    endpoints: first.endpoints,
    locks: first.locks,
    leftovers: createLeftoverStore({ connection, prefix }),
    userGroups: createUserGroupResolver({ client: app.client, logger }),
    whereToPost: createConversationAccess({ client: app.client, logger }),
    policy: first.policy,
    logger,
    redisErrors,
    commandName: SLASH_COMMAND,
  };
  registerSlashCommand(app, deps);
  registerApprovalActions(app, deps);
  registerJobActions(app, deps);
  registerLeftoverActions(app, deps);
  registerModalSubmissions(app, deps);
  registerAppHome(app, deps);
  app.error(async (err) => {
    logger.error({ err }, 'unhandled error in a Slack listener');
  });

  // A fail-fast connection refuses commands until it is connected: wait for it, bounded, and start anyway.
  if (!(await waitForReady(connection, REDIS_READY_AT_START_MS))) {
    logger.warn({ event: 'redis-unreachable', waitedMs: REDIS_READY_AT_START_MS }, 'Redis is not reachable yet; requests are refused as temporarily unavailable until it is');
  }
  await app.start(port);
  logger.info({ port, socketMode }, 'bot listening');
  return {
    app,
    port,
    deps,
    async stop() {
      await app.stop();
      await producers.close();
      await outbox.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
