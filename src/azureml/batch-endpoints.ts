// Batch endpoints (mfe.json BatchEndpoints_*): create/update is a long-running PUT (201 +
// Azure-AsyncOperation), delete a long-running DELETE (202 + Location). Setting the default deployment is
// the recipe's PUT of the endpoint with properties.defaults.deploymentName, followed by waiting on its LRO.
import type { AzureMlContext } from './azureml-context';
import { listAllPages } from './arm-pages';
import {
  beginLongRunning,
  deleteResourceAndWait,
  waitForResource,
  type BeganOperation,
  type LongRunningWaitOptions,
} from './long-running-resource';
import type { PollerState } from './long-running-operation';
import { batchEndpointSchema, type BatchEndpoint } from './resources';
import { findOrUndefined } from './resource-lookup';
import { parseResponseBody } from './response-validation';
import { batchEndpointPath, batchEndpointsPath } from './workspace';

export interface BatchEndpointSettings {
  name: string;
  description?: string;
  /** properties.defaults.deploymentName: the deployment an invoke without a header goes to. */
  defaultDeployment?: string;
  tags?: Record<string, string>;
}

/**
 * BatchEndpointTrackedResource body. authMode is AADToken as the EndpointAuthMode enum spells it (the
 * recipe's "aadToken" is accepted by the service, but not by the spec).
 */
export function batchEndpointBody(settings: BatchEndpointSettings, location: string) {
  return {
    location,
    ...(settings.tags ? { tags: settings.tags } : {}),
    properties: {
      authMode: 'AADToken' as const,
      ...(settings.description ? { description: settings.description } : {}),
      ...(settings.defaultDeployment ? { defaults: { deploymentName: settings.defaultDeployment } } : {}),
    },
  };
}

const what = (name: string): string => `batch endpoint '${name}'`;

export async function getBatchEndpoint(ctx: AzureMlContext, name: string): Promise<BatchEndpoint> {
  const response = await ctx.arm.request({ method: 'GET', path: batchEndpointPath(ctx.workspace, name) });
  return parseResponseBody(batchEndpointSchema, response.body, what(name), response);
}

export function findBatchEndpoint(ctx: AzureMlContext, name: string): Promise<BatchEndpoint | undefined> {
  return findOrUndefined(() => getBatchEndpoint(ctx, name));
}

export function listBatchEndpoints(ctx: AzureMlContext): Promise<BatchEndpoint[]> {
  return listAllPages(ctx, batchEndpointsPath(ctx.workspace), batchEndpointSchema, 'batch endpoint list');
}

export function beginCreateOrUpdateBatchEndpoint(
  ctx: AzureMlContext,
  settings: BatchEndpointSettings,
): Promise<BeganOperation<BatchEndpoint>> {
  return beginLongRunning(
    ctx,
    { method: 'PUT', path: batchEndpointPath(ctx.workspace, settings.name), body: batchEndpointBody(settings, ctx.workspace.location) },
    batchEndpointSchema,
    what(settings.name),
  );
}

/** Waits for a create/update begun earlier (possibly in another process) and returns the endpoint. */
export function waitBatchEndpoint(
  ctx: AzureMlContext,
  name: string,
  poller: PollerState | undefined,
  options?: LongRunningWaitOptions,
): Promise<BatchEndpoint> {
  return waitForResource(ctx, poller, batchEndpointPath(ctx.workspace, name), batchEndpointSchema, what(name), options);
}

/**
 * Makes `deploymentName` the endpoint's default. The PUT replaces the endpoint's properties, so the
 * current description and tags are read first and sent back unchanged.
 */
export async function beginSetDefaultDeployment(
  ctx: AzureMlContext,
  endpointName: string,
  deploymentName: string,
): Promise<BeganOperation<BatchEndpoint>> {
  const current = await getBatchEndpoint(ctx, endpointName);
  const tags = current.tags
    ? Object.fromEntries(Object.entries(current.tags).filter((e): e is [string, string] => typeof e[1] === 'string'))
    : undefined;
  return beginCreateOrUpdateBatchEndpoint(ctx, {
    name: endpointName,
    description: current.properties.description ?? undefined,
    tags,
    defaultDeployment: deploymentName,
  });
}

export async function setDefaultDeploymentAndWait(
  ctx: AzureMlContext,
  endpointName: string,
  deploymentName: string,
  options?: LongRunningWaitOptions,
): Promise<BatchEndpoint> {
  const { poller } = await beginSetDefaultDeployment(ctx, endpointName, deploymentName);
  if (poller) await options?.onProgress?.(poller);
  return waitBatchEndpoint(ctx, endpointName, poller, options);
}

export function deleteBatchEndpointAndWait(ctx: AzureMlContext, name: string, options?: LongRunningWaitOptions): Promise<void> {
  return deleteResourceAndWait(ctx, batchEndpointPath(ctx.workspace, name), options);
}
