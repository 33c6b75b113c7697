// Workspace profiles in the configuration: BATCH_SCORE_WORKSPACES names them, each reads the Azure
// variables under WORKSPACE_<NAME>_ plus its own channels, approvers and service principal secret. Every
// problem is reported at once, under the variable's full name, and no secret is echoed.
import { ConfigError, DEFAULT_PROFILE, loadAzureConfig, loadConfig, loadWorkspaceProfiles, profileEnvPrefix } from '../../src/config';

const azureOf = (prefix: string, over: Record<string, string> = {}): Record<string, string> => ({
  [`${prefix}AZURE_SUBSCRIPTION_ID`]: '00000000-0000-0000-0000-000000000001',
  [`${prefix}AZURE_RESOURCE_GROUP`]: 'ml-rg',
  [`${prefix}AZUREML_WORKSPACE`]: 'ml-ws',
  [`${prefix}AZURE_LOCATION`]: 'eastus',
  ...Object.fromEntries(Object.entries(over).map(([k, v]) => [`${prefix}${k}`, v])),
});
const shared = {
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-abcdefSECRET',
  SLACK_SIGNING_SECRET: '8f742231b10e8888abcd99eeeeee85a5',
  BATCH_SCORE_APPROVERS: 'U0123ABCD',
};
const devAndProd = {
  ...shared,
  BATCH_SCORE_WORKSPACES: 'dev,prod',
  ...azureOf('WORKSPACE_DEV_', { AZUREML_WORKSPACE: 'ml-dev' }),
  ...azureOf('WORKSPACE_PROD_', { AZURE_CLOUD: 'AzureChinaCloud', AZUREML_WORKSPACE: 'ml-prod', AZURE_LOCATION: 'chinaeast2' }),
  WORKSPACE_DEV_CHANNELS: 'C0DEV1,C0DEV2',
  WORKSPACE_PROD_CHANNELS: 'C0PROD',
  WORKSPACE_PROD_APPROVERS: 'U0PRODLEAD,S0PRODOPS',
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

describe('workspace profiles', () => {
  it('reads each profile from its own WORKSPACE_<NAME>_ variables, in the order listed, the first as the default', () => {
    const config = loadConfig(devAndProd);
    expect(config.profiles.map((p) => [p.name, p.azure.workspace, p.azure.cloud, p.channels, p.approvers])).toEqual([
      ['dev', 'ml-dev', 'AzureCloud', ['C0DEV1', 'C0DEV2'], undefined],
      ['prod', 'ml-prod', 'AzureChinaCloud', ['C0PROD'], ['U0PRODLEAD', 'S0PRODOPS']],
    ]);
    expect(config.azure).toBe(config.profiles[0]?.azure);
    expect(loadAzureConfig(devAndProd).workspace).toBe('ml-dev');
  });

  it('ignores the unprefixed Azure variables once profiles are named', () => {
    const profiles = loadWorkspaceProfiles({ ...devAndProd, AZUREML_WORKSPACE: 'not-this-one', AZURE_CLOUD: 'AzureUSGovernment' });
    expect(profiles.map((p) => p.azure.workspace)).toEqual(['ml-dev', 'ml-prod']);
  });

  it('without BATCH_SCORE_WORKSPACES has one profile, default, from the unprefixed variables and bound to no channel', () => {
    const profiles = loadWorkspaceProfiles({ ...azureOf(''), ...azureOf('WORKSPACE_PROD_', { AZUREML_WORKSPACE: 'ml-prod' }) });
    expect(profiles).toEqual([expect.objectContaining({ name: DEFAULT_PROFILE, channels: [], azure: expect.objectContaining({ workspace: 'ml-ws' }) })]);
    expect(profiles[0]).not.toHaveProperty('approvers');
    expect(profiles[0]).not.toHaveProperty('clientSecret');
    expect(loadWorkspaceProfiles({ ...azureOf(''), BATCH_SCORE_WORKSPACES: '  ' })).toHaveLength(1);
  });

  it('spells a name with a dash as an underscore in its variables', () => {
    expect(profileEnvPrefix('prod')).toBe('WORKSPACE_PROD_');
    expect(profileEnvPrefix('eu-west-2')).toBe('WORKSPACE_EU_WEST_2_');
    const [profile] = loadWorkspaceProfiles({ BATCH_SCORE_WORKSPACES: 'eu-west-2', ...azureOf('WORKSPACE_EU_WEST_2_') });
    expect(profile?.name).toBe('eu-west-2');
  });

  it('reads a name listed twice as one profile', () => {
    expect(loadWorkspaceProfiles({ ...devAndProd, BATCH_SCORE_WORKSPACES: 'dev, prod,dev' }).map((p) => p.name)).toEqual(['dev', 'prod']);
  });

  it('refuses names a user could not type after --workspace', () => {
    for (const names of ['Dev,prod', 'dev,9lives', 'dev,eu_west', 'dev,a-very-long-profile-name-indeed']) {
      const err = problemsOf(() => loadWorkspaceProfiles({ ...devAndProd, BATCH_SCORE_WORKSPACES: names }));
      expect(err.problems).toEqual([{ variable: 'BATCH_SCORE_WORKSPACES', message: expect.stringContaining('BATCH_SCORE_WORKSPACES: lists something that is not a profile name') }]);
    }
  });

  it("lists every problem at once, the shared ones first, each under the profile's own variable name", () => {
    const err = problemsOf(() =>
      loadConfig({
        ...devAndProd,
        SLACK_BOT_TOKEN: undefined,
        WORKSPACE_DEV_AZURE_SUBSCRIPTION_ID: undefined,
        WORKSPACE_DEV_CHANNELS: 'C0DEV1,#general',
        WORKSPACE_PROD_AZURE_CLOUD: 'AzureGermany',
        WORKSPACE_PROD_APPROVERS: 'U0PRODLEAD,@lead',
      }),
    );
    expect(err.problems.map((p) => p.variable)).toEqual([
      'SLACK_BOT_TOKEN',
      'WORKSPACE_DEV_AZURE_SUBSCRIPTION_ID',
      'WORKSPACE_DEV_CHANNELS',
      'WORKSPACE_PROD_AZURE_CLOUD',
      'WORKSPACE_PROD_APPROVERS',
    ]);
    for (const p of err.problems) expect(p.message).toMatch(new RegExp(`^${p.variable}: .+; set it to `));
    expect(err.message).toContain('WORKSPACE_DEV_AZURE_SUBSCRIPTION_ID: is not set; set it to the id of the subscription');
    expect(err.message).toContain("WORKSPACE_PROD_AZURE_CLOUD: 'AzureGermany' is not a known Azure cloud");
  });

  it('reports a profile whose variables are all missing, variable by variable', () => {
    const err = problemsOf(() => loadWorkspaceProfiles({ ...devAndProd, BATCH_SCORE_WORKSPACES: 'dev,prod,staging' }));
    expect(err.problems.map((p) => p.variable)).toEqual(['WORKSPACE_STAGING_AZURE_SUBSCRIPTION_ID', 'WORKSPACE_STAGING_AZURE_RESOURCE_GROUP', 'WORKSPACE_STAGING_AZUREML_WORKSPACE', 'WORKSPACE_STAGING_AZURE_LOCATION']);
  });
});

describe("a profile's own identity", () => {
  const withSecret = { ...devAndProd, WORKSPACE_PROD_AZURE_TENANT_ID: '00000000-0000-0000-0000-0000000000aa', WORKSPACE_PROD_AZURE_CLIENT_ID: '00000000-0000-0000-0000-0000000000bb', WORKSPACE_PROD_AZURE_CLIENT_SECRET: 'prod-sp-secret' };

  it("reads a service principal secret with the profile's tenant and client id", () => {
    const prod = loadWorkspaceProfiles(withSecret)[1];
    expect(prod).toMatchObject({ clientSecret: 'prod-sp-secret', azure: { tenantId: '00000000-0000-0000-0000-0000000000aa', clientId: '00000000-0000-0000-0000-0000000000bb' } });
    expect(loadWorkspaceProfiles(withSecret)[0]).not.toHaveProperty('clientSecret');
  });

  it('refuses a secret without the tenant and client id it belongs to', () => {
    for (const missing of ['WORKSPACE_PROD_AZURE_TENANT_ID', 'WORKSPACE_PROD_AZURE_CLIENT_ID']) {
      const err = problemsOf(() => loadWorkspaceProfiles({ ...withSecret, [missing]: undefined }));
      expect(err.problems).toEqual([
        {
          variable: 'WORKSPACE_PROD_AZURE_CLIENT_SECRET',
          message: 'WORKSPACE_PROD_AZURE_CLIENT_SECRET: is set, but a secret needs WORKSPACE_PROD_AZURE_TENANT_ID and WORKSPACE_PROD_AZURE_CLIENT_ID too; set them, or remove the secret',
        },
      ]);
      expect(err.message).not.toContain('prod-sp-secret');
    }
  });

  it('never echoes a secret it refuses', () => {
    const err = problemsOf(() =>
      loadWorkspaceProfiles({ ...withSecret, WORKSPACE_PROD_AZURE_CLIENT_SECRET: 'leaked secret value', WORKSPACE_DEV_BATCH_SCORE_STORAGE_CONNECTION_STRING: 'hunter2' }),
    );
    expect(err.problems.map((p) => p.variable)).toEqual(['WORKSPACE_DEV_BATCH_SCORE_STORAGE_CONNECTION_STRING', 'WORKSPACE_PROD_AZURE_CLIENT_SECRET']);
    expect(err.message).not.toMatch(/leaked|hunter2/);
  });
});

describe('approvers per profile', () => {
  it('refuses an empty list when changes need an approval, and takes it when none do', () => {
    const empty = { ...devAndProd, WORKSPACE_PROD_APPROVERS: ' , ' };
    const err = problemsOf(() => loadConfig(empty));
    expect(err.problems).toEqual([
      { variable: 'WORKSPACE_PROD_APPROVERS', message: 'WORKSPACE_PROD_APPROVERS: is empty, yet changes need an approval; list who approves them, or leave it unset for BATCH_SCORE_APPROVERS' },
    ]);
    expect(loadConfig({ ...empty, BATCH_SCORE_APPROVAL_REQUIRED_FOR: 'none' }).profiles[1]?.approvers).toEqual([]);
  });

  it('leaves a blank list unset, so BATCH_SCORE_APPROVERS approves', () => {
    expect(loadConfig({ ...devAndProd, WORKSPACE_PROD_APPROVERS: '  ' }).profiles[1]).not.toHaveProperty('approvers');
  });
});
