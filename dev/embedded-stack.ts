// The whole product on one machine with nothing outside it: a throwaway redis-server, Azurite, the Azure
// ML sandbox, the Slack Web API stand-in, the bot (real Bolt HTTP receiver) and its workers, on free
// ports. The demo, the interactive sandbox console, the end-to-end tests and the benchmarks all start
// this; the bot and workers are configured through the same environment variables as in production,
// so they are validated by the same config schema.
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { startAzureMlSandbox, type AzureMlSandbox, type SandboxDurations } from '../sandbox/azureml';
import { startSlackStandIn, type LatencyRange, type SlackStandIn } from '../sandbox/slack';
import { createSlackDriver, type SlackDriver } from '../sandbox/slack/driver';
import { getFreePort } from '../sandbox/stack/free-port';
import { startRedis, type RedisProcess } from '../sandbox/stack/redis';
import { startRedisCluster, type RedisClusterProcess } from '../sandbox/stack/redis-cluster';
import { startBot, type BotHandle } from '../src/bot';
import { loadConfig, type Config } from '../src/config';
import { deploySpecSchema, type DeploySpec, type DeploySpecInput } from '../src/domain/deploy-spec';
import { createAzureMlClient, type AzureMlClient } from '../src/azureml';
import { AZURE_CLOUDS } from '../src/azureml/clouds';
import type { TokenCredential } from '../src/azureml/credentials';
import { startWorkers, type WorkersHandle } from '../src/worker';
import { DEFAULT_EDITS_PER_MINUTE } from '../src/queue/notify-pacer';

export const STACK_USERS = {
  /** Asks for deploys and runs. */
  requester: 'U0ALICE001',
  /** Not an approver. */
  bystander: 'U0BOB00001',
  /** Member of the approvers' user group. */
  approver: 'U0CAROL001',
} as const;
export const STACK_CHANNEL = 'C0MLOPS0001';
export const APPROVER_GROUP = 'S0APPROVER1';

export interface EmbeddedStackOptions {
  logger: Logger;
  /** Sandbox durations other than the realistic ones (before the time scale), e.g. a slower model per file. */
  azuremlDurations?: Partial<SandboxDurations>;
  /** Sandbox time scale: 1 = realistic durations; tests use ~0.002. */
  timeScale?: number;
  /** The cloud the Azure ML sandbox plays (its token audiences and hosts); the bot is configured to match. */
  cloud?: 'AzureCloud' | 'AzureChinaCloud' | 'AzureUSGovernment';
  /** Extra or overriding environment for the bot and workers (e.g. BATCH_SCORE_APPROVAL_REQUIRED_FOR). */
  env?: Record<string, string>;
  /** Start the workers in this process (default true); resilience tests run them as child processes. */
  workers?: boolean;
  /** How soon a dead worker's job is taken over (BullMQ lockDuration). */
  lockDurationMs?: number;
  perChannelIntervalMs?: number;
  /** While Slack refuses the bot token, how often the workers check it again (default 60 s). */
  slackTokenRecheckMs?: number;
  /** appendOnly: durable across a crash; cluster: a three-master Redis Cluster (always durable), prefix {bsb}. */
  redis?: { appendOnly?: boolean; cluster?: boolean };
  slackRateLimit?: 'enforce' | 'count' | 'off';
  /** Network time on the Slack side: the stand-in's answers and the driver's deliveries (e.g. 100–400 ms). */
  slackLatency?: LatencyRange;
  /** Socket Mode: the bot connects to the stand-in's WebSocket, and the driver's requests arrive as envelopes. */
  socketMode?: boolean;
  /**
   * Serve several workspaces (BATCH_SCORE_WORKSPACES): the stack's own sandbox becomes profile `first`,
   * bound to STACK_CHANNEL; each of `others` gets an Azure ML sandbox of its own (its own cloud, Azurite,
   * subscription and workspace) and the channels and approvers given.
   */
  workspaces?: { first: string; others: readonly ExtraWorkspace[] };
}

/** A second (third…) workspace profile of the stack, on an Azure ML sandbox of its own. */
export interface ExtraWorkspace {
  name: string;
  cloud?: 'AzureCloud' | 'AzureChinaCloud' | 'AzureUSGovernment';
  channels: readonly string[];
  /** WORKSPACE_<NAME>_APPROVERS; absent: the stack's approvers. */
  approvers?: readonly string[];
}

export interface EmbeddedStack {
  /** The redis-server; on a cluster, the node that serves the installation's hash slot (all its keys). */
  redis: RedisProcess;
  redisCluster?: RedisClusterProcess;
  azureml: AzureMlSandbox;
  /** The sandboxes of the other workspace profiles (option `workspaces`), by profile name. */
  workspaceSandboxes: ReadonlyMap<string, AzureMlSandbox>;
  slack: SlackStandIn;
  driver: SlackDriver;
  bot: BotHandle;
  workers?: WorkersHandle;
  config: Config;
  /** The environment the bot and workers were configured with (to start more worker processes). */
  env: Record<string, string>;
  artifactsRoot: string;
  stop(): Promise<void>;
}

/** A small model and scoring-code folder under the artifacts root, like the recipe's mnist example. */
export async function writeExampleArtifacts(root: string): Promise<{ modelPath: string; codePath: string }> {
  const modelPath = 'models/mnist';
  const codePath = 'code/mnist';
  await mkdir(path.join(root, modelPath), { recursive: true });
  await mkdir(path.join(root, codePath), { recursive: true });
  await writeFile(path.join(root, modelPath, 'model.pt'), randomBytes(64 * 1024));
  await writeFile(path.join(root, modelPath, 'MLmodel'), 'flavors:\n  pytorch: {}\n');
  await writeFile(
    path.join(root, codePath, 'digit_identification.py'),
    'import os\n\ndef init():\n    global model\n    model = None\n\ndef run(mini_batch):\n    return [f"{os.path.basename(f)},{sum(open(f, "rb").read()) % 10}" for f in mini_batch]\n',
  );
  return { modelPath, codePath };
}

/**
 * The production environment variables that point the bot and workers at the local stand-ins: the
 * Azure ML sandbox for ARM and storage, the Slack stand-in for the Web API, a local Redis.
 */
export function sandboxEnvironment(parts: {
  azureml: Pick<AzureMlSandbox, 'cloud' | 'subscriptionId' | 'resourceGroup' | 'workspace' | 'location' | 'baseUrl' | 'storageConnectionString'>;
  slack: Pick<SlackStandIn, 'botToken' | 'apiUrl'>;
  redisUrl: string;
  signingSecret: string;
  port: number;
}): Record<string, string> {
  const { azureml, slack } = parts;
  return {
    ...sandboxAzureEnvironment(azureml),
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: parts.signingSecret,
    BATCH_SCORE_SLACK_API_URL: slack.apiUrl,
    REDIS_URL: parts.redisUrl,
    BATCH_SCORE_APPROVERS: APPROVER_GROUP,
    PORT: String(parts.port),
  };
}

/** The Azure variables that point at one Azure ML sandbox; `prefix` makes them a workspace profile's. */
export function sandboxAzureEnvironment(
  azureml: Pick<AzureMlSandbox, 'cloud' | 'subscriptionId' | 'resourceGroup' | 'workspace' | 'location' | 'baseUrl' | 'storageConnectionString'>,
  prefix = '',
): Record<string, string> {
  return {
    [`${prefix}AZURE_CLOUD`]: azureml.cloud,
    [`${prefix}AZURE_SUBSCRIPTION_ID`]: azureml.subscriptionId,
    [`${prefix}AZURE_RESOURCE_GROUP`]: azureml.resourceGroup,
    [`${prefix}AZUREML_WORKSPACE`]: azureml.workspace,
    [`${prefix}AZURE_LOCATION`]: azureml.location,
    [`${prefix}BATCH_SCORE_ARM_ENDPOINT`]: azureml.baseUrl,
    [`${prefix}BATCH_SCORE_STORAGE_CONNECTION_STRING`]: azureml.storageConnectionString,
  };
}

/** The recipe's mnist example as the deploy form is filled in: folders from writeExampleArtifacts. */
export function exampleDeployForm(endpoint: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    endpoint,
    deployment: 'mnist-torch',
    model: 'models/mnist',
    model_name: 'mnist',
    code: 'code/mnist',
    code_name: 'score-mnist',
    scoring_script: 'digit_identification.py',
    image: 'mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04:latest',
    environment_name: 'mnist-env',
    compute_mode: 'create',
    compute_name: 'batch-cluster',
    ...overrides,
  };
}

/** The same example as a deploy spec, for tests and benchmarks that deploy without Slack. */
export function exampleDeploySpec(endpointName: string, overrides: Partial<DeploySpecInput> = {}): DeploySpec {
  return deploySpecSchema.parse({
    endpointName,
    deploymentName: 'mnist-torch',
    model: { kind: 'upload', localPath: 'models/mnist', name: 'mnist' },
    code: { kind: 'upload', localPath: 'code/mnist', name: 'score-mnist' },
    scoringScript: 'digit_identification.py',
    environment: { kind: 'image', name: 'mnist-env', image: 'mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04:latest' },
    compute: { kind: 'create', name: 'batch-cluster' },
    ...overrides,
  });
}

/** An Azure ML client talking to the sandbox directly with its own credential (tests and benchmarks). */
export function sandboxAzureMlClient(
  azureml: AzureMlSandbox,
  opts: { artifactsRoot?: string; poll?: { minIntervalMs?: number; maxIntervalMs?: number } } = {},
): AzureMlClient {
  return createAzureMlClient({
    workspace: azureml,
    cloud: AZURE_CLOUDS[azureml.cloud],
    credential: azureml.credential as TokenCredential,
    baseUrl: azureml.baseUrl,
    storage: { kind: 'connection-string', connectionString: azureml.storageConnectionString },
    ...(opts.artifactsRoot ? { artifactsRoot: opts.artifactsRoot } : {}),
    ...(opts.poll ? { poll: opts.poll } : {}),
  });
}

export async function startEmbeddedStack(opts: EmbeddedStackOptions): Promise<EmbeddedStack> {
  const started: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
  };
  try {
    const redisCluster = opts.redis?.cluster ? await startRedisCluster() : undefined;
    if (redisCluster) started.push(() => redisCluster.stop());
    const redis = redisCluster ? await redisCluster.nodeFor('{bsb}') : await startRedis({ ...(opts.redis?.appendOnly ? { appendOnly: true } : {}) });
    if (!redisCluster) started.push(() => redis.stop());
    const azureml = await startAzureMlSandbox({
      timeScale: opts.timeScale ?? 0.002,
      ...(opts.cloud ? { cloud: opts.cloud } : {}),
      ...(opts.azuremlDurations ? { durations: opts.azuremlDurations } : {}),
    });
    started.push(() => azureml.stop());
    // Each other workspace on a sandbox of its own: another subscription, workspace and (maybe) cloud.
    const workspaceSandboxes = new Map<string, AzureMlSandbox>();
    for (const [i, other] of (opts.workspaces?.others ?? []).entries()) {
      const sandbox = await startAzureMlSandbox({
        timeScale: opts.timeScale ?? 0.002,
        cloud: other.cloud ?? 'AzureCloud',
        subscriptionId: `00000000-0000-0000-0000-${String(i + 1).padStart(12, '0')}`,
        resourceGroup: `${other.name}-rg`,
        workspace: `${other.name}-ws`,
        ...(opts.azuremlDurations ? { durations: opts.azuremlDurations } : {}),
      });
      started.push(() => sandbox.stop());
      workspaceSandboxes.set(other.name, sandbox);
    }
    const slack = await startSlackStandIn({
      rateLimit: { mode: opts.slackRateLimit ?? 'enforce', perSecond: 1, burst: 3 },
      ...(opts.slackLatency ? { latency: opts.slackLatency } : {}),
    });
    started.push(() => slack.stop());
    // As after installing the app: someone invites it to the team's channel (/invite @batch-score).
    slack.invite(STACK_CHANNEL);
    const artifactsRoot = await mkdtemp(path.join(tmpdir(), 'bsb-artifacts-'));
    started.push(() => rm(artifactsRoot, { recursive: true, force: true }));
    await writeExampleArtifacts(artifactsRoot);

    const port = await getFreePort();
    const signingSecret = randomBytes(16).toString('hex');
    const env: Record<string, string> = {
      ...sandboxEnvironment({ azureml, slack, redisUrl: redis.url, signingSecret, port }),
      BATCH_SCORE_ALLOWED_TEAM_IDS: slack.teamId,
      // On a cluster the prefix is a hash tag, so every key of the installation shares one slot.
      BATCH_SCORE_QUEUE_PREFIX: redisCluster ? '{bsb}' : 'bsb',
      ...(redisCluster ? { REDIS_CLUSTER_NODES: redisCluster.seeds.join(',') } : {}),
      BATCH_SCORE_APPROVAL_REQUIRED_FOR: 'deploy,set-default,delete',
      BATCH_SCORE_ARTIFACTS_ROOT: artifactsRoot,
      BATCH_SCORE_WATCH_MIN_INTERVAL: '200ms',
      BATCH_SCORE_WATCH_MAX_INTERVAL: '2s',
      // Load tests and benchmarks submit many runs as one user; the flood test sets its own caps.
      BATCH_SCORE_MAX_PENDING_PER_USER: '1000',
      BATCH_SCORE_MAX_PENDING_PER_CHANNEL: '10000',
      LOG_LEVEL: opts.logger.level,
      ...(opts.socketMode ? { SLACK_APP_TOKEN: slack.socketMode.appToken } : {}),
      ...opts.env,
    };
    if (opts.workspaces) Object.assign(env, workspacesEnvironment(opts.workspaces, azureml, workspaceSandboxes), opts.env);
    const config = loadConfig(env);
    const credentialOf = (profile: string): TokenCredential =>
      (workspaceSandboxes.get(profile)?.credential ?? azureml.credential) as TokenCredential;
    const bot = await startBot(config, { logger: opts.logger });
    started.push(() => bot.stop());

    let workers: WorkersHandle | undefined;
    if (opts.workers !== false) {
      workers = await startWorkers(config, {
        logger: opts.logger,
        credential: opts.workspaces ? credentialOf : (azureml.credential as TokenCredential),
        handleSignals: false,
        expirySweepMs: 1_000,
        poll: { minIntervalMs: 20, maxIntervalMs: 1_000 },
        ...(opts.lockDurationMs ? { lockDurationMs: opts.lockDurationMs } : {}),
        ...(opts.perChannelIntervalMs !== undefined ? { perChannelIntervalMs: opts.perChannelIntervalMs } : {}),
        ...(opts.slackTokenRecheckMs !== undefined ? { slackTokenRecheckMs: opts.slackTokenRecheckMs } : {}),
        // Azure's time is compressed here and Slack's edit budget is per real minute: compressed with it, a
        // status line shows what it would for a job running at full length (the budget itself is held by
        // notify-outbox.test.ts).
        slackEditsPerMinute: Math.round(DEFAULT_EDITS_PER_MINUTE / Math.min(1, opts.timeScale ?? 0.002)),
      });
      const w = workers;
      started.push(() => w.close());
    }

    // In Socket Mode the driver posts to the stand-in's relay, which hands each request to the bot as an envelope.
    const botUrl = opts.socketMode ? slack.socketMode.relayUrl : `http://127.0.0.1:${port}/slack/events`;
    const driver = createSlackDriver({ botUrl, signingSecret, standIn: slack, ...(opts.slackLatency ? { deliveryLatency: opts.slackLatency } : {}) });
    return { redis, ...(redisCluster ? { redisCluster } : {}), azureml, workspaceSandboxes, slack, driver, bot, workers, config, env, artifactsRoot, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The profiles' variables: the stack's own sandbox as `first` (bound to STACK_CHANNEL), then the others. */
function workspacesEnvironment(
  workspaces: NonNullable<EmbeddedStackOptions['workspaces']>,
  own: AzureMlSandbox,
  sandboxes: ReadonlyMap<string, AzureMlSandbox>,
): Record<string, string> {
  const prefixOf = (name: string) => `WORKSPACE_${name.toUpperCase().replace(/-/g, '_')}_`;
  const env: Record<string, string> = {
    BATCH_SCORE_WORKSPACES: [workspaces.first, ...workspaces.others.map((o) => o.name)].join(','),
    ...sandboxAzureEnvironment(own, prefixOf(workspaces.first)),
    [`${prefixOf(workspaces.first)}CHANNELS`]: STACK_CHANNEL,
  };
  for (const other of workspaces.others) {
    Object.assign(env, sandboxAzureEnvironment(sandboxes.get(other.name) as AzureMlSandbox, prefixOf(other.name)), {
      [`${prefixOf(other.name)}CHANNELS`]: other.channels.join(','),
      ...(other.approvers ? { [`${prefixOf(other.name)}APPROVERS`]: other.approvers.join(',') } : {}),
    });
  }
  return env;
}
