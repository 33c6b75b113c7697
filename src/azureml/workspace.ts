// Where a workspace lives in ARM, and the resource ids built from it. Every id follows the
// `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}/…`
// paths of mfe.json and machineLearningServices.json (2022-05-01); the recipe passes these full ids as
// BatchDeployment.compute, model.assetId, codeConfiguration.codeId and environmentId.
import { z } from 'zod';

export const workspaceCoordinatesSchema = z.object({
  subscriptionId: z.string().min(1),
  resourceGroup: z.string().min(1),
  workspace: z.string().min(1),
  /** Azure region of the workspace; tracked resources (endpoints, deployments, computes) need it. */
  location: z.string().min(1),
});
export type WorkspaceCoordinates = z.infer<typeof workspaceCoordinatesSchema>;

/** Names only: enough to address a workspace, not to create tracked resources in it. */
export type WorkspaceAddress = Pick<WorkspaceCoordinates, 'subscriptionId' | 'resourceGroup' | 'workspace'>;

const seg = (s: string): string => encodeURIComponent(s);

export function workspacePath(ws: WorkspaceAddress): string {
  return (
    `/subscriptions/${seg(ws.subscriptionId)}/resourceGroups/${seg(ws.resourceGroup)}` +
    `/providers/Microsoft.MachineLearningServices/workspaces/${seg(ws.workspace)}`
  );
}

export function computeId(ws: WorkspaceAddress, computeName: string): string {
  return `${workspacePath(ws)}/computes/${seg(computeName)}`;
}

export function datastoresPath(ws: WorkspaceAddress): string {
  return `${workspacePath(ws)}/datastores`;
}

export function datastoreId(ws: WorkspaceAddress, name: string): string {
  return `${datastoresPath(ws)}/${seg(name)}`;
}

export type AssetKind = 'codes' | 'models' | 'environments' | 'data';

/** A workspace asset's versions (…/models/{name}/versions), the path ModelVersions_List and its kin read. */
export function assetVersionsPath(ws: WorkspaceAddress, kind: AssetKind, name: string): string {
  return `${workspacePath(ws)}/${kind}/${seg(name)}/versions`;
}

export function assetVersionId(ws: WorkspaceAddress, kind: AssetKind, name: string, version: string): string {
  return `${workspacePath(ws)}/${kind}/${seg(name)}/versions/${seg(version)}`;
}

export function batchEndpointsPath(ws: WorkspaceAddress): string {
  return `${workspacePath(ws)}/batchEndpoints`;
}

export function batchEndpointPath(ws: WorkspaceAddress, endpointName: string): string {
  return `${batchEndpointsPath(ws)}/${seg(endpointName)}`;
}

export function batchDeploymentsPath(ws: WorkspaceAddress, endpointName: string): string {
  return `${batchEndpointPath(ws, endpointName)}/deployments`;
}

export function batchDeploymentPath(ws: WorkspaceAddress, endpointName: string, deploymentName: string): string {
  return `${batchDeploymentsPath(ws, endpointName)}/${seg(deploymentName)}`;
}

export function jobsPath(ws: WorkspaceAddress): string {
  return `${workspacePath(ws)}/jobs`;
}

export function jobPath(ws: WorkspaceAddress, jobName: string): string {
  return `${jobsPath(ws)}/${seg(jobName)}`;
}

/**
 * The long form of a datastore path URI, as the recipe registers models with it:
 * `azureml://subscriptions/{sub}/resourceGroups/{rg}/workspaces/{ws}/datastores/{ds}/paths/{path}`.
 */
export function datastorePathUri(ws: WorkspaceAddress, datastoreName: string, path: string): string {
  const trimmed = path.replace(/^\/+/, '');
  return (
    `azureml://subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}` +
    `/workspaces/${ws.workspace}/datastores/${datastoreName}/paths/${trimmed}`
  );
}

/** The last segment of an ARM id or URL (a job's name is the last segment of its `id`). */
export function lastSegment(id: string): string {
  const parts = id.replace(/\/+$/, '').split('/');
  return decodeURIComponent(parts[parts.length - 1] ?? '');
}
