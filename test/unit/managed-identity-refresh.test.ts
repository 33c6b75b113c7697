// The replacement credential after a revoked token, for a managed identity: which environments mean
// DefaultAzureCredential would use one, and that the replacement's first token per scope comes after one
// forced request (docs/reliability.md, known gap 1).
import path from 'node:path';
import type { TokenCredential } from '@azure/identity';
import { managedIdentityOfEnvironment, resourceOfScope, withManagedIdentityRefresh } from '../../src/azureml/managed-identity-refresh';

describe('the managed identity DefaultAzureCredential would use', () => {
  it('is the system-assigned one on App Service, Container Apps or a VM with nothing else configured', () => {
    expect(managedIdentityOfEnvironment({ IDENTITY_ENDPOINT: 'http://localhost/msi/token', IDENTITY_HEADER: 'x' })).toEqual({});
    expect(managedIdentityOfEnvironment({})).toEqual({});
  });

  it('is the user-assigned one named by the configured client id, or else by AZURE_CLIENT_ID', () => {
    expect(managedIdentityOfEnvironment({ AZURE_CLIENT_ID: 'from-env' }, { managedIdentityClientId: 'configured' })).toEqual({ clientId: 'configured' });
    expect(managedIdentityOfEnvironment({ AZURE_CLIENT_ID: 'from-env', AZURE_TENANT_ID: 't' })).toEqual({ clientId: 'from-env' });
  });

  it('is none when a service principal in the environment answers first', () => {
    const sp = { AZURE_TENANT_ID: 't', AZURE_CLIENT_ID: 'c' };
    expect(managedIdentityOfEnvironment({ ...sp, AZURE_CLIENT_SECRET: 's' })).toBeUndefined();
    expect(managedIdentityOfEnvironment({ ...sp, AZURE_CLIENT_CERTIFICATE_PATH: '/cert.pem' })).toBeUndefined();
    expect(managedIdentityOfEnvironment({ ...sp, AZURE_USERNAME: 'u', AZURE_PASSWORD: 'p' })).toBeUndefined();
  });

  it('is none with workload identity (its token exchange has no MSAL managed-identity cache)', () => {
    expect(managedIdentityOfEnvironment({ AZURE_FEDERATED_TOKEN_FILE: '/var/run/token', AZURE_CLIENT_ID: 'c', AZURE_TENANT_ID: 't' })).toBeUndefined();
  });

  it('follows AZURE_TOKEN_CREDENTIALS', () => {
    expect(managedIdentityOfEnvironment({ AZURE_TOKEN_CREDENTIALS: 'dev' })).toBeUndefined();
    expect(managedIdentityOfEnvironment({ AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential' })).toBeUndefined();
    expect(managedIdentityOfEnvironment({ AZURE_TOKEN_CREDENTIALS: 'prod' })).toEqual({});
    // Only the managed identity in the chain: a service principal's variables do not count.
    expect(managedIdentityOfEnvironment({ AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential', AZURE_TENANT_ID: 't', AZURE_CLIENT_ID: 'c', AZURE_CLIENT_SECRET: 's' })).toEqual({ clientId: 'c' });
  });
});

describe('a credential that replaces one whose managed-identity token was revoked', () => {
  function recording() {
    const events: string[] = [];
    const inner: TokenCredential = {
      async getToken(scopes) {
        events.push(`getToken ${String(scopes)}`);
        return { token: 'from-cache', expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    return { events, inner };
  }

  it('forces one managed-identity request per scope, for its resource, before the first token', async () => {
    const { events, inner } = recording();
    const credential = withManagedIdentityRefresh(inner, { forceRefresh: async (resource) => void events.push(`force ${resource}`) });
    await credential.getToken('https://management.azure.com/.default');
    await credential.getToken('https://management.azure.com/.default');
    await credential.getToken('https://ml.azure.com/.default');
    expect(events).toEqual([
      'force https://management.azure.com',
      'getToken https://management.azure.com/.default',
      'getToken https://management.azure.com/.default',
      'force https://ml.azure.com',
      'getToken https://ml.azure.com/.default',
    ]);
  });

  it('forces once for concurrent first calls', async () => {
    const { events, inner } = recording();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const credential = withManagedIdentityRefresh(inner, {
      forceRefresh: () => {
        events.push('force');
        return gate;
      },
    });
    const calls = [credential.getToken('s/.default'), credential.getToken('s/.default')];
    release();
    await Promise.all(calls);
    expect(events.filter((e) => e === 'force')).toHaveLength(1);
  });

  it('answers as the credential would when the forced request fails, and says why', async () => {
    const { events, inner } = recording();
    const failures: string[] = [];
    const credential = withManagedIdentityRefresh(inner, {
      forceRefresh: () => Promise.reject(new Error('ManagedIdentityCredential: Network unreachable')),
      onRefreshFailed: (err, scope) => failures.push(`${scope}: ${(err as Error).message}`),
    });
    await expect(credential.getToken('https://management.azure.com/.default')).resolves.toMatchObject({ token: 'from-cache' });
    expect(failures).toEqual(['https://management.azure.com/.default: ManagedIdentityCredential: Network unreachable']);
    expect(events).toEqual(['getToken https://management.azure.com/.default']);
  });

  it('goes on without a forced request that never answers (an IMDS that is not there)', async () => {
    const { inner } = recording();
    const failures: unknown[] = [];
    const credential = withManagedIdentityRefresh(inner, { forceRefresh: () => new Promise<void>(() => undefined), timeoutMs: 1, onRefreshFailed: (err) => failures.push(err) });
    await expect(credential.getToken('https://management.azure.com/.default')).resolves.toMatchObject({ token: 'from-cache' });
    expect(String(failures[0])).toMatch(/did not answer/);
  });

  it('asks for several scopes at once as is (no managed-identity request can carry them)', async () => {
    const { events, inner } = recording();
    const credential = withManagedIdentityRefresh(inner, { forceRefresh: async () => void events.push('force') });
    await credential.getToken(['a/.default', 'b/.default']);
    expect(events).toEqual(['getToken a/.default,b/.default']);
  });

  it('maps a scope to its resource as @azure/identity does', () => {
    expect(resourceOfScope('https://management.azure.com/.default')).toBe('https://management.azure.com');
    expect(resourceOfScope('https://ml.azure.com')).toBe('https://ml.azure.com');
  });
});

it('uses the copy of @azure/msal-node that @azure/identity uses (its managed-identity cache is static per copy)', () => {
  const identityDir = path.dirname(require.resolve('@azure/identity'));
  const identitysMsal = require.resolve('@azure/msal-node', { paths: [identityDir] });
  expect(identitysMsal).toBe(require.resolve('@azure/msal-node'));
  const ours = require('../../package.json') as { dependencies: Record<string, string> };
  const installed = require('@azure/msal-node/package.json') as { version: string };
  expect(ours.dependencies['@azure/msal-node']).toBe(installed.version);
});
