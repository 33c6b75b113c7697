import { folderPrefix, parseDataReference, parseWorkspaceChildId } from '../../sandbox/azureml/data-uri';

describe('sandbox data references', () => {
  it('reads the short and long datastore forms of the recipe', () => {
    expect(parseDataReference('azureml://datastores/workspaceblobstore/paths/ep/mnist')).toEqual({
      kind: 'datastore',
      datastore: 'workspaceblobstore',
      path: 'ep/mnist',
    });
    expect(parseDataReference('azureml://subscriptions/s/resourceGroups/rg/workspaces/ws/datastores/workspaceblobstore/paths/ep/mnist/')).toEqual({
      kind: 'datastore',
      datastore: 'workspaceblobstore',
      path: 'ep/mnist/',
      workspace: { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws' },
    });
  });

  it('reads data assets by asset id, ARM id (any resourceGroups case) and CLI shorthand', () => {
    expect(parseDataReference('azureml://locations/chinaeast2/workspaces/ws/data/mnist/versions/3/')).toMatchObject({ kind: 'data-asset', name: 'mnist', version: '3', location: 'chinaeast2' });
    expect(parseDataReference('/subscriptions/s/resourcegroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/data/mnist/versions/3')).toMatchObject({
      kind: 'data-asset',
      name: 'mnist',
      version: '3',
      workspace: { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws' },
    });
    expect(parseDataReference('azureml:mnist:3')).toEqual({ kind: 'data-asset', name: 'mnist', version: '3' });
  });

  it('keeps https URLs and rejects anything else with a reason', () => {
    const https = parseDataReference('https://pipelinedata.blob.core.windows.net/sampledata/mnist');
    expect(https.kind).toBe('https');
    const bad = parseDataReference('ftp://x/y');
    expect(bad).toMatchObject({ kind: 'invalid' });
    expect(parseDataReference('  ')).toMatchObject({ kind: 'invalid', reason: 'the URI is empty' });
  });

  it('parses workspace child ids and folder prefixes', () => {
    expect(parseWorkspaceChildId('/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/batch-cluster')).toEqual({
      subscriptionId: 's',
      resourceGroup: 'rg',
      workspace: 'ws',
      segments: ['computes', 'batch-cluster'],
    });
    expect(parseWorkspaceChildId('computes/batch-cluster')).toBeUndefined();
    expect(folderPrefix('a/b')).toBe('a/b/');
    expect(folderPrefix('/a/b/')).toBe('a/b/');
    expect(folderPrefix('')).toBe('');
  });
});
