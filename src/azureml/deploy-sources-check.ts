// What a deploy names, checked before anything is created: an "existing" compute cluster that is there,
// registered model / code / environment versions (or the `latest` of one) and registry assets that are
// there, local folders inside the artifacts root, the scoring script inside the code folder, and an MLflow
// model whenever no scoring code is given. `latest` is resolved here to the concrete version, so the
// approval shows (and the deploy uses) what exists now. Finding these after the approval meant a deploy
// that failed half-way and left a new endpoint behind; finding them here costs a few GETs.
// A missing resource is ARM's 404 (ResourceNotFound or NotFound, see resource-lookup.ts); any other
// failure is not a verdict about the request and propagates.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describeExistingAsset, type ExistingAsset, type RegistryAssetKind } from '../domain/asset-reference';
import type { DeploySpec } from '../domain/deploy-spec';
import { ArtifactPathError, resolveInsideRoot } from './artifacts-root';
import * as assets from './assets';
import * as computes from './computes';
import { findRegistryAssetVersion, type RegistryContext } from './registries';

export interface DeploySourceProblem {
  /** The deploy step whose source is missing. */
  step: 'compute' | 'model' | 'code' | 'environment';
  /** One plain sentence for the requester (names are the user's own text; escape before mrkdwn). */
  message: string;
}

/** The file every MLflow model folder holds (MLflow's "MLmodel format"); without it Azure cannot load the model. */
export const MLMODEL_FILE = 'MLmodel';

/**
 * Local checks only (no Azure): the model and code folders are inside the artifacts root, the scoring
 * script is a file inside the code folder, and an MLflow model folder has its MLmodel file. Throws
 * ArtifactPathError for the first problem.
 */
export async function checkLocalDeploySources(artifactsRoot: string, spec: DeploySpec): Promise<void> {
  if (spec.model.kind === 'upload') {
    await resolveInsideRoot(artifactsRoot, spec.model.localPath);
    if (spec.model.type === 'mlflow_model') await assertMlModelFile(artifactsRoot, spec.model.localPath);
  }
  if (spec.code?.kind === 'upload') {
    await resolveInsideRoot(artifactsRoot, spec.code.localPath);
    if (spec.scoringScript !== undefined) await assertScoringScriptInFolder(artifactsRoot, spec.code.localPath, spec.scoringScript);
  }
}

async function assertMlModelFile(artifactsRoot: string, modelPath: string): Promise<void> {
  const filePath = path.posix.join(modelPath, MLMODEL_FILE);
  const missing = new ArtifactPathError(
    'NotFound',
    `the MLflow model folder "${modelPath}" has no ${MLMODEL_FILE} file; save the model with MLflow, or deploy it as a custom model with scoring code`,
    modelPath,
  );
  let real: string;
  try {
    real = await resolveInsideRoot(artifactsRoot, filePath);
  } catch (err) {
    if (err instanceof ArtifactPathError && err.code === 'NotFound') throw missing;
    throw err;
  }
  if (!(await fs.stat(real)).isFile()) throw missing;
}

/** The scoring script is a file inside the code folder (Azure ML would only fail when a job starts). */
export async function assertScoringScriptInFolder(artifactsRoot: string, codePath: string, scoringScript: string): Promise<void> {
  const scriptPath = path.posix.join(codePath, scoringScript);
  const missing = new ArtifactPathError('NotFound', `the scoring script "${scoringScript}" is not in the code folder "${codePath}"`, scriptPath);
  // A script path that climbs out of the code folder ("../x.py") is not "in the code folder" either.
  if (path.posix.isAbsolute(scoringScript) || path.posix.normalize(scoringScript).startsWith('..')) throw missing;
  let real: string;
  try {
    real = await resolveInsideRoot(artifactsRoot, scriptPath);
  } catch (err) {
    if (err instanceof ArtifactPathError && err.code === 'NotFound') throw missing;
    throw err;
  }
  const stat = await fs.stat(real);
  if (!stat.isFile()) throw missing;
}

type Found = { version: string; modelType?: string } | { problem: string };

/** Finds a workspace or registry model/environment (a version, or the newest for `latest`). */
async function findExisting(ctx: RegistryContext, kind: RegistryAssetKind, asset: ExistingAsset): Promise<Found> {
  const noun = kind === 'models' ? 'model' : 'environment';
  const shown = describeExistingAsset(kind, asset);
  if (asset.kind === 'registry') {
    const found = await findRegistryAssetVersion(ctx, { kind, registry: asset.registry, name: asset.name, version: asset.version });
    if (found.found) return { version: found.version, ...(found.modelType ? { modelType: found.modelType } : {}) };
    switch (found.missing) {
      case 'registry':
        return { problem: `There is no registry "${asset.registry}" (or this bot may not read it); check the name in ${shown}.` };
      case 'asset':
        return { problem: `Registry "${asset.registry}" has no ${noun} "${asset.name}" with a version to deploy.` };
      case 'version':
        return { problem: `Registry "${asset.registry}" has no ${noun} "${asset.name}" version "${asset.version ?? ''}"; use …/labels/latest for its newest.` };
    }
  }
  if (asset.version !== undefined) {
    const ref = { name: asset.name, version: asset.version };
    const found = kind === 'models' ? await assets.findModelVersion(ctx, ref) : await assets.findEnvironmentVersion(ctx, ref);
    if (!found) return { problem: `There is no registered ${noun} "${ref.name}" version "${ref.version}" in this workspace.` };
    const t = found.properties.modelType;
    return { version: asset.version, ...(typeof t === 'string' ? { modelType: t } : {}) };
  }
  const latest = await assets.findLatestVersion(ctx, kind, asset.name);
  if (!latest) return { problem: `There is no registered ${noun} "${asset.name}" in this workspace, so it has no latest version.` };
  const t = latest.properties.modelType;
  return { version: latest.name, ...(typeof t === 'string' ? { modelType: t } : {}) };
}

export interface ResolvedDeploySources {
  /** The spec with every `latest` pinned to the version found (the label kept, for the record). */
  spec: DeploySpec;
  problems: DeploySourceProblem[];
}

/** Every problem with what the deploy names, and the spec with `latest` resolved; no problems means it can go ahead. */
export async function resolveDeploySources(ctx: RegistryContext, artifactsRoot: string | undefined, spec: DeploySpec): Promise<ResolvedDeploySources> {
  const problems: DeploySourceProblem[] = [];
  const resolved: DeploySpec = structuredClone(spec);
  const lookups: Array<Promise<void>> = [];
  if (spec.compute.kind === 'existing') {
    const name = spec.compute.name;
    lookups.push(
      computes.findCompute(ctx, name).then((found) => {
        if (!found) problems.push({ step: 'compute', message: `There is no compute cluster "${name}" in this workspace; choose "create a new cluster" or name one that exists.` });
      }),
    );
  }
  const model = resolved.model;
  if (model.kind !== 'upload') {
    lookups.push(
      findExisting(ctx, 'models', model).then((found) => {
        if ('problem' in found) {
          problems.push({ step: 'model', message: found.problem });
          return;
        }
        model.version = found.version;
        if (spec.code === undefined && found.modelType !== 'mlflow_model') {
          problems.push({
            step: 'model',
            message:
              `Model ${describeExistingAsset('models', model)} is a ${found.modelType ?? 'custom_model'}, not an MLflow model (mlflow_model), ` +
              'so it needs scoring code, a scoring script and an environment: give all three, or deploy an MLflow model.',
          });
        }
      }),
    );
  }
  const environment = resolved.environment;
  if (environment !== undefined && environment.kind !== 'image') {
    lookups.push(
      findExisting(ctx, 'environments', environment).then((found) => {
        if ('problem' in found) problems.push({ step: 'environment', message: found.problem });
        else environment.version = found.version;
      }),
    );
  }
  if (spec.code?.kind === 'registered') {
    const ref = { name: spec.code.name, version: spec.code.version };
    lookups.push(
      assets.findCodeVersion(ctx, ref).then((found) => {
        if (!found) problems.push({ step: 'code', message: `There is no registered code asset "${ref.name}" version "${ref.version}" in this workspace.` });
      }),
    );
  }
  if (artifactsRoot) {
    lookups.push(
      checkLocalDeploySources(artifactsRoot, spec).catch((err: unknown) => {
        if (!(err instanceof ArtifactPathError)) throw err;
        const step = spec.model.kind === 'upload' && err.relativePath === spec.model.localPath ? 'model' : 'code';
        problems.push({ step, message: `${err.message.charAt(0).toUpperCase()}${err.message.slice(1)}.` });
      }),
    );
  }
  await Promise.all(lookups);
  const order = ['compute', 'model', 'code', 'environment'];
  return { spec: resolved, problems: problems.sort((a, b) => order.indexOf(a.step) - order.indexOf(b.step)) };
}
