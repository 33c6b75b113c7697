// The entry points' view of the workspace profiles: each profile's own credential (its cloud's authority,
// its tenant and identity) and the label its messages carry. Wiring beside azureml-from-config.ts; the
// choice of a profile for a request is pure (src/domain/workspace-binding.ts).
import type { AzureConfig, WorkspaceProfileConfig } from './config';
import { AZURE_CLOUDS } from './azureml/clouds';
import { createAzureCredential, type RevokedTokenReplacement, type TokenCredential } from './azureml/credentials';
import { workspaceLabelText } from './slack/blocks/workspace-label';
import type { ApprovalPolicy } from './domain/approval-policy';

/**
 * A credential for a profile: one instance per profile, so tokens of two clouds or tenants never mix.
 * `replacing`: it replaces one whose token Azure revoked (src/azureml/credentials.ts).
 */
export function credentialOfProfile(profile: Pick<WorkspaceProfileConfig, 'azure' | 'clientSecret'>, replacing?: RevokedTokenReplacement): TokenCredential {
  const azure: AzureConfig = profile.azure;
  const cloud = AZURE_CLOUDS[azure.cloud];
  if (profile.clientSecret && azure.tenantId && azure.clientId) {
    return createAzureCredential(cloud, { servicePrincipal: { tenantId: azure.tenantId, clientId: azure.clientId, clientSecret: profile.clientSecret } });
  }
  return createAzureCredential(cloud, {
    ...(azure.tenantId ? { tenantId: azure.tenantId } : {}),
    ...(azure.clientId ? { managedIdentityClientId: azure.clientId } : {}),
    ...(replacing ? { replacingRevokedToken: replacing } : {}),
  });
}

/** Each profile's label, by name; empty with one profile (nothing to tell apart, messages stay as they were). */
export function workspaceLabels(profiles: readonly WorkspaceProfileConfig[]): Map<string, string> {
  if (profiles.length < 2) return new Map();
  return new Map(profiles.map((p) => [p.name, workspaceLabelText({ name: p.name, workspace: p.azure.workspace, cloud: p.azure.cloud })]));
}

/** The approval policy of one profile: its own approvers when it names them. */
export function policyOfProfile(policy: ApprovalPolicy, profile: Pick<WorkspaceProfileConfig, 'approvers'> | undefined): ApprovalPolicy {
  return profile?.approvers ? { ...policy, approvers: profile.approvers } : policy;
}
