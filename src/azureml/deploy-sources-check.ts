// What a deploy names, checked before anything is created: an "existing" compute cluster that is there,
// registered model / code / environment versions that are there, local folders inside the artifacts
// root, and the scoring script inside the code folder. Finding these after the approval meant a deploy
// that failed half-way and left a new endpoint behind; finding them here costs a few GETs.
// A missing resource is ARM's 404 (ResourceNotFound or NotFound, see resource-lookup.ts); any other
// failure is not a verdict about the request and propagates.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DeploySpec } from '../domain/deploy-spec';
import { ArtifactPathError, resolveInsideRoot } from './artifacts-root';
import * as assets from './assets';
import type { AzureMlContext } from './azureml-context';
import * as computes from './computes';

export interface DeploySourceProblem {
  /** The deploy step whose source is missing. */
  step: 'compute' | 'model' | 'code' | 'environment';
  /** One plain sentence for the requester (names are the user's own text; escape before mrkdwn). */
  message: string;
}

/**
 * Local checks only (no Azure): the model and code folders are inside the artifacts root and the scoring
 * script is a file inside the code folder. Throws ArtifactPathError for the first problem.
 */
export async function checkLocalDeploySources(artifactsRoot: string, spec: DeploySpec): Promise<void> {
  for (const step of ['model', 'code'] as const) {
    const source = spec[step];
    if (source.kind === 'upload') await resolveInsideRoot(artifactsRoot, source.localPath);
  }
  if (spec.code.kind === 'upload') await assertScoringScriptInFolder(artifactsRoot, spec.code.localPath, spec.scoringScript);
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

/** Every problem with what the deploy names; empty when it can go ahead. */
export async function checkDeploySources(ctx: AzureMlContext, artifactsRoot: string | undefined, spec: DeploySpec): Promise<DeploySourceProblem[]> {
  const problems: DeploySourceProblem[] = [];
  const lookups: Array<Promise<void>> = [];
  if (spec.compute.kind === 'existing') {
    const name = spec.compute.name;
    lookups.push(
      computes.findCompute(ctx, name).then((found) => {
        if (!found) problems.push({ step: 'compute', message: `There is no compute cluster "${name}" in this workspace; choose "create a new cluster" or name one that exists.` });
      }),
    );
  }
  const registered = [
    { step: 'model', source: spec.model, find: assets.findModelVersion, label: 'model' },
    { step: 'code', source: spec.code, find: assets.findCodeVersion, label: 'code asset' },
    { step: 'environment', source: spec.environment, find: assets.findEnvironmentVersion, label: 'environment' },
  ] as const;
  for (const { step, source, find, label } of registered) {
    if (source.kind !== 'registered') continue;
    const ref = { name: source.name, version: source.version };
    lookups.push(
      find(ctx, ref).then((found) => {
        if (!found) problems.push({ step, message: `There is no registered ${label} "${ref.name}" version "${ref.version}" in this workspace.` });
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
  return problems.sort((a, b) => order.indexOf(a.step) - order.indexOf(b.step));
}
