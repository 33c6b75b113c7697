import { buildContainerUrl, mayReceiveStorageToken } from '../../src/azureml/storage-token-host';
import { isInWorkspaceScope } from '../../src/domain/workspace-scope';
import { parseDataReference } from '../../src/domain/data-reference';

const policy = { storageEndpointSuffix: 'core.windows.net' };

describe('where the storage token may go', () => {
  it('builds the container URL from checked parts', () => {
    expect(buildContainerUrl({ protocol: 'https', accountName: 'acct01', endpoint: 'core.windows.net', containerName: 'c1' }).toString()).toBe('https://acct01.blob.core.windows.net/c1');
  });

  it.each(['x@127.0.0.1:8080', 'core.windows.net/evil', 'evil.example?', 'a:1', ''])('refuses an endpoint that is not a DNS suffix: %s', (endpoint) => {
    expect(() => buildContainerUrl({ protocol: 'https', accountName: 'acct01', endpoint, containerName: 'c1' })).toThrow(expect.objectContaining({ code: 'UntrustedStorageHost' }));
  });

  it('accepts only https hosts under the cloud suffix, or an operator-listed host', () => {
    expect(mayReceiveStorageToken(new URL('https://acct01.blob.core.windows.net/c'), policy)).toBe(true);
    expect(mayReceiveStorageToken(new URL('http://acct01.blob.core.windows.net/c'), policy)).toBe(false);
    expect(mayReceiveStorageToken(new URL('https://acct01.blob.core.chinacloudapi.cn/c'), policy)).toBe(false);
    expect(mayReceiveStorageToken(new URL('https://acct01.blob.core.windows.net.evil.example/c'), policy)).toBe(false);
    expect(mayReceiveStorageToken(new URL('https://u@acct01.blob.core.windows.net/c'), policy)).toBe(false);
    expect(mayReceiveStorageToken(new URL('http://127.0.0.1:10000/c'), policy)).toBe(false);
    expect(mayReceiveStorageToken(new URL('http://127.0.0.1:10000/c'), { ...policy, extraHosts: ['127.0.0.1:10000'] })).toBe(true);
    expect(mayReceiveStorageToken(new URL('http://127.0.0.1:10001/c'), { ...policy, extraHosts: ['127.0.0.1:10000'] })).toBe(false);
  });
});

describe('workspace scope', () => {
  const scope = [{ subscriptionId: '00000000-0000-0000-0000-000000000001', resourceGroup: 'rg', workspace: 'ws1' }];
  it('lets short forms and the configured workspace through, case-insensitively', () => {
    expect(isInWorkspaceScope(parseDataReference('azureml://datastores/d/paths/a.csv'), scope)).toBe(true);
    expect(isInWorkspaceScope(parseDataReference('azureml://subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/RG/workspaces/WS1/datastores/d/paths/a.csv'), scope)).toBe(true);
    expect(isInWorkspaceScope(parseDataReference('https://example.com/a.csv'), scope)).toBe(true);
  });
  it('refuses another subscription, group or workspace, and data assets of another workspace', () => {
    expect(isInWorkspaceScope(parseDataReference('azureml://subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/rg/workspaces/ws1/datastores/d/paths/a.csv'), scope)).toBe(false);
    expect(isInWorkspaceScope(parseDataReference('azureml://subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/other/workspaces/ws1/datastores/d/paths/a.csv'), scope)).toBe(false);
    expect(isInWorkspaceScope(parseDataReference('azureml://locations/eastus/workspaces/ws2/data/d/versions/1'), scope)).toBe(false);
    expect(isInWorkspaceScope(parseDataReference('/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws1/data/d/versions/1'), scope)).toBe(false);
  });
});
