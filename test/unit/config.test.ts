import { ConfigError, SECRET_CONFIG_PATHS, SECRET_ENV_VARS, loadAzureConfig, loadConfig, parseDurationMs } from '../../src/config';

const azureEnv = {
  AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000001',
  AZURE_RESOURCE_GROUP: 'ml-rg',
  AZUREML_WORKSPACE: 'main-ws',
  AZURE_LOCATION: 'chinaeast2',
};
const fullEnv = {
  ...azureEnv,
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-abcdefSECRET',
  SLACK_SIGNING_SECRET: '8f742231b10e8888abcd99eeeeee85a5',
  BATCH_SCORE_APPROVERS: 'U0123ABCD,S0ADMINS',
};

function problemsOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loading the configuration', () => {
  it('fills in defaults for everything optional', () => {
    const config = loadConfig(fullEnv);
    expect(config.azure).toEqual({ ...{ cloud: 'AzureCloud', apiVersion: '2022-05-01' }, subscriptionId: azureEnv.AZURE_SUBSCRIPTION_ID, resourceGroup: 'ml-rg', workspace: 'main-ws', location: 'chinaeast2',
      allowedWorkspaces: [{ subscriptionId: azureEnv.AZURE_SUBSCRIPTION_ID, resourceGroup: 'ml-rg', workspace: 'main-ws' }],
      storageTokenHosts: [],
      allowHardLinks: false,
    });
    expect(config.slack).toMatchObject({ port: 3000, allowedTeamIds: [], allowedChannelIds: [] });
    expect(config.slack.appToken).toBeUndefined();
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', clusterNodes: [], queuePrefix: 'bsb' });
    expect(config.approvals).toEqual({
      requiredFor: ['deploy', 'set-default', 'delete'],
      approvers: ['U0123ABCD', 'S0ADMINS'],
      ttlMs: 3_600_000,
      deployers: [],
      runners: [],
      cancelers: ['requester', 'approvers'],
      maxPendingPerUser: 10,
      maxPendingPerChannel: 50,
    });
    expect(config.worker).toEqual({
      concurrency: 4,
      artifactsRoot: './artifacts',
      watchMinIntervalMs: 10_000,
      watchMaxIntervalMs: 120_000,
      lockDurationMs: 30_000,
      slackChannelIntervalMs: 1_000,
      logLevel: 'info',
    });
  });

  it('reads every setting it is given', () => {
    const config = loadConfig({
      ...fullEnv,
      AZURE_CLOUD: 'AzureChinaCloud',
      AZURE_LOCATION: 'China East 2',
      AZUREML_API_VERSION: '2023-04-01-preview',
      AZURE_TENANT_ID: 'contoso.onmicrosoft.com',
      BATCH_SCORE_ARM_ENDPOINT: 'http://127.0.0.1:7071',
      BATCH_SCORE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
      SLACK_APP_TOKEN: 'xapp-1-A0-secret',
      BATCH_SCORE_ALLOWED_CHANNEL_IDS: ' C0AAA, G0BBB ,',
      PORT: '8080',
      REDIS_URL: 'redis://:pw@127.0.0.1:6390/2',
      BATCH_SCORE_APPROVAL_REQUIRED_FOR: 'deploy, run, run',
      BATCH_SCORE_APPROVAL_TTL: '1h30m',
      BATCH_SCORE_DEPLOYERS: 'U0AAA W0BBB',
      BATCH_SCORE_WORKER_CONCURRENCY: '8',
      BATCH_SCORE_WATCH_MIN_INTERVAL: '500ms',
      LOG_LEVEL: 'debug',
    });
    expect(config.azure).toMatchObject({ cloud: 'AzureChinaCloud', location: 'chinaeast2', apiVersion: '2023-04-01-preview', armEndpoint: 'http://127.0.0.1:7071' });
    expect(config.slack).toMatchObject({ appToken: 'xapp-1-A0-secret', allowedChannelIds: ['C0AAA', 'G0BBB'], port: 8080 });
    expect(config.redis.url).toBe('redis://:pw@127.0.0.1:6390/2');
    expect(config.approvals).toMatchObject({ requiredFor: ['deploy', 'run'], ttlMs: 5_400_000, deployers: ['U0AAA', 'W0BBB'] });
    expect(config.worker).toMatchObject({ concurrency: 8, watchMinIntervalMs: 500, logLevel: 'debug' });
  });

  it('treats a blank variable as unset', () => {
    expect(loadConfig({ ...fullEnv, PORT: '  ', AZURE_CLOUD: '' }).slack.port).toBe(3000);
  });

  it('lets approvals be turned off explicitly, and then needs no approvers', () => {
    const config = loadConfig({ ...fullEnv, BATCH_SCORE_APPROVERS: undefined, BATCH_SCORE_APPROVAL_REQUIRED_FOR: 'none' });
    expect(config.approvals.requiredFor).toEqual([]);
  });

  it('lists every problem at once, each saying what is wrong and how to set it', () => {
    const err = problemsOf(() =>
      loadConfig({
        AZURE_CLOUD: 'AzureGermany',
        AZURE_SUBSCRIPTION_ID: 'my-subscription',
        PORT: '99999',
        SLACK_BOT_TOKEN: 'xoxp-user-token',
        BATCH_SCORE_ALLOWED_CHANNEL_IDS: 'C0AAA,#general',
        BATCH_SCORE_APPROVAL_REQUIRED_FOR: 'deploy,nuke',
        BATCH_SCORE_APPROVAL_TTL: 'forever',
        BATCH_SCORE_WORKER_CONCURRENCY: 'four',
        LOG_LEVEL: 'loud',
      }),
    );
    expect(err.problems.map((p) => p.variable)).toEqual([
      'AZURE_CLOUD',
      'AZURE_SUBSCRIPTION_ID',
      'AZURE_RESOURCE_GROUP',
      'AZUREML_WORKSPACE',
      'AZURE_LOCATION',
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'BATCH_SCORE_ALLOWED_CHANNEL_IDS',
      'PORT',
      'BATCH_SCORE_APPROVAL_REQUIRED_FOR',
      'BATCH_SCORE_APPROVAL_TTL',
      'BATCH_SCORE_WORKER_CONCURRENCY',
      'LOG_LEVEL',
    ]);
    for (const p of err.problems) {
      expect(p.message).toMatch(new RegExp(`^${p.variable}: .+; set it to `));
      expect(err.message).toContain(p.message);
    }
    expect(err.message).toContain("AZURE_CLOUD: 'AzureGermany' is not a known Azure cloud; set it to AzureCloud, AzureChinaCloud or AzureUSGovernment");
    expect(err.message).toContain('AZURE_RESOURCE_GROUP: is not set;');
    expect(err.message).toContain('PORT: must be at most 65535;');
    expect(err.message).toContain("BATCH_SCORE_APPROVAL_REQUIRED_FOR: lists 'nuke', which is not an action;");
  });

  it('never echoes a secret it refuses', () => {
    const err = problemsOf(() =>
      loadConfig({ ...fullEnv, SLACK_BOT_TOKEN: 'xoxp-leaked-user-token', SLACK_SIGNING_SECRET: 'spaced secret value', BATCH_SCORE_STORAGE_CONNECTION_STRING: 'hunter2' }),
    );
    expect(err.problems.map((p) => p.variable)).toEqual(['BATCH_SCORE_STORAGE_CONNECTION_STRING', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET']);
    expect(err.message).not.toMatch(/leaked|spaced secret|hunter2/);
  });

  it('refuses a watch interval range whose maximum is below its minimum', () => {
    const err = problemsOf(() => loadConfig({ ...fullEnv, BATCH_SCORE_WATCH_MIN_INTERVAL: '5m', BATCH_SCORE_WATCH_MAX_INTERVAL: '1m' }));
    expect(err.problems).toEqual([expect.objectContaining({ variable: 'BATCH_SCORE_WATCH_MAX_INTERVAL' })]);
  });

  it('reads Redis Cluster seed nodes, and takes a hash-tag prefix in braces', () => {
    const config = loadConfig({ ...fullEnv, REDIS_CLUSTER_NODES: 'redis://10.0.0.4:7000, rediss://:pw@cache.example:10000', BATCH_SCORE_QUEUE_PREFIX: '{bsb}' });
    expect(config.redis).toMatchObject({ clusterNodes: ['redis://10.0.0.4:7000', 'rediss://:pw@cache.example:10000'], queuePrefix: '{bsb}' });
    expect(loadConfig({ ...fullEnv, BATCH_SCORE_QUEUE_PREFIX: '{team-a}' }).redis.queuePrefix).toBe('{team-a}');
  });

  it('refuses a cluster without a hash-tag prefix (CROSSSLOT otherwise), and seeds that are not host:port URLs', () => {
    const err = problemsOf(() => loadConfig({ ...fullEnv, REDIS_CLUSTER_NODES: 'redis://10.0.0.4:7000' }));
    expect(err.message).toContain('BATCH_SCORE_QUEUE_PREFIX: is \'bsb\', but on a Redis Cluster (REDIS_CLUSTER_NODES) it must be in braces, e.g. {bsb}');
    const bad = problemsOf(() => loadConfig({ ...fullEnv, REDIS_CLUSTER_NODES: 'cache:7000', BATCH_SCORE_QUEUE_PREFIX: '{bsb' }));
    expect(bad.problems.map((p) => p.variable)).toEqual(['REDIS_CLUSTER_NODES', 'BATCH_SCORE_QUEUE_PREFIX']);
  });

  it('refuses approvals that nobody could give', () => {
    const err = problemsOf(() => loadConfig({ ...fullEnv, BATCH_SCORE_APPROVERS: '' }));
    expect(err.message).toContain('BATCH_SCORE_APPROVERS: is empty, yet deploy, set-default, delete need an approval');
  });
});

describe('the Azure-only configuration the CLI loads', () => {
  it('needs no Slack settings', () => {
    expect(loadAzureConfig(azureEnv).workspace).toBe('main-ws');
  });

  it('still reports every Azure problem', () => {
    const err = problemsOf(() => loadAzureConfig({ AZURE_SUBSCRIPTION_ID: 'x', BATCH_SCORE_ARM_ENDPOINT: 'ftp://nope' }));
    expect(err.problems.map((p) => p.variable)).toEqual([
      'AZURE_SUBSCRIPTION_ID',
      'AZURE_RESOURCE_GROUP',
      'AZUREML_WORKSPACE',
      'AZURE_LOCATION',
      'BATCH_SCORE_ARM_ENDPOINT',
    ]);
  });
});

describe('secrets', () => {
  it('flags every secret variable and where it lands in the config', () => {
    expect(SECRET_ENV_VARS).toEqual(
      expect.arrayContaining(['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'BATCH_SCORE_STORAGE_CONNECTION_STRING', 'AZURE_CLIENT_SECRET']),
    );
    const config = loadConfig({
      ...fullEnv,
      SLACK_APP_TOKEN: 'xapp-1',
      REDIS_CLUSTER_NODES: 'rediss://:k@cache:10000',
      BATCH_SCORE_QUEUE_PREFIX: '{bsb}',
      BATCH_SCORE_WORKSPACES: 'prod',
      ...Object.fromEntries(Object.entries(azureEnv).map(([k, v]) => [`WORKSPACE_PROD_${k}`, v])),
      WORKSPACE_PROD_BATCH_SCORE_STORAGE_CONNECTION_STRING: 'AccountName=a;AccountKey=k',
      WORKSPACE_PROD_AZURE_TENANT_ID: '00000000-0000-0000-0000-0000000000aa',
      WORKSPACE_PROD_AZURE_CLIENT_ID: '00000000-0000-0000-0000-0000000000bb',
      WORKSPACE_PROD_AZURE_CLIENT_SECRET: 'shh',
    });
    // pino's redact paths: `a.b` and `a[*].b` (every element of a list).
    const valuesAt = (path: string): unknown[] =>
      path.split('.').reduce<unknown[]>((found, key) => {
        const each = key.endsWith('[*]');
        const name = each ? key.slice(0, -3) : key;
        return found.flatMap((o) => {
          const v = (o as Record<string, unknown> | undefined)?.[name];
          return each ? (v as unknown[]) : [v];
        });
      }, [config]);
    for (const path of SECRET_CONFIG_PATHS.filter((p) => p !== 'azure.storageConnectionString')) {
      const value = valuesAt(path).flat();
      expect(value).toEqual(expect.arrayContaining([expect.any(String)]));
    }
    expect(config.azure.storageConnectionString).toBe('AccountName=a;AccountKey=k');
  });
});

describe('durations', () => {
  it.each([
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['10s', 10_000],
    ['250ms', 250],
    ['1d', 86_400_000],
  ])('reads %s', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['', '10', 'ten minutes', '5x', '-5m'])('refuses %p', (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });
});
