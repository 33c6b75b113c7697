// Batch deployments (mfe.json BatchDeployments_*): a long-running PUT carrying every setting of the
// recipe's "create batch deployment" step. The recipe writes numbers as strings and loggingLevel "info";
// the spec wants int32/int64 integers and the BatchLoggingLevel enum's case (Info), and so do we.
import { z } from 'zod';
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
import { batchDeploymentSchema, batchLoggingLevelSchema, type BatchDeployment } from './resources';
import { findOrUndefined } from './resource-lookup';
import { parseResponseBody } from './response-validation';
import { batchDeploymentPath, batchDeploymentsPath } from './workspace';

export const batchDeploymentSettingsSchema = z.object({
  endpointName: z.string().min(1),
  name: z.string().min(1),
  description: z.string().optional(),
  /** ARM ids, as the recipe passes them. */
  /** ARM ids, or `azureml://registries/…` ids for registry assets (EndpointDeploymentPropertiesBase.environmentId: "ARM resource ID or AssetId"). */
  modelId: z.string().min(1),
  /** Both or neither: an MLflow model deploys without a scoring script (mfe.json: codeConfiguration is optional). */
  codeId: z.string().min(1).optional(),
  scoringScript: z.string().min(1).optional(),
  environmentId: z.string().min(1).optional(),
  computeId: z.string().min(1),
  instanceCount: z.number().int().min(1),
  maxConcurrencyPerInstance: z.number().int().min(1),
  miniBatchSize: z.number().int().min(1),
  retrySettings: z.object({ maxRetries: z.number().int().min(0), timeout: z.string().min(1) }),
  errorThreshold: z.number().int().min(-1),
  loggingLevel: batchLoggingLevelSchema,
});
export type BatchDeploymentSettings = z.infer<typeof batchDeploymentSettingsSchema>;

/** BatchDeploymentTrackedResource body; every number an integer, loggingLevel in the enum's case. */
export function batchDeploymentBody(settings: BatchDeploymentSettings, location: string) {
  const s = batchDeploymentSettingsSchema.parse(settings);
  return {
    location,
    properties: {
      ...(s.description ? { description: s.description } : {}),
      model: { referenceType: 'Id' as const, assetId: s.modelId },
      ...(s.codeId !== undefined && s.scoringScript !== undefined ? { codeConfiguration: { codeId: s.codeId, scoringScript: s.scoringScript } } : {}),
      ...(s.environmentId !== undefined ? { environmentId: s.environmentId } : {}),
      compute: s.computeId,
      resources: { instanceCount: s.instanceCount },
      maxConcurrencyPerInstance: s.maxConcurrencyPerInstance,
      miniBatchSize: s.miniBatchSize,
      retrySettings: { maxRetries: s.retrySettings.maxRetries, timeout: s.retrySettings.timeout },
      errorThreshold: s.errorThreshold,
      loggingLevel: s.loggingLevel,
    },
  };
}

const what = (endpoint: string, name: string): string => `batch deployment '${endpoint}/${name}'`;

export async function getBatchDeployment(ctx: AzureMlContext, endpointName: string, name: string): Promise<BatchDeployment> {
  const response = await ctx.arm.request({ method: 'GET', path: batchDeploymentPath(ctx.workspace, endpointName, name) });
  return parseResponseBody(batchDeploymentSchema, response.body, what(endpointName, name), response);
}

export function findBatchDeployment(ctx: AzureMlContext, endpointName: string, name: string): Promise<BatchDeployment | undefined> {
  return findOrUndefined(() => getBatchDeployment(ctx, endpointName, name));
}

export function listBatchDeployments(ctx: AzureMlContext, endpointName: string): Promise<BatchDeployment[]> {
  return listAllPages(ctx, batchDeploymentsPath(ctx.workspace, endpointName), batchDeploymentSchema, `deployment list of '${endpointName}'`);
}

export function beginCreateOrUpdateBatchDeployment(
  ctx: AzureMlContext,
  settings: BatchDeploymentSettings,
): Promise<BeganOperation<BatchDeployment>> {
  return beginLongRunning(
    ctx,
    {
      method: 'PUT',
      path: batchDeploymentPath(ctx.workspace, settings.endpointName, settings.name),
      body: batchDeploymentBody(settings, ctx.workspace.location),
    },
    batchDeploymentSchema,
    what(settings.endpointName, settings.name),
  );
}

export function waitBatchDeployment(
  ctx: AzureMlContext,
  endpointName: string,
  name: string,
  poller: PollerState | undefined,
  options?: LongRunningWaitOptions,
): Promise<BatchDeployment> {
  return waitForResource(
    ctx,
    poller,
    batchDeploymentPath(ctx.workspace, endpointName, name),
    batchDeploymentSchema,
    what(endpointName, name),
    options,
  );
}

export function deleteBatchDeploymentAndWait(ctx: AzureMlContext, endpointName: string, name: string, options?: LongRunningWaitOptions): Promise<void> {
  return deleteResourceAndWait(ctx, batchDeploymentPath(ctx.workspace, endpointName, name), options);
}
