// What a client needs to use a running sandbox, as the one JSON line `npm run sandbox:azureml` prints
// (and `--info-file` writes): the workspace coordinates, ready tokens, the managed-identity endpoint and
// the storage connection string.
import type { AzureMlSandbox } from './index';

export function connectionInfo(sandbox: AzureMlSandbox) {
  return {
    baseUrl: sandbox.baseUrl,
    subscriptionId: sandbox.subscriptionId,
    resourceGroup: sandbox.resourceGroup,
    workspace: sandbox.workspace,
    location: sandbox.location,
    cloud: sandbox.cloud,
    token: sandbox.token,
    scoringToken: sandbox.scoringToken,
    identityEndpoint: sandbox.identityEndpoint,
    identityHeader: sandbox.identityHeader,
    storageConnectionString: sandbox.storageConnectionString,
    publicBaseUrl: sandbox.publicBaseUrl,
  };
}

export function connectionLine(sandbox: AzureMlSandbox): string {
  return `${JSON.stringify(connectionInfo(sandbox))}\n`;
}
