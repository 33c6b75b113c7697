// Workspace assets (mfe.json 2022-05-01): codes, models, environments and data — containers
// `/{kind}/{name}` and versions `/{kind}/{name}/versions/{version}` (PUT 201 new / 200 existing,
// GET, list, DELETE 200/204). A version PUT creates its container implicitly, as the service does.
// Versions are immutable: re-PUTting the same content is fine, different content is a 409.
import type { z } from 'zod';
import { conflict, resourceNotFound, userError } from './arm-errors';
import { assetContainerView, assetVersionView, datastoreView } from './resource-views';
import {
  assetContainerBodySchema,
  codeVersionBodySchema,
  dataVersionBodySchema,
  datastoreBodySchema,
  environmentVersionBodySchema,
  modelVersionBodySchema,
  parseBody,
} from './request-schemas';
import type { RouteTable } from './route-table';
import { apiVersionOf, type SandboxContext } from './sandbox-context';
import { key, newSystemData, touch, type AssetContainerRecord, type AssetKind } from './workspace-state';

const VERSION_SCHEMAS: Record<AssetKind, z.ZodType<{ properties: Record<string, unknown> }>> = {
  codes: codeVersionBodySchema,
  models: modelVersionBodySchema,
  environments: environmentVersionBodySchema,
  data: dataVersionBodySchema,
};

/** Fields that make a version what it is; changing them needs a new version. */
const IMMUTABLE: Record<AssetKind, string[]> = {
  codes: ['codeUri'],
  models: ['modelUri', 'modelType'],
  environments: ['image', 'condaFile', 'build'],
  data: ['dataType', 'dataUri'],
};

const ASSET_NAME = /^[a-zA-Z0-9][a-zA-Z0-9\-_.]{0,254}$/;

export function registerAssetRoutes(routes: RouteTable, ctx: SandboxContext): void {
  const { state } = ctx;
  const typeOf = (kind: AssetKind): string => `Microsoft.MachineLearningServices/workspaces/${kind}`;

  for (const kind of ['codes', 'models', 'environments', 'data'] as const) {
    const containers = state.assets[kind];
    const requireContainer = (name: string): AssetContainerRecord => {
      const c = containers.get(key(name));
      if (!c) throw resourceNotFound(typeOf(kind), `${ctx.identity.workspace}/${name}`, ctx.identity.resourceGroup);
      return c;
    };

    routes.add('GET', kind, () => ({
      status: 200,
      body: { value: [...containers.values()].map((c) => assetContainerView(ctx.views, c)) },
    }));

    routes.add('GET', `${kind}/{name}`, (req) => ({ status: 200, body: assetContainerView(ctx.views, requireContainer(req.params.name!)) }));

    routes.add('PUT', `${kind}/{name}`, (req) => {
      const name = req.params.name!;
      if (!ASSET_NAME.test(name)) throw userError(`Invalid name '${name}'`, 'name');
      const body = parseBody(assetContainerBodySchema, req.body());
      if (kind === 'data' && !body.properties.dataType) throw userError('properties.dataType is required for a data container', 'properties.dataType');
      const existing = containers.get(key(name));
      const record: AssetContainerRecord = existing ?? { name, kind, systemData: newSystemData(ctx.actor), properties: {}, versions: new Map() };
      if (existing) record.systemData = touch(record.systemData, ctx.actor);
      record.properties = { ...body.properties };
      containers.set(key(name), record);
      return { status: existing ? 200 : 201, body: assetContainerView(ctx.views, record) };
    });

    routes.add('DELETE', `${kind}/{name}`, (req) => {
      const existed = containers.delete(key(req.params.name!));
      return { status: existed ? 200 : 204 };
    });

    routes.add('GET', `${kind}/{name}/versions`, (req) => {
      const container = requireContainer(req.params.name!);
      const top = Number(req.query.get('$top') ?? 'NaN');
      const all = [...container.versions.values()].sort((a, b) => b.order - a.order).map((v) => assetVersionView(ctx.views, kind, v));
      return { status: 200, body: { value: Number.isInteger(top) && top > 0 ? all.slice(0, top) : all } };
    });

    routes.add('GET', `${kind}/{name}/versions/{version}`, (req) => {
      const version = requireContainer(req.params.name!).versions.get(key(req.params.version!));
      if (!version) {
        throw resourceNotFound(`${typeOf(kind)}/versions`, `${ctx.identity.workspace}/${req.params.name}/${req.params.version}`, ctx.identity.resourceGroup);
      }
      return { status: 200, body: assetVersionView(ctx.views, kind, version) };
    });

    routes.add('PUT', `${kind}/{name}/versions/{version}`, (req) => {
      const name = req.params.name!;
      const versionName = req.params.version!;
      if (!ASSET_NAME.test(name)) throw userError(`Invalid name '${name}'`, 'name');
      const body = parseBody(VERSION_SCHEMAS[kind], req.body());
      let container = containers.get(key(name));
      if (!container) {
        container = { name, kind, systemData: newSystemData(ctx.actor), properties: kind === 'data' ? { dataType: body.properties.dataType } : {}, versions: new Map() };
        containers.set(key(name), container);
      }
      const existing = container.versions.get(key(versionName));
      if (existing) {
        const changed = IMMUTABLE[kind].filter((f) => JSON.stringify(existing.properties[f]) !== JSON.stringify(body.properties[f]));
        if (changed.length) {
          throw conflict(
            `${name} version ${versionName} already exists with a different ${changed.join(', ')}; asset versions are immutable, register a new version instead`,
          );
        }
        existing.properties = { ...existing.properties, ...body.properties };
        existing.systemData = touch(existing.systemData, ctx.actor);
        return { status: 200, body: assetVersionView(ctx.views, kind, existing) };
      }
      const record = { name: container.name, version: versionName, systemData: newSystemData(ctx.actor), properties: body.properties, order: state.nextVersionOrder() };
      container.versions.set(key(versionName), record);
      return { status: 201, body: assetVersionView(ctx.views, kind, record) };
    });

    routes.add('DELETE', `${kind}/{name}/versions/{version}`, (req) => {
      const existed = containers.get(key(req.params.name!))?.versions.delete(key(req.params.version!)) ?? false;
      return { status: existed ? 200 : 204 };
    });
  }

  // --- datastores (mfe.json Datastores_*): list filters isDefault, names, count ---
  routes.add('GET', 'datastores', (req) => {
    let list = [...state.datastores.values()];
    const isDefault = req.query.get('isDefault');
    if (isDefault !== null) list = list.filter((d) => d.isDefault === (isDefault.toLowerCase() === 'true'));
    const names = req.query.getAll('names').flatMap((n) => n.split(',')).map(key);
    if (names.length) list = list.filter((d) => names.includes(key(d.name)));
    const count = Number(req.query.get('count') ?? 'NaN');
    if (Number.isInteger(count) && count > 0) list = list.slice(0, count);
    return { status: 200, body: { value: list.map((d) => datastoreView(ctx.views, d, apiVersionOf(req.query))) } };
  });

  const requireDatastore = (name: string) => {
    const d = state.datastores.get(key(name));
    if (!d) throw resourceNotFound('Microsoft.MachineLearningServices/workspaces/datastores', `${ctx.identity.workspace}/${name}`, ctx.identity.resourceGroup);
    return d;
  };

  routes.add('GET', 'datastores/{name}', (req) => ({ status: 200, body: datastoreView(ctx.views, requireDatastore(req.params.name!), apiVersionOf(req.query)) }));

  routes.add('PUT', 'datastores/{name}', (req) => {
    const name = req.params.name!;
    const body = parseBody(datastoreBodySchema, req.body());
    const existing = state.datastores.get(key(name));
    const record = existing ?? { name, systemData: newSystemData(ctx.actor), properties: body.properties, isDefault: false };
    if (existing) record.systemData = touch(record.systemData, ctx.actor);
    record.properties = body.properties;
    state.datastores.set(key(name), record);
    return { status: existing ? 200 : 201, body: datastoreView(ctx.views, record, apiVersionOf(req.query)) };
  });

  routes.add('DELETE', 'datastores/{name}', (req) => {
    const record = state.datastores.get(key(req.params.name!));
    if (!record) return { status: 204 };
    if (record.isDefault) throw userError(`Datastore ${record.name} is the workspace's default datastore and cannot be deleted`, 'name');
    state.datastores.delete(key(record.name));
    return { status: 200 };
  });

  routes.add('POST', 'datastores/{name}/listSecrets', (req) => {
    const record = requireDatastore(req.params.name!);
    const secrets = record.properties.credentials.secrets ?? {};
    return { status: 200, body: { secretsType: record.properties.credentials.credentialsType, ...secrets } };
  });
}
