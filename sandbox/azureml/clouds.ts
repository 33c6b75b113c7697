// The sovereign clouds the sandbox can impersonate, as data (not `if` branches). Audiences are the
// ones Azure AD puts in `aud` for each resource: ARM accepts both its `management.core…` and its
// `management…` forms, with or without the trailing slash; the batch scoring (data-plane) audience is
// the one the recipe asks `az account get-access-token --resource` for.
import { z } from 'zod';

export const cloudNameSchema = z.enum(['AzureCloud', 'AzureChinaCloud', 'AzureUSGovernment']);
export type CloudName = z.infer<typeof cloudNameSchema>;

export interface SandboxCloud {
  name: CloudName;
  /** Resource ids ARM accepts as token audience (compared without a trailing slash). */
  armAudiences: readonly string[];
  /** The batch endpoint (ML data-plane) audience. */
  mlAudience: string;
  /** `core.windows.net` and its sovereign counterparts: the datastore's `endpoint` property. */
  storageEndpointSuffix: string;
  /** Host that signs tokens, used for the `iss` claim and the WWW-Authenticate challenge. */
  authorityHost: string;
  studioHost: string;
}

export const SANDBOX_CLOUDS: Record<CloudName, SandboxCloud> = {
  AzureCloud: {
    name: 'AzureCloud',
    armAudiences: ['https://management.azure.com', 'https://management.core.windows.net'],
    mlAudience: 'https://ml.azure.com',
    storageEndpointSuffix: 'core.windows.net',
    authorityHost: 'https://login.microsoftonline.com',
    studioHost: 'https://ml.azure.com',
  },
  AzureChinaCloud: {
    name: 'AzureChinaCloud',
    armAudiences: ['https://management.chinacloudapi.cn', 'https://management.core.chinacloudapi.cn'],
    mlAudience: 'https://studio.ml.azure.cn',
    storageEndpointSuffix: 'core.chinacloudapi.cn',
    authorityHost: 'https://login.chinacloudapi.cn',
    studioHost: 'https://studio.ml.azure.cn',
  },
  AzureUSGovernment: {
    name: 'AzureUSGovernment',
    armAudiences: ['https://management.usgovcloudapi.net', 'https://management.core.usgovcloudapi.net'],
    mlAudience: 'https://ml.azure.us',
    storageEndpointSuffix: 'core.usgovcloudapi.net',
    authorityHost: 'https://login.microsoftonline.us',
    studioHost: 'https://ml.azure.us',
  },
};

/** `https://management.azure.com/.default` → `https://management.azure.com` (the token's `aud`). */
export function audienceOfScope(scope: string): string {
  return scope.replace(/\/\.default$/, '').replace(/\/+$/, '');
}

export function normalizeAudience(aud: string): string {
  return aud.replace(/\/+$/, '');
}
