// `set-default <endpoint> <deployment>`, for the ops worker and the CLI alike.
import type { AzureMlClient } from '../azureml';
import { foundOr } from './target-not-found';

export interface SetDefaultDeploymentDeps {
  azureml: {
    endpoints: Pick<AzureMlClient['endpoints'], 'setDefaultDeploymentAndWait'>;
    deployments: Pick<AzureMlClient['deployments'], 'get'>;
  };
}

export interface SetDefaultDeploymentResult {
  endpointName: string;
  defaultDeployment: string;
  /** One plain sentence saying what changed. */
  summary: string;
}

/** TargetNotFoundError (the service's own 404) before anything changes when the deployment does not exist. */
export async function setDefaultDeployment(deps: SetDefaultDeploymentDeps, endpointName: string, deploymentName: string): Promise<SetDefaultDeploymentResult> {
  await foundOr(deps.azureml.deployments.get(endpointName, deploymentName), { kind: 'deployment', endpointName, deploymentName });
  await deps.azureml.endpoints.setDefaultDeploymentAndWait(endpointName, deploymentName);
  return { endpointName, defaultDeployment: deploymentName, summary: `${deploymentName} is now the default deployment of ${endpointName}.` };
}
