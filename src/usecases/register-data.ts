// `data register <name> <uri>`, for the ops worker and the CLI alike: a data asset version pointing at
// a file or folder (mfe.json DataVersionBase, dataType uri_file / uri_folder).
import type { AzureMlClient } from '../azureml';

export interface RegisterDataDeps {
  azureml: { assets: Pick<AzureMlClient['assets'], 'createDataVersion'> };
  now: () => number;
}

export interface RegisterDataRequest {
  name: string;
  /** Default: the current time in ms, so versions sort in the order they were made. */
  version?: string;
  kind: 'UriFile' | 'UriFolder';
  uri: string;
}

export interface RegisteredData {
  name: string;
  version: string;
  dataType: 'uri_file' | 'uri_folder';
  dataUri: string;
  /** The asset version's ARM id. */
  id: string;
  /** One plain sentence saying what was registered (the Slack reply and the CLI say it alike). */
  summary: string;
}

export async function registerData(deps: RegisterDataDeps, req: RegisterDataRequest): Promise<RegisteredData> {
  const version = req.version ?? String(deps.now());
  const dataType = req.kind === 'UriFile' ? 'uri_file' : 'uri_folder';
  const created = await deps.azureml.assets.createDataVersion({ name: req.name, version }, dataType, req.uri);
  const summary = `Data asset ${req.name}:${version} registered (${dataType}) as ${created.id}.`;
  return { name: req.name, version, dataType, dataUri: req.uri, id: created.id, summary };
}
