// The recipe's own ARM requests, bodies verbatim from the page (batch-score-rest-recipe.zh-CN.txt):
// several are not spec-valid — trailing commas, numbers written as strings, `"info"` and `"aadToken"` in
// the wrong case — and oav says so; yet the service accepts them, so the sandbox must too, and it must
// answer with spec-valid resources whose values are canonical (integers, the enums' spelling).
import path from 'node:path';
import { startAzureMlSandbox, type AzureMlSandbox } from '../../sandbox/azureml';
import {
  createAzureSpecValidator,
  describeValidation,
  expectSpecValid,
  type AzureSpecValidator,
  type ValidatedExchange,
} from '../support/azure-spec-validator';
import { readRecipeRequests, type RecipeRequest } from './recipe-snippets';
import { jsonOf, sendRequest, waitFor } from './sandbox-http';

const RECIPE_FILE = path.resolve(__dirname, '../../../shared/azureml/batch-score-rest-recipe.zh-CN.txt');
const ENDPOINT_NAME = 'endpt-12345';
const DEPLOYMENT_NAME = 'nonmlflowedp';
/** The page reads conda.json and escapes its quotes with `sed 's/"/\\"/g'`; a one-line file keeps the JSON string legal. */
const CONDA_JSON = '{"name": "mnist-env", "channels": ["conda-forge"], "dependencies": ["python=3.8", "pip"]}';

/** What oav reports for each ARM request of the page: `code at path` (order-free). */
const EXPECTED_REQUEST_ISSUES: Record<string, string[]> = {
  'PUT computes/batch-cluster': ['BODY_NOT_JSON at $'],
  'GET datastores': [],
  'PUT codes/score-mnist/versions/1': [],
  'PUT models/mnist/versions/1': [],
  'PUT environments/mnist-env/versions/{ENV_VERSION}': [],
  'PUT batchEndpoints/{ENDPOINT_NAME}': ['ENUM_CASE_MISMATCH at $.properties.authMode'],
  'PUT batchEndpoints/{ENDPOINT_NAME}/deployments/{DEPLOYMENT_NAME}': [
    'BODY_NOT_JSON at $',
    'INVALID_TYPE at $.properties.maxConcurrencyPerInstance',
    'INVALID_TYPE at $.properties.errorThreshold',
    'INVALID_TYPE at $.properties.miniBatchSize',
    'ENUM_CASE_MISMATCH at $.properties.loggingLevel',
  ],
  'PUT batchEndpoints/{ENDPOINT_NAME} (set default)': ['ENUM_CASE_MISMATCH at $.properties.authMode'],
  'GET batchEndpoints/{ENDPOINT_NAME}': [],
  'PUT data/{DATA_NAME}/versions/{DATA_VERSION}': [],
  'DELETE batchEndpoints/{ENDPOINT_NAME}': [],
};

let sandbox: AzureMlSandbox;
let validator: AzureSpecValidator;
let requests: RecipeRequest[];
const seen = new Map<string, ValidatedExchange>();

/** The page's request as addressed to the sandbox: same path and query, the sandbox's origin. */
function toSandbox(req: RecipeRequest): RecipeRequest {
  const url = new URL(req.url);
  return { ...req, url: `${sandbox.baseUrl}${url.pathname}${url.search}` };
}

/** A readable label for a request: method and the path under the workspace, with our variables named back. */
function labelOf(req: RecipeRequest, occurrence: number): string {
  const under = new URL(req.url).pathname.replace(/^.*\/workspaces\/[^/]+\//, '');
  const named = under
    .replace(`/${DEPLOYMENT_NAME}`, '/{DEPLOYMENT_NAME}')
    .replace(ENDPOINT_NAME, '{ENDPOINT_NAME}')
    .replace(/environments\/mnist-env\/versions\/\d+/, 'environments/mnist-env/versions/{ENV_VERSION}')
    .replace(/data\/mnist\/versions\/\d+/, 'data/{DATA_NAME}/versions/{DATA_VERSION}');
  return `${req.method} ${named}${occurrence > 1 ? ' (set default)' : ''}`;
}

beforeAll(async () => {
  // The page is written for Azure China (management.chinacloudapi.cn, chinaeast2).
  [sandbox, validator] = await Promise.all([startAzureMlSandbox({ cloud: 'AzureChinaCloud', timeScale: 0.002 }), createAzureSpecValidator()]);
  const ws = { SUBSCRIPTION_ID: sandbox.subscriptionId, RESOURCE_GROUP: sandbox.resourceGroup, WORKSPACE: sandbox.workspace, LOCATION: sandbox.location };
  // Like the page: the datastore's fields come from GET …/datastores?isDefault=true.
  const datastores = await sendRequest(
    { method: 'GET', url: `${sandbox.baseUrl}/subscriptions/${ws.SUBSCRIPTION_ID}/resourceGroups/${ws.RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/${ws.WORKSPACE}/datastores?api-version=2022-05-01&isDefault=true` },
    sandbox.token,
  );
  const store = (jsonOf(datastores).value as Array<{ name: string; properties: Record<string, string> }>)[0]!;
  requests = readRecipeRequests(RECIPE_FILE, {
    ...ws,
    API_VERSION: '2022-05-01',
    ENDPOINT_NAME,
    DEPLOYMENT_NAME,
    ENV_VERSION: '27182',
    DATA_NAME: 'mnist',
    DATA_VERSION: '31415',
    AZUREML_DEFAULT_DATASTORE: store.name,
    BLOB_URI_ROOT: `${store.properties.protocol}://${store.properties.accountName}.blob.${store.properties.endpoint}/${store.properties.containerName}`,
    CONDA_FILE: CONDA_JSON.replace(/"/g, '\\"'),
    // Data-plane snippets (scoring), read but not sent here: the page's scoring URI and its other names.
    SCORING_URI: sandbox.scoringUri(ENDPOINT_NAME),
    LOCATION_NAME: sandbox.location,
    WORKSPACE_NAME: sandbox.workspace,
    OUTPUT_FILE_NAME: 'predictions.csv',
  });
}, 30_000);

afterAll(async () => {
  await sandbox?.stop();
});

describe("the recipe's verbatim ARM requests", () => {
  it('are the eleven ARM calls of the page, in its order', () => {
    const arm = requests.filter((r) => new URL(r.url).pathname.startsWith('/subscriptions/'));
    const counts = new Map<string, number>();
    const labels = arm.map((r) => {
      const base = labelOf(r, 1);
      counts.set(base, (counts.get(base) ?? 0) + 1);
      return labelOf(r, r.method === 'PUT' ? counts.get(base)! : 1);
    });
    expect(labels).toEqual(Object.keys(EXPECTED_REQUEST_ISSUES));
  });

  it('are accepted by the sandbox as the service accepts them, one by one, and answered with spec-valid resources', async () => {
    const counts = new Map<string, number>();
    for (const req of requests.filter((r) => new URL(r.url).pathname.startsWith('/subscriptions/'))) {
      const base = labelOf(req, 1);
      counts.set(base, (counts.get(base) ?? 0) + 1);
      const label = labelOf(req, req.method === 'PUT' ? counts.get(base)! : 1);
      if (req.method === 'DELETE') continue; // last, in its own test
      const exchange = await sendRequest(toSandbox(req), sandbox.token);
      const verdict = await validator.validateExchange(exchange);
      if (verdict.scope !== 'arm') throw new Error(`${label} was not validated (${verdict.reason})`);
      seen.set(label, verdict);
      if (exchange.status >= 300) throw new Error(`the sandbox refused the recipe's ${label}:\n${describeValidation(verdict)}`);
      expectSpecValid(verdict, 'response');
    }
    expect([...seen.keys()].length).toBe(Object.keys(EXPECTED_REQUEST_ISSUES).length - 1);
  });

  it.each(Object.entries(EXPECTED_REQUEST_ISSUES).filter(([label]) => !label.startsWith('DELETE')))(
    'oav judges %s as documented',
    (label, expected) => {
      const verdict = seen.get(label);
      if (!verdict) throw new Error(`${label} was not sent`);
      expect(verdict.request.errors.map((e) => `${e.code} at ${e.path}`).sort()).toEqual([...expected].sort());
    },
  );

  it('stores the lenient deployment in canonical form: integers and the enum spelling', async () => {
    const dep = requests.find((r) => r.method === 'PUT' && r.url.includes(`/deployments/${DEPLOYMENT_NAME}`))!;
    const get = await sendRequest({ method: 'GET', url: toSandbox(dep).url }, sandbox.token);
    const verdict = await validator.validateExchange(get);
    expectSpecValid(verdict);
    expect(jsonOf(get).properties).toMatchObject({ miniBatchSize: 5, maxConcurrencyPerInstance: 4, errorThreshold: 10, loggingLevel: 'Info' });
  });

  it("answers the set-default PUT with the AzureAsyncOperationUri the page polls, and the operation succeeds", async () => {
    const exchange = seen.get('PUT batchEndpoints/{ENDPOINT_NAME} (set default)')!.exchange;
    const operationUri = String((jsonOf(exchange).properties as { properties: Record<string, string> }).properties.AzureAsyncOperationUri);
    expect(operationUri).toBe(exchange.responseHeaders?.['azure-asyncoperation']);
    await waitFor('the set-default operation to succeed', async () => {
      const status = jsonOf(await sendRequest({ method: 'GET', url: operationUri }, sandbox.token)).status;
      return status === 'Succeeded' ? status : undefined;
    });
  });

  it('deletes the endpoint with the page’s DELETE, answered as the spec says', async () => {
    const del = requests.find((r) => r.method === 'DELETE')!;
    const verdict = await validator.validateExchange(await sendRequest(toSandbox(del), sandbox.token));
    expectSpecValid(verdict);
    expect(verdict.exchange.status).toBe(202);
  });
});
