// A batch deployment refers to a model, code, environment and compute of its workspace, by ARM id
// (what the recipe sends), by `azureml:<name>:<version>`, by `azureml://locations/…/workspaces/…/<kind>/<name>/versions/<v>`,
// or (compute) by bare name. The service refuses a deployment whose references do not exist; so do we.
import { userError } from './arm-errors';
import { parseWorkspaceChildId } from './data-uri';
import type { RegistryState } from './registries';
import { key, type AssetKind, type WorkspaceState } from './workspace-state';

export interface WorkspaceIdentity {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

const KIND_LABEL: Record<AssetKind, string> = { codes: 'Code', models: 'Model', environments: 'Environment', data: 'Data asset' };

/** The name and version an asset reference names, or why it names none. */
function parseAssetRef(ws: WorkspaceIdentity, kind: AssetKind, ref: string): { name: string; version: string } | { problem: 'other-workspace' | 'malformed' } {
  const id = parseWorkspaceChildId(ref);
  if (id) {
    if (!same(id.subscriptionId, ws.subscriptionId) || !same(id.resourceGroup, ws.resourceGroup) || !same(id.workspace, ws.workspace)) {
      return { problem: 'other-workspace' };
    }
    const [k, n, versions, v] = id.segments;
    if (id.segments.length === 4 && k && same(k, kind) && versions && same(versions, 'versions') && n && v) return { name: n, version: v };
    return { problem: 'malformed' };
  }
  const short = /^azureml:([^/:]+):([^/:]+)$/i.exec(ref);
  const long = new RegExp(`^azureml://locations/[^/]+/workspaces/[^/]+/${kind}/([^/]+)/versions/([^/]+)/?$`, 'i').exec(ref);
  const m = short ?? long;
  return m ? { name: m[1]!, version: m[2]! } : { problem: 'malformed' };
}

/** Checks that `ref` names an existing asset version; throws a 400 naming `field` otherwise. */
export function requireAssetVersion(
  state: WorkspaceState,
  ws: WorkspaceIdentity,
  kind: AssetKind,
  ref: string,
  field: string,
  registries?: RegistryState,
): void {
  // Registry assets (curated environments live in the shared `azureml` registry) are outside the workspace.
  if ((kind === 'environments' || kind === 'models') && /^azureml:\/\/registries\//i.test(ref)) {
    if (!registries) return;
    if (!registries.find(ref, kind)) {
      // **Guess** at the wording: no recording shows a deployment naming a missing registry asset.
      throw userError(`${KIND_LABEL[kind]} ${ref} was not found (${field})`, field, 404, 'NotFound');
    }
    return;
  }
  const parsed = parseAssetRef(ws, kind, ref);
  if ('problem' in parsed) {
    if (parsed.problem === 'other-workspace') {
      throw userError(`${field} refers to another workspace (${ref}); use an asset of workspace ${ws.workspace}`, field);
    }
    throw userError(
      `${field} must be the ARM id of a ${KIND_LABEL[kind].toLowerCase()} version (…/workspaces/${ws.workspace}/${kind}/<name>/versions/<version>), got '${ref}'`,
      field,
    );
  }
  if (!state.assetVersion(kind, parsed.name, parsed.version)) {
    throw userError(`${KIND_LABEL[kind]} ${parsed.name} version ${parsed.version} was not found in workspace ${ws.workspace} (${field})`, field, 404, 'NotFound');
  }
}

/** The asset version `ref` names (`name:version` and its properties), or undefined. */
export function findAssetVersion(
  state: WorkspaceState,
  ws: WorkspaceIdentity,
  kind: AssetKind,
  ref: string,
): { label: string; properties: Record<string, unknown> } | undefined {
  const parsed = parseAssetRef(ws, kind, ref);
  if ('problem' in parsed) return undefined;
  const version = state.assetVersion(kind, parsed.name, parsed.version);
  return version ? { label: `${version.name}:${version.version}`, properties: version.properties } : undefined;
}

/** Returns the compute's canonical ARM id; throws a 400 naming `field` when it does not exist. */
export function requireCompute(state: WorkspaceState, ws: WorkspaceIdentity, workspacePath: string, ref: string, field: string): string {
  let name: string | undefined;
  const id = parseWorkspaceChildId(ref);
  if (id) {
    if (!same(id.subscriptionId, ws.subscriptionId) || !same(id.resourceGroup, ws.resourceGroup) || !same(id.workspace, ws.workspace)) {
      throw userError(`${field} refers to a compute of another workspace (${ref})`, field);
    }
    if (id.segments.length === 2 && same(id.segments[0]!, 'computes')) name = id.segments[1];
  } else if (/^(azureml:)?[A-Za-z0-9][A-Za-z0-9_-]*$/.test(ref)) {
    name = ref.replace(/^azureml:/i, '');
  }
  if (!name) throw userError(`${field} must be a compute name or its ARM id, got '${ref}'`, field);
  const compute = state.computes.get(key(name));
  if (!compute) throw userError(`Compute ${name} was not found in workspace ${ws.workspace} (${field})`, field, 404, 'NotFound');
  return `${workspacePath}/computes/${compute.name}`;
}
