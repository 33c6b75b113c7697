// The look-ups about batch endpoints, `endpoints` and `show <endpoint>`, for the ops worker and the CLI
// alike: the Azure calls, and the summaries they answer with.
import type { AzureMlClient } from '../azureml';
import { isNotFoundError } from '../azureml/resource-lookup';
import { summarizeDeployment, summarizeEndpoint, type DeploymentSummary, type EndpointSummary } from './endpoint-summary';
import type { WorkspaceLinks } from './studio-links';
import { foundOr } from './target-not-found';

export interface EndpointLookupDeps {
  azureml: {
    endpoints: Pick<AzureMlClient['endpoints'], 'list' | 'get'>;
    deployments: Pick<AzureMlClient['deployments'], 'list'>;
  };
  /** For studio links in the summaries; without, none. */
  links?: WorkspaceLinks;
}

export interface EndpointDetails {
  endpoint: EndpointSummary;
  deployments: DeploymentSummary[];
}

export async function listEndpoints(deps: EndpointLookupDeps): Promise<EndpointSummary[]> {
  return (await deps.azureml.endpoints.list()).map((e) => summarizeEndpoint(e, deps.links));
}

/** The endpoint and its deployments; TargetNotFoundError when there is no such endpoint. */
export async function showEndpoint(deps: EndpointLookupDeps, endpointName: string): Promise<EndpointDetails> {
  const az = deps.azureml;
  const [endpoint, deployments] = await Promise.all([
    foundOr(az.endpoints.get(endpointName), { kind: 'endpoint', endpointName }),
    // Deleted between the two reads: no deployments (the endpoint's own 404 is the one reported).
    az.deployments.list(endpointName).catch((err: unknown) => (isNotFoundError(err) ? [] : Promise.reject(err))),
  ]);
  const summary = summarizeEndpoint(endpoint, deps.links);
  return { endpoint: summary, deployments: deployments.map((d) => summarizeDeployment(d, summary.defaultDeployment)) };
}
