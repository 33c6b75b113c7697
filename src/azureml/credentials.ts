// The one place that builds a real Azure credential. Everything else takes a `TokenCredential` (the
// Azure SDK's contract), so tests and the sandbox inject their own. DefaultAzureCredential tries, in
// order, environment (AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET…), workload identity, managed
// identity, then developer logins (Azure CLI, azd, PowerShell); it must be told the sovereign cloud's
// authority host, or it asks login.microsoftonline.com for a China or US Gov token and fails.
import { ClientSecretCredential, DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { AzureCloudDescription } from './clouds';
import { managedIdentityOfEnvironment, msalForceRefresh, withManagedIdentityRefresh } from './managed-identity-refresh';

export type { TokenCredential } from '@azure/identity';

export interface AzureCredentialOptions {
  /** Entra tenant; defaults to AZURE_TENANT_ID as read by @azure/identity. */
  tenantId?: string;
  /** Client id of a user-assigned managed identity (system-assigned when absent). */
  managedIdentityClientId?: string;
  /**
   * A service principal of its own (tenant, client id and secret), for a workspace profile whose identity
   * differs from the process's (WORKSPACE_<NAME>_AZURE_CLIENT_SECRET): only it is tried, on the profile's cloud.
   */
  servicePrincipal?: { tenantId: string; clientId: string; clientSecret: string };
  /**
   * Set when the credential replaces one whose token Azure revoked early (the ARM client's
   * `freshCredential`): a managed identity's first token per scope is then taken past MSAL's process-wide
   * cache (managed-identity-refresh.ts). `onRefreshFailed` hears why that forced request failed.
   */
  replacingRevokedToken?: RevokedTokenReplacement;
}

export interface RevokedTokenReplacement {
  onRefreshFailed?: (err: unknown, scope: string) => void;
}

export function createAzureCredential(cloud: AzureCloudDescription, opts: AzureCredentialOptions = {}): TokenCredential {
  const sp = opts.servicePrincipal;
  if (sp) return new ClientSecretCredential(sp.tenantId, sp.clientId, sp.clientSecret, { authorityHost: cloud.authorityHost });
  const credential = new DefaultAzureCredential({
    authorityHost: cloud.authorityHost,
    ...(opts.tenantId ? { tenantId: opts.tenantId } : {}),
    ...(opts.managedIdentityClientId ? { managedIdentityClientId: opts.managedIdentityClientId } : {}),
  });
  const replacing = opts.replacingRevokedToken;
  // The same variables DefaultAzureCredential reads, read when it is built, as it reads them.
  const identity = replacing && managedIdentityOfEnvironment(process.env, opts.managedIdentityClientId ? { managedIdentityClientId: opts.managedIdentityClientId } : {});
  if (!replacing || !identity) return credential;
  return withManagedIdentityRefresh(credential, {
    forceRefresh: msalForceRefresh(identity),
    ...(replacing.onRefreshFailed ? { onRefreshFailed: replacing.onRefreshFailed } : {}),
  });
}
