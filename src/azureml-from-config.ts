// The Azure ML client as an entry point builds it from validated configuration: the cloud's
// DefaultAzureCredential (or an injected credential, e.g. the sandbox's), the ARM endpoint (or its
// override), and blob access through a connection string or the same credential. Shared by the worker
// process and the CLI so both talk to Azure the same way. Wiring for the entry points, beside them: src/azureml/
// does not read the configuration.
import type { Logger } from 'pino';
import type { AzureConfig } from './config';
import { createArmClient } from './azureml/arm-client';
import { AZURE_CLOUDS } from './azureml/clouds';
import { createAzureCredential, type RevokedTokenReplacement, type TokenCredential } from './azureml/credentials';
import type { DatastoreAccess } from './azureml/datastore-container';
import type { LongRunningWaitOptions } from './azureml/long-running-resource';
import { createAzureMlClient, type AzureMlClient } from './azureml';

export function storageAccessOf(config: AzureConfig, credential: TokenCredential): DatastoreAccess {
  if (config.storageConnectionString) return { kind: 'connection-string', connectionString: config.storageConnectionString };
  return {
    kind: 'credential',
    credential,
    ...(config.storageBlobUrl ? { blobServiceUrl: config.storageBlobUrl } : {}),
    tokenPolicy: { storageEndpointSuffix: AZURE_CLOUDS[config.cloud].storageEndpointSuffix, extraHosts: config.storageTokenHosts },
  };
}

export function createAzureMlFromConfig(
  config: AzureConfig,
  opts: {
    logger?: Logger;
    /** The credential to use; alone (the sandbox's), it is used as is and never rebuilt. */
    credential?: TokenCredential;
    /**
     * How to build the credential (a workspace profile's own) when none is given, and its replacement after a
     * revoked token (called with `replacing`); default the cloud's DefaultAzureCredential.
     */
    makeCredential?: (replacing?: RevokedTokenReplacement) => TokenCredential;
    artifactsRoot?: string;
    poll?: Omit<LongRunningWaitOptions, 'onProgress' | 'signal'>;
  } = {},
): AzureMlClient {
  const cloud = AZURE_CLOUDS[config.cloud];
  const build =
    opts.makeCredential ??
    ((replacing?: RevokedTokenReplacement) =>
      createAzureCredential(cloud, {
        ...(config.tenantId ? { tenantId: config.tenantId } : {}),
        ...(config.clientId ? { managedIdentityClientId: config.clientId } : {}),
        ...(replacing ? { replacingRevokedToken: replacing } : {}),
      }));
  const credential = opts.credential ?? build();
  // A revoked token: one fresh token from a new instance. Its cache is empty, except a managed identity's,
  // which MSAL keeps per process: that replacement first takes one token past MSAL's cache
  // (src/azureml/managed-identity-refresh.ts; docs/reliability.md, known gap 1).
  const replacing: RevokedTokenReplacement = {
    onRefreshFailed: (err, scope) =>
      opts.logger?.warn({ scope, err: err instanceof Error ? err.message : String(err) }, 'could not take a fresh managed-identity token; asking the credential as usual'),
  };
  const arm = createArmClient({
    cloud,
    credential,
    ...(opts.credential && !opts.makeCredential ? {} : { freshCredential: () => build(replacing) }),
    ...(config.armEndpoint ? { baseUrl: config.armEndpoint } : {}),
    apiVersion: config.apiVersion,
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  return createAzureMlClient({
    workspace: { subscriptionId: config.subscriptionId, resourceGroup: config.resourceGroup, workspace: config.workspace, location: config.location },
    arm,
    storage: storageAccessOf(config, credential),
    workspaceScope: config.allowedWorkspaces,
    allowHardLinks: config.allowHardLinks,
    ...(opts.artifactsRoot ? { artifactsRoot: opts.artifactsRoot } : {}),
    ...(opts.poll ? { poll: opts.poll } : {}),
  });
}
