// The deploy baseline: the documented REST recipe (../shared/azureml/batch-score-rest-recipe.zh-CN.txt)
// done as its page does it, and no more:
// - create the compute cluster, and go on without waiting;
// - find the default datastore; upload the code and register it; upload the model and register it
//   (`az storage blob upload-batch`, here one file at a time); register the environment (version $RANDOM);
// - create the endpoint and the deployment, without waiting on either;
// - set the endpoint's default deployment and `wait_for_completion` on that operation: GET the
//   AzureAsyncOperationUri from the response body, `sleep 5` between polls (the function as
//   azureml-examples' cli/batch-score-rest.sh defines it);
// - get the scoringUri and invoke. The recipe's wait can end before its deployment is ready; then the
//   invoke is refused, and a user waits and tries again: every 5 s, like the script's other waits.
// It ends, as the bot's side does, when the endpoint accepts a scoring job.
// Bodies are the recipe's own (strings for numbers; the sandbox is lenient as the service is).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import axios, { type AxiosInstance } from 'axios';

export interface RecipeTarget {
  baseUrl: string;
  token: string;
  scoringToken: string;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  location: string;
  storageConnectionString: string;
  /** The script's `sleep 5`, on the sandbox's time scale. */
  pollSleepMs: number;
}

export interface RecipeNames {
  compute: string;
  endpoint: string;
  deployment: string;
  code: string;
  model: string;
  environment: string;
  /** The model version to register: 1 on a first deploy, the next one on a redeploy. */
  modelVersion: number;
}

export interface RecipeOutcome {
  /** ARM and scoring requests the recipe made (operation polls and refused invokes included). */
  requests: number;
  /** Invokes refused before one was accepted (the deployment was not ready when the wait ended). */
  refusedInvokes: number;
  /** When the default-deployment wait ended, in ms since the start. */
  waitEndedMs: number;
}

const API_VERSION = '2022-05-01';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The script's wait_for_completion: GET the operation, sleep 5 s, until Succeeded or Failed. */
async function waitForCompletion(http: AxiosInstance, operationUrl: string, sleepMs: number): Promise<void> {
  for (;;) {
    const res = await http.get(operationUrl);
    const status = (res.data as { status?: string }).status;
    if (status === 'Succeeded') return;
    if (status === 'Failed') throw new Error(`operation failed: ${JSON.stringify(res.data)}`);
    await sleep(sleepMs);
  }
}

async function uploadOneByOne(connectionString: string, container: string, prefix: string, dir: string): Promise<void> {
  const client = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container);
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  for (const e of entries.filter((x) => x.isFile())) {
    const file = path.join(e.parentPath, e.name);
    const blob = `${prefix}/${path.relative(dir, file).split(path.sep).join('/')}`;
    await client.getBlockBlobClient(blob).uploadFile(file, { concurrency: 1 });
  }
}

/** POSTs the recipe's invoke until the endpoint accepts it (2xx); returns how many were refused first. */
export async function invokeUntilAccepted(t: Pick<RecipeTarget, 'scoringToken' | 'pollSleepMs'>, scoringUri: string, inputUri: string, count: () => void): Promise<number> {
  const body = { properties: { InputData: { mnistinput: { JobInputType: 'UriFolder', Uri: inputUri } } } };
  for (let refused = 0; ; refused++) {
    count();
    const res = await axios.post(scoringUri, body, {
      headers: { Authorization: `Bearer ${t.scoringToken}`, 'Content-Type': 'application/json' },
      validateStatus: () => true,
    });
    if (res.status >= 200 && res.status < 300) return refused;
    if (res.status !== 409 && res.status < 500) throw new Error(`invoke refused for good: ${res.status} ${JSON.stringify(res.data)}`);
    await sleep(t.pollSleepMs);
  }
}

/** Runs the recipe page up to an accepted invoke. */
export async function deployByRecipe(
  t: RecipeTarget,
  names: RecipeNames,
  local: { codeDir: string; modelDir: string; inputUri: string },
): Promise<RecipeOutcome> {
  const started = Date.now();
  const ws = `/subscriptions/${t.subscriptionId}/resourceGroups/${t.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${t.workspace}`;
  let requests = 0;
  const http = axios.create({ baseURL: t.baseUrl, headers: { Authorization: `Bearer ${t.token}`, 'Content-Type': 'application/json' } });
  http.interceptors.request.use((config) => {
    requests += 1;
    return config;
  });
  const q = `?api-version=${API_VERSION}`;

  // Create compute, and go on (the page does not wait for it).
  await http.put(`${ws}/computes/${names.compute}${q}`, {
    properties: {
      computeType: 'AmlCompute',
      properties: { osType: 'Linux', vmSize: 'STANDARD_D2_V2', scaleSettings: { maxNodeCount: 5, minNodeCount: 0 }, remoteLoginPortPublicAccess: 'NotSpecified' },
    },
    location: t.location,
  });

  // Storage account details of the default datastore.
  const stores = await http.get(`${ws}/datastores${q}&isDefault=true`);
  const store = (stores.data as { value: Array<{ name: string; properties: { containerName: string; protocol: string; accountName: string; endpoint: string } }> }).value[0]!;
  const blobRoot = `${store.properties.protocol}://${store.properties.accountName}.blob.${store.properties.endpoint}/${store.properties.containerName}`;

  // Upload and register the code, then the model.
  await uploadOneByOne(t.storageConnectionString, store.properties.containerName, `${names.code}/score`, local.codeDir);
  await http.put(`${ws}/codes/${names.code}/versions/1${q}`, { properties: { description: 'Score code', codeUri: `${blobRoot}/${names.code}/score` } });
  const modelPath = `${names.model}/model-v${names.modelVersion}`;
  await uploadOneByOne(t.storageConnectionString, store.properties.containerName, modelPath, local.modelDir);
  await http.put(`${ws}/models/${names.model}/versions/${names.modelVersion}${q}`, {
    properties: { modelUri: `azureml://subscriptions/${t.subscriptionId}/resourceGroups/${t.resourceGroup}/workspaces/${t.workspace}/datastores/${store.name}/paths/${modelPath}` },
  });
  // ENV_VERSION=$RANDOM: a new environment version on every run of the page.
  const envVersion = String(1 + Math.floor(Math.random() * 32_767));
  await http.put(`${ws}/environments/${names.environment}/versions/${envVersion}${q}`, {
    properties: { condaFile: 'name: mnist-env\ndependencies:\n  - python=3.8\n  - pip:\n    - torch\n', image: 'mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04:latest' },
  });

  // Endpoint and deployment: created one after the other, neither waited on.
  await http.put(`${ws}/batchEndpoints/${names.endpoint}${q}`, { properties: { authMode: 'aadToken' }, location: t.location });
  await http.put(`${ws}/batchEndpoints/${names.endpoint}/deployments/${names.deployment}${q}`, {
    location: t.location,
    properties: {
      model: { referenceType: 'Id', assetId: `${ws}/models/${names.model}/versions/${names.modelVersion}` },
      codeConfiguration: { codeId: `${ws}/codes/${names.code}/versions/1`, scoringScript: 'digit_identification.py' },
      environmentId: `${ws}/environments/${names.environment}/versions/${envVersion}`,
      compute: `${ws}/computes/${names.compute}`,
      resources: { instanceCount: 1 },
      maxConcurrencyPerInstance: '4',
      retrySettings: { maxRetries: 3, timeout: 'PT30S' },
      errorThreshold: '10',
      loggingLevel: 'info',
      miniBatchSize: '5',
    },
  });

  // Set the default deployment and wait on that operation: the page's only wait.
  const defaults = await http.put(`${ws}/batchEndpoints/${names.endpoint}${q}`, {
    properties: { authMode: 'aadToken', defaults: { deploymentName: names.deployment } },
    location: t.location,
  });
  // The page reads the operation from the body (.properties.properties.AzureAsyncOperationUri).
  const operation = (defaults.data as { properties?: { properties?: { AzureAsyncOperationUri?: string } } }).properties?.properties?.AzureAsyncOperationUri;
  if (!operation) throw new Error('the default-deployment PUT named no AzureAsyncOperationUri');
  await waitForCompletion(http, operation, t.pollSleepMs);
  const waitEndedMs = Date.now() - started;

  // Scoring URI, then invoke until accepted.
  const endpoint = await http.get(`${ws}/batchEndpoints/${names.endpoint}${q}`);
  const scoringUri = (endpoint.data as { properties: { scoringUri: string } }).properties.scoringUri;
  const refusedInvokes = await invokeUntilAccepted(t, scoringUri, local.inputUri, () => (requests += 1));
  return { requests, refusedInvokes, waitEndedMs };
}
