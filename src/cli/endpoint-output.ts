// What `endpoints` and `show` print: the endpoint and deployment summaries of
// src/usecases/endpoint-summary.ts (also the JSON output, stable for scripts) as the tables humans read.
import type { DeploymentSummary, EndpointSummary } from '../usecases/endpoint-summary';
import { renderFields, renderTable } from './text-table';

export function endpointsTable(endpoints: readonly EndpointSummary[], workspace: string): string {
  if (endpoints.length === 0) return `No batch endpoints in workspace ${workspace}.`;
  return renderTable(
    [
      { header: 'name', value: (e: EndpointSummary) => e.name },
      { header: 'state', value: (e) => e.provisioningState },
      { header: 'default deployment', value: (e) => e.defaultDeployment },
      { header: 'scoring uri', value: (e) => e.scoringUri },
    ],
    endpoints,
  );
}

export function endpointDetails(endpoint: EndpointSummary, deployments: readonly DeploymentSummary[]): string {
  const head = renderFields([
    ['Endpoint', endpoint.name],
    ['State', endpoint.provisioningState],
    ['Default deployment', endpoint.defaultDeployment ?? '(none)'],
    ['Scoring URI', endpoint.scoringUri],
    ['Auth mode', endpoint.authMode],
    ['Description', endpoint.description],
    ['Studio', endpoint.studioUrl],
  ]);
  if (deployments.length === 0) return `${head}\n\nNo deployments yet.`;
  const table = renderTable(
    [
      { header: 'deployment', value: (d: DeploymentSummary) => (d.isDefault ? `${d.name} (default)` : d.name) },
      { header: 'state', value: (d) => d.provisioningState },
      { header: 'model', value: (d) => d.model },
      { header: 'compute', value: (d) => d.compute },
      { header: 'instances', value: (d) => (d.instanceCount === undefined ? undefined : String(d.instanceCount)) },
      { header: 'mini-batch', value: (d) => (d.miniBatchSize === undefined ? undefined : String(d.miniBatchSize)) },
    ],
    deployments,
  );
  return `${head}\n\n${table}`;
}
