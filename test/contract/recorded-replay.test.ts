// Real Azure traffic replayed against the sandbox (../shared/azureml/recordings: five sessions recorded by
// azure-ai-ml's own tests, and seven more, in their own format, by Azure PowerShell's tests under
// azure-powershell/). For every exchange the product's operations cover, the recorded request is sent to the
// sandbox with the recording's ids rewritten to the sandbox's (subscription, resource group, workspace,
// region, the scoring host, and the operation URLs and job names the sandbox itself handed out earlier in
// the same session), and the sandbox's answer is held to the recorded one:
//   - the status code (operation and cancel polls are repeated until the sandbox reaches the recorded one:
//     the sandbox's clock is not the recorder's);
//   - the headers the client reads: present when the recording has them; Retry-After absent when it is
//     (the sandbox's own `retry-after-ms` hint is allowed, docs/architecture.md); no x-ms-request-id on
//     the data plane;
//   - the shape: every JSON path of the recorded body is in the sandbox's body with the same JSON type
//     (array elements merged, values free: ids, times and statuses differ).
// Exchanges not replayed are listed in NOT_REPLAYED with the reason, and the list is asserted.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startAzureMlSandbox, type AzureMlSandbox } from '../../sandbox/azureml';
import { sendRequest, waitFor } from './sandbox-http';

const RECORDINGS = path.resolve(__dirname, '../../../shared/azureml/recordings');

interface Entry {
  RequestUri: string;
  RequestMethod: string;
  RequestHeaders: Record<string, string | string[]>;
  RequestBody: unknown;
  StatusCode: number;
  ResponseHeaders: Record<string, string | string[]>;
  ResponseBody: unknown;
}

/** Why an exchange is not replayed; the first rule that matches decides. */
const NOT_REPLAYED: Array<{ reason: string; matches: (e: Entry, skippedOperations: ReadonlySet<string>) => boolean }> = [
  { reason: 'storage (HEAD/PUT of blobs): served by Azurite, not the sandbox', matches: (e) => /\.blob\.core\.windows\.net\//i.test(e.RequestUri) },
  {
    reason: "the SDK's own test front end (snapshot lookups by hash, temporary data references, code lookups): no product operation calls it",
    matches: (e) => /master\.api\.azureml-test\.ms/i.test(e.RequestUri),
  },
  { reason: 'workspace GET: the product reads no workspace fields', matches: (e) => /\/workspaces\/00000\?api-version/i.test(e.RequestUri) },
  { reason: 'datastore listSecrets: the product never reads datastore secrets', matches: (e) => /\/listSecrets/i.test(e.RequestUri) },
  {
    reason: "asset version PUTs name the recorder's storage account and anonymous assets; asset routes are held by Microsoft's examples (spec-examples-replay.test.ts)",
    matches: (e) => e.RequestMethod === 'PUT' && /\/(codes|models|environments)\/[^/]+\/versions\//i.test(e.RequestUri),
  },
  { reason: 'a registered model read before the recorder created anything: the model is not in the sandbox', matches: (e) => e.RequestMethod === 'GET' && /\/models\/lightgbm_predict\//i.test(e.RequestUri) },
  {
    reason: 'a compute instance (a personal VM): the product runs batch deployments on AmlCompute clusters only and the sandbox has no compute instances',
    matches: (e) => e.RequestMethod === 'GET' && /\/computes\/jiajicompute1\?/i.test(e.RequestUri),
  },
  {
    reason: 'compute PATCH (scale settings): the product never updates a compute in place (it PUTs a cluster it creates) and the sandbox has no PATCH for computes',
    matches: (e) => e.RequestMethod === 'PATCH' && /\/computes\//i.test(e.RequestUri),
  },
  { reason: 'the status of an operation whose request was not replayed', matches: (e, skipped) => skipped.has(e.RequestUri.split('?')[0]!) },
];

/**
 * Elements of a recorded list the product never reads, left out before the shapes are compared (each with
 * its reason): the rest of the list is held to the recording as usual.
 */
const LIST_ELEMENTS_NOT_COMPARED: Array<{ reason: string; matches: (element: Record<string, unknown>) => boolean }> = [
  {
    reason: 'a compute instance in the compute list: the product reads AmlCompute clusters only',
    matches: (x) => (x.properties as { computeType?: string } | undefined)?.computeType === 'ComputeInstance',
  },
  {
    reason: 'an Azure Files datastore (workspacefilestore, workspaceworkingdirectory): the product reads and writes blob datastores only',
    matches: (x) => (x.properties as { datastoreType?: string } | undefined)?.datastoreType === 'AzureFile',
  },
];

function withoutElementsNotCompared(body: unknown, leftOut: string[]): unknown {
  const list = body as { value?: unknown } | null;
  if (!list || typeof list !== 'object' || !Array.isArray(list.value)) return body;
  return {
    ...list,
    value: list.value.filter((x) => {
      const rule = LIST_ELEMENTS_NOT_COMPARED.find((r) => r.matches(x as Record<string, unknown>));
      if (rule) leftOut.push(`${String((x as { name?: unknown }).name)}: ${rule.reason}`);
      return !rule;
    }),
  };
}

/** The headers the client reads (src/azureml/arm-client.ts, long-running-operation.ts, retry-policy.ts). */
const CLIENT_READ_HEADERS = ['azure-asyncoperation', 'location', 'retry-after', 'x-ms-request-id', 'x-request-id', 'x-ms-async-operation-timeout'];

const lowerHeaders = (h: Record<string, string | string[]>): Record<string, string> =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v]));

type JsonType = 'null' | 'string' | 'number' | 'boolean' | 'array' | 'object';
const typeOf = (v: unknown): JsonType => (v === null ? 'null' : Array.isArray(v) ? 'array' : (typeof v as JsonType));

/** path → JSON types seen there (array elements merged as `[]`). */
function shapeOf(value: unknown, at = '$', out = new Map<string, Set<JsonType>>()): Map<string, Set<JsonType>> {
  const types = out.get(at) ?? new Set<JsonType>();
  types.add(typeOf(value));
  out.set(at, types);
  if (Array.isArray(value)) for (const item of value) shapeOf(item, `${at}[]`, out);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) shapeOf(v, `${at}.${k}`, out);
  return out;
}

/** Paths whose recorded value the sandbox does not reproduce, each with its reason (asserted below). */
const SHAPE_EXEMPTIONS: Array<{ path: RegExp; reason: string }> = [
  {
    path: /^\$\.identity\.userAssignedIdentities/,
    reason: "the recorder's workspace used a user-assigned identity (its ARM id is the key); the sandbox's endpoints have a system-assigned one",
  },
  {
    path: /^\$\.error\.additionalInfo\[\]\.info\.value\.(code|innerError)/,
    reason: "the service's internal error chain under a validation error's additionalInfo (UserError → ValidationError…); the client reads code, message and details only",
  },
];

function shapeDifferences(recorded: unknown, actual: unknown): string[] {
  const want = shapeOf(recorded);
  const got = shapeOf(actual);
  const missing: string[] = [];
  for (const [p, types] of want) {
    if (SHAPE_EXEMPTIONS.some((x) => x.path.test(p))) continue;
    const have = got.get(p);
    if (!have) {
      missing.push(`${p} missing`);
      continue;
    }
    // A recorded null says "may be null": the sandbox may have null or a value there.
    for (const t of types) if (t !== 'null' && !have.has(t)) missing.push(`${p}: ${t} recorded, sandbox has ${[...have].join('|')}`);
  }
  return missing;
}

function parseBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  if (body === '') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

let sb: AzureMlSandbox;

beforeAll(async () => {
  sb = await startAzureMlSandbox({
    timeScale: 0.01,
    // Jobs stay in flight long enough to be cancelled, as the recorded one was.
    durations: { jobQueueMs: 200_000, jobCancelMs: 20_000 },
  });
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

const POWERSHELL = 'azure-powershell';
const files = [
  ...readdirSync(RECORDINGS).filter((f) => f.endsWith('.json')).sort(),
  ...readdirSync(path.join(RECORDINGS, POWERSHELL)).filter((f) => f.endsWith('.json')).sort().map((f) => `${POWERSHELL}/${f}`),
];

/** One exchange as Azure PowerShell's recorder keeps it (key `Cmdlet+[NoContext]+Case+$METHOD+URL+N`). */
interface PowerShellExchange {
  Request: { Method: string; RequestUri: string; Content: string | null; Headers: Record<string, string[]>; ContentHeaders?: Record<string, string[]> };
  Response: { StatusCode: number; Headers: Record<string, string[]>; ContentHeaders?: Record<string, string[]>; Content: string | null };
}

/** Both recorders' files as one list of exchanges, in recorded order. */
function loadEntries(file: string): Entry[] {
  const json = JSON.parse(readFileSync(path.join(RECORDINGS, file), 'utf8')) as { Entries: Entry[] } | Record<string, PowerShellExchange>;
  if (!file.startsWith(`${POWERSHELL}/`)) return (json as { Entries: Entry[] }).Entries;
  return Object.values(json as Record<string, PowerShellExchange>).map((x) => ({
    RequestUri: x.Request.RequestUri,
    RequestMethod: x.Request.Method,
    RequestHeaders: { ...x.Request.Headers, ...(x.Request.ContentHeaders ?? {}) },
    RequestBody: x.Request.Content ?? '',
    StatusCode: x.Response.StatusCode,
    // Content headers (Content-Type, Content-Length) sit apart in this format; the client reads neither.
    ResponseHeaders: { ...x.Response.Headers, ...(x.Response.ContentHeaders ?? {}) },
    ResponseBody: x.Response.Content ?? '',
  }));
}

describe.each(files)('%s', (file) => {
  const entries = loadEntries(file);
  const skipped: string[] = [];
  const replayed: string[] = [];
  const leftOutOfLists: string[] = [];

  it('the sandbox answers every covered exchange with the recorded status, client headers and shape', async () => {
    const urls = new Map<string, string>(); // recorded URL (no query) → sandbox URL
    const names = new Map<string, string>(); // recorded job name → sandbox job name
    const ws = `/subscriptions/${sb.subscriptionId}/resourceGroups/${sb.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${sb.workspace}`;
    const rewriteText = (text: string): string => {
      let out = text
        .replace(/https:\/\/management\.azure\.com/g, sb.baseUrl)
        // The recorders' workspaces: the SDK's sanitised zeros, PowerShell's ml-test / ml-psh-test workspaces.
        .replace(/\/subscriptions\/[0-9a-f-]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/?"]+/gi, ws)
        .replace(/\/subscriptions\/[0-9a-f-]+\//gi, `/subscriptions/${sb.subscriptionId}/`)
        .replace(/"location": ?"[a-z0-9]+"/g, `"location": "${sb.location}"`);
      for (const [recorded, mine] of names) out = out.split(recorded).join(mine);
      return out;
    };
    const sandboxUrl = (e: Entry): string => {
      const [base, query] = e.RequestUri.split('?') as [string, string | undefined];
      const known = urls.get(base);
      if (known) return known;
      const scoring = /^https:\/\/([^.]+)\.[^/]+\.inference\.ml\.azure\.com\/jobs$/.exec(base);
      if (scoring) return sb.scoringUri(scoring[1]!);
      return rewriteText(`${base}${query ? `?${query}` : ''}`);
    };
    const remember = (recorded: Record<string, string>, mine: Record<string, string>) => {
      for (const h of ['azure-asyncoperation', 'location']) {
        if (recorded[h] && mine[h]) urls.set(recorded[h].split('?')[0]!, mine[h]);
      }
    };

    const skippedOperations = new Set<string>();
    await ensurePrerequisites(entries);
    if (file.startsWith(`${POWERSHELL}/`)) await ensurePowerShellPrerequisites();
    for (const [index, e] of entries.entries()) {
      const label = `#${index} ${e.RequestMethod} ${e.RequestUri.split('?')[0]!.replace(/.*\/workspaces\/[^/]+/, '')}`;
      const recordedHeaders = lowerHeaders(e.ResponseHeaders);
      const rule = NOT_REPLAYED.find((r) => r.matches(e, skippedOperations));
      if (rule) {
        skipped.push(`${label}: ${rule.reason}`);
        // The operation a skipped request started is not polled either.
        for (const h of ['azure-asyncoperation', 'location']) if (recordedHeaders[h]) skippedOperations.add(recordedHeaders[h].split('?')[0]!);
        continue;
      }
      const scoring = /inference\.ml\.azure\.com/.test(e.RequestUri);
      const body = e.RequestBody === null || e.RequestBody === undefined || e.RequestBody === '' ? undefined : rewriteText(typeof e.RequestBody === 'string' ? e.RequestBody : JSON.stringify(e.RequestBody));
      const headers = Object.fromEntries(Object.entries(lowerHeaders(e.RequestHeaders)).filter(([k]) => k === 'azureml-model-deployment'));
      const send = () => sendRequest({ method: e.RequestMethod, url: sandboxUrl(e), ...(body !== undefined ? { body } : {}), headers }, scoring ? sb.scoringToken : sb.token);
      const recordedBody = parseBody(e.ResponseBody);
      const polled = /OperationsStatus|OperationResults/.test(e.RequestUri);
      const recordedOpStatus = polled ? (recordedBody as { status?: string } | undefined)?.status : undefined;
      // Polls: wait until the sandbox reaches the recorded state (a terminal recorded status, or the recorded HTTP status).
      const x = polled
        ? await waitFor(`${label} to reach ${e.StatusCode} ${recordedOpStatus ?? ''}`, async () => {
            const r = await send();
            const status = (parseBody(r.responseBody) as { status?: string } | undefined)?.status;
            const terminal = recordedOpStatus === 'Succeeded' || recordedOpStatus === 'Failed';
            if (r.status !== e.StatusCode) return undefined;
            if (terminal && status !== recordedOpStatus) return undefined;
            return r;
          }, { timeoutMs: 20_000 })
        : await send();
      replayed.push(label);
      const problems: string[] = [];
      if (x.status !== e.StatusCode) problems.push(`status ${x.status}, recorded ${e.StatusCode}: ${String(x.responseBody).slice(0, 300)}`);
      const answered = x.responseHeaders ?? {};
      for (const h of CLIENT_READ_HEADERS) {
        if (recordedHeaders[h] !== undefined && answered[h] === undefined) problems.push(`header ${h} missing`);
      }
      if (recordedHeaders['retry-after'] === undefined && answered['retry-after'] !== undefined) problems.push('Retry-After sent, the recording has none');
      if (scoring && answered['x-ms-request-id'] !== undefined) problems.push('x-ms-request-id on the data plane, the recording has X-Request-ID only');
      const actualBody = parseBody(x.responseBody);
      if (recordedBody !== undefined) problems.push(...shapeDifferences(withoutElementsNotCompared(recordedBody, leftOutOfLists), actualBody));
      expect({ exchange: label, problems }).toEqual({ exchange: label, problems: [] });

      remember(recordedHeaders, answered);
      if (scoring) {
        const recordedName = (recordedBody as { name: string }).name;
        names.set(recordedName, (actualBody as { name: string }).name);
      }
    }
    expect(replayed.length).toBeGreaterThan(0);
  }, 120_000);

  it('lists what it did not replay, each with its reason', () => {
    expect(skipped.every((s) => /: .{20,}/.test(s))).toBe(true);
    expect(EXPECTED_SKIPS[file]).toEqual(skipped.length);
    expect(leftOutOfLists.map((x) => x.split(':')[0])).toEqual(EXPECTED_LEFT_OUT_OF_LISTS[file] ?? []);
  });
});

/** How many exchanges each recording leaves out (reasons in NOT_REPLAYED); asserted so the list stays short and known. */
const EXPECTED_SKIPS: Record<string, number> = {
  'test_batch_deployment.pyTestBatchDeploymenttest_batch_job_download.json': 16,
  'test_batch_endpoint.pyTestBatchEndpointtest_batch_component.json': 2,
  'test_batch_endpoint.pyTestBatchEndpointtest_batch_endpoint_create.json': 1,
  'test_batch_endpoint.pyTestBatchEndpointtest_batch_invoke.json': 9,
  'test_batch_endpoint.pyTestBatchEndpointtest_mlflow_batch_endpoint_create_and_update.json': 2,
  'azure-powershell/Get-AzMLWorkspaceBatchDeployment.Recording.json': 0,
  'azure-powershell/Get-AzMLWorkspaceBatchEndpoint.Recording.json': 0,
  'azure-powershell/Get-AzMLWorkspaceCompute.Recording.json': 1,
  'azure-powershell/Get-AzMLWorkspaceDatastore.Recording.json': 0,
  'azure-powershell/Get-AzMLWorkspaceJob.Recording.json': 0,
  'azure-powershell/New-AzMLWorkspaceCompute.Recording.json': 2,
  'azure-powershell/Stop-AzMLWorkspaceJob.Recording.json': 0,
};

/** The recorded list elements left out of the shape comparison (reasons in LIST_ELEMENTS_NOT_COMPARED), by file. */
const EXPECTED_LEFT_OUT_OF_LISTS: Record<string, string[]> = {
  'azure-powershell/Get-AzMLWorkspaceCompute.Recording.json': ['jiajicompute1'],
  'azure-powershell/Get-AzMLWorkspaceDatastore.Recording.json': ['workspaceworkingdirectory', 'workspacefilestore'],
};

/**
 * What Azure PowerShell's recordings read without creating it first: the batch endpoint and deployment
 * (and the assets and cluster it names), datastore01, and the finished command jobs commandjob01 and
 * commandJob02 of experiment jobexperiment; created the product's way (ARM PUTs), the jobs as past jobs.
 */
async function ensurePowerShellPrerequisites(): Promise<void> {
  const ws = `/subscriptions/${sb.subscriptionId}/resourceGroups/${sb.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${sb.workspace}`;
  const put = async (relative: string, body: unknown) => {
    const x = await sendRequest({ method: 'PUT', url: `${sb.baseUrl}${ws}${relative}?api-version=2022-05-01`, body }, sb.token);
    if (x.status >= 300) throw new Error(`prerequisite ${relative}: ${x.status} ${String(x.responseBody)}`);
  };
  const succeeded = (relative: string) =>
    waitFor(`${relative} to succeed`, async () => {
      const x = await sendRequest({ method: 'GET', url: `${sb.baseUrl}${ws}${relative}?api-version=2022-05-01` }, sb.token);
      const state = (parseBody(x.responseBody) as { properties?: { provisioningState?: string } }).properties?.provisioningState;
      return state === 'Succeeded' ? true : undefined;
    }, { timeoutMs: 20_000 });
  await sb.admin.putDatastoreFile('replay/heart/code/batch_driver.py', 'def run(batch): return batch');
  await sb.admin.putDatastoreFile('replay/heart/model/model.pkl', 'weights');
  await put('/computes/batch-cluster', { location: sb.location, properties: { computeType: 'AmlCompute', properties: { vmSize: 'STANDARD_DS3_V2', scaleSettings: { maxNodeCount: 1, minNodeCount: 0 } } } });
  await put('/codes/batch-code/versions/1', { properties: { codeUri: `${sb.blobEndpoint}/${sb.datastoreContainer}/replay/heart/code` } });
  await put('/models/heart-classifier-batch/versions/1', { properties: { modelUri: 'azureml://datastores/workspaceblobstore/paths/replay/heart/model/' } });
  await put('/environments/batchenv1/versions/1', { properties: { image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest' } });
  await put('/datastores/datastore01', {
    properties: { datastoreType: 'AzureBlob', accountName: 'devstoreaccount1', containerName: sb.datastoreContainer, credentials: { credentialsType: 'AccountKey', secrets: { secretsType: 'AccountKey', key: 'a2V5' } } },
  });
  await succeeded('/computes/batch-cluster');
  await put('/batchEndpoints/batchenpoint01', { location: sb.location, properties: { authMode: 'AADToken' } });
  await succeeded('/batchEndpoints/batchenpoint01');
  await put('/batchEndpoints/batchenpoint01/deployments/batchdeploy01', {
    location: sb.location,
    properties: {
      codeConfiguration: { codeId: `${ws}/codes/batch-code/versions/1`, scoringScript: 'batch_driver.py' },
      environmentId: `${ws}/environments/batchenv1/versions/1`,
      compute: `${ws}/computes/batch-cluster`,
      model: { referenceType: 'Id', assetId: `${ws}/models/heart-classifier-batch/versions/1` },
      errorThreshold: -1,
      retrySettings: { maxRetries: 3, timeout: 'PT30S' },
      miniBatchSize: 10,
      loggingLevel: 'Info',
      maxConcurrencyPerInstance: 1,
      outputAction: 'AppendRow',
      outputFileName: 'predictions.csv',
      resources: { instanceCount: 1 },
    },
  });
  await succeeded('/batchEndpoints/batchenpoint01/deployments/batchdeploy01');
  for (const name of ['commandjob01', 'commandJob02']) sb.admin.addPastJob({ name, kind: 'command', experimentName: 'jobexperiment', status: 'Completed' });
}

/** The compute, code, model and environment versions the recorded deployments refer to, created the product's way. */
async function ensurePrerequisites(entries: Entry[]): Promise<void> {
  const ws = `/subscriptions/${sb.subscriptionId}/resourceGroups/${sb.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${sb.workspace}`;
  const put = async (relative: string, body: unknown) => {
    const x = await sendRequest({ method: 'PUT', url: `${sb.baseUrl}${ws}${relative}?api-version=2022-05-01`, body }, sb.token);
    if (x.status >= 300) throw new Error(`prerequisite ${relative}: ${x.status} ${String(x.responseBody)}`);
  };
  await sb.admin.putDatastoreFile('replay/code/score.py', 'def run(batch): return batch');
  await sb.admin.putDatastoreFile('replay/model/model.pkl', 'weights');
  for (const e of entries) {
    if (e.RequestMethod !== 'PUT' || !/\/deployments\/[^/?]+\?/.test(e.RequestUri)) continue;
    const p = (e.RequestBody as { properties?: Record<string, unknown> }).properties ?? {};
    const id = (s: unknown) => String(s).replace(/.*\/workspaces\/00000/, '');
    const compute = p.compute ? id(p.compute) : undefined;
    if (compute) {
      await put(compute, { location: sb.location, properties: { computeType: 'AmlCompute', properties: { vmSize: 'STANDARD_D2_V2', scaleSettings: { maxNodeCount: 1, minNodeCount: 0 } } } });
    }
    const code = (p.codeConfiguration as { codeId?: string } | undefined)?.codeId;
    if (code) await put(id(code), { properties: { codeUri: `${sb.blobEndpoint}/${sb.datastoreContainer}/replay/code` } });
    const model = (p.model as { assetId?: string } | undefined)?.assetId;
    if (model) await put(id(model), { properties: { modelUri: 'azureml://datastores/workspaceblobstore/paths/replay/model/' } });
    const env = p.environmentId ? String(p.environmentId) : undefined;
    const envPath = env?.startsWith('azureml:') ? `/environments/${env.slice(8).split(':')[0]}/versions/${env.split(':')[2]}` : env ? id(env) : undefined;
    if (envPath) await put(envPath, { properties: { image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest' } });
  }
}
