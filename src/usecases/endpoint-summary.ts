// What is said about a batch endpoint and its deployments, everywhere: `endpoints` and `show` in the CLI
// and in Slack. A registered asset is named as Azure's own short reference does (`azureml:mnist:3` in
// the CLI v2 YAML, without the prefix): `mnist:3`. Pure: no I/O.
import { z } from 'zod';
import type { BatchDeployment, BatchEndpoint } from '../azureml/resources';
import { lastSegment } from '../azureml/workspace';
import { studioEndpointLink, type WorkspaceLinks } from './studio-links';

export const endpointSummarySchema = z.object({
  name: z.string(),
  provisioningState: z.string().optional(),
  defaultDeployment: z.string().optional(),
  scoringUri: z.string().optional(),
  authMode: z.string().optional(),
  description: z.string().optional(),
  studioUrl: z.string().optional(),
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

/** `…/models/mnist/versions/3` (workspace or registry) → `mnist:3`; other ids → their last segment. */
export function assetLabel(id: string | null | undefined): string | undefined {
  if (!id) return undefined;
  const m = /\/(?:models|codes|environments|data)\/([^/]+)\/versions\/([^/]+)\/?$/i.exec(id);
  return m ? `${decodeURIComponent(m[1] as string)}:${decodeURIComponent(m[2] as string)}` : lastSegment(id);
}

const defined = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as T;

/** An endpoint's summary; with `links`, its studio page too. */
export function summarizeEndpoint(e: BatchEndpoint, links?: WorkspaceLinks): EndpointSummary {
  return defined({
    name: e.name,
    provisioningState: e.properties.provisioningState,
    defaultDeployment: e.properties.defaults?.deploymentName ?? undefined,
    scoringUri: e.properties.scoringUri ?? undefined,
    authMode: e.properties.authMode,
    description: e.properties.description ?? undefined,
    studioUrl: links ? studioEndpointLink(links, e.name) : undefined,
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
