// What `endpoints` and `show` print: plain summaries (the JSON output, stable for scripts) built from the
// ARM resources (BatchEndpointTrackedResource, BatchDeploymentTrackedResource in mfe.json), and the
// tables humans read.
import { z } from 'zod';
import type { BatchDeployment, BatchEndpoint } from '../azureml/resources';
import { lastSegment } from '../azureml/workspace';
import { renderFields, renderTable } from './text-table';

export const endpointSummarySchema = z.object({
  name: z.string(),
  provisioningState: z.string().optional(),
  defaultDeployment: z.string().optional(),
  scoringUri: z.string().optional(),
  authMode: z.string().optional(),
  description: z.string().optional(),
});
export type EndpointSummary = z.infer<typeof endpointSummarySchema>;

export const deploymentSummarySchema = z.object({
  name: z.string(),
  isDefault: z.boolean(),
  provisioningState: z.string().optional(),
  /** `name:version` of the registered model. */
  model: z.string().optional(),
  /** `name:version` of the code asset. */
  code: z.string().optional(),
  scoringScript: z.string().optional(),
  compute: z.string().optional(),
  instanceCount: z.number().optional(),
  miniBatchSize: z.number().optional(),
  maxConcurrencyPerInstance: z.number().optional(),
  errorThreshold: z.number().optional(),
});
export type DeploymentSummary = z.infer<typeof deploymentSummarySchema>;

/** `…/models/mnist/versions/3` → `mnist:3`; other ids → their last segment. */
export function assetLabel(id: string | null | undefined): string | undefined {
  if (!id) return undefined;
  const m = /\/(?:models|codes|environments|data)\/([^/]+)\/versions\/([^/]+)\/?$/i.exec(id);
  return m ? `${decodeURIComponent(m[1] as string)}:${decodeURIComponent(m[2] as string)}` : lastSegment(id);
}

const defined = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as T;

export function summarizeEndpoint(e: BatchEndpoint): EndpointSummary {
  return defined({
    name: e.name,
    provisioningState: e.properties.provisioningState,
    defaultDeployment: e.properties.defaults?.deploymentName ?? undefined,
    scoringUri: e.properties.scoringUri ?? undefined,
    authMode: e.properties.authMode,
    description: e.properties.description ?? undefined,
  });
}

export function summarizeDeployment(d: BatchDeployment, defaultDeployment: string | undefined): DeploymentSummary {
  const p = d.properties;
  return defined({
    name: d.name,
    isDefault: d.name === defaultDeployment,
    provisioningState: p.provisioningState,
    model: assetLabel(p.model?.assetId),
    code: assetLabel(p.codeConfiguration?.codeId),
    scoringScript: p.codeConfiguration?.scoringScript,
    compute: p.compute ? lastSegment(p.compute) : undefined,
    instanceCount: p.resources?.instanceCount,
    miniBatchSize: p.miniBatchSize,
    maxConcurrencyPerInstance: p.maxConcurrencyPerInstance,
    errorThreshold: p.errorThreshold,
  });
}

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
