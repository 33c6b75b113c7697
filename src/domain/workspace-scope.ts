// Which workspaces a data reference may name. The long forms (azureml://subscriptions/…/workspaces/…/
// datastores/…, a data asset's ARM id or asset id) let a user name any workspace, and the worker would
// then act there with the bot's own Azure identity: read another subscription's datastores, send its
// storage token wherever their endpoints say (a confused deputy). So a reference may only name the
// configured workspace, or one an operator listed in BATCH_SCORE_ALLOWED_WORKSPACES. Short forms name
// no workspace and always stay in the configured one.
import type { DataReference } from './data-reference';

/** A workspace by its ARM names. */
export interface WorkspaceName {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
}

/** The configured workspace first, then any the operator allowed besides it. */
export type WorkspaceScope = readonly WorkspaceName[];

export class OutsideWorkspaceError extends Error {
  override readonly name = 'OutsideWorkspaceError';
  readonly code = 'OutsideWorkspace';
  constructor(readonly workspace: string) {
    // The workspace name is an Azure name (validated by the parser), safe to show; the rest of the URI is not echoed.
    super(
      `This data reference names workspace '${workspace}' (or another subscription or resource group), which this bot does not work in. ` +
        'Use a datastore or data asset of the configured workspace (azureml://datastores/<datastore>/paths/<path>), ' +
        'or ask an operator to add that workspace to BATCH_SCORE_ALLOWED_WORKSPACES.',
    );
  }
}

// ARM names are case-insensitive.
const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** The workspace a reference names, or undefined when it names none (short forms, https URLs). */
export function workspaceNamedBy(ref: DataReference): Partial<WorkspaceName> & { workspace: string } | undefined {
  if (ref.kind === 'https') return undefined;
  if (ref.kind === 'datastore' && ref.form === 'short') return undefined;
  if (!ref.workspace) return undefined;
  return {
    workspace: ref.workspace,
    ...(ref.subscriptionId ? { subscriptionId: ref.subscriptionId } : {}),
    ...(ref.resourceGroup ? { resourceGroup: ref.resourceGroup } : {}),
  };
}

/**
 * True when the reference stays in the scope. A data asset id (azureml://locations/…/workspaces/<ws>/…)
 * names only the workspace, so only the name is compared for it.
 */
export function isInWorkspaceScope(ref: DataReference, scope: WorkspaceScope): boolean {
  const named = workspaceNamedBy(ref);
  if (!named) return true;
  return scope.some(
    (ws) =>
      same(ws.workspace, named.workspace) &&
      (named.subscriptionId === undefined || same(ws.subscriptionId, named.subscriptionId)) &&
      (named.resourceGroup === undefined || same(ws.resourceGroup, named.resourceGroup)),
  );
}

export function assertInWorkspaceScope(ref: DataReference, scope: WorkspaceScope): void {
  if (!isInWorkspaceScope(ref, scope)) throw new OutsideWorkspaceError(workspaceNamedBy(ref)?.workspace ?? '');
}
