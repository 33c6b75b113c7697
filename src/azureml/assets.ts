// Versioned assets: code, model, environment and data versions (mfe.json CodeVersions_, ModelVersions_,
// EnvironmentVersions_, DataVersions_CreateOrUpdate). These PUTs are synchronous (200/201), and versions
// are immutable in Azure ML: re-PUTting the same body is accepted, a different body for an existing
// version is refused, hence content-derived versions (see asset-version.ts).
import type { z } from 'zod';
import type { AzureMlContext } from './azureml-context';
import {
  armListPageSchema,
  codeVersionSchema,
  dataVersionBaseSchema,
  environmentVersionSchema,
  modelVersionSchema,
  type CodeVersion,
  type DataVersionBase,
  type EnvironmentVersion,
  type ModelVersion,
} from './resources';
import { findOrUndefined, isNotFoundError } from './resource-lookup';
import { parseResponseBody } from './response-validation';
import { assetVersionId, assetVersionsPath, type AssetKind } from './workspace';

export interface AssetVersionRef {
  name: string;
  version: string;
}

/** CodeVersion body: codeUri is the blob folder URL the recipe builds from BLOB_URI_ROOT. */
export function codeVersionBody(codeUri: string, description?: string) {
  return { properties: { codeUri, ...(description ? { description } : {}) } };
}

/**
 * ModelVersion body: modelUri in the long datastore form (azureml://subscriptions/…/paths/…), and modelType
 * when it is an MLflow model (azure-ai-ml sends `mlflow_model`; without it the service treats the model as custom).
 */
export function modelVersionBody(modelUri: string, description?: string, modelType?: string) {
  return { properties: { modelUri, ...(modelType && modelType !== 'custom_model' ? { modelType } : {}), ...(description ? { description } : {}) } };
}

/** EnvironmentVersion body: a docker image plus an optional conda file (its text, not a path). */
export function environmentVersionBody(image: string, condaFile?: string, description?: string) {
  return {
    properties: { image, ...(condaFile !== undefined ? { condaFile } : {}), ...(description ? { description } : {}) },
  };
}

/** DataVersionBase body (UriFolderDataVersion / UriFileDataVersion by `dataType`). */
export function dataVersionBody(dataType: 'uri_folder' | 'uri_file', dataUri: string, description?: string) {
  return { properties: { dataType, dataUri, ...(description ? { description } : {}) } };
}

const LABEL: Record<AssetKind, string> = { codes: 'code', models: 'model', environments: 'environment', data: 'data' };

async function getVersion<S extends z.ZodType>(ctx: AzureMlContext, kind: AssetKind, ref: AssetVersionRef, schema: S): Promise<z.infer<S>> {
  const response = await ctx.arm.request({ method: 'GET', path: assetVersionId(ctx.workspace, kind, ref.name, ref.version) });
  return parseResponseBody(schema, response.body, `${LABEL[kind]} version ${ref.name}:${ref.version}`, response);
}

async function putVersion<S extends z.ZodType>(
  ctx: AzureMlContext,
  kind: AssetKind,
  ref: AssetVersionRef,
  body: unknown,
  schema: S,
): Promise<z.infer<S>> {
  const response = await ctx.arm.request({ method: 'PUT', path: assetVersionId(ctx.workspace, kind, ref.name, ref.version), body });
  return parseResponseBody(schema, response.body, `${LABEL[kind]} version ${ref.name}:${ref.version}`, response);
}

export const getCodeVersion = (ctx: AzureMlContext, ref: AssetVersionRef): Promise<CodeVersion> =>
  getVersion(ctx, 'codes', ref, codeVersionSchema);
export const findCodeVersion = (ctx: AzureMlContext, ref: AssetVersionRef): Promise<CodeVersion | undefined> =>
  findOrUndefined(() => getCodeVersion(ctx, ref));
export const createCodeVersion = (ctx: AzureMlContext, ref: AssetVersionRef, codeUri: string, description?: string): Promise<CodeVersion> =>
  putVersion(ctx, 'codes', ref, codeVersionBody(codeUri, description), codeVersionSchema);

export const getModelVersion = (ctx: AzureMlContext, ref: AssetVersionRef): Promise<ModelVersion> =>
  getVersion(ctx, 'models', ref, modelVersionSchema);
export const findModelVersion = (ctx: AzureMlContext, ref: AssetVersionRef): Promise<ModelVersion | undefined> =>
  findOrUndefined(() => getModelVersion(ctx, ref));
export const createModelVersion = (
  ctx: AzureMlContext,
  ref: AssetVersionRef,
  modelUri: string,
  description?: string,
  modelType?: string,
): Promise<ModelVersion> => putVersion(ctx, 'models', ref, modelVersionBody(modelUri, description, modelType), modelVersionSchema);

export const getEnvironmentVersion = (ctx: AzureMlContext, ref: AssetVersionRef): Promise<EnvironmentVersion> =>
  getVersion(ctx, 'environments', ref, environmentVersionSchema);
export const findEnvironmentVersion = (ctx: AzureMlContext, ref: AssetVersionRef): Promise<EnvironmentVersion | undefined> =>
  findOrUndefined(() => getEnvironmentVersion(ctx, ref));
export const createEnvironmentVersion = (
  ctx: AzureMlContext,
  ref: AssetVersionRef,
  image: string,
  condaFile?: string,
  description?: string,
): Promise<EnvironmentVersion> =>
  putVersion(ctx, 'environments', ref, environmentVersionBody(image, condaFile, description), environmentVersionSchema);

export const createDataVersion = (
  ctx: AzureMlContext,
  ref: AssetVersionRef,
  dataType: 'uri_folder' | 'uri_file',
  dataUri: string,
  description?: string,
): Promise<DataVersionBase> => putVersion(ctx, 'data', ref, dataVersionBody(dataType, dataUri, description), dataVersionBaseSchema);

/**
 * The newest active version of a workspace model or environment: what `name@latest` means to azure-ai-ml
 * (_get_latest: ModelVersions_List / EnvironmentVersions_List with $orderBy "createdtime desc", $top 1 —
 * both parameters of those operations in mfe.json 2022-05-01). Undefined when the asset has no version.
 */
export async function findLatestVersion(
  ctx: AzureMlContext,
  kind: 'models' | 'environments',
  name: string,
): Promise<ModelVersion | EnvironmentVersion | undefined> {
  const schema = kind === 'models' ? modelVersionSchema : environmentVersionSchema;
  const response = await findOrUndefined(() =>
    ctx.arm.request({
      method: 'GET',
      path: assetVersionsPath(ctx.workspace, kind, name),
      query: { $orderBy: 'createdtime desc', $top: '1', listViewType: 'ActiveOnly' },
    }),
  );
  if (!response) return undefined;
  const page = parseResponseBody(armListPageSchema(schema), response.body, `${LABEL[kind]} ${name}: versions`, response);
  return page.value[0];
}

/** DELETE of one asset version (200, or 204 when it was not there); a 404 counts as already gone. */
export async function deleteAssetVersion(ctx: AzureMlContext, kind: AssetKind, ref: AssetVersionRef): Promise<'removed' | 'already-gone'> {
  try {
    const response = await ctx.arm.request({ method: 'DELETE', path: assetVersionId(ctx.workspace, kind, ref.name, ref.version) });
    return response.status === 204 ? 'already-gone' : 'removed';
  } catch (err) {
    if (isNotFoundError(err)) return 'already-gone';
    throw err;
  }
}
