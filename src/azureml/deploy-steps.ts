// The deploy plan's steps against Azure ML: one function per recipe step, each idempotent, each able to
// resume a long-running operation from the checkpoint the plan saved. deploy-plan.ts decides the order;
// this file only knows how to do one step.
import { registryAssetId } from '../domain/asset-reference';
import type { DeploySpec } from '../domain/deploy-spec';
import { resolveInsideRoot } from './artifacts-root';
import { environmentContentVersion, folderContentVersion } from './asset-version';
import {
  createCodeVersion,
  createEnvironmentVersion,
  createModelVersion,
  findCodeVersion,
  findModelVersion,
  findEnvironmentVersion,
  getCodeVersion,
  getEnvironmentVersion,
  getModelVersion,
} from './assets';
import type { AzureMlContext } from './azureml-context';
import { beginCreateOrUpdateBatchDeployment, findBatchDeployment, waitBatchDeployment } from './batch-deployments';
import { beginCreateOrUpdateBatchEndpoint, beginSetDefaultDeployment, findBatchEndpoint, waitBatchEndpoint } from './batch-endpoints';
import { beginCreateAmlCompute, findCompute, getCompute, waitComputeCreated } from './computes';
import type { DatastoreContainerFactory } from './datastore-container';
import { blobDatastoreLocationSchema, datastoreContainerUrl, getDefaultDatastore, type BlobDatastoreLocation } from './datastores';
import type { DeployStepContext, DeployStepFunctions } from './deploy-plan';
import type { FileHashCache } from './file-hash-cache';
import { hashLocalFiles, listLocalFiles } from './local-folder';
import { restorePollerState, serializePollerState, type PollerState } from './long-running-operation';
import type { LongRunningWaitOptions } from './long-running-resource';
import { uploadFolder, type UploadProgress } from './uploads';
import { datastorePathUri } from './workspace';

export interface DeployStepsDeps extends AzureMlContext {
  containerFor: DatastoreContainerFactory;
  /** Folder that upload paths in a DeploySpec are relative to. */
  artifactsRoot: string;
  uploadConcurrency?: number;
  /** Poll pacing for long-running operations (onProgress is supplied by the step). */
  poll?: Omit<LongRunningWaitOptions, 'onProgress' | 'signal'>;
  onUploadProgress?: (step: 'code' | 'model', progress: UploadProgress) => void;
  /** Accept files with more than one hard link in uploaded folders (default refuse; local-folder.ts). */
  allowHardLinks?: boolean;
  /** MD5s of local files hashed before (by the plan), so an unchanged file is not read again. */
  fileHashes?: FileHashCache;
}

/** Where an asset's uploaded versions go in the datastore's container: one folder per version under it. */
export function assetUploadsPrefix(kind: 'code' | 'model', name: string): string {
  return `batch-score-bot/${kind}/${name}`;
}

export function uploadPrefix(kind: 'code' | 'model', name: string, version: string): string {
  return `${assetUploadsPrefix(kind, name)}/${version}`;
}

/**
 * Runs a long-running operation for a step: resumes the saved poller if there is one, otherwise begins
 * it and checkpoints the new poller before the first poll, so a crash from here on never re-issues it.
 * `accepted` names what the first answer already tells (the resource id), so steps that need only the
 * resource to exist can start while the operation runs (src/domain/deploy-plan.ts acceptedIsEnough).
 */
async function runOperation<T, B extends { poller: PollerState | undefined }>(
  ctx: DeployStepContext,
  deps: DeployStepsDeps,
  begin: () => Promise<B>,
  wait: (poller: PollerState | undefined, options: LongRunningWaitOptions) => Promise<T>,
  accepted?: (began: B) => Record<string, string>,
): Promise<T> {
  let poller: PollerState | undefined;
  if (ctx.poller) {
    poller = restorePollerState(ctx.poller);
  } else {
    const began = await begin();
    poller = began.poller;
    if (poller) await ctx.checkpoint(serializePollerState(poller));
    if (poller && accepted) await ctx.accept(accepted(began));
  }
  return wait(poller, {
    ...deps.poll,
    signal: ctx.signal,
    onProgress: (state) => ctx.checkpoint(serializePollerState(state)),
  });
}

function datastoreFrom(ctx: DeployStepContext): BlobDatastoreLocation {
  return blobDatastoreLocationSchema.parse(ctx.outputs.datastore);
}

async function uploadAsset(
  deps: DeployStepsDeps,
  ctx: DeployStepContext,
  kind: 'code' | 'model',
  source: { localPath: string; name: string; version?: string },
  find: (version: string) => Promise<{ id: string } | undefined>,
  register: (version: string, ds: BlobDatastoreLocation, prefix: string) => Promise<{ id: string }>,
): Promise<Record<string, string>> {
  const dir = await resolveInsideRoot(deps.artifactsRoot, source.localPath);
  const listed = await listLocalFiles(dir, deps.artifactsRoot, { allowHardLinks: deps.allowHardLinks ?? false });
  const files = await hashLocalFiles(listed, { cache: deps.fileHashes });
  const version = source.version ?? folderContentVersion(files);
  const ours = ctx.previous.created === 'true' && ctx.previous.version === version;
  const existing = await find(version);
  if (source.version === undefined && existing) {
    // A content-derived version that exists already holds exactly these files: nothing to upload.
    return { id: existing.id, name: source.name, version, uploaded: '0', skipped: String(files.length), reused: 'true', created: ours ? 'true' : 'false' };
  }
  const created = ours || !existing ? 'true' : 'false';
  if (created === 'true') await ctx.remember({ name: source.name, version, created });
  const ds = datastoreFrom(ctx);
  const prefix = uploadPrefix(kind, source.name, version);
  const result = await uploadFolder({
    container: deps.containerFor(ds),
    localDir: dir,
    prefix,
    files,
    // Files the asset's other versions hold already are copied within the account, not sent again.
    copyFrom: assetUploadsPrefix(kind, source.name),
    root: deps.artifactsRoot,
    concurrency: deps.uploadConcurrency,
    abortSignal: ctx.signal,
    onProgress: (p) => deps.onUploadProgress?.(kind, p),
  });
  const asset = await register(version, ds, prefix);
  return {
    id: asset.id,
    name: source.name,
    version,
    created,
    uploaded: String(result.uploaded),
    skipped: String(result.skipped),
    copied: String(result.copied),
    bytes: String(result.bytes),
  };
}

/** The version a `latest` was pinned to before the plan ran (the client pins any left, see index.ts). */
function pinnedVersion(what: 'model' | 'environment', a: { name: string; version?: string }): string {
  if (a.version === undefined) throw new Error(`internal: the ${what} ${a.name} still says "latest"; it is pinned to a version before the deploy runs`);
  return a.version;
}

function requireOutput(ctx: DeployStepContext, step: 'compute' | 'code' | 'model' | 'environment' | 'endpoint', key: string): string {
  const value = ctx.outputs[step]?.[key];
  if (value === undefined) throw new Error(`internal: step '${step}' finished without output '${key}'`);
  return value;
}

export function createDeploySteps(deps: DeployStepsDeps): DeployStepFunctions {
  const spec = (ctx: DeployStepContext): DeploySpec => ctx.spec;
  return {
    async compute(ctx) {
      const c = spec(ctx).compute;
      if (c.kind === 'existing') return { id: (await getCompute(deps, c.name)).id, name: c.name, created: 'false' };
      // An earlier attempt of this request that created it: still this request's.
      const ours = ctx.previous.created === 'true';
      // Never PUT over an existing cluster: Azure refuses to change its vmSize, and it is usable as is.
      const existing = ctx.poller ? undefined : await findCompute(deps, c.name);
      if (existing) return { id: existing.id, name: c.name, created: ours ? 'true' : 'false' };
      if (!ctx.poller) await ctx.remember({ name: c.name, created: 'true' });
      const compute = await runOperation(
        ctx,
        deps,
        () => beginCreateAmlCompute(deps, { name: c.name, vmSize: c.vmSize, minNodeCount: c.minNodeCount, maxNodeCount: c.maxNodeCount }),
        (poller, options) => waitComputeCreated(deps, c.name, poller, options),
        ({ initial }) => ({ id: initial.id, name: c.name, created: 'true' }),
      );
      return { id: compute.id, name: c.name, created: 'true' };
    },

    async datastore() {
      const ds = await getDefaultDatastore(deps);
      return { ...ds };
    },

    async code(ctx) {
      const c = spec(ctx).code;
      if (c === undefined) throw new Error('internal: the code step is not planned for a deploy without code');
      if (c.kind === 'registered') {
        const v = await getCodeVersion(deps, c);
        return { id: v.id, name: c.name, version: c.version, created: 'false' };
      }
      return uploadAsset(
        deps,
        ctx,
        'code',
        c,
        (version) => findCodeVersion(deps, { name: c.name, version }),
        // The recipe registers code with its https blob folder URL (BLOB_URI_ROOT/score).
        (version, ds, prefix) => createCodeVersion(deps, { name: c.name, version }, `${datastoreContainerUrl(ds)}/${prefix}`),
      );
    },

    async model(ctx): Promise<Record<string, string>> {
      const m = spec(ctx).model;
      if (m.kind === 'registry') {
        // Referenced by its azureml:// id, as Azure expects in a deployment body; the pre-flight found it.
        const version = pinnedVersion('model', m);
        return { id: registryAssetId('models', m.registry, m.name, version), name: m.name, version, registry: m.registry, created: 'false' };
      }
      if (m.kind === 'registered') {
        const version = pinnedVersion('model', m);
        const v = await getModelVersion(deps, { name: m.name, version });
        return { id: v.id, name: m.name, version, created: 'false', ...(typeof v.properties.modelType === 'string' ? { modelType: v.properties.modelType } : {}) };
      }
      const outputs = await uploadAsset(
        deps,
        ctx,
        'model',
        m,
        (version) => findModelVersion(deps, { name: m.name, version }),
        // The recipe registers models with the long datastore URI.
        (version, ds, prefix) => createModelVersion(deps, { name: m.name, version }, datastorePathUri(deps.workspace, ds.name, prefix), undefined, m.type),
      );
      return { ...outputs, modelType: m.type ?? 'custom_model' };
    },

    async environment(ctx): Promise<Record<string, string>> {
      const e = spec(ctx).environment;
      if (e === undefined) throw new Error('internal: the environment step is not planned for a deploy without environment');
      if (e.kind === 'registry') {
        const version = pinnedVersion('environment', e);
        return { id: registryAssetId('environments', e.registry, e.name, version), name: e.name, version, registry: e.registry, created: 'false' };
      }
      if (e.kind === 'registered') {
        const version = pinnedVersion('environment', e);
        const v = await getEnvironmentVersion(deps, { name: e.name, version });
        return { id: v.id, name: e.name, version, created: 'false' };
      }
      const version = e.version ?? environmentContentVersion(e.image, e.condaFile);
      const ours = ctx.previous.created === 'true' && ctx.previous.version === version;
      const created = ours || !(await findEnvironmentVersion(deps, { name: e.name, version })) ? 'true' : 'false';
      if (created === 'true') await ctx.remember({ name: e.name, version, created });
      const v = await createEnvironmentVersion(deps, { name: e.name, version }, e.image, e.condaFile);
      return { id: v.id, name: e.name, version, created };
    },

    async endpoint(ctx) {
      const s = spec(ctx);
      const ours = ctx.previous.created === 'true';
      const existing = ctx.poller ? undefined : await findBatchEndpoint(deps, s.endpointName);
      // The default before this deploy ('' for none): where nothing carries traffic yet, the plan may set it
      // early. On a resume the endpoint (creating or updating) still names its default.
      const current = ctx.poller ? await findBatchEndpoint(deps, s.endpointName) : existing;
      const previousDefault = current?.properties.defaults?.deploymentName ?? '';
      const createdHere = ours || (!ctx.poller && !existing) ? 'true' : 'false';
      if (existing?.properties.provisioningState === 'Succeeded' && existing.properties.scoringUri) {
        return { id: existing.id, name: s.endpointName, scoringUri: existing.properties.scoringUri, created: ours ? 'true' : 'false', previousDefault };
      }
      if (!ctx.poller && !existing) await ctx.remember({ name: s.endpointName, created: 'true' });
      const endpoint = await runOperation(
        ctx,
        deps,
        () =>
          beginCreateOrUpdateBatchEndpoint(deps, {
            name: s.endpointName,
            description: existing?.properties.description ?? undefined,
            // Re-PUTting an existing endpoint must not drop its current default deployment.
            defaultDeployment: existing?.properties.defaults?.deploymentName ?? undefined,
          }),
        (poller, options) => waitBatchEndpoint(deps, s.endpointName, poller, options),
        ({ initial }) => ({ id: initial.id, name: s.endpointName, scoringUri: '', created: createdHere, previousDefault }),
      );
      return { id: endpoint.id, name: s.endpointName, scoringUri: endpoint.properties.scoringUri ?? '', created: createdHere, previousDefault };
    },

    async deployment(ctx) {
      const s = spec(ctx);
      // Whether this request creates it: a failed deployment stays in Azure, and is then this request's to remove.
      if (!ctx.poller && ctx.previous.created !== 'true') {
        const existed = await findBatchDeployment(deps, s.endpointName, s.deploymentName);
        await ctx.remember({ name: s.deploymentName, created: existed ? 'false' : 'true' });
      }
      const deployment = await runOperation(
        ctx,
        deps,
        () =>
          beginCreateOrUpdateBatchDeployment(deps, {
            endpointName: s.endpointName,
            name: s.deploymentName,
            description: s.description,
            modelId: requireOutput(ctx, 'model', 'id'),
            // Left out for an MLflow model deployed without them (mfe.json: both optional).
            ...(s.code !== undefined && s.scoringScript !== undefined ? { codeId: requireOutput(ctx, 'code', 'id'), scoringScript: s.scoringScript } : {}),
            ...(s.environment !== undefined ? { environmentId: requireOutput(ctx, 'environment', 'id') } : {}),
            computeId: requireOutput(ctx, 'compute', 'id'),
            instanceCount: s.instanceCount,
            maxConcurrencyPerInstance: s.maxConcurrencyPerInstance,
            miniBatchSize: s.miniBatchSize,
            retrySettings: s.retrySettings,
            errorThreshold: s.errorThreshold,
            loggingLevel: s.loggingLevel,
          }),
        (poller, options) => waitBatchDeployment(deps, s.endpointName, s.deploymentName, poller, options),
        ({ initial }) => ({ id: initial.id, name: s.deploymentName }),
      );
      // `created` stays as remembered above (the plan merges a step's outputs into what it remembered).
      return { id: deployment.id, name: s.deploymentName, provisioningState: deployment.properties.provisioningState ?? 'Unknown' };
    },

    async default(ctx) {
      const s = spec(ctx);
      // Already the default (a redeploy of it): another endpoint update would change nothing.
      if (ctx.outputs.endpoint?.previousDefault === s.deploymentName) return { deploymentName: s.deploymentName, unchanged: 'true' };
      const endpoint = await runOperation(
        ctx,
        deps,
        () => beginSetDefaultDeployment(deps, s.endpointName, s.deploymentName),
        (poller, options) => waitBatchEndpoint(deps, s.endpointName, poller, options),
      );
      return { deploymentName: endpoint.properties.defaults?.deploymentName ?? s.deploymentName, unchanged: 'false' };
    },
  };
}
