// Where a job's input and output bytes really are. Datastore URIs map to their Azurite container;
// data assets to their dataUri (resolved again); https:// URLs of the sandbox's public data server
// (or of the storage account's blob endpoint) to their container; anything else is "not reachable",
// as a host the compute cannot reach would be.
import { folderPrefix, parseDataReference, type DataReference, type WorkspaceScope } from './data-uri';
import { PUBLIC_CONTAINER } from './public-data-server';
import { key, type WorkspaceState } from './workspace-state';

export class JobInputError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'JobInputError';
  }
}

export interface BlobLocation {
  container: string;
  /** Blob name (file) or prefix (folder, without trailing slash; '' for the container root). */
  path: string;
  /** The data asset's type, when the input was a data asset (it decides file vs folder). */
  assetType?: 'uri_file' | 'uri_folder';
}

export interface ResolverContext {
  state: WorkspaceState;
  workspace: { subscriptionId: string; resourceGroup: string; workspace: string };
  publicHost: string;
  /** host[:port] of Azurite's blob endpoint, plus the account's public-looking host. */
  blobHosts: string[];
  accountName: string;
}

function sameWorkspace(ctx: ResolverContext, scope: WorkspaceScope | undefined): boolean {
  if (!scope) return true;
  const eq = (a: string | undefined, b: string): boolean => a === undefined || a.toLowerCase() === b.toLowerCase();
  return eq(scope.subscriptionId, ctx.workspace.subscriptionId) && eq(scope.resourceGroup, ctx.workspace.resourceGroup) && eq(scope.workspace, ctx.workspace.workspace);
}

export function resolveDataLocation(ctx: ResolverContext, uri: string, depth = 0): BlobLocation {
  const ref: DataReference = parseDataReference(uri);
  switch (ref.kind) {
    case 'invalid':
      throw new JobInputError('UserError', ref.reason);
    case 'datastore': {
      if (!sameWorkspace(ctx, ref.workspace)) {
        throw new JobInputError('UserError', `'${uri}' belongs to another workspace; this job can read only workspace ${ctx.workspace.workspace}`);
      }
      const datastore = ctx.state.datastores.get(key(ref.datastore));
      if (!datastore) throw new JobInputError('UserError', `Datastore '${ref.datastore}' was not found in workspace ${ctx.workspace.workspace}`);
      return { container: datastore.properties.containerName, path: ref.path.replace(/^\/+/, '').replace(/\/+$/, '') };
    }
    case 'data-asset': {
      if (!sameWorkspace(ctx, ref.workspace)) {
        throw new JobInputError('UserError', `Data asset '${uri}' belongs to another workspace`);
      }
      const version = ctx.state.assetVersion('data', ref.name, ref.version);
      if (!version) throw new JobInputError('UserError', `Data asset ${ref.name} version ${ref.version} was not found`);
      if (depth > 3) throw new JobInputError('UserError', `Data asset ${ref.name}:${ref.version} refers to itself`);
      const inner = resolveDataLocation(ctx, String(version.properties.dataUri), depth + 1);
      const assetType = version.properties.dataType === 'uri_file' ? 'uri_file' : 'uri_folder';
      return { ...inner, assetType };
    }
    case 'https': {
      const host = ref.url.host.toLowerCase();
      const path = decodeURIComponent(ref.url.pathname).replace(/^\/+/, '').replace(/\/+$/, '');
      if (host === ctx.publicHost.toLowerCase() || host === ctx.publicHost.replace('127.0.0.1', 'localhost')) {
        return { container: PUBLIC_CONTAINER, path };
      }
      if (ctx.blobHosts.includes(host)) {
        // Azurite path style: /<account>/<container>/<blob>; account-host style: /<container>/<blob>.
        const parts = path.split('/');
        if (parts[0] === ctx.accountName) parts.shift();
        const [container, ...rest] = parts;
        if (container) return { container, path: rest.join('/') };
      }
      throw new JobInputError(
        'UserError',
        `Input not reachable: ${ref.url.protocol}//${ref.url.host} cannot be reached from the compute (only the sandbox's public data server ${ctx.publicHost} and its datastores are)`,
      );
    }
  }
}

export { folderPrefix };
