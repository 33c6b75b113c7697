// Azure's sovereign clouds as data, not if-branches: every endpoint, token audience and host suffix the
// bot needs for one cloud lives in one record, so adding a cloud is adding a row. Values come from
// Azure's cloud endpoint list (`az cloud show`), @azure/identity's AzureAuthorityHosts and the batch
// scoring recipe, which asks Azure China for a token with `--resource https://studio.ml.azure.cn`.
import { z } from 'zod';

export const cloudNameSchema = z.enum(['AzureCloud', 'AzureChinaCloud', 'AzureUSGovernment']);
export type CloudName = z.infer<typeof cloudNameSchema>;

export interface AzureCloudDescription {
  name: CloudName;
  /** ARM base URL, e.g. https://management.azure.com. */
  resourceManagerEndpoint: string;
  /** Token scope for ARM calls: the endpoint + '/.default'. */
  resourceManagerScope: string;
  /** Audience of the Azure ML data plane (batch scoring URIs). */
  mlAudience: string;
  /** Token scope for scoring calls: mlAudience + '/.default'. */
  mlScope: string;
  /** Entra ID (AAD) authority host that issues tokens for this cloud. */
  authorityHost: string;
  /** Azure ML studio, for links in thread replies. */
  studioUrl: string;
  /** Suffix of storage account hosts: {account}.blob.{suffix}. */
  storageEndpointSuffix: string;
  /**
   * Suffix of batch endpoint scoring hosts ({endpoint}.{region}.inference.ml.azure.com in the recordings);
   * the ML-audience token goes to no other host. The China and US Government suffixes follow the pattern
   * of their ML audience and are a guess, written down in docs/sandbox-fidelity.md.
   */
  scoringHostSuffix: string;
  /**
   * Suffix of the regional Azure ML service hosts ({region}.api.azureml.ms) where azure-ai-ml asks where a
   * registry lives (`/registrymanagement/v1.0/registries/{name}/discovery`) and reads its assets. The China
   * and US Government suffixes follow their studio hosts and are a guess (docs/sandbox-fidelity.md).
   */
  registryHostSuffix: string;
}

function describe(
  name: CloudName,
  resourceManagerEndpoint: string,
  mlAudience: string,
  authorityHost: string,
  studioUrl: string,
  storageEndpointSuffix: string,
  scoringHostSuffix: string,
  registryHostSuffix: string,
): AzureCloudDescription {
  return {
    name,
    resourceManagerEndpoint,
    // A v2 (MSAL) scope is the resource URI followed by '/.default'.
    resourceManagerScope: `${resourceManagerEndpoint}/.default`,
    mlAudience,
    mlScope: `${mlAudience}/.default`,
    authorityHost,
    studioUrl,
    storageEndpointSuffix,
    scoringHostSuffix,
    registryHostSuffix,
  };
}

export const AZURE_CLOUDS: Readonly<Record<CloudName, AzureCloudDescription>> = Object.freeze({
  AzureCloud: describe(
    'AzureCloud',
    'https://management.azure.com',
    'https://ml.azure.com',
    'https://login.microsoftonline.com',
    'https://ml.azure.com',
    'core.windows.net',
    'inference.ml.azure.com',
    'api.azureml.ms',
  ),
  AzureChinaCloud: describe(
    'AzureChinaCloud',
    'https://management.chinacloudapi.cn',
    'https://studio.ml.azure.cn',
    'https://login.chinacloudapi.cn',
    'https://studio.ml.azure.cn',
    'core.chinacloudapi.cn',
    'inference.ml.azure.cn',
    'api.ml.azure.cn',
  ),
  AzureUSGovernment: describe(
    'AzureUSGovernment',
    'https://management.usgovcloudapi.net',
    'https://ml.azure.us',
    'https://login.microsoftonline.us',
    'https://ml.azure.us',
    'core.usgovcloudapi.net',
    'inference.ml.azure.us',
    'api.ml.azure.us',
  ),
});
