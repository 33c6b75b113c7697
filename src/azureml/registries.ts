// Reading models and environments in an Azure ML registry (`azureml://registries/<name>/…`), the way
// azure-ai-ml does (azure/ai/ml/_utils/_registry_utils.py): an `azureml://registries/<name>` id names no
// subscription or resource group, so the client first asks the registry discovery service where the
// registry lives (`GET {regional host}/registrymanagement/v1.0/registries/{name}/discovery`, answering
// RegistryDiscoveryDto: subscriptionId, resourceGroup, primaryRegion, primaryRegionResourceProviderUri),
// then reads `…/providers/Microsoft.MachineLearningServices/registries/{name}/{models|environments}/{asset}/versions/{v}`
// at that resource-provider URI, with the management token. `latest` is the newest active version by creation
// time (azure-ai-ml's _get_latest: list with orderBy "createdtime desc", top 1). No recording shows these
// exchanges; the shapes come from the SDK's REST client and Microsoft's registry docs (docs/sandbox-fidelity.md).
import { z } from 'zod';
import type { RegistryAssetKind } from '../domain/asset-reference';
import type { AzureMlContext } from './azureml-context';
import { findOrUndefined } from './resource-lookup';
import { armListPageSchema, environmentVersionSchema, modelVersionSchema } from './resources';
import { parseResponseBody } from './response-validation';

/** The api-version of the registry asset reads: the first stable one that has registries (2023-04-01). */
export const REGISTRY_API_VERSION = '2023-04-01';

export const registryDiscoverySchema = z.looseObject({
  registryName: z.string().optional(),
  subscriptionId: z.string().min(1),
  resourceGroup: z.string().min(1),
  primaryRegion: z.string().optional(),
  primaryRegionResourceProviderUri: z.string().url(),
});
export type RegistryDiscovery = z.infer<typeof registryDiscoverySchema>;

export interface RegistryContext extends AzureMlContext {
  /** The regional host registry discovery is asked on: https://{region}.api.azureml.ms, or the sandbox. */
  readonly registryDiscoveryUrl: string;
}

/** https://{workspace region}.{cloud.registryHostSuffix}, or the ARM base URL when it is overridden (the sandbox). */
export function defaultRegistryDiscoveryUrl(ctx: AzureMlContext): string {
  const cloudArm = ctx.arm.cloud.resourceManagerEndpoint.replace(/\/+$/, '');
  if (ctx.arm.baseUrl !== cloudArm) return ctx.arm.baseUrl;
  return `https://${ctx.workspace.location.toLowerCase().replace(/\s+/g, '')}.${ctx.arm.cloud.registryHostSuffix}`;
}

const seg = encodeURIComponent;

/** Where a registry lives; undefined when there is no such registry (404). */
export async function discoverRegistry(ctx: RegistryContext, registry: string): Promise<RegistryDiscovery | undefined> {
  return findOrUndefined(async () => {
    const response = await ctx.arm.request({
      method: 'GET',
      path: `${ctx.registryDiscoveryUrl.replace(/\/+$/, '')}/registrymanagement/v1.0/registries/${seg(registry)}/discovery`,
      apiVersion: false,
    });
    return parseResponseBody(registryDiscoverySchema, response.body, `registry '${registry}' discovery`, response);
  });
}

function versionsPath(found: RegistryDiscovery, registry: string, kind: RegistryAssetKind, name: string): string {
  return (
    `${found.primaryRegionResourceProviderUri.replace(/\/+$/, '')}/subscriptions/${seg(found.subscriptionId)}` +
    `/resourceGroups/${seg(found.resourceGroup)}/providers/Microsoft.MachineLearningServices/registries/${seg(registry)}` +
    `/${kind}/${seg(name)}/versions`
  );
}

const schemaOf = (kind: RegistryAssetKind) => (kind === 'models' ? modelVersionSchema : environmentVersionSchema);

export interface RegistryAssetLookup {
  kind: RegistryAssetKind;
  registry: string;
  name: string;
  /** A version, or undefined for the newest (`latest`). */
  version?: string;
}

export type RegistryAssetFound =
  | { found: true; version: string; modelType?: string }
  | { found: false; missing: 'registry' | 'asset' | 'version' };

/** Looks an asset version (or the latest) up in a registry; a missing registry, asset or version is a verdict, not an error. */
export async function findRegistryAssetVersion(ctx: RegistryContext, ref: RegistryAssetLookup): Promise<RegistryAssetFound> {
  const where = await discoverRegistry(ctx, ref.registry);
  if (!where) return { found: false, missing: 'registry' };
  const base = versionsPath(where, ref.registry, ref.kind, ref.name);
  const what = `${ref.kind === 'models' ? 'model' : 'environment'} ${ref.name} in registry ${ref.registry}`;
  if (ref.version !== undefined) {
    const version = ref.version;
    const got = await findOrUndefined(async () => {
      const response = await ctx.arm.request({ method: 'GET', path: `${base}/${seg(version)}`, apiVersion: REGISTRY_API_VERSION });
      return parseResponseBody(schemaOf(ref.kind), response.body, what, response);
    });
    if (!got) return { found: false, missing: 'version' };
    return { found: true, version, ...modelTypeOf(got) };
  }
  const response = await findOrUndefined(() =>
    ctx.arm.request({
      method: 'GET',
      path: base,
      apiVersion: REGISTRY_API_VERSION,
      query: { $orderBy: 'createdtime desc', $top: '1', listViewType: 'ActiveOnly' },
    }),
  );
  if (!response) return { found: false, missing: 'asset' };
  const page = parseResponseBody(armListPageSchema(schemaOf(ref.kind)), response.body, `${what}: versions`, response);
  const newest = page.value[0];
  if (!newest) return { found: false, missing: 'asset' };
  return { found: true, version: newest.name, ...modelTypeOf(newest) };
}

function modelTypeOf(v: { properties: Record<string, unknown> }): { modelType?: string } {
  const t = v.properties.modelType;
  return typeof t === 'string' ? { modelType: t } : {};
}
