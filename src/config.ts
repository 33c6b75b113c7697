// Environment → validated, typed configuration, read once by the entry points (bot, worker, CLI) and
// handed to everything else. Every problem is reported at once, each as "VARIABLE: what is wrong, how to
// set it", so an operator fixes a deployment in one pass instead of one restart per typo. Secret values
// are never echoed. The CLI needs only the Azure section (loadAzureConfig); the bot and the worker load
// everything (loadConfig), Slack settings included.
import { z } from 'zod';
import { cloudNameSchema } from './azureml/clouds';
import { APPROVABLE_VERBS, type Verb } from './domain/command-verbs';

/** Env vars whose values are secrets: never log them, redact them by these names. */
export const SECRET_ENV_VARS = [
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'BATCH_SCORE_STORAGE_CONNECTION_STRING',
  // REDIS_URL and the cluster's seed nodes may carry a password (redis://:password@host).
  'REDIS_URL',
  'REDIS_CLUSTER_NODES',
  // Read by @azure/identity's EnvironmentCredential, never by us; listed so logs redact them too.
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PASSWORD',
] as const;

/** Paths of secret values inside Config, in pino's `redact.paths` syntax. */
export const SECRET_CONFIG_PATHS = [
  'slack.botToken',
  'slack.signingSecret',
  'slack.appToken',
  'azure.storageConnectionString',
  'redis.url',
  'redis.clusterNodes',
] as const;

/** Actions that can be put behind an approval (BATCH_SCORE_APPROVAL_REQUIRED_FOR): the table of verbs says which. */
export const approvalActionSchema = z.enum(APPROVABLE_VERBS as [Verb, ...Verb[]]);
export type ApprovalAction = z.infer<typeof approvalActionSchema>;

export const logLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

// ---- value parsers: each issue message says what is wrong; HINTS below say how to set it ----

/** Empty and whitespace-only variables count as unset (a blank line in a .env file is not a value). */
const unsetIfBlank = (v: unknown): unknown => (typeof v === 'string' && v.trim() === '' ? undefined : typeof v === 'string' ? v.trim() : v);

const text = (what?: RegExp, wrong?: string) => {
  const s = z.string({ error: (i) => (i.input === undefined ? 'is not set' : 'must be text') });
  return what ? s.regex(what, wrong ?? 'has the wrong format') : s;
};
const required = <T extends z.ZodType>(schema: T) => z.preprocess(unsetIfBlank, schema);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(unsetIfBlank, schema.optional());
const withDefault = <T extends z.ZodType>(schema: T, fallback: z.input<T>) =>
  z.preprocess((v) => unsetIfBlank(v) ?? fallback, schema);

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** `<subscription-id>/<resource-group>/<workspace>`, each part as Azure names it. */
const WORKSPACE_ENTRY = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\/[-\w.()]{0,89}[-\w()]\/[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$/;
/** A host name (or IPv4 address), optionally with a port: no scheme, no user, no path. */
const STORAGE_HOST = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:\d{1,5})?$/;

const httpUrl = text().refine((v) => {
  try {
    return ['http:', 'https:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
}, 'is not an http(s) URL');

const integer = (min: number, max: number) =>
  text(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

/** Comma (or whitespace) separated list; empty entries dropped. */
const commaList = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.split(/[\s,]+/).filter((s) => s !== '') : (v ?? [])),
    z.array(item),
  );

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

/** "30m", "2h", "1h30m", "90s", "500ms" → milliseconds. */
export function parseDurationMs(value: string): number | undefined {
  const compact = value.replace(/\s+/g, '').toLowerCase();
  if (!DURATION.test(compact)) return undefined;
  let total = 0;
  for (const [, amount, unit] of compact.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    total += Number(amount) * (DURATION_UNITS_MS[unit as string] as number);
  }
  return Math.round(total);
}

const duration = text()
  .transform((v, ctx) => {
    const ms = parseDurationMs(v);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `'${v}' is not a duration` });
      return z.NEVER;
    }
    return ms;
  });

// ---- per-variable schemas, grouped by the section they feed ----

const azureEnv = {
  AZURE_CLOUD: withDefault(z.enum(cloudNameSchema.options, { error: (i) => `'${String(i.input)}' is not a known Azure cloud` }), 'AzureCloud'),
  AZURE_SUBSCRIPTION_ID: required(text(GUID, 'is not a subscription id (a GUID)')),
  AZURE_RESOURCE_GROUP: required(text(/^[-\w.()]{0,89}[-\w()]$/, 'is not a valid resource group name')),
  AZUREML_WORKSPACE: required(text(/^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$/, 'is not a valid workspace name')),
  // ARM spells regions without spaces in lower case ("chinaeast2"); accept the display form too.
  AZURE_LOCATION: required(text(/^[a-zA-Z0-9 ]+$/, 'is not an Azure region name').transform((v) => v.replace(/\s+/g, '').toLowerCase())),
  AZUREML_API_VERSION: withDefault(text(/^\d{4}-\d{2}-\d{2}(-preview)?$/, 'is not an api-version (YYYY-MM-DD)'), '2022-05-01'),
  AZURE_TENANT_ID: optional(text(/^([0-9a-fA-F-]{36}|[a-zA-Z0-9.-]+)$/, 'is not a tenant id or domain')),
  AZURE_CLIENT_ID: optional(text(GUID, 'is not a client id (a GUID)')),
  BATCH_SCORE_ARM_ENDPOINT: optional(httpUrl),
  BATCH_SCORE_STORAGE_BLOB_URL: optional(httpUrl),
  BATCH_SCORE_STORAGE_CONNECTION_STRING: optional(
    text(/(^|;)\s*(AccountName|BlobEndpoint|UseDevelopmentStorage)\s*=/i, 'is not a storage connection string'),
  ),
  BATCH_SCORE_ALLOWED_WORKSPACES: commaList(
    text(WORKSPACE_ENTRY, 'lists something that is not <subscription-id>/<resource-group>/<workspace>').transform((v) => {
      const [subscriptionId, resourceGroup, workspace] = v.split('/') as [string, string, string];
      return { subscriptionId, resourceGroup, workspace };
    }),
  ),
  BATCH_SCORE_ALLOW_HARD_LINKS: withDefault(z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true'), 'false'),
  BATCH_SCORE_STORAGE_TOKEN_HOSTS: commaList(text(STORAGE_HOST, 'lists something that is not a host name or host:port').transform((v) => v.toLowerCase())),
};

const slackEnv = {
  SLACK_BOT_TOKEN: required(text(/^xoxb-/, 'is not a bot token (it starts with xoxb-)')),
  // Slack issues 32 hex digits, but stand-ins and tests pick their own: only refuse what cannot be one.
  SLACK_SIGNING_SECRET: required(text(/^\S+$/, 'must not contain spaces')),
  SLACK_APP_TOKEN: optional(text(/^xapp-/, 'is not an app-level token (it starts with xapp-)')),
  BATCH_SCORE_SLACK_API_URL: optional(httpUrl),
  BATCH_SCORE_ALLOWED_TEAM_IDS: commaList(text(/^[TE][A-Z0-9]{2,}$/, 'lists something that is not a team id (T…)')),
  BATCH_SCORE_ALLOWED_CHANNEL_IDS: commaList(text(/^[CGD][A-Z0-9]{2,}$/, 'lists something that is not a channel id (C…, G…, D…)')),
  PORT: withDefault(integer(1, 65535), '3000'),
};

const redisEnv = {
  REDIS_URL: withDefault(text(/^rediss?:\/\/\S+$/, 'is not a redis:// or rediss:// URL'), 'redis://127.0.0.1:6379'),
  REDIS_CLUSTER_NODES: commaList(text(/^rediss?:\/\/[^\s/]+:\d+\/?$/, 'lists something that is not a redis://host:port or rediss://host:port URL')),
  // Braces make the prefix a Redis Cluster hash tag (src/queue/redis-keys.ts), as BullMQ asks on a cluster.
  BATCH_SCORE_QUEUE_PREFIX: withDefault(
    text(/^(?:[a-zA-Z0-9_-]{1,32}|\{[a-zA-Z0-9_-]{1,32}\})$/, 'must be 1-32 letters, digits, "_" or "-", optionally in braces ({bsb})'),
    'bsb',
  ),
};

const userId = text(/^[UW][A-Z0-9]{2,}$/, 'lists something that is not a Slack user id (U…, W…)');
const approvalEnv = {
  BATCH_SCORE_APPROVAL_REQUIRED_FOR: withDefault(
    // 'none' is the explicit way to turn approvals off (an empty variable means "use the default").
    z.preprocess(
      (v) => (typeof v === 'string' && v.trim().toLowerCase() === 'none' ? '' : v),
      commaList(z.enum(approvalActionSchema.options, { error: (i) => `lists '${String(i.input)}', which is not an action` })),
    ),
    'deploy,set-default,delete',
  ),
  BATCH_SCORE_APPROVERS: commaList(text(/^[UWS][A-Z0-9]{2,}$/, 'lists something that is not a Slack user id (U…, W…) or user group id (S…)')),
  BATCH_SCORE_APPROVAL_TTL: withDefault(duration, '1h'),
  BATCH_SCORE_DEPLOYERS: commaList(userId),
  BATCH_SCORE_RUNNERS: commaList(userId),
  BATCH_SCORE_CANCELERS: withDefault(
    commaList(text(/^(requester|approvers|[UWS][A-Z0-9]{2,})$/, 'lists something that is not requester, approvers, a Slack user id (U…, W…) or a user group id (S…)')),
    'requester,approvers',
  ),
  BATCH_SCORE_MAX_PENDING_PER_USER: withDefault(integer(1, 10_000), '10'),
  BATCH_SCORE_MAX_PENDING_PER_CHANNEL: withDefault(integer(1, 100_000), '50'),
};

const workerEnv = {
  BATCH_SCORE_WORKER_CONCURRENCY: withDefault(integer(1, 256), '4'),
  BATCH_SCORE_ARTIFACTS_ROOT: withDefault(text(), './artifacts'),
  BATCH_SCORE_WATCH_MIN_INTERVAL: withDefault(duration, '10s'),
  BATCH_SCORE_WATCH_MAX_INTERVAL: withDefault(duration, '2m'),
  BATCH_SCORE_JOB_LOCK_DURATION: withDefault(duration, '30s'),
  BATCH_SCORE_SLACK_CHANNEL_INTERVAL: withDefault(duration, '1s'),
  LOG_LEVEL: withDefault(z.enum(logLevelSchema.options, { error: `is not a log level; use one of ${logLevelSchema.options.join(', ')}` }), 'info'),
};

/** Every environment variable the configuration reads, in declaration order (.env.example and the README list them all). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys({ ...azureEnv, ...slackEnv, ...redisEnv, ...approvalEnv, ...workerEnv });

/** How to set each variable: the second half of every problem line. */
const HINTS: Record<string, string> = {
  AZURE_CLOUD: 'set it to AzureCloud, AzureChinaCloud or AzureUSGovernment (default AzureCloud)',
  AZURE_SUBSCRIPTION_ID: 'set it to the id of the subscription that holds the workspace (`az account show --query id -o tsv`)',
  AZURE_RESOURCE_GROUP: "set it to the workspace's resource group (up to 90 letters, digits, '-', '_', '.', '(', ')')",
  AZUREML_WORKSPACE: 'set it to the Azure ML workspace name (3-33 letters, digits, "-" or "_")',
  AZURE_LOCATION: "set it to the workspace's region, e.g. eastus or chinaeast2 (`az ml workspace show --query location`)",
  AZUREML_API_VERSION: 'set it to an Azure ML api-version such as 2022-05-01, or leave it unset',
  AZURE_TENANT_ID: 'set it to your Entra tenant id (a GUID) or leave it unset',
  AZURE_CLIENT_ID: "set it to the service principal's or managed identity's client id (a GUID) or leave it unset",
  BATCH_SCORE_ARM_ENDPOINT: 'set it to the full URL of a resource-manager stand-in (the sandbox), or leave it unset for Azure',
  BATCH_SCORE_STORAGE_BLOB_URL: "set it to the default datastore's blob endpoint URL, or leave it unset",
  BATCH_SCORE_STORAGE_CONNECTION_STRING: 'set it to the storage account connection string (Azure portal > Access keys), or leave it unset',
  BATCH_SCORE_ALLOWED_WORKSPACES:
    'set it to a comma-separated list of <subscription-id>/<resource-group>/<workspace> that data references may name besides the configured workspace, or leave it unset',
  BATCH_SCORE_ALLOW_HARD_LINKS: 'set it to true to upload files that have more than one hard link (default false: refused, they may come from outside the artifacts folder)',
  BATCH_SCORE_STORAGE_TOKEN_HOSTS:
    "set it to a comma-separated list of host or host:port that may receive the storage token besides the cloud's *.blob.<storage suffix> hosts (private endpoints, a local stand-in), or leave it unset",
  SLACK_BOT_TOKEN: "set it to the app's Bot User OAuth Token (api.slack.com/apps > OAuth & Permissions, xoxb-…)",
  SLACK_SIGNING_SECRET: "set it to the app's Signing Secret (api.slack.com/apps > Basic Information)",
  SLACK_APP_TOKEN: 'set it to an app-level token with connections:write (xapp-…) for Socket Mode, or leave it unset for HTTP',
  BATCH_SCORE_SLACK_API_URL: 'set it to the full URL of a Slack Web API stand-in, or leave it unset for slack.com',
  BATCH_SCORE_ALLOWED_TEAM_IDS: 'set it to a comma-separated list of workspace ids such as T0123ABCD, or leave it unset',
  BATCH_SCORE_ALLOWED_CHANNEL_IDS: 'set it to a comma-separated list of channel ids such as C0123ABCD, or leave it unset',
  PORT: 'set it to the HTTP port for Slack requests, 1-65535 (default 3000)',
  REDIS_URL: 'set it to redis://[:password@]host:port[/db] (default redis://127.0.0.1:6379)',
  REDIS_CLUSTER_NODES: 'set it to a comma-separated list of cluster nodes such as rediss://:password@host:10000, or leave it unset for a single Redis',
  BATCH_SCORE_QUEUE_PREFIX: 'set it to a short key prefix for the queues, in braces on a Redis Cluster (default bsb; {bsb} on a cluster)',
  BATCH_SCORE_APPROVAL_REQUIRED_FOR: `set it to a comma-separated list of ${approvalActionSchema.options.join(', ')}, or none (default deploy,set-default,delete)`,
  BATCH_SCORE_APPROVERS:
    'set it to a comma-separated list of Slack user ids (U…/W…) and user group ids (S…), or set BATCH_SCORE_APPROVAL_REQUIRED_FOR=none',
  BATCH_SCORE_APPROVAL_TTL: 'set it to a duration such as 30m, 2h or 1h30m (default 1h)',
  BATCH_SCORE_DEPLOYERS: 'set it to a comma-separated list of Slack user ids, or leave it unset to let everyone in the allowed channels deploy',
  BATCH_SCORE_RUNNERS: 'set it to a comma-separated list of Slack user ids, or leave it unset to let everyone in the allowed channels run jobs',
  BATCH_SCORE_CANCELERS:
    'set it to a comma-separated list of who may cancel a job: requester (who started the run), approvers, Slack user ids and user group ids (default requester,approvers)',
  BATCH_SCORE_MAX_PENDING_PER_USER: 'set it to how many open requests (awaiting approval, queued or running) one user may have at once (default 10)',
  BATCH_SCORE_MAX_PENDING_PER_CHANNEL: 'set it to how many open requests one channel may have at once (default 50)',
  BATCH_SCORE_WORKER_CONCURRENCY: 'set it to the number of jobs a worker runs at once, 1-256 (default 4)',
  BATCH_SCORE_ARTIFACTS_ROOT: 'set it to the folder local model and code uploads are read from (default ./artifacts)',
  BATCH_SCORE_WATCH_MIN_INTERVAL: 'set it to a duration such as 10s (default 10s)',
  BATCH_SCORE_WATCH_MAX_INTERVAL: 'set it to a duration such as 2m, not shorter than BATCH_SCORE_WATCH_MIN_INTERVAL (default 2m)',
  BATCH_SCORE_JOB_LOCK_DURATION: 'set it to a duration such as 30s: how soon a job whose worker died is taken over by another worker (default 30s)',
  BATCH_SCORE_SLACK_CHANNEL_INTERVAL: "set it to a duration such as 1s: the least gap between two messages to one channel (default 1s, Slack's rate)",
  LOG_LEVEL: 'set it to fatal, error, warn, info, debug, trace or silent (default info)',
};

// ---- sections: env object schema → typed config section ----

const azureSection = z.object(azureEnv).transform((e) => ({
  cloud: e.AZURE_CLOUD,
  subscriptionId: e.AZURE_SUBSCRIPTION_ID,
  resourceGroup: e.AZURE_RESOURCE_GROUP,
  workspace: e.AZUREML_WORKSPACE,
  location: e.AZURE_LOCATION,
  apiVersion: e.AZUREML_API_VERSION,
  tenantId: e.AZURE_TENANT_ID,
  clientId: e.AZURE_CLIENT_ID,
  /** Overrides the cloud's resource-manager endpoint (the sandbox). */
  armEndpoint: e.BATCH_SCORE_ARM_ENDPOINT,
  /** Overrides the default datastore's blob endpoint. */
  storageBlobUrl: e.BATCH_SCORE_STORAGE_BLOB_URL,
  /** Secret. */
  storageConnectionString: e.BATCH_SCORE_STORAGE_CONNECTION_STRING,
  /** Workspaces data references may name: the configured one first, then the operator's additions. */
  allowedWorkspaces: [
    { subscriptionId: e.AZURE_SUBSCRIPTION_ID, resourceGroup: e.AZURE_RESOURCE_GROUP, workspace: e.AZUREML_WORKSPACE },
    ...e.BATCH_SCORE_ALLOWED_WORKSPACES,
  ],
  /** Upload files with more than one hard link (default false). */
  allowHardLinks: e.BATCH_SCORE_ALLOW_HARD_LINKS,
  /** Hosts (host or host:port) besides the cloud's blob hosts that may receive a storage token. */
  storageTokenHosts: e.BATCH_SCORE_STORAGE_TOKEN_HOSTS,
}));

const slackSection = z.object(slackEnv).transform((e) => ({
  /** Secret. */
  botToken: e.SLACK_BOT_TOKEN,
  /** Secret. */
  signingSecret: e.SLACK_SIGNING_SECRET,
  /** Secret; present → Socket Mode. */
  appToken: e.SLACK_APP_TOKEN,
  apiUrl: e.BATCH_SCORE_SLACK_API_URL,
  /** Empty = any team. */
  allowedTeamIds: e.BATCH_SCORE_ALLOWED_TEAM_IDS,
  /** Empty = any channel. */
  allowedChannelIds: e.BATCH_SCORE_ALLOWED_CHANNEL_IDS,
  port: e.PORT,
}));

const redisSection = z
  .object(redisEnv)
  .superRefine((e, ctx) => {
    // Without a hash tag our multi-key scripts (and BullMQ's) would meet CROSSSLOT errors on a cluster.
    if (e.REDIS_CLUSTER_NODES.length > 0 && !/^\{.+\}$/.test(e.BATCH_SCORE_QUEUE_PREFIX)) {
      ctx.addIssue({
        code: 'custom',
        path: ['BATCH_SCORE_QUEUE_PREFIX'],
        message: `is '${e.BATCH_SCORE_QUEUE_PREFIX}', but on a Redis Cluster (REDIS_CLUSTER_NODES) it must be in braces, e.g. {${e.BATCH_SCORE_QUEUE_PREFIX}}`,
      });
    }
  })
  .transform((e) => ({
    /** Secret: may carry a password. Unused when clusterNodes is set. */
    url: e.REDIS_URL,
    /** Secret (may carry a password). Non-empty: Redis Cluster, these are the seed nodes. */
    clusterNodes: e.REDIS_CLUSTER_NODES,
    queuePrefix: e.BATCH_SCORE_QUEUE_PREFIX,
  }));

const approvalsSection = z
  .object(approvalEnv)
  .superRefine((e, ctx) => {
    // Without approvers every gated request would wait until it expires: refuse to start instead.
    if (e.BATCH_SCORE_APPROVAL_REQUIRED_FOR.length > 0 && e.BATCH_SCORE_APPROVERS.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['BATCH_SCORE_APPROVERS'],
        message: `is empty, yet ${e.BATCH_SCORE_APPROVAL_REQUIRED_FOR.join(', ')} need an approval`,
      });
    }
  })
  .transform((e) => ({
  requiredFor: [...new Set(e.BATCH_SCORE_APPROVAL_REQUIRED_FOR)],
  approvers: e.BATCH_SCORE_APPROVERS,
  ttlMs: e.BATCH_SCORE_APPROVAL_TTL,
  /** Empty = everyone in the allowed channels. */
  deployers: e.BATCH_SCORE_DEPLOYERS,
  /** Empty = everyone in the allowed channels. */
  runners: e.BATCH_SCORE_RUNNERS,
  /** Who may cancel a job (domain/approval-policy.ts mayCancel). */
  cancelers: e.BATCH_SCORE_CANCELERS,
  /** Open requests one user / one channel may have at once (src/queue/pending-caps.ts). */
  maxPendingPerUser: e.BATCH_SCORE_MAX_PENDING_PER_USER,
  maxPendingPerChannel: e.BATCH_SCORE_MAX_PENDING_PER_CHANNEL,
}));

const workerSection = z
  .object(workerEnv)
  .superRefine((e, ctx) => {
    if (e.BATCH_SCORE_WATCH_MAX_INTERVAL < e.BATCH_SCORE_WATCH_MIN_INTERVAL) {
      ctx.addIssue({ code: 'custom', path: ['BATCH_SCORE_WATCH_MAX_INTERVAL'], message: 'is shorter than BATCH_SCORE_WATCH_MIN_INTERVAL' });
    }
  })
  .transform((e) => ({
    concurrency: e.BATCH_SCORE_WORKER_CONCURRENCY,
    artifactsRoot: e.BATCH_SCORE_ARTIFACTS_ROOT,
    watchMinIntervalMs: e.BATCH_SCORE_WATCH_MIN_INTERVAL,
    watchMaxIntervalMs: e.BATCH_SCORE_WATCH_MAX_INTERVAL,
    lockDurationMs: e.BATCH_SCORE_JOB_LOCK_DURATION,
    slackChannelIntervalMs: e.BATCH_SCORE_SLACK_CHANNEL_INTERVAL,
    logLevel: e.LOG_LEVEL,
  }));

export const configSchema = z.object({
  azure: azureSection,
  slack: slackSection,
  redis: redisSection,
  approvals: approvalsSection,
  worker: workerSection,
});
export type Config = z.infer<typeof configSchema>;
export type AzureConfig = Config['azure'];
export type SlackConfig = Config['slack'];
export type RedisConfig = Config['redis'];
export type ApprovalConfig = Config['approvals'];
export type WorkerConfig = Config['worker'];

export interface ConfigProblem {
  variable: string;
  /** "VARIABLE: what is wrong; how to set it". */
  message: string;
}

/** The environment is unusable; `problems` has one entry per variable, the message lists them all. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'InvalidConfiguration';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `- ${p.message}`).join('\n')}`);
  }
}

/** The Azure settings only: what the CLI needs (no Slack, Redis or worker settings). */
export function loadAzureConfig(env: NodeJS.ProcessEnv): AzureConfig {
  return parseOrThrow(azureSection, env);
}

/** Everything the bot and the worker need, Slack included. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const sections = { azure: env, slack: env, redis: env, approvals: env, worker: env };
  return parseOrThrow(configSchema, sections);
}

function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  // One line per variable (the first thing wrong with it), in the order the variables are declared.
  const byVariable = new Map<string, string>();
  for (const issue of parsed.error.issues) {
    const variable = issue.path.map(String).find((p) => p in HINTS) ?? issue.path.map(String).join('.');
    if (byVariable.has(variable)) continue;
    const hint = HINTS[variable];
    byVariable.set(variable, `${variable}: ${issue.message}${hint ? `; ${hint}` : ''}`);
  }
  const order = Object.keys(HINTS);
  const problems = [...byVariable.entries()]
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([variable, message]) => ({ variable, message }));
  throw new ConfigError(problems);
}
