import { DefaultAzureCredential } from '@azure/identity';
import { AZURE_CLOUDS, cloudNameSchema } from '../../src/azureml/clouds';
import { studioJobLink, workspaceLinksOf } from '../../src/usecases/studio-links';
import { createAzureCredential } from '../../src/azureml/credentials';

describe('Azure clouds', () => {
  it('describes every cloud the config accepts', () => {
    expect(Object.keys(AZURE_CLOUDS).sort()).toEqual([...cloudNameSchema.options].sort());
  });

  it("uses Azure China's own hosts and the ML audience the recipe asks for", () => {
    expect(AZURE_CLOUDS.AzureChinaCloud).toEqual({
      name: 'AzureChinaCloud',
      resourceManagerEndpoint: 'https://management.chinacloudapi.cn',
      resourceManagerScope: 'https://management.chinacloudapi.cn/.default',
      mlAudience: 'https://studio.ml.azure.cn',
      mlScope: 'https://studio.ml.azure.cn/.default',
      authorityHost: 'https://login.chinacloudapi.cn',
      studioUrl: 'https://studio.ml.azure.cn',
      storageEndpointSuffix: 'core.chinacloudapi.cn',
      scoringHostSuffix: 'inference.ml.azure.cn',
      registryHostSuffix: 'api.ml.azure.cn',
    });
  });

  it('derives every scope from its audience', () => {
    for (const cloud of Object.values(AZURE_CLOUDS)) {
      expect(cloud.resourceManagerScope).toBe(`${cloud.resourceManagerEndpoint}/.default`);
      expect(cloud.mlScope).toBe(`${cloud.mlAudience}/.default`);
    }
  });

  it('refuses an unknown cloud name', () => {
    expect(AZURE_CLOUDS[cloudNameSchema.parse('AzureUSGovernment')].authorityHost).toBe('https://login.microsoftonline.us');
    expect(() => cloudNameSchema.parse('AzureGermanCloud')).toThrow();
  });

  it('links a job to its page in the studio of its cloud', () => {
    const url = studioJobLink(workspaceLinksOf(AZURE_CLOUDS.AzureCloud, { subscriptionId: 'sub', resourceGroup: 'my rg', workspace: 'ws' }), 'batchjob-1');
    expect(url).toBe('https://ml.azure.com/runs/batchjob-1?wsid=/subscriptions/sub/resourcegroups/my%20rg/workspaces/ws');
  });

  it("builds a DefaultAzureCredential for the cloud's authority without asking for a token", () => {
    expect(createAzureCredential(AZURE_CLOUDS.AzureChinaCloud, { tenantId: '11111111-1111-1111-1111-111111111111' })).toBeInstanceOf(DefaultAzureCredential);
  });
});
