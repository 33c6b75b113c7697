// Where a batch scoring job reads its input (and writes its output): the URI forms Azure ML accepts in
// the scoring request's InputData/OutputData "Uri" (batch-score-rest-recipe: "public https path",
// "azureml://datastores/<ds>/paths/<p>" and its long form, the data-asset id
// "azureml://locations/<loc>/workspaces/<ws>/data/<name>/versions/<v>" and its ARM id). Everything else is
// refused here, in Slack, with a reason and the accepted forms, rather than by the service minutes later.
//
// Error messages never echo the URI itself: a pasted URL can carry a SAS token or credentials, and these
// messages end up in Slack and in logs.
import { assetNameSchema, assetVersionSchema } from './naming-rules';

export type DataReference =
  /** A public https file or folder. */
  | { kind: 'https'; url: string }
  /** A path on a datastore registered in the workspace (short form) or in a named workspace (long form). */
  | {
      kind: 'datastore';
      datastore: string;
      path: string;
      form: 'short' | 'long';
      subscriptionId?: string;
      resourceGroup?: string;
      workspace?: string;
    }
  /** A registered (V2) data asset, by asset id or by ARM id. */
  | {
      kind: 'data-asset';
      name: string;
      version: string;
      form: 'asset-id' | 'arm-id';
      location?: string;
      workspace?: string;
      subscriptionId?: string;
      resourceGroup?: string;
    };

export type DataReferenceErrorCode =
  | 'EmptyReference'
  | 'TooLong'
  | 'ControlCharacter'
  | 'Whitespace'
  | 'Backslash'
  | 'PathTraversal'
  | 'UnsupportedScheme'
  | 'RelativePath'
  | 'InsecureHttp'
  | 'MalformedHttpsUrl'
  | 'CredentialsInUrl'
  | 'SecretInQuery'
  | 'MalformedDatastoreUri'
  | 'MalformedDataAssetUri';

/** The forms a user may type, shown with every refusal so they can correct the input. */
export const ACCEPTED_DATA_REFERENCE_FORMS: readonly string[] = [
  'https://<host>/<path>[/<file>] (a public file or folder)',
  'azureml://datastores/<datastore>/paths/<path>',
  'azureml://subscriptions/<subscription-id>/resourceGroups/<resource-group>/workspaces/<workspace>/datastores/<datastore>/paths/<path>',
  'azureml://locations/<location>/workspaces/<workspace>/data/<name>/versions/<version>',
  '/subscriptions/<subscription-id>/resourceGroups/<resource-group>/providers/Microsoft.MachineLearningServices/workspaces/<workspace>/data/<name>/versions/<version>',
];

export class DataReferenceError extends Error {
  override readonly name = 'DataReferenceError';
  readonly code: DataReferenceErrorCode;
  /** What was wrong, in one sentence, without the accepted forms. */
  readonly reason: string;
  readonly acceptedForms: readonly string[] = ACCEPTED_DATA_REFERENCE_FORMS;

  constructor(code: DataReferenceErrorCode, reason: string) {
    super(`${reason} Accepted forms: ${ACCEPTED_DATA_REFERENCE_FORMS.join(' | ')}`);
    this.code = code;
    this.reason = reason;
  }
}

/** Long enough for any real blob path (Azure blob names go to 1,024 characters), short enough for a message. */
export const MAX_DATA_REFERENCE_LENGTH = 2048;

// Azure's rules for the identifiers inside the URIs. Subscription ids are GUIDs; resource group names are
// 1-90 of letters, digits, '-', '_', '.', '(' and ')' not ending in '.'; workspace names 3-33 characters
// starting alphanumeric; datastore names letters, digits and '_'; locations are region names like "eastus".
const SUBSCRIPTION_ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const RESOURCE_GROUP = /^[-\w.()]{0,89}[-\w()]$/;
const WORKSPACE = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$/;
const DATASTORE = /^[a-zA-Z0-9_]{1,255}$/;
const LOCATION = /^[a-zA-Z0-9]{1,64}$/;

/** Query parameters that carry a secret: Azure SAS signatures and the usual bearer-token spellings. */
const SECRET_QUERY_PARAMS = new Set([
  'sig',
  'signature',
  'sv',
  'se',
  'skoid',
  'token',
  'access_token',
  'code',
  'key',
  'apikey',
  'api_key',
  'api-key',
  'password',
  'secret',
  'client_secret',
  'x-amz-signature',
  'x-goog-signature',
]);

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;
const WHITESPACE = /\s/;

/**
 * Parses what a user typed into a DataReference. Surrounding whitespace is ignored (it comes from
 * copy and paste); anything else that is not one of the accepted forms throws DataReferenceError.
 */
export function parseDataReference(uri: string): DataReference {
  if (typeof uri !== 'string') throw new DataReferenceError('EmptyReference', 'The data reference is missing.');
  const text = uri.trim();
  if (text.length === 0) throw new DataReferenceError('EmptyReference', 'The data reference is empty.');
  if (text.length > MAX_DATA_REFERENCE_LENGTH) {
    throw new DataReferenceError('TooLong', `The data reference is longer than ${MAX_DATA_REFERENCE_LENGTH} characters.`);
  }
  if (CONTROL_CHARACTER.test(text)) {
    throw new DataReferenceError('ControlCharacter', 'The data reference contains control or invisible characters; retype it.');
  }
  if (WHITESPACE.test(text)) {
    throw new DataReferenceError('Whitespace', 'The data reference contains whitespace; percent-encode spaces as %20.');
  }
  if (text.includes('\\')) {
    throw new DataReferenceError('Backslash', 'The data reference contains a backslash; use forward slashes.');
  }

  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(text)?.[1]?.toLowerCase();
  if (scheme === 'https') return parseHttps(text);
  if (scheme === 'http') {
    throw new DataReferenceError('InsecureHttp', 'Plain http:// is not accepted; use https:// for a public file or folder.');
  }
  if (scheme === 'azureml') return parseAzureml(text);
  if (scheme !== undefined) {
    throw new DataReferenceError(
      'UnsupportedScheme',
      `The scheme "${scheme.slice(0, 20)}:" is not supported; copy the data to a registered datastore and use an azureml:// path, or use a public https:// URL.`,
    );
  }
  if (text.startsWith('/subscriptions/') || /^\/subscriptions\//i.test(text)) return parseArmId(text);
  throw new DataReferenceError(
    'RelativePath',
    'A bare or relative path is not a data reference; say where the data lives (a datastore, a data asset or a public https URL).',
  );
}

/** The canonical text for the scoring request's Uri field. parseDataReference(format(ref)) gives back ref. */
export function formatDataReference(ref: DataReference): string {
  switch (ref.kind) {
    case 'https':
      return ref.url;
    case 'datastore':
      if (ref.form === 'long') {
        return `azureml://subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/workspaces/${ref.workspace}/datastores/${ref.datastore}/paths/${ref.path}`;
      }
      return `azureml://datastores/${ref.datastore}/paths/${ref.path}`;
    case 'data-asset':
      if (ref.form === 'arm-id') {
        return `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ref.workspace}/data/${ref.name}/versions/${ref.version}`;
      }
      return `azureml://locations/${ref.location}/workspaces/${ref.workspace}/data/${ref.name}/versions/${ref.version}`;
  }
}

/** Short plain text for Slack ("datastore workspaceblobstore, path mnist/"). Not escaped: the caller escapes. */
export function describeDataReference(ref: DataReference): string {
  switch (ref.kind) {
    case 'https': {
      const url = new URL(ref.url);
      return `public URL ${url.host}${url.pathname}`;
    }
    case 'datastore':
      return ref.form === 'long'
        ? `datastore ${ref.datastore} in workspace ${ref.workspace}, path ${ref.path}`
        : `datastore ${ref.datastore}, path ${ref.path}`;
    case 'data-asset':
      return `data asset ${ref.name}:${ref.version} in workspace ${ref.workspace}`;
  }
}

/** True when the reference names a single file rather than a folder (no trailing slash on its path). */
export function pointsAtFile(ref: DataReference): boolean {
  if (ref.kind === 'https') return !new URL(ref.url).pathname.endsWith('/');
  if (ref.kind === 'datastore') return !ref.path.endsWith('/');
  return false;
}

function parseHttps(text: string): DataReference {
  // WHATWG URL would resolve "..", so traversal is checked on the raw text first.
  refuseTraversal(text.replace(/^https:\/\/[^/?#]*/i, '').split(/[?#]/)[0] ?? '');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DataReferenceError('MalformedHttpsUrl', 'The https URL could not be parsed; it should look like https://host/path/file.');
  }
  if (!/^https:\/\/[^/]/i.test(text) || url.hostname === '') {
    throw new DataReferenceError('MalformedHttpsUrl', 'The https URL has no host; it should look like https://host/path/file.');
  }
  if (url.username !== '' || url.password !== '') {
    throw new DataReferenceError(
      'CredentialsInUrl',
      'The URL carries a user name or password; never paste credentials. Use a public URL, or register the storage as a datastore and use an azureml:// path.',
    );
  }
  for (const key of url.searchParams.keys()) {
    if (SECRET_QUERY_PARAMS.has(key.toLowerCase())) {
      throw new DataReferenceError(
        'SecretInQuery',
        'The URL carries a secret in its query string (a SAS token or key); never paste it in Slack and consider rotating it. Register the storage as a datastore and use an azureml:// path instead.',
      );
    }
  }
  if (url.hash !== '' || text.includes('#')) {
    throw new DataReferenceError('MalformedHttpsUrl', 'The URL has a #fragment, which a download ignores; remove it.');
  }
  return { kind: 'https', url: url.href };
}

function parseAzureml(text: string): DataReference {
  const rest = text.replace(/^azureml:/i, '');
  if (!rest.startsWith('//')) {
    throw new DataReferenceError(
      'MalformedDataAssetUri',
      'Short asset references such as azureml:name:version are not accepted here; use the full data asset id azureml://locations/<location>/workspaces/<workspace>/data/<name>/versions/<version>.',
    );
  }
  if (/[?#]/.test(rest)) {
    throw new DataReferenceError('MalformedDatastoreUri', 'An azureml:// reference cannot carry a ?query or #fragment.');
  }
  const segments = rest.slice(2).split('/');
  const first = segments[0]?.toLowerCase();
  if (first === 'datastores' || first === 'subscriptions') return parseDatastore(segments);
  if (first === 'locations') return parseAssetId(segments);
  throw new DataReferenceError(
    'UnsupportedScheme',
    'This azureml:// form is not supported; use azureml://datastores/..., azureml://subscriptions/.../datastores/... or azureml://locations/.../data/....',
  );
}

/** Segment names compare case-insensitively, as Azure's URI parser treats them. */
function is(segment: string | undefined, name: string): boolean {
  return segment !== undefined && segment.toLowerCase() === name.toLowerCase();
}

function parseDatastore(segments: string[]): DataReference {
  const malformed = (why: string): DataReferenceError =>
    new DataReferenceError(
      'MalformedDatastoreUri',
      `${why} A datastore path looks like azureml://datastores/<datastore>/paths/<path> or its long form with subscriptions/resourceGroups/workspaces in front.`,
    );
  let i = 0;
  let scope: { subscriptionId: string; resourceGroup: string; workspace: string } | undefined;
  if (is(segments[0], 'subscriptions')) {
    if (!is(segments[2], 'resourceGroups') || !is(segments[4], 'workspaces') || !is(segments[6], 'datastores')) {
      throw malformed('The long form must read subscriptions/<id>/resourceGroups/<group>/workspaces/<workspace>/datastores/...');
    }
    scope = {
      subscriptionId: checkSubscription(segments[1], 'MalformedDatastoreUri'),
      resourceGroup: checkResourceGroup(segments[3], 'MalformedDatastoreUri'),
      workspace: checkWorkspace(segments[5], 'MalformedDatastoreUri'),
    };
    i = 6;
  }
  const datastore = segments[i + 1] ?? '';
  if (!DATASTORE.test(datastore)) {
    throw malformed('The datastore name is missing or invalid (letters, digits and "_" only).');
  }
  if (!is(segments[i + 2], 'paths')) throw malformed('The datastore name must be followed by /paths/.');
  const pathSegments = segments.slice(i + 3);
  const path = pathSegments.join('/');
  if (path === '' || path === '/') throw malformed('The path on the datastore is empty.');
  refuseTraversal(path);
  // An empty segment anywhere but last ("a//b") is a typo the service would resolve unpredictably.
  if (pathSegments.slice(0, -1).some((s) => s === '')) throw malformed('The path contains an empty segment ("//").');
  refuseBadPercentEncoding(path, 'MalformedDatastoreUri');
  return scope
    ? { kind: 'datastore', datastore, path, form: 'long', ...scope }
    : { kind: 'datastore', datastore, path, form: 'short' };
}

function parseAssetId(segments: string[]): DataReference {
  // azureml://locations/<loc>/workspaces/<ws>/data/<name>/versions/<v>[/]
  const s = trimTrailingEmpty(segments);
  if (s.length !== 8 || !is(s[2], 'workspaces') || !is(s[4], 'data') || !is(s[6], 'versions')) {
    throw new DataReferenceError(
      'MalformedDataAssetUri',
      'A data asset id must read azureml://locations/<location>/workspaces/<workspace>/data/<name>/versions/<version>.',
    );
  }
  const location = s[1] ?? '';
  if (!LOCATION.test(location)) {
    throw new DataReferenceError('MalformedDataAssetUri', 'The location must be an Azure region name such as eastus or chinaeast2.');
  }
  return {
    kind: 'data-asset',
    form: 'asset-id',
    location,
    workspace: checkWorkspace(s[3], 'MalformedDataAssetUri'),
    name: checkAssetName(s[5]),
    version: checkAssetVersion(s[7]),
  };
}

function parseArmId(text: string): DataReference {
  if (/[?#]/.test(text)) {
    throw new DataReferenceError('MalformedDataAssetUri', 'An ARM id cannot carry a ?query or #fragment.');
  }
  refuseTraversal(text);
  const s = trimTrailingEmpty(text.slice(1).split('/'));
  const shapeOk =
    s.length === 12 &&
    is(s[0], 'subscriptions') &&
    is(s[2], 'resourceGroups') &&
    is(s[4], 'providers') &&
    is(s[5], 'Microsoft.MachineLearningServices') &&
    is(s[6], 'workspaces') &&
    is(s[8], 'data') &&
    is(s[10], 'versions');
  if (!shapeOk) {
    throw new DataReferenceError(
      'MalformedDataAssetUri',
      'An ARM id for data must read /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.MachineLearningServices/workspaces/<workspace>/data/<name>/versions/<version>.',
    );
  }
  return {
    kind: 'data-asset',
    form: 'arm-id',
    subscriptionId: checkSubscription(s[1], 'MalformedDataAssetUri'),
    resourceGroup: checkResourceGroup(s[3], 'MalformedDataAssetUri'),
    workspace: checkWorkspace(s[7], 'MalformedDataAssetUri'),
    name: checkAssetName(s[9]),
    version: checkAssetVersion(s[11]),
  };
}

function trimTrailingEmpty(segments: string[]): string[] {
  return segments.length > 1 && segments[segments.length - 1] === '' ? segments.slice(0, -1) : segments;
}

type ScopeCode = 'MalformedDatastoreUri' | 'MalformedDataAssetUri';

function checkSubscription(value: string | undefined, code: ScopeCode): string {
  if (!value || !SUBSCRIPTION_ID.test(value)) {
    throw new DataReferenceError(code, 'The subscription id must be a GUID such as 00000000-0000-0000-0000-000000000000.');
  }
  return value;
}

function checkResourceGroup(value: string | undefined, code: ScopeCode): string {
  if (!value || !RESOURCE_GROUP.test(value)) {
    throw new DataReferenceError(
      code,
      'The resource group name must be 1-90 letters, digits, "-", "_", ".", "(" or ")" and not end with ".".',
    );
  }
  return value;
}

function checkWorkspace(value: string | undefined, code: ScopeCode): string {
  if (!value || !WORKSPACE.test(value)) {
    throw new DataReferenceError(code, 'The workspace name must be 3-33 letters, digits, "-" or "_", starting with a letter or digit.');
  }
  return value;
}

function checkAssetName(value: string | undefined): string {
  const parsed = assetNameSchema.safeParse(value ?? '');
  // naming-rules trims; a name that only passes after trimming is not the name in the URI.
  if (!parsed.success || parsed.data !== value) {
    throw new DataReferenceError(
      'MalformedDataAssetUri',
      'The data asset name is invalid: 1-255 characters of letters, digits, "-", "_" or ".", starting with a letter or digit.',
    );
  }
  return parsed.data;
}

function checkAssetVersion(value: string | undefined): string {
  const parsed = assetVersionSchema.safeParse(value ?? '');
  if (!parsed.success || parsed.data !== value) {
    throw new DataReferenceError(
      'MalformedDataAssetUri',
      'The data asset version is invalid: 1-50 characters of letters, digits, "-", "_" or ".", starting with a letter or digit.',
    );
  }
  return parsed.data;
}

/** ".." (or "."), also percent-encoded, would step outside the folder the user meant. */
function refuseTraversal(path: string): void {
  for (const segment of path.split('/')) {
    const decoded = segment.replace(/%2e/gi, '.');
    if (decoded === '..' || decoded === '.') {
      throw new DataReferenceError('PathTraversal', 'The path contains a "." or ".." segment; give the path from the root of the store.');
    }
  }
}

function refuseBadPercentEncoding(path: string, code: ScopeCode): void {
  try {
    decodeURIComponent(path);
  } catch {
    throw new DataReferenceError(code, 'The path has a broken percent-encoding (a "%" not followed by two hex digits).');
  }
}
