// Environment → validated, typed configuration, read once by the entry points (bot, worker, CLI) and
// handed to everything else. Every problem is reported at once, each as "VARIABLE: what is wrong, how to
// set it", so an operator fixes a deployment in one pass instead of one restart per typo. Secret values
// are never echoed. The CLI needs only the Azure section (loadAzureConfig); the bot and the worker load
// everything (loadConfig), Slack settings included.
import { z } from 'zod';
import { cloudNameSchema } from './azureml/clouds';
import { APPROVABLE_VERBS, VERB_DECLARATIONS, verbsWithAccess, type Verb } from './domain/command-verbs';
import { WORKSPACE_PROFILE_NAME } from './domain/command-grammar';

/** Paths of secret values inside Config, in pino's `redact.paths` syntax. */
export const SECRET_CONFIG_PATHS = [
  'slack.botToken',
  'slack.signingSecret',
  'slack.appToken',
  'azure.storageConnectionString',
  'redis.url',
  'redis.clusterNodes',
  'profiles[*].azure.storageConnectionString',
  'profiles[*].clientSecret',
] as const;

/** Actions that can be put behind an approval (BATCH_SCORE_APPROVAL_REQUIRED_FOR): the table of verbs says which. */
export const approvalActionSchema = z.enum(APPROVABLE_VERBS as [Verb, ...Verb[]]);

export const logLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

// ---- value parsers: each issue message says what is wrong; each variable's hint says how to set it ----

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

// ---- one row per variable, grouped by the section it feeds ----

/**
 * One environment variable: how a set value is read, what leaving it unset means, and how to explain it.
 * The schema, the problem lines' hints and the README's configuration table (`npm run docs:config`) all
 * come from these rows.
 */
interface EnvVariable<T extends z.ZodType = z.ZodType> {
  /** Its name in its section of Config (`BATCH_SCORE_APPROVAL_TTL` → `approvals.ttlMs`). */
  key: string;
  /** How a set value is read; each issue message says what is wrong with it. */
  value: T;
  /**
   * Unset (or blank): `required` is a problem; `optional` leaves it absent; `empty-list` reads as an
   * empty list; a default is read as if the variable were set to that text.
   */
  unset: 'required' | 'optional' | 'empty-list' | { default: string };
  /** How to set it: the second half of every problem line (the default, if any, is added). */
  hint: string;
  /** What it is for: the README table's "meaning" column. */
  doc: string;
  /** The README's "default" column when there is no default text to show ("any", "the cloud's"). */
  docDefault?: string;
  /** The README's "required" column when a plain yes or no says too little. */
  docRequired?: string;
  /** Its value is a secret: logs redact it (SECRET_ENV_VARS), the README and .env.example mark it; its messages never quote it. */
  secret?: true;
}

type EnvVariables = Readonly<Record<string, EnvVariable>>;
/** What one variable reads as: its value's output, or undefined when it may be left unset. */
type EnvValue<V extends EnvVariable> = V['unset'] extends 'optional' ? z.output<V['value']> | undefined : z.output<V['value']>;

/** The zod shape of a group of variables: one schema per variable, unset handled as its row says. */
function envShape<R extends EnvVariables>(rows: R): { [K in keyof R]: z.ZodType<EnvValue<R[K]>> } {
  const schemaOf = (row: EnvVariable): z.ZodType => {
    if (row.unset === 'required') return required(row.value);
    if (row.unset === 'optional') return optional(row.value);
    if (row.unset === 'empty-list') return row.value;
    return withDefault(row.value, row.unset.default);
  };
  return Object.fromEntries(Object.entries(rows).map(([name, row]) => [name, schemaOf(row)])) as { [K in keyof R]: z.ZodType<EnvValue<R[K]>> };
}

/** Keeps each row's own value type and key, so the sections below are typed. */
const variables = <const R extends Record<string, EnvVariable>>(rows: R): R => rows;

/** The env of one section, by variable name, as read. */
type SectionEnv<R extends EnvVariables> = { [K in keyof R]: EnvValue<R[K]> };
/** A section of Config: each variable's value under its key. */
type SectionOf<R extends EnvVariables> = { -readonly [K in keyof R as R[K]['key']]: EnvValue<R[K]> };
/** A rule across variables of a section: the variable to blame and what is wrong with it. */
type CrossCheck<R extends EnvVariables> = (env: SectionEnv<R>) => { variable: keyof R & string; message: string } | undefined;

/** The env schema of a section: its variables read as their rows say, checked across, then named by key. */
function section<R extends EnvVariables>(rows: R, crossCheck?: CrossCheck<R>) {
  return z
    .object(envShape(rows))
    .superRefine((env, ctx) => {
      const problem = crossCheck?.(env as SectionEnv<R>);
      if (problem) ctx.addIssue({ code: 'custom', path: [problem.variable], message: problem.message });
    })
    .transform((env) => {
      const read = env as Record<string, unknown>;
      return Object.fromEntries(Object.entries(rows).map(([name, row]) => [row.key, read[name]])) as SectionOf<R>;
    });
}

const OPTIONAL = 'optional' as const;
const REQUIRED = 'required' as const;
const EMPTY_LIST = 'empty-list' as const;
const byDefault = (text: string) => ({ default: text });

const azureVariables = variables({
  AZURE_CLOUD: {
    key: 'cloud',
    value: z.enum(cloudNameSchema.options, { error: (i) => `'${String(i.input)}' is not a known Azure cloud` }),
    unset: byDefault('AzureCloud'),
    hint: 'set it to AzureCloud, AzureChinaCloud or AzureUSGovernment',
    doc: '`AzureCloud`, `AzureChinaCloud` or `AzureUSGovernment`',
  },
  AZURE_SUBSCRIPTION_ID: {
    key: 'subscriptionId',
    value: text(GUID, 'is not a subscription id (a GUID)'),
    unset: REQUIRED,
    hint: 'set it to the id of the subscription that holds the workspace (`az account show --query id -o tsv`)',
    doc: 'subscription of the workspace (a GUID)',
  },
  AZURE_RESOURCE_GROUP: {
    key: 'resourceGroup',
    value: text(/^[-\w.()]{0,89}[-\w()]$/, 'is not a valid resource group name'),
    unset: REQUIRED,
    hint: "set it to the workspace's resource group (up to 90 letters, digits, '-', '_', '.', '(', ')')",
    doc: 'resource group of the workspace',
  },
  AZUREML_WORKSPACE: {
    key: 'workspace',
    value: text(/^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$/, 'is not a valid workspace name'),
    unset: REQUIRED,
    hint: 'set it to the Azure ML workspace name (3-33 letters, digits, "-" or "_")',
    doc: 'Azure ML workspace name',
  },
  AZURE_LOCATION: {
    key: 'location',
    // ARM spells regions without spaces in lower case ("chinaeast2"); accept the display form too.
    value: text(/^[a-zA-Z0-9 ]+$/, 'is not an Azure region name').transform((v) => v.replace(/\s+/g, '').toLowerCase()),
    unset: REQUIRED,
    hint: "set it to the workspace's region, e.g. eastus or chinaeast2 (`az ml workspace show --query location`)",
    doc: "the workspace's region, e.g. `eastus`, `chinaeast2`",
  },
  AZUREML_API_VERSION: {
    key: 'apiVersion',
    value: text(/^\d{4}-\d{2}-\d{2}(-preview)?$/, 'is not an api-version (YYYY-MM-DD)'),
    unset: byDefault('2022-05-01'),
    hint: 'set it to an Azure ML api-version such as 2022-05-01, or leave it unset',
    doc: 'Azure ML resource-manager api-version',
  },
  AZURE_TENANT_ID: {
    key: 'tenantId',
    value: text(/^([0-9a-fA-F-]{36}|[a-zA-Z0-9.-]+)$/, 'is not a tenant id or domain'),
    unset: OPTIONAL,
    hint: 'set it to your Entra tenant id (a GUID) or leave it unset',
    doc: 'Entra tenant id or domain, for the credential',
  },
  AZURE_CLIENT_ID: {
    key: 'clientId',
    value: text(GUID, 'is not a client id (a GUID)'),
    unset: OPTIONAL,
    hint: "set it to the service principal's or managed identity's client id (a GUID) or leave it unset",
    doc: 'client id of the service principal or user-assigned managed identity (a GUID)',
  },
  BATCH_SCORE_ARM_ENDPOINT: {
    key: 'armEndpoint',
    value: httpUrl,
    unset: OPTIONAL,
    hint: 'set it to the full URL of a resource-manager stand-in (the sandbox), or leave it unset for Azure',
    doc: 'resource-manager base URL override (the local sandbox)',
    docDefault: "the cloud's",
  },
  BATCH_SCORE_STORAGE_BLOB_URL: {
    key: 'storageBlobUrl',
    value: httpUrl,
    unset: OPTIONAL,
    hint: "set it to the default datastore's blob endpoint URL, or leave it unset",
    doc: 'blob endpoint override of the default datastore',
    docDefault: 'from the datastore',
  },
  BATCH_SCORE_STORAGE_CONNECTION_STRING: {
    key: 'storageConnectionString',
    value: text(/(^|;)\s*(AccountName|BlobEndpoint|UseDevelopmentStorage)\s*=/i, 'is not a storage connection string'),
    unset: OPTIONAL,
    hint: 'set it to the storage account connection string (Azure portal > Access keys), or leave it unset',
    doc: 'storage connection string instead of the Azure identity for blob access',
    secret: true,
  },
  BATCH_SCORE_ALLOWED_WORKSPACES: {
    key: 'allowedWorkspaces',
    value: commaList(
      text(WORKSPACE_ENTRY, 'lists something that is not <subscription-id>/<resource-group>/<workspace>').transform((v) => {
        const [subscriptionId, resourceGroup, workspace] = v.split('/') as [string, string, string];
        return { subscriptionId, resourceGroup, workspace };
      }),
    ),
    unset: EMPTY_LIST,
    hint: 'set it to a comma-separated list of <subscription-id>/<resource-group>/<workspace> that data references may name besides the configured workspace, or leave it unset',
    doc: 'comma-separated `<subscription-id>/<resource-group>/<workspace>` that long-form data references may name besides the configured workspace; any other is refused',
    docDefault: 'the configured workspace only',
  },
  BATCH_SCORE_ALLOW_HARD_LINKS: {
    key: 'allowHardLinks',
    value: z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true'),
    unset: byDefault('false'),
    hint: 'set it to true to upload files that have more than one hard link; they are refused by default, as they may come from outside the artifacts folder',
    doc: '`true` uploads files with more than one hard link; by default they are refused (a hard link can bring in a file from outside the artifacts folder)',
  },
  BATCH_SCORE_STORAGE_TOKEN_HOSTS: {
    key: 'storageTokenHosts',
    value: commaList(text(STORAGE_HOST, 'lists something that is not a host name or host:port').transform((v) => v.toLowerCase())),
    unset: EMPTY_LIST,
    hint: "set it to a comma-separated list of host or host:port that may receive the storage token besides the cloud's *.blob.<storage suffix> hosts (private endpoints, a local stand-in), or leave it unset",
    doc: 'comma-separated `host` or `host:port` that may also receive the storage token (private endpoints, a local stand-in)',
    docDefault: "the cloud's `*.blob.<storage suffix>` only",
  },
});

const slackVariables = variables({
  SLACK_BOT_TOKEN: {
    key: 'botToken',
    value: text(/^xoxb-/, 'is not a bot token (it starts with xoxb-)'),
    unset: REQUIRED,
    hint: "set it to the app's Bot User OAuth Token (api.slack.com/apps > OAuth & Permissions, xoxb-…)",
    doc: 'Bot User OAuth Token, `xoxb-…`',
    docRequired: 'yes (bot, worker)',
    secret: true,
  },
  SLACK_SIGNING_SECRET: {
    key: 'signingSecret',
    // Slack issues 32 hex digits, but stand-ins and tests pick their own: only refuse what cannot be one.
    value: text(/^\S+$/, 'must not contain spaces'),
    unset: REQUIRED,
    hint: "set it to the app's Signing Secret (api.slack.com/apps > Basic Information)",
    doc: "the app's Signing Secret",
    docRequired: 'yes (bot, worker)',
    secret: true,
  },
  SLACK_APP_TOKEN: {
    key: 'appToken',
    value: text(/^xapp-/, 'is not an app-level token (it starts with xapp-)'),
    unset: OPTIONAL,
    hint: 'set it to an app-level token with connections:write (xapp-…) for Socket Mode, or leave it unset for HTTP',
    doc: 'app-level token `xapp-…`: turns on Socket Mode',
    secret: true,
  },
  BATCH_SCORE_SLACK_API_URL: {
    key: 'apiUrl',
    value: httpUrl,
    unset: OPTIONAL,
    hint: 'set it to the full URL of a Slack Web API stand-in, or leave it unset for slack.com',
    doc: 'Slack Web API URL override (the local stand-in)',
    docDefault: '`https://slack.com/api/`',
  },
  BATCH_SCORE_ALLOWED_TEAM_IDS: {
    key: 'allowedTeamIds',
    value: commaList(text(/^[TE][A-Z0-9]{2,}$/, 'lists something that is not a team id (T…)')),
    unset: EMPTY_LIST,
    hint: 'set it to a comma-separated list of workspace ids such as T0123ABCD, or leave it unset',
    doc: 'comma-separated Slack workspace ids (`T…`) the bot serves',
    docDefault: 'any',
  },
  BATCH_SCORE_ALLOWED_CHANNEL_IDS: {
    key: 'allowedChannelIds',
    value: commaList(text(/^[CGD][A-Z0-9]{2,}$/, 'lists something that is not a channel id (C…, G…, D…)')),
    unset: EMPTY_LIST,
    hint: 'set it to a comma-separated list of channel ids such as C0123ABCD, or leave it unset',
    doc: 'comma-separated channel ids (`C…`, `G…`, `D…`) where commands work (`help` works everywhere)',
    docDefault: 'any',
  },
  PORT: {
    key: 'port',
    value: integer(1, 65535),
    unset: byDefault('3000'),
    hint: 'set it to the HTTP port for Slack requests, 1-65535',
    doc: 'HTTP port for Slack requests and health checks',
  },
});

const redisVariables = variables({
  REDIS_URL: {
    key: 'url',
    value: text(/^rediss?:\/\/\S+$/, 'is not a redis:// or rediss:// URL'),
    unset: byDefault('redis://127.0.0.1:6379'),
    hint: 'set it to redis://[:password@]host:port[/db]',
    doc: '`redis://[:password@]host:port[/db]` or `rediss://…`',
    secret: true,
  },
  REDIS_CLUSTER_NODES: {
    key: 'clusterNodes',
    value: commaList(text(/^rediss?:\/\/[^\s/]+:\d+\/?$/, 'lists something that is not a redis://host:port or rediss://host:port URL')),
    unset: EMPTY_LIST,
    hint: 'set it to a comma-separated list of cluster nodes such as rediss://:password@host:10000, or leave it unset for a single Redis',
    doc: 'Redis Cluster: comma-separated seed nodes, `redis://host:port` or `rediss://:password@host:port`; replaces `REDIS_URL`',
    secret: true,
  },
  BATCH_SCORE_QUEUE_PREFIX: {
    key: 'queuePrefix',
    // Braces make the prefix a Redis Cluster hash tag (src/queue/redis-keys.ts), as BullMQ asks on a cluster.
    value: text(/^(?:[a-zA-Z0-9_-]{1,32}|\{[a-zA-Z0-9_-]{1,32}\})$/, 'must be 1-32 letters, digits, "_" or "-", optionally in braces ({bsb})'),
    unset: byDefault('bsb'),
    hint: 'set it to a short key prefix for the queues, in braces on a Redis Cluster ({bsb})',
    doc: 'key prefix of the queues and stores; the same for every replica of one installation; on a Redis Cluster a hash tag in braces, e.g. `{bsb}`',
  },
});

const userId = text(/^[UW][A-Z0-9]{2,}$/, 'lists something that is not a Slack user id (U…, W…)');
/** How verbs are typed, for prose that lists them ("data register"). */
const spoken = (verbs: readonly Verb[]): string => verbs.map((v) => VERB_DECLARATIONS[v].words).join(', ');
const approvalVariables = variables({
  BATCH_SCORE_APPROVAL_REQUIRED_FOR: {
    key: 'requiredFor',
    // 'none' is the explicit way to turn approvals off (an empty variable means "use the default").
    value: z.preprocess(
      (v) => (typeof v === 'string' && v.trim().toLowerCase() === 'none' ? '' : v),
      commaList(z.enum(approvalActionSchema.options, { error: (i) => `lists '${String(i.input)}', which is not an action` })),
    ).transform((actions) => [...new Set(actions)]),
    unset: byDefault('deploy,set-default,delete'),
    hint: `set it to a comma-separated list of ${approvalActionSchema.options.join(', ')}, or none`,
    doc: `actions that need an approval: any of ${approvalActionSchema.options.map((a) => `\`${a}\``).join(', ')}, or \`none\``,
  },
  BATCH_SCORE_APPROVERS: {
    key: 'approvers',
    value: commaList(text(/^[UWS][A-Z0-9]{2,}$/, 'lists something that is not a Slack user id (U…, W…) or user group id (S…)')),
    unset: EMPTY_LIST,
    hint: 'set it to a comma-separated list of Slack user ids (U…/W…) and user group ids (S…), or set BATCH_SCORE_APPROVAL_REQUIRED_FOR=none',
    doc: 'comma-separated Slack user ids (`U…`, `W…`) and user group ids (`S…`) who may approve',
    docRequired: 'yes, unless approvals are `none`',
  },
  BATCH_SCORE_APPROVAL_TTL: {
    key: 'ttlMs',
    value: duration,
    unset: byDefault('1h'),
    hint: 'set it to a duration such as 30m, 2h or 1h30m',
    doc: 'how long a request waits for a decision (`30m`, `2h`, `1h30m`)',
  },
  BATCH_SCORE_DEPLOYERS: {
    key: 'deployers',
    value: commaList(userId),
    unset: EMPTY_LIST,
    hint: 'set it to a comma-separated list of Slack user ids, or leave it unset to let everyone in the allowed channels deploy',
    doc: `comma-separated user ids who may ask for ${spoken(verbsWithAccess('deployers'))}`,
    docDefault: 'everyone',
  },
  BATCH_SCORE_RUNNERS: {
    key: 'runners',
    value: commaList(userId),
    unset: EMPTY_LIST,
    hint: 'set it to a comma-separated list of Slack user ids, or leave it unset to let everyone in the allowed channels run jobs',
    doc: `comma-separated user ids who may ask for ${spoken(verbsWithAccess('runners'))}`,
    docDefault: 'everyone',
  },
  BATCH_SCORE_CANCELERS: {
    key: 'cancelers',
    value: commaList(text(/^(requester|approvers|[UWS][A-Z0-9]{2,})$/, 'lists something that is not requester, approvers, a Slack user id (U…, W…) or a user group id (S…)')),
    unset: byDefault('requester,approvers'),
    hint: 'set it to a comma-separated list of who may cancel a job: requester (who started the run), approvers, Slack user ids and user group ids',
    doc: 'who may cancel a job: `requester` (who started the run), `approvers`, Slack user ids and user group ids',
  },
  BATCH_SCORE_MAX_PENDING_PER_USER: {
    key: 'maxPendingPerUser',
    value: integer(1, 10_000),
    unset: byDefault('10'),
    hint: 'set it to how many open requests (awaiting approval, queued or running) one user may have at once',
    doc: 'open requests (awaiting approval, queued or running) one user may have at once; more are refused with a message',
  },
  BATCH_SCORE_MAX_PENDING_PER_CHANNEL: {
    key: 'maxPendingPerChannel',
    value: integer(1, 100_000),
    unset: byDefault('50'),
    hint: 'set it to how many open requests one channel may have at once',
    doc: 'open requests one channel may have at once',
  },
});

const workerVariables = variables({
  BATCH_SCORE_WORKER_CONCURRENCY: {
    key: 'concurrency',
    value: integer(1, 256),
    unset: byDefault('4'),
    hint: 'set it to the number of jobs a worker runs at once, 1-256',
    doc: 'jobs a worker process runs at once per queue (1-256)',
  },
  BATCH_SCORE_ARTIFACTS_ROOT: {
    key: 'artifactsRoot',
    value: text(),
    unset: byDefault('./artifacts'),
    hint: 'set it to the folder local model and code uploads are read from',
    doc: "folder the deploy modal's model and code paths are relative to (nothing outside it is read)",
  },
  BATCH_SCORE_WATCH_MIN_INTERVAL: {
    key: 'watchMinIntervalMs',
    value: duration,
    unset: byDefault('10s'),
    hint: 'set it to a duration such as 10s',
    doc: 'first wait between status checks of a running job',
  },
  BATCH_SCORE_WATCH_MAX_INTERVAL: {
    key: 'watchMaxIntervalMs',
    value: duration,
    unset: byDefault('2m'),
    hint: 'set it to a duration such as 2m, not shorter than BATCH_SCORE_WATCH_MIN_INTERVAL',
    doc: 'longest wait between status checks (not shorter than the minimum)',
  },
  BATCH_SCORE_JOB_LOCK_DURATION: {
    key: 'lockDurationMs',
    value: duration,
    unset: byDefault('30s'),
    hint: 'set it to a duration such as 30s: how soon a job whose worker died is taken over by another worker',
    doc: 'how soon a job whose worker died is taken over by another worker (BullMQ lock duration)',
  },
  BATCH_SCORE_SLACK_CHANNEL_INTERVAL: {
    key: 'slackChannelIntervalMs',
    value: duration,
    unset: byDefault('1s'),
    hint: "set it to a duration such as 1s: the least gap between two messages to one channel (Slack's rate)",
    doc: 'least gap between two bot messages in one channel (Slack allows about one per second)',
  },
  LOG_LEVEL: {
    key: 'logLevel',
    value: z.enum(logLevelSchema.options, { error: `is not a log level; use one of ${logLevelSchema.options.join(', ')}` }),
    unset: byDefault('info'),
    hint: `set it to ${logLevelSchema.options.slice(0, -1).join(', ')} or ${logLevelSchema.options[logLevelSchema.options.length - 1]}`,
    doc: `${logLevelSchema.options.slice(0, -1).map((l) => `\`${l}\``).join(', ')} or \`${logLevelSchema.options[logLevelSchema.options.length - 1]}\` (JSON logs on stdout)`,
  },
});

const channelId = text(/^[CGD][A-Z0-9]{2,}$/, 'lists something that is not a channel id (C…, G…, D…)');

const profilesVariables = variables({
  BATCH_SCORE_WORKSPACES: {
    key: 'names',
    value: commaList(text(WORKSPACE_PROFILE_NAME, 'lists something that is not a profile name (a lower-case letter, then up to 23 lower-case letters, digits or "-")')).transform((names) => [...new Set(names)]),
    unset: EMPTY_LIST,
    hint: 'set it to a comma-separated list of workspace profile names such as dev,prod, each configured by WORKSPACE_<NAME>_* variables, or leave it unset for one workspace',
    doc: 'comma-separated names of workspace profiles (`dev,prod`); each is configured by the Azure variables above prefixed `WORKSPACE_<NAME>_` plus `WORKSPACE_<NAME>_CHANNELS`, `WORKSPACE_<NAME>_APPROVERS` and `WORKSPACE_<NAME>_AZURE_CLIENT_SECRET` (see "Several workspaces")',
    docDefault: 'one workspace, from the unprefixed Azure variables',
  },
});

/** What a profile reads besides the Azure variables, each as `WORKSPACE_<NAME>_<VARIABLE>`. */
const profileOwnVariables = variables({
  CHANNELS: {
    key: 'channels',
    value: commaList(channelId),
    unset: EMPTY_LIST,
    hint: 'set it to a comma-separated list of the channel ids (C…, G…) bound to this workspace',
    doc: 'channels bound to the profile',
  },
  APPROVERS: {
    key: 'approvers',
    value: commaList(text(/^[UWS][A-Z0-9]{2,}$/, 'lists something that is not a Slack user id (U…, W…) or user group id (S…)')),
    unset: OPTIONAL,
    hint: "set it to a comma-separated list of Slack user ids (U…/W…) and user group ids (S…) who approve this workspace's changes, or leave it unset for BATCH_SCORE_APPROVERS",
    doc: "who approves the profile's changes",
  },
  AZURE_CLIENT_SECRET: {
    key: 'clientSecret',
    value: text(/^\S+$/, 'must not contain spaces'),
    unset: OPTIONAL,
    hint: "set it to the profile's service principal secret (with its AZURE_TENANT_ID and AZURE_CLIENT_ID), or leave it unset for a managed or workload identity",
    doc: "the profile's service principal secret",
    secret: true,
  },
});

/** Every variable the configuration reads, by name, in declaration order. */
const ENV_VARIABLES: EnvVariables = { ...azureVariables, ...slackVariables, ...redisVariables, ...approvalVariables, ...workerVariables, ...profilesVariables };

/** Every environment variable the configuration reads, in declaration order (.env.example and the README list them all). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(ENV_VARIABLES);

/**
 * Env vars whose values are secrets: never log them, redact them by these names. The rows say which of
 * ours are (REDIS_URL and the cluster's seed nodes may carry a password: redis://:password@host); the
 * service principal's secrets are read by @azure/identity's EnvironmentCredential, never by us, and are
 * listed so logs redact them too.
 */
export const SECRET_ENV_VARS: readonly string[] = [
  ...Object.entries(ENV_VARIABLES)
    .filter(([, row]) => row.secret)
    .map(([name]) => name),
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PASSWORD',
];

/** How to set a variable: the second half of its problem line, ending with its default when it has one. */
function hintOf(row: EnvVariable): string {
  return typeof row.unset === 'object' ? `${row.hint} (default ${row.unset.default})` : row.hint;
}

/** One row of the README's configuration table, as the operator reads it. */
export interface ConfigDocRow {
  variable: string;
  required: string;
  default: string;
  meaning: string;
}

/** The README's configuration table, row by row, from the variables' declarations. */
export function configDocRows(): ConfigDocRow[] {
  return Object.entries(ENV_VARIABLES).map(([variable, row]) => ({
    variable,
    required: row.docRequired ?? (row.unset === 'required' ? 'yes' : 'no'),
    default: typeof row.unset === 'object' ? `\`${row.unset.default}\`` : (row.docDefault ?? ''),
    meaning: `${row.doc}${row.secret ? ' (secret)' : ''}`,
  }));
}

const azureSection = section(azureVariables).transform((azure) => ({
  ...azure,
  /** Workspaces data references may name: the configured one first, then the operator's additions. */
  allowedWorkspaces: [{ subscriptionId: azure.subscriptionId, resourceGroup: azure.resourceGroup, workspace: azure.workspace }, ...azure.allowedWorkspaces],
}));

const slackSection = section(slackVariables);

// Without a hash tag our multi-key scripts (and BullMQ's) would meet CROSSSLOT errors on a cluster.
const redisSection = section(redisVariables, (e) =>
  e.REDIS_CLUSTER_NODES.length > 0 && !/^\{.+\}$/.test(e.BATCH_SCORE_QUEUE_PREFIX)
    ? {
        variable: 'BATCH_SCORE_QUEUE_PREFIX',
        message: `is '${e.BATCH_SCORE_QUEUE_PREFIX}', but on a Redis Cluster (REDIS_CLUSTER_NODES) it must be in braces, e.g. {${e.BATCH_SCORE_QUEUE_PREFIX}}`,
      }
    : undefined,
);

// Without approvers every gated request would wait until it expires: refuse to start instead.
const approvalsSection = section(approvalVariables, (e) =>
  e.BATCH_SCORE_APPROVAL_REQUIRED_FOR.length > 0 && e.BATCH_SCORE_APPROVERS.length === 0
    ? { variable: 'BATCH_SCORE_APPROVERS', message: `is empty, yet ${e.BATCH_SCORE_APPROVAL_REQUIRED_FOR.join(', ')} need an approval` }
    : undefined,
);

const workerSection = section(workerVariables, (e) =>
  e.BATCH_SCORE_WATCH_MAX_INTERVAL < e.BATCH_SCORE_WATCH_MIN_INTERVAL
    ? { variable: 'BATCH_SCORE_WATCH_MAX_INTERVAL', message: 'is shorter than BATCH_SCORE_WATCH_MIN_INTERVAL' }
    : undefined,
);

const profilesSection = section(profilesVariables);
const profileOwnSection = section(profileOwnVariables);

/** One Azure ML workspace the bot serves, under a short name users type (`--workspace prod`). */
export interface WorkspaceProfileConfig {
  name: string;
  azure: AzureConfig;
  /** Channels bound to it. A lone profile with none serves every channel. */
  channels: string[];
  /** Who approves its changes; absent: BATCH_SCORE_APPROVERS. */
  approvers?: string[];
  /** Its own service principal's secret; absent: the default credential chain (managed or workload identity…). */
  clientSecret?: string;
}

/** The name of the one profile an installation without BATCH_SCORE_WORKSPACES has. */
export const DEFAULT_PROFILE = 'default';

/** `prod` → `WORKSPACE_PROD_`, `eu-west` → `WORKSPACE_EU_WEST_`: the prefix of a profile's variables. */
export function profileEnvPrefix(name: string): string {
  return `WORKSPACE_${name.toUpperCase().replace(/-/g, '_')}_`;
}

const restSchema = z.object({
  slack: slackSection,
  redis: redisSection,
  approvals: approvalsSection,
  worker: workerSection,
});

export type Config = z.infer<typeof restSchema> & {
  /** The first profile's Azure settings: the workspace of a request that names none. */
  azure: AzureConfig;
  /** Every workspace the bot serves, the default first; never empty. */
  profiles: WorkspaceProfileConfig[];
};
export type AzureConfig = z.infer<typeof azureSection>;

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

/** The Azure settings of the first (default) workspace: what the CLI needs (no Slack, Redis or worker settings). */
export function loadAzureConfig(env: NodeJS.ProcessEnv): AzureConfig {
  return (loadWorkspaceProfiles(env)[0] as WorkspaceProfileConfig).azure;
}

/**
 * Every workspace profile. Without BATCH_SCORE_WORKSPACES, one named `default` from the unprefixed Azure
 * variables; with it, one per name from that name's WORKSPACE_<NAME>_* variables, in the order listed.
 */
export function loadWorkspaceProfiles(env: NodeJS.ProcessEnv, opts: { approvalsRequired?: boolean } = {}): WorkspaceProfileConfig[] {
  const parsed = parseWorkspaceProfiles(env, opts);
  if (!parsed.ok) throw new ConfigError(parsed.problems);
  return parsed.data;
}

/** Everything the bot and the worker need, Slack included. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const rest = parseSection(restSchema, { slack: env, redis: env, approvals: env, worker: env });
  const approvalsRequired = rest.ok ? rest.data.approvals.requiredFor.length > 0 : false;
  const profiles = parseWorkspaceProfiles(env, { approvalsRequired });
  const problems = [...(rest.ok ? [] : rest.problems), ...(profiles.ok ? [] : profiles.problems)];
  if (!rest.ok || !profiles.ok) throw new ConfigError(sortProblems(problems));
  return { ...rest.data, azure: (profiles.data[0] as WorkspaceProfileConfig).azure, profiles: profiles.data };
}

type Parsed<T> = { ok: true; data: T } | { ok: false; problems: ConfigProblem[] };

function parseWorkspaceProfiles(env: NodeJS.ProcessEnv, opts: { approvalsRequired?: boolean }): Parsed<WorkspaceProfileConfig[]> {
  const names = parseSection(profilesSection, env);
  if (!names.ok) return names;
  if (names.data.names.length === 0) {
    const azure = parseSection(azureSection, env);
    return azure.ok ? { ok: true, data: [{ name: DEFAULT_PROFILE, azure: azure.data, channels: [] }] } : azure;
  }
  const problems: ConfigProblem[] = [];
  const profiles: WorkspaceProfileConfig[] = [];
  for (const name of names.data.names) {
    const prefix = profileEnvPrefix(name);
    // The profile's variables, read under their unprefixed names so every row, hint and check applies as is.
    const view = (rows: EnvVariables): Record<string, string | undefined> => Object.fromEntries(Object.keys(rows).map((v) => [v, env[`${prefix}${v}`]]));
    const azure = parseSection(azureSection, view(azureVariables), prefix);
    const own = parseSection(profileOwnSection, view(profileOwnVariables), prefix);
    if (!azure.ok) problems.push(...azure.problems);
    if (!own.ok) problems.push(...own.problems);
    if (!azure.ok || !own.ok) continue;
    const { channels, approvers, clientSecret } = own.data;
    if (clientSecret && (!azure.data.tenantId || !azure.data.clientId)) {
      problems.push({ variable: `${prefix}AZURE_CLIENT_SECRET`, message: `${prefix}AZURE_CLIENT_SECRET: is set, but a secret needs ${prefix}AZURE_TENANT_ID and ${prefix}AZURE_CLIENT_ID too; set them, or remove the secret` });
      continue;
    }
    if (opts.approvalsRequired && approvers !== undefined && approvers.length === 0) {
      problems.push({ variable: `${prefix}APPROVERS`, message: `${prefix}APPROVERS: is empty, yet changes need an approval; list who approves them, or leave it unset for BATCH_SCORE_APPROVERS` });
      continue;
    }
    profiles.push({ name, azure: azure.data, channels, ...(approvers ? { approvers } : {}), ...(clientSecret ? { clientSecret } : {}) });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, data: profiles };
}

/**
 * One problem per variable (the first thing wrong with it). `prefix`: the variables are a profile's,
 * read under their unprefixed names and reported under their full ones (WORKSPACE_PROD_AZURE_CLOUD).
 */
function parseSection<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): Parsed<z.infer<S>> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, data: parsed.data };
  const rows: EnvVariables = { ...ENV_VARIABLES, ...profileOwnVariables };
  const byVariable = new Map<string, string>();
  for (const issue of parsed.error.issues) {
    const variable = issue.path.map(String).find((p) => Object.hasOwn(rows, p)) ?? issue.path.map(String).join('.');
    if (byVariable.has(variable)) continue;
    const row = Object.hasOwn(rows, variable) ? rows[variable] : undefined;
    byVariable.set(variable, `${prefix}${variable}: ${issue.message}${row ? `; ${hintOf(row)}` : ''}`);
  }
  return { ok: false, problems: [...byVariable.entries()].map(([variable, message]) => ({ variable: `${prefix}${variable}`, message })) };
}

/** In the order the variables are declared; a profile's after the shared ones, as listed. */
function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  const rank = (variable: string): number => {
    const i = CONFIG_VARIABLES.indexOf(variable);
    return i === -1 ? CONFIG_VARIABLES.length : i;
  };
  return problems.map((p, i) => ({ p, i })).sort((a, b) => rank(a.p.variable) - rank(b.p.variable) || a.i - b.i).map(({ p }) => p);
}
