// What exists now, as far as a change depends on it: the reads behind a plan (change-plan.ts builds the
// plan from them). Used before an approver is asked, again right before the change is applied (the
// fingerprints must match), and by the CLI. A deploy's uploaded folders are hashed the way the deploy
// step versions them, so "reuse" means the same content is registered already.
import type { AzureMlClient } from '../azureml';
import { environmentContentVersion } from '../azureml/asset-version';
import { isTerminalJobStatus } from '../azureml/jobs';
import { isNotFoundError } from '../azureml/resource-lookup';
import type { BatchDeployment } from '../azureml/resources';
import type { DeploySpec } from '../domain/deploy-spec';
import type { RequestSubject } from '../domain/request-subject';
import { buildChangePlan, type AssetFact, type ChangeFacts, type ChangePlan, type DeploymentSettings } from './change-plan';
import { summarizeJob } from './job-summary';

export interface ChangeFactsDeps {
  azureml: {
    computes: Pick<AzureMlClient['computes'], 'find'>;
    assets: Pick<AzureMlClient['assets'], 'findCodeVersion' | 'findModelVersion' | 'findEnvironmentVersion'>;
    endpoints: Pick<AzureMlClient['endpoints'], 'find'>;
    deployments: Pick<AzureMlClient['deployments'], 'find' | 'list'>;
    jobs: Pick<AzureMlClient['jobs'], 'listForEndpoint'>;
    localFolderVersion: AzureMlClient['localFolderVersion'];
  };
}

/** An asset id as name:version (a registry's as registry/name:version); an unreadable id as it is. */
export function assetRef(id: string | null | undefined): string | undefined {
  if (!id) return undefined;
  const registry = /^azureml:\/\/registries\/([^/]+)\/[^/]+\/([^/]+)\/versions\/([^/]+)$/.exec(id);
  if (registry) return `${registry[1]}/${registry[2]}:${registry[3]}`;
  const workspace = /\/([^/]+)\/versions\/([^/]+)$/.exec(id);
  return workspace ? `${workspace[1]}:${workspace[2]}` : id;
}

const text = (v: number | string | null | undefined): string | undefined => (v === undefined || v === null ? undefined : String(v));

/** The live deployment's settings, in the plan's terms. */
export function liveSettings(d: BatchDeployment): DeploymentSettings {
  const p = d.properties;
  const settings: DeploymentSettings = {
    instanceCount: text(p.resources?.instanceCount),
    maxConcurrencyPerInstance: text(p.maxConcurrencyPerInstance),
    miniBatchSize: text(p.miniBatchSize),
    'retrySettings.maxRetries': text(p.retrySettings?.maxRetries),
    'retrySettings.timeout': text(p.retrySettings?.timeout),
    errorThreshold: text(p.errorThreshold),
    loggingLevel: text(p.loggingLevel),
    model: assetRef(p.model?.assetId),
    code: assetRef(p.codeConfiguration?.codeId),
    scoringScript: text(p.codeConfiguration?.scoringScript),
    environment: assetRef(p.environmentId),
    compute: p.compute ? p.compute.split('/').pop() : undefined,
  };
  return JSON.parse(JSON.stringify(settings)) as DeploymentSettings;
}

async function assetFacts(deps: ChangeFactsDeps, spec: DeploySpec): Promise<AssetFact[]> {
  const az = deps.azureml;
  const facts: AssetFact[] = [];
  const m = spec.model;
  if (m.kind === 'upload') {
    const version = m.version ?? (await az.localFolderVersion(m.localPath));
    facts.push({ what: 'model', ref: `${m.name}:${version}`, source: 'upload', exists: (await az.assets.findModelVersion({ name: m.name, version })) !== undefined });
  } else {
    // Registered and registry assets were found (and `latest` pinned) by the pre-flight check.
    facts.push({ what: 'model', ref: m.kind === 'registry' ? `${m.registry}/${m.name}:${m.version ?? 'latest'}` : `${m.name}:${m.version ?? 'latest'}`, source: m.kind, exists: true });
  }
  const c = spec.code;
  if (c?.kind === 'upload') {
    const version = c.version ?? (await az.localFolderVersion(c.localPath));
    facts.push({ what: 'code', ref: `${c.name}:${version}`, source: 'upload', exists: (await az.assets.findCodeVersion({ name: c.name, version })) !== undefined });
  } else if (c) {
    facts.push({ what: 'code', ref: `${c.name}:${c.version}`, source: 'registered', exists: true });
  }
  const e = spec.environment;
  if (e?.kind === 'image') {
    const version = e.version ?? environmentContentVersion(e.image, e.condaFile);
    facts.push({ what: 'environment', ref: `${e.name}:${version}`, source: 'image', exists: (await az.assets.findEnvironmentVersion({ name: e.name, version })) !== undefined });
  } else if (e) {
    facts.push({ what: 'environment', ref: e.kind === 'registry' ? `${e.registry}/${e.name}:${e.version ?? 'latest'}` : `${e.name}:${e.version ?? 'latest'}`, source: e.kind, exists: true });
  }
  return facts;
}

function wantedSettings(spec: DeploySpec, assets: AssetFact[]): DeploymentSettings {
  const ref = (what: AssetFact['what']): string | undefined => assets.find((a) => a.what === what)?.ref;
  const settings: DeploymentSettings = {
    instanceCount: String(spec.instanceCount),
    maxConcurrencyPerInstance: String(spec.maxConcurrencyPerInstance),
    miniBatchSize: String(spec.miniBatchSize),
    'retrySettings.maxRetries': String(spec.retrySettings.maxRetries),
    'retrySettings.timeout': spec.retrySettings.timeout,
    errorThreshold: String(spec.errorThreshold),
    loggingLevel: spec.loggingLevel,
    model: ref('model'),
    code: ref('code'),
    scoringScript: spec.scoringScript,
    environment: ref('environment'),
    compute: spec.compute.name,
  };
  return JSON.parse(JSON.stringify(settings)) as DeploymentSettings;
}

async function deployFacts(deps: ChangeFactsDeps, spec: DeploySpec): Promise<ChangeFacts> {
  const az = deps.azureml;
  const [assets, compute, endpoint, live] = await Promise.all([
    assetFacts(deps, spec),
    spec.compute.kind === 'existing' ? Promise.resolve(true) : az.computes.find(spec.compute.name).then((c) => c !== undefined),
    az.endpoints.find(spec.endpointName),
    az.deployments.find(spec.endpointName, spec.deploymentName).catch((err: unknown) => (isNotFoundError(err) ? undefined : Promise.reject(err))),
  ]);
  const defaultDeployment = endpoint?.properties.defaults?.deploymentName ?? undefined;
  return {
    kind: 'deploy',
    endpointName: spec.endpointName,
    deploymentName: spec.deploymentName,
    makeDefault: spec.makeDefault,
    compute: { name: spec.compute.name, exists: compute },
    assets,
    endpoint: { exists: endpoint !== undefined, ...(defaultDeployment ? { defaultDeployment } : {}) },
    ...(live ? { live: liveSettings(live) } : {}),
    wanted: wantedSettings(spec, assets),
  };
}

/** The facts a request's change depends on; undefined for requests that change nothing planned (run, cancel, cleanup). */
export async function readChangeFacts(deps: ChangeFactsDeps, subject: RequestSubject): Promise<ChangeFacts | undefined> {
  const az = deps.azureml;
  if (subject.kind === 'deploy') return deployFacts(deps, subject.spec);
  if (subject.kind !== 'command') return undefined;
  const command = subject.command;
  if (command.verb === 'set-default') {
    const endpoint = await az.endpoints.find(command.endpointName);
    const currentDefault = endpoint?.properties.defaults?.deploymentName ?? undefined;
    return { kind: 'set-default', endpointName: command.endpointName, deploymentName: command.deploymentName, ...(currentDefault ? { currentDefault } : {}) };
  }
  if (command.verb === 'delete') {
    const [endpoint, deployments, jobs] = await Promise.all([
      az.endpoints.find(command.endpointName),
      az.deployments.list(command.endpointName).catch((err: unknown) => (isNotFoundError(err) ? [] : Promise.reject(err))),
      az.jobs.listForEndpoint(command.endpointName).catch((err: unknown) => (isNotFoundError(err) ? [] : Promise.reject(err))),
    ]);
    const defaultDeployment = endpoint?.properties.defaults?.deploymentName ?? undefined;
    const runningJobs = jobs
      .map((j) => summarizeJob(j))
      .filter((j) => !isTerminalJobStatus(j.status))
      .map((j) => ({ name: j.name, status: String(j.status ?? 'Unknown') }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return {
      kind: 'delete',
      endpointName: command.endpointName,
      deployments: deployments.map((d) => d.name).sort(),
      ...(defaultDeployment ? { defaultDeployment } : {}),
      runningJobs,
    };
  }
  return undefined;
}

/** The plan of a request against what exists now; undefined when the request has none. */
export async function planChange(deps: ChangeFactsDeps, subject: RequestSubject): Promise<ChangePlan | undefined> {
  const facts = await readChangeFacts(deps, subject);
  return facts && buildChangePlan(facts);
}
