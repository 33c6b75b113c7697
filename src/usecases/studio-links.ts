// Azure ML studio's pages for a job and a batch endpoint, built here only: Slack replies, the CLI's
// summaries and the job outcome sections all link through these. The `wsid` (the workspace's ARM id) lets
// studio open the right workspace without a picker, as the link `az ml job show` prints
// (services.Studio.endpoint) does.
import type { AzureCloudDescription } from '../azureml/clouds';
import type { WorkspaceAddress } from '../azureml/workspace';

/** What a studio link needs: the cloud's studio and the workspace. */
export interface WorkspaceLinks {
  studioUrl: string;
  workspace: WorkspaceAddress;
}

export function workspaceLinksOf(cloud: Pick<AzureCloudDescription, 'studioUrl'>, workspace: WorkspaceAddress): WorkspaceLinks {
  return { studioUrl: cloud.studioUrl, workspace: { subscriptionId: workspace.subscriptionId, resourceGroup: workspace.resourceGroup, workspace: workspace.workspace } };
}

function wsid(ws: WorkspaceAddress): string {
  return `/subscriptions/${encodeURIComponent(ws.subscriptionId)}/resourcegroups/${encodeURIComponent(ws.resourceGroup)}/workspaces/${encodeURIComponent(ws.workspace)}`;
}

/** Studio's page for a job (`/runs/{name}`). */
export function studioJobLink(links: WorkspaceLinks, jobName: string): string {
  return `${links.studioUrl}/runs/${encodeURIComponent(jobName)}?wsid=${wsid(links.workspace)}`;
}

/** Studio's page for a batch endpoint (`/endpoints/batch/{name}`). */
export function studioEndpointLink(links: WorkspaceLinks, endpointName: string): string {
  return `${links.studioUrl}/endpoints/batch/${encodeURIComponent(endpointName)}?wsid=${wsid(links.workspace)}`;
}
