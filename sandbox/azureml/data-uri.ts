// Pure parsing of the references a batch deployment and a scoring job carry, in the forms the recipe
// lists ("Azure Machine Learning data reference URIs"):
//   azureml://datastores/<ds>/paths/<path>                                   (datastore, short)
//   azureml://subscriptions/<s>/resourceGroups/<rg>/workspaces/<ws>/datastores/<ds>/paths/<path>  (long)
//   azureml://locations/<loc>/workspaces/<ws>/data/<name>/versions/<v>       (data asset id)
//   /subscriptions/<s>/resourcegroups/<rg>/providers/Microsoft.MachineLearningServices/workspaces/<ws>/data/<name>/versions/<v>
//   azureml:<name>:<version>                                                  (CLI shorthand)
//   https://<public-path>
// and ARM ids of workspace children (`…/workspaces/<ws>/models/<name>/versions/<v>`, `…/computes/<name>`).

export type DataReference =
  | { kind: 'datastore'; datastore: string; path: string; workspace?: WorkspaceScope }
  | { kind: 'data-asset'; name: string; version: string; workspace?: WorkspaceScope; location?: string }
  | { kind: 'https'; url: URL }
  | { kind: 'invalid'; reason: string };

export interface WorkspaceScope {
  subscriptionId?: string;
  resourceGroup?: string;
  workspace: string;
}

const dec = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

export function parseDataReference(raw: string): DataReference {
  const uri = raw.trim();
  if (uri === '') return { kind: 'invalid', reason: 'the URI is empty' };

  let m = /^azureml:\/\/datastores\/([^/]+)\/paths\/?(.*)$/i.exec(uri);
  if (m) return { kind: 'datastore', datastore: dec(m[1]!), path: dec(m[2]!) };

  m = /^azureml:\/\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/(?:providers\/Microsoft\.MachineLearningServices\/)?workspaces\/([^/]+)\/datastores\/([^/]+)\/paths\/?(.*)$/i.exec(uri);
  if (m) {
    return {
      kind: 'datastore',
      datastore: dec(m[4]!),
      path: dec(m[5]!),
      workspace: { subscriptionId: dec(m[1]!), resourceGroup: dec(m[2]!), workspace: dec(m[3]!) },
    };
  }

  m = /^azureml:\/\/locations\/([^/]+)\/workspaces\/([^/]+)\/data\/([^/]+)\/versions\/([^/]+)\/?$/i.exec(uri);
  if (m) {
    return { kind: 'data-asset', location: dec(m[1]!), workspace: { workspace: dec(m[2]!) }, name: dec(m[3]!), version: dec(m[4]!) };
  }

  m = /^(?:azureml:\/)?\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/(?:providers\/Microsoft\.MachineLearningServices\/)?workspaces\/([^/]+)\/data\/([^/]+)\/versions\/([^/]+)\/?$/i.exec(uri);
  if (m) {
    return {
      kind: 'data-asset',
      workspace: { subscriptionId: dec(m[1]!), resourceGroup: dec(m[2]!), workspace: dec(m[3]!) },
      name: dec(m[4]!),
      version: dec(m[5]!),
    };
  }

  m = /^azureml:([^/:]+):([^/:]+)$/i.exec(uri);
  if (m) return { kind: 'data-asset', name: m[1]!, version: m[2]! };

  if (/^https?:\/\//i.test(uri)) {
    try {
      return { kind: 'https', url: new URL(uri) };
    } catch {
      return { kind: 'invalid', reason: `'${uri}' is not a valid URL` };
    }
  }
  return {
    kind: 'invalid',
    reason:
      `'${uri}' is not a supported input: use azureml://datastores/<datastore>/paths/<path>, ` +
      'a data asset (azureml://locations/<location>/workspaces/<workspace>/data/<name>/versions/<version> or its ARM id), ' +
      'or a public https:// URL',
  };
}

export interface WorkspaceChildId {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  /** e.g. ['models', 'mnist', 'versions', '1'] or ['computes', 'batch-cluster'] */
  segments: string[];
}

/** Parses `/subscriptions/…/resourceGroups/…/providers/Microsoft.MachineLearningServices/workspaces/…/<rest>`. */
export function parseWorkspaceChildId(id: string): WorkspaceChildId | undefined {
  const m = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)\/(.+?)\/?$/i.exec(
    id.trim(),
  );
  if (!m) return undefined;
  return {
    subscriptionId: dec(m[1]!),
    resourceGroup: dec(m[2]!),
    workspace: dec(m[3]!),
    segments: m[4]!.split('/').map(dec),
  };
}

/** Splits a blob path into a folder prefix usable for listing (`a/b` → `a/b/`, `` → ``). */
export function folderPrefix(path: string): string {
  const trimmed = path.replace(/^\/+/, '');
  if (trimmed === '') return '';
  return trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}
