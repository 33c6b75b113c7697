// Azure ML registries, as far as a deploy reads them: the registry discovery service azure-ai-ml asks where a
// registry lives (`GET /registrymanagement/v1.0/registries/{name}/discovery` on the regional Azure ML host,
// RegistryDiscoveryDto), and the registry's model and environment versions
// (`…/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.MachineLearningServices/registries/{r}/{models|environments}/{name}/versions[/{v}]`,
// RegistryModelVersions_* / RegistryEnvironmentVersions_* of the 2023-04-01 spec: list with $orderBy and $top).
// No recording holds these exchanges: the paths and fields follow the SDK's REST clients and the spec, the
// discovery answer's values and the `azureml` registry's location are a **guess** (docs/sandbox-fidelity.md).
// Registries are not the workspace's: they live in another subscription, so these routes skip the workspace scope check.
import { resourceNotFound } from './arm-errors';
import type { RouteTable } from './route-table';
import type { SandboxContext } from './sandbox-context';
import { key } from './workspace-state';

export type RegistryAssetKind = 'models' | 'environments';

export interface RegistryVersionRecord {
  name: string;
  version: string;
  properties: Record<string, unknown>;
  order: number;
  createdAt: string;
}

export interface RegistryRecord {
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  region: string;
  assets: Record<RegistryAssetKind, Map<string, Map<string, RegistryVersionRecord>>>;
}

/** Curated environments and Microsoft's models live in the registry `azureml` (docs: "Curated environments"). */
export const BUILTIN_REGISTRY = 'azureml';

export class RegistryState {
  readonly registries = new Map<string, RegistryRecord>();
  private order = 0;

  constructor(region: string) {
    // **Guess**: the subscription and resource group behind `azureml` are not public; only their shape matters.
    this.ensure(BUILTIN_REGISTRY, { subscriptionId: '00000000-1111-2222-3333-444444444444', resourceGroup: 'registry-builtin-prod', region });
  }

  ensure(name: string, where?: Partial<Pick<RegistryRecord, 'subscriptionId' | 'resourceGroup' | 'region'>>): RegistryRecord {
    const existing = this.registries.get(key(name));
    if (existing) return existing;
    const record: RegistryRecord = {
      name,
      subscriptionId: where?.subscriptionId ?? '11111111-2222-3333-4444-555555555555',
      resourceGroup: where?.resourceGroup ?? `${name}-rg`,
      region: where?.region ?? 'eastus',
      assets: { models: new Map(), environments: new Map() },
    };
    this.registries.set(key(name), record);
    return record;
  }

  /** Adds (or replaces) one version; newer additions count as newer for `latest`. */
  addVersion(registry: string, kind: RegistryAssetKind, name: string, version: string, properties: Record<string, unknown>): void {
    const r = this.ensure(registry);
    const versions = r.assets[kind].get(key(name)) ?? new Map<string, RegistryVersionRecord>();
    r.assets[kind].set(key(name), versions);
    versions.set(key(version), { name, version, properties, order: ++this.order, createdAt: new Date().toISOString() });
  }

  /** A registry version an `azureml://registries/{r}/{kind}/{name}/versions/{v}` id names, or undefined. */
  find(id: string, kind: RegistryAssetKind): RegistryVersionRecord | undefined {
    const m = /^azureml:\/\/registries\/([^/]+)\/([^/]+)\/([^/]+)\/versions\/([^/]+)$/i.exec(id);
    if (!m || m[2]!.toLowerCase() !== kind) return undefined;
    return this.registries.get(key(m[1]!))?.assets[kind].get(key(m[3]!))?.get(key(m[4]!));
  }
}

const PROVIDER = 'Microsoft.MachineLearningServices';

function versionView(r: RegistryRecord, kind: RegistryAssetKind, v: RegistryVersionRecord): Record<string, unknown> {
  return {
    id: `/subscriptions/${r.subscriptionId}/resourceGroups/${r.resourceGroup}/providers/${PROVIDER}/registries/${r.name}/${kind}/${v.name}/versions/${v.version}`,
    name: v.version,
    type: `${PROVIDER}/registries/${kind}/versions`,
    systemData: { createdAt: v.createdAt, createdBy: 'Microsoft', createdByType: 'User', lastModifiedAt: v.createdAt },
    properties: { tags: {}, properties: {}, isAnonymous: false, isArchived: false, ...v.properties },
  };
}

/** `registrymanagement/v1.0/registries/{name}/discovery` (no api-version, management token). */
export function registerRegistryDiscoveryRoutes(routes: RouteTable, ctx: SandboxContext): void {
  routes.add('GET', 'registrymanagement/v1.0/registries/{registryName}/discovery', (req) => {
    const r = ctx.registries.registries.get(key(req.params.registryName!));
    if (!r) throw resourceNotFound(`${PROVIDER}/registries`, req.params.registryName!, 'unknown');
    return {
      status: 200,
      body: {
        registryName: r.name,
        tenantId: '00000000-0000-0000-0000-000000000000',
        primaryRegion: r.region,
        regions: [r.region],
        subscriptionId: r.subscriptionId,
        resourceGroup: r.resourceGroup,
        // The sandbox is every region's host: the resource-provider URI is its own base URL.
        primaryRegionResourceProviderUri: `${ctx.baseUrl}/`,
      },
    };
  });
}

/** `registries/{r}/{kind}/{name}/versions[/{v}]` under `/subscriptions/{s}/resourceGroups/{g}/providers/…`. */
export function registerRegistryAssetRoutes(routes: RouteTable, ctx: SandboxContext): void {
  for (const kind of ['models', 'environments'] as const) {
    const versionsOf = (registry: string, name: string) => {
      const r = ctx.registries.registries.get(key(registry));
      if (!r) throw resourceNotFound(`${PROVIDER}/registries`, registry, 'unknown');
      const versions = r.assets[kind].get(key(name));
      if (!versions) throw resourceNotFound(`${PROVIDER}/registries/${kind}`, `${registry}/${name}`, r.resourceGroup);
      return { r, versions };
    };
    routes.add('GET', `registries/{registryName}/${kind}/{name}/versions`, (req) => {
      const { r, versions } = versionsOf(req.params.registryName!, req.params.name!);
      const top = Number(req.query.get('$top') ?? 'NaN');
      // Newest first whatever $orderBy asks (the bot asks "createdtime desc", as azure-ai-ml's _get_latest does).
      const all = [...versions.values()].sort((a, b) => b.order - a.order).map((v) => versionView(r, kind, v));
      return { status: 200, body: { value: Number.isInteger(top) && top > 0 ? all.slice(0, top) : all } };
    });
    routes.add('GET', `registries/{registryName}/${kind}/{name}/versions/{version}`, (req) => {
      const { r, versions } = versionsOf(req.params.registryName!, req.params.name!);
      const v = versions.get(key(req.params.version!));
      if (!v) throw resourceNotFound(`${PROVIDER}/registries/${kind}/versions`, `${r.name}/${req.params.name}/${req.params.version}`, r.resourceGroup);
      return { status: 200, body: versionView(r, kind, v) };
    });
  }
}
