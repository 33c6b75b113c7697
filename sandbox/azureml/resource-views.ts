// Records → the JSON ARM answers with, shaped exactly as mfe.json / machineLearningServices.json
// (2022-05-01) define them: id, name, type, systemData, (location, tags for tracked resources),
// properties with readOnly fields (provisioningState, scoringUri, isDefault, latestVersion…).
// Secrets (datastore account keys) are never returned (x-ms-secret).
import {
  latestVersion,
  type AssetContainerRecord,
  type AssetKind,
  type AssetVersionRecord,
  type ComputeRecord,
  type DatastoreRecord,
  type DeploymentRecord,
  type EndpointRecord,
} from './workspace-state';

export const PROVIDER = 'Microsoft.MachineLearningServices';

export interface ViewContext {
  workspacePath: string;
  scoringUri(endpointName: string): string;
}

/**
 * 2022-05-01 is the spec's version (the oav checks hold the sandbox to it); answers to newer api-versions
 * carry the fields Azure PowerShell's 2024-04-01 recordings show beside them (mostly nulls and empty maps:
 * `description: null`, a compute's nodeStateCounts, a deployment's deploymentConfiguration, …).
 */
export const isNewerApiVersion = (apiVersion: string | undefined): boolean => (apiVersion ?? '2022-05-01') > '2022-05-01';

/** Recorded on every batch endpoint and deployment: the id of the online endpoint the service keeps behind it. */
const onlineEndpointId = (ctx: ViewContext, endpointName: string): Record<string, string> => ({
  'azureml.onlineendpointid': `${ctx.workspacePath.toLowerCase().replace('/resourcegroups/', '/resourcegroups/')}/onlineendpoints/${endpointName}`,
});

const clean = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The recipe and the SDK send "aadToken"; the service answers with the enum's spelling (recorded). */
const AUTH_MODES: Record<string, string> = { aadtoken: 'AADToken', amltoken: 'AMLToken', key: 'Key' };

export function endpointView(ctx: ViewContext, e: EndpointRecord, apiVersion?: string): Record<string, unknown> {
  // Recorded (test_batch_job_download.json #1 → #4): no scoring URI until the creation has succeeded.
  const reachable = e.provisioningState !== 'Creating' && e.provisioningState !== 'Failed';
  const newer = isNewerApiVersion(apiVersion);
  return clean({
    id: `${ctx.workspacePath}/batchEndpoints/${e.name}`,
    name: e.name,
    type: `${PROVIDER}/workspaces/batchEndpoints`,
    location: e.location,
    tags: e.tags,
    kind: e.kind,
    systemData: e.systemData,
    properties: clean({
      description: e.properties.description ?? (newer ? null : undefined),
      properties: { ...onlineEndpointId(ctx, e.name), ...(e.properties.properties ?? {}) },
      scoringUri: reachable ? ctx.scoringUri(e.name) : null,
      swaggerUri: null,
      authMode: AUTH_MODES[String(e.properties.authMode).toLowerCase()] ?? e.properties.authMode,
      defaults: { deploymentName: e.properties.defaults?.deploymentName ?? null },
      provisioningState: e.provisioningState,
    }),
    identity: { type: 'SystemAssigned', principalId: '00000000-0000-0000-0000-000000000001', tenantId: '00000000-0000-0000-0000-000000000000' },
  });
}

export function deploymentView(ctx: ViewContext, d: DeploymentRecord, apiVersion?: string): Record<string, unknown> {
  const p = d.properties;
  const newer = isNewerApiVersion(apiVersion);
  return clean({
    id: `${ctx.workspacePath}/batchEndpoints/${d.endpointName}/deployments/${d.name}`,
    name: d.name,
    type: `${PROVIDER}/workspaces/batchEndpoints/deployments`,
    location: d.location,
    tags: d.tags,
    kind: d.kind,
    systemData: d.systemData,
    properties: clean({
      description: p.description ?? null,
      properties: { ...onlineEndpointId(ctx, d.endpointName), ...(p.properties ?? {}) },
      codeConfiguration: p.codeConfiguration ?? undefined,
      environmentId: p.environmentId ?? undefined,
      environmentVariables: p.environmentVariables ?? (newer ? {} : undefined),
      compute: p.compute ?? undefined,
      deploymentConfiguration: newer ? null : undefined,
      errorThreshold: p.errorThreshold,
      retrySettings: p.retrySettings ?? { maxRetries: 3, timeout: 'PT30S' },
      miniBatchSize: p.miniBatchSize,
      loggingLevel: p.loggingLevel,
      model: p.model ? clean({ ...p.model }) : undefined,
      maxConcurrencyPerInstance: p.maxConcurrencyPerInstance,
      outputAction: p.outputAction,
      outputFileName: p.outputFileName,
      resources: { instanceType: null, properties: null, ...(p.resources ? clean({ ...p.resources }) : { instanceCount: 1 }) },
      provisioningState: d.provisioningState,
    }),
  });
}

export function computeView(ctx: ViewContext, c: ComputeRecord, apiVersion?: string): Record<string, unknown> {
  const p = c.properties.properties;
  const newer = isNewerApiVersion(apiVersion);
  const creating = c.provisioningState === 'Creating';
  // New-AzMLWorkspaceCompute: a cluster being created shows nulls where a provisioned one shows counts.
  const nodeStateCounts = creating
    ? null
    : { preparingNodeCount: 0, runningNodeCount: 0, idleNodeCount: 0, unusableNodeCount: 0, leavingNodeCount: 0, preemptedNodeCount: 0 };
  return clean({
    id: `${ctx.workspacePath}/computes/${c.name}`,
    name: c.name,
    type: `${PROVIDER}/workspaces/computes`,
    location: c.location,
    tags: c.tags,
    systemData: c.systemData,
    properties: clean({
      computeType: 'AmlCompute',
      computeLocation: c.location,
      description: c.properties.description ?? (newer ? null : undefined),
      resourceId: newer ? null : undefined,
      provisioningState: c.provisioningState,
      provisioningErrors: newer ? null : undefined,
      provisioningWarnings: newer ? (creating ? null : {}) : undefined,
      createdOn: c.createdOn,
      modifiedOn: c.modifiedOn,
      isAttachedCompute: false,
      disableLocalAuth: c.properties.disableLocalAuth ?? false,
      properties: clean({
        osType: p.osType,
        vmSize: p.vmSize,
        vmPriority: p.vmPriority,
        scaleSettings: p.scaleSettings
          ? clean({ ...p.scaleSettings, nodeIdleTimeBeforeScaleDown: p.scaleSettings.nodeIdleTimeBeforeScaleDown ?? 'PT120S' })
          : { maxNodeCount: 1, minNodeCount: 0, nodeIdleTimeBeforeScaleDown: 'PT120S' },
        remoteLoginPortPublicAccess: p.remoteLoginPortPublicAccess,
        enableNodePublicIp: p.enableNodePublicIp ?? true,
        isolatedNetwork: p.isolatedNetwork ?? false,
        allocationState: 'Steady',
        allocationStateTransitionTime: c.modifiedOn,
        currentNodeCount: 0,
        targetNodeCount: 0,
        errors: null,
        ...(newer ? { subnet: null, nodeStateCounts, virtualMachineImage: null, enableBatchPrivateLink: false, ...(creating ? {} : { propertyBag: {} }) } : {}),
      }),
    }),
  });
}

export function datastoreView(ctx: ViewContext, d: DatastoreRecord, apiVersion?: string): Record<string, unknown> {
  const p = d.properties;
  // Get-AzMLWorkspaceDatastore (2024-04-01): the default store names its subscription and resource group, others null.
  const [, subscriptionId, resourceGroup] = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\//i.exec(ctx.workspacePath) ?? [];
  const owner = isNewerApiVersion(apiVersion)
    ? { subscriptionId: d.isDefault ? (subscriptionId ?? null) : null, resourceGroup: d.isDefault ? (resourceGroup ?? null) : null }
    : {};
  return {
    id: `${ctx.workspacePath}/datastores/${d.name}`,
    name: d.name,
    type: `${PROVIDER}/workspaces/datastores`,
    systemData: d.systemData,
    properties: clean({
      description: p.description ?? (isNewerApiVersion(apiVersion) ? null : undefined),
      tags: p.tags ?? {},
      properties: p.properties ?? {},
      isDefault: d.isDefault,
      // Secrets are write-only (x-ms-secret): the key never comes back. AccountKey credentials
      // require a `secrets` object in mfe.json, so it is returned with its type only.
      credentials:
        p.credentials.credentialsType === 'AccountKey'
          ? { credentialsType: 'AccountKey', secrets: { secretsType: 'AccountKey' } }
          : { credentialsType: p.credentials.credentialsType },
      datastoreType: 'AzureBlob',
      accountName: p.accountName,
      containerName: p.containerName,
      endpoint: p.endpoint ?? 'core.windows.net',
      protocol: p.protocol ?? 'https',
      serviceDataAccessAuthIdentity: p.serviceDataAccessAuthIdentity ?? 'None',
      ...owner,
    }),
  };
}

const ASSET_TYPES: Record<AssetKind, string> = {
  codes: 'codes',
  models: 'models',
  environments: 'environments',
  data: 'data',
};

export function assetContainerView(ctx: ViewContext, c: AssetContainerRecord): Record<string, unknown> {
  const latest = latestVersion(c);
  const nextVersion = latest && /^\d+$/.test(latest.version) ? String(Number(latest.version) + 1) : undefined;
  return {
    id: `${ctx.workspacePath}/${c.kind}/${c.name}`,
    name: c.name,
    type: `${PROVIDER}/workspaces/${ASSET_TYPES[c.kind]}`,
    systemData: c.systemData,
    properties: clean({
      description: (c.properties.description as string | null | undefined) ?? undefined,
      tags: (c.properties.tags as Record<string, string> | undefined) ?? {},
      properties: (c.properties.properties as Record<string, string> | undefined) ?? {},
      isArchived: (c.properties.isArchived as boolean | undefined) ?? false,
      ...(c.kind === 'data' ? { dataType: c.properties.dataType ?? (latest?.properties.dataType as string | undefined) ?? 'uri_folder' } : {}),
      latestVersion: latest?.version ?? null,
      nextVersion: nextVersion ?? null,
    }),
  };
}

export function assetVersionView(ctx: ViewContext, kind: AssetKind, v: AssetVersionRecord): Record<string, unknown> {
  const p = v.properties;
  const common = {
    description: (p.description as string | null | undefined) ?? undefined,
    tags: (p.tags as Record<string, string> | undefined) ?? {},
    properties: (p.properties as Record<string, string> | undefined) ?? {},
    isAnonymous: (p.isAnonymous as boolean | undefined) ?? false,
    isArchived: (p.isArchived as boolean | undefined) ?? false,
  };
  let specific: Record<string, unknown>;
  switch (kind) {
    case 'codes':
      specific = { codeUri: p.codeUri ?? undefined };
      break;
    case 'models':
      specific = { modelUri: p.modelUri ?? undefined, modelType: p.modelType ?? undefined, flavors: p.flavors ?? undefined, jobName: p.jobName ?? undefined };
      break;
    case 'environments':
      specific = {
        image: p.image,
        condaFile: p.condaFile,
        build: p.build,
        inferenceConfig: p.inferenceConfig,
        osType: p.osType ?? 'Linux',
        environmentType: 'UserCreated',
      };
      break;
    case 'data':
      specific = { dataType: p.dataType, dataUri: p.dataUri };
      break;
  }
  return {
    id: `${ctx.workspacePath}/${kind}/${v.name}/versions/${v.version}`,
    name: v.version,
    type: `${PROVIDER}/workspaces/${ASSET_TYPES[kind]}/versions`,
    systemData: v.systemData,
    properties: clean({ ...common, ...specific }),
  };
}
