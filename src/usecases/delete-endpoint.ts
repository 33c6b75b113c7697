// `delete <endpoint>`, for the ops worker and the CLI alike: the endpoint and all its deployments.
import type { AzureMlClient } from '../azureml';
import { foundOr } from './target-not-found';

export interface DeleteEndpointDeps {
  azureml: { endpoints: Pick<AzureMlClient['endpoints'], 'get'>; deleteEndpoint: AzureMlClient['deleteEndpoint'] };
}

export interface DeleteEndpointResult {
  endpointName: string;
  deleted: true;
  /** One plain sentence saying what changed. */
  summary: string;
}

/**
 * ARM answers DELETE of a missing resource with 204 as if it worked: the endpoint is looked up first, so a
 * gone one (deleted since an approval was asked) is a TargetNotFoundError, never reported as deleted.
 */
export async function deleteEndpoint(deps: DeleteEndpointDeps, endpointName: string): Promise<DeleteEndpointResult> {
  await foundOr(deps.azureml.endpoints.get(endpointName), { kind: 'endpoint', endpointName });
  await deps.azureml.deleteEndpoint(endpointName);
  return { endpointName, deleted: true, summary: `Endpoint ${endpointName} and all its deployments are deleted.` };
}
