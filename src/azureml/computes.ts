// AmlCompute clusters: the recipe's "create compute" step (PUT .../computes/{name}, a long-running PUT in
// machineLearningServices.json, Compute_CreateOrUpdate) and the lookup that lets an existing cluster be
// reused as-is (Azure refuses to change vmSize of an existing cluster, so we never PUT over one).
import { z } from 'zod';
import type { AzureMlContext } from './azureml-context';
import { beginLongRunning, beginLongRunningAction, waitForOperation, waitForResource, type BeganOperation, type LongRunningWaitOptions } from './long-running-resource';
import { isNotFoundError } from './resource-lookup';
import { computeSchema, type Compute } from './resources';
import { findOrUndefined } from './resource-lookup';
import { parseResponseBody } from './response-validation';
import { computeId } from './workspace';

export const amlComputeSettingsSchema = z.object({
  name: z.string().min(1),
  vmSize: z.string().min(1),
  minNodeCount: z.number().int().min(0),
  maxNodeCount: z.number().int().min(1),
});
export type AmlComputeSettings = z.infer<typeof amlComputeSettingsSchema>;

/** ComputeResource body for an AmlCompute, as the recipe sends it (Linux, public SSH port not specified). */
export function amlComputeBody(settings: AmlComputeSettings, location: string) {
  return {
    location,
    properties: {
      computeType: 'AmlCompute' as const,
      properties: {
        osType: 'Linux' as const,
        vmSize: settings.vmSize,
        scaleSettings: { maxNodeCount: settings.maxNodeCount, minNodeCount: settings.minNodeCount },
        remoteLoginPortPublicAccess: 'NotSpecified' as const,
      },
    },
  };
}

export async function getCompute(ctx: AzureMlContext, name: string): Promise<Compute> {
  const response = await ctx.arm.request({ method: 'GET', path: computeId(ctx.workspace, name) });
  return parseResponseBody(computeSchema, response.body, `compute '${name}'`, response);
}

export function findCompute(ctx: AzureMlContext, name: string): Promise<Compute | undefined> {
  return findOrUndefined(() => getCompute(ctx, name));
}

export function beginCreateAmlCompute(ctx: AzureMlContext, settings: AmlComputeSettings): Promise<BeganOperation<Compute>> {
  return beginLongRunning(
    ctx,
    { method: 'PUT', path: computeId(ctx.workspace, settings.name), body: amlComputeBody(settings, ctx.workspace.location) },
    computeSchema,
    `compute '${settings.name}'`,
  );
}

export function waitComputeCreated(
  ctx: AzureMlContext,
  name: string,
  poller: BeganOperation<Compute>['poller'],
  options?: LongRunningWaitOptions,
): Promise<Compute> {
  return waitForResource(ctx, poller, computeId(ctx.workspace, name), computeSchema, `compute '${name}'`, options);
}

/**
 * Deletes a compute cluster and the VMs under it (`underlyingResourceAction=Delete`, required by the spec;
 * `Detach` would leave them running): 202 with Azure-AsyncOperation (recordings README), 200 or 204 when
 * there was nothing to do. Deleting what is already gone is not an error.
 */
export async function deleteComputeAndWait(ctx: AzureMlContext, name: string, options?: LongRunningWaitOptions): Promise<void> {
  let poller;
  try {
    poller = await beginLongRunningAction(ctx, { method: 'DELETE', path: computeId(ctx.workspace, name), query: { underlyingResourceAction: 'Delete' } });
  } catch (err) {
    if (isNotFoundError(err)) return;
    throw err;
  }
  if (poller) await waitForOperation(ctx, poller, options);
}
