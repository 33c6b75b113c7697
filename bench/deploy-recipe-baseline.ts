// The deploy baseline: the documented REST recipe (batch-score-rest-recipe, from azureml-examples'
// cli/batch-score-rest.sh) done step after step as the shell script does it — one curl-like call at a
// time (axios), every long-running PUT waited on like the script's wait_for_completion (GET the
// operation status, sleep 5 s, repeat until Succeeded or Failed), and the uploads one file at a time.
// Bodies are the recipe's own (strings for numbers, trailing commas aside: the sandbox is lenient as
// the service is).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import axios, { type AxiosInstance } from 'axios';

export interface RecipeTarget {
  baseUrl: string;
  token: string;
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
}

const API_VERSION = '2022-05-01';

async function waitForCompletion(http: AxiosInstance, operationUrl: string, sleepMs: number): Promise<void> {
  for (;;) {
    const res = await http.get(operationUrl);
    const status = (res.data as { status?: string }).status;
    if (status === 'Succeeded') return;
    if (status === 'Failed') throw new Error(`operation failed: ${JSON.stringify(res.data)}`);
    await new Promise((r) => setTimeout(r, sleepMs));
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

/** Runs the recipe up to a default deployment; returns the number of ARM requests it made (polls included). */
export async function deployByRecipe(t: RecipeTarget, names: RecipeNames, local: { codeDir: string; modelDir: string }): Promise<{ requests: number }> {
  const ws = `/subscriptions/${t.subscriptionId}/resourceGroups/${t.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${t.workspace}`;
  let requests = 0;
  const http = axios.create({ baseURL: t.baseUrl, headers: { Authorization: `Bearer ${t.token}`, 'Content-Type': 'application/json' } });
  http.interceptors.request.use((config) => {
    requests += 1;
    return config;
  });
  const q = `?api-version=${API_VERSION}`;
  const asyncUrl = (res: { headers: Record<string, unknown>; data: unknown }): string =>
    String(res.headers['azure-asyncoperation'] ?? (res.data as { properties?: { properties?: { AzureAsyncOperationUri?: string } } }).properties?.properties?.AzureAsyncOperationUri);

  // Create compute (the recipe, then wait_for_completion as the script does).
  const compute = await http.put(`${ws}/computes/${names.compute}${q}`, {
    properties: {
      computeType: 'AmlCompute',
      properties: { osType: 'Linux', vmSize: 'STANDARD_D2_V2', scaleSettings: { maxNodeCount: 5, minNodeCount: 0 }, remoteLoginPortPublicAccess: 'NotSpecified' },
    },
    location: t.location,
  });
  await waitForCompletion(http, asyncUrl(compute), t.pollSleepMs);

  // Storage account details of the default datastore.
  const stores = await http.get(`${ws}/datastores${q}&isDefault=true`);
  const store = (stores.data as { value: Array<{ name: string; properties: { containerName: string; protocol: string; accountName: string; endpoint: string } }> }).value[0]!;
  const blobRoot = `${store.properties.protocol}://${store.properties.accountName}.blob.${store.properties.endpoint}/${store.properties.containerName}`;

  // Upload and register the code, then the model (az storage blob upload-batch, one file at a time).
  await uploadOneByOne(t.storageConnectionString, store.properties.containerName, `${names.code}/score`, local.codeDir);
  await http.put(`${ws}/codes/${names.code}/versions/1${q}`, { properties: { description: 'Score code', codeUri: `${blobRoot}/${names.code}/score` } });
  await uploadOneByOne(t.storageConnectionString, store.properties.containerName, `${names.model}/model`, local.modelDir);
  await http.put(`${ws}/models/${names.model}/versions/1${q}`, {
    properties: { modelUri: `azureml://subscriptions/${t.subscriptionId}/resourceGroups/${t.resourceGroup}/workspaces/${t.workspace}/datastores/${store.name}/paths/${names.model}/model` },
  });
  await http.put(`${ws}/environments/${names.environment}/versions/1${q}`, {
    properties: { condaFile: 'name: mnist-env\ndependencies:\n  - python=3.8\n  - pip:\n    - torch\n', image: 'mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04:latest' },
  });

  // Endpoint, deployment, default deployment: each waited on.
  const endpoint = await http.put(`${ws}/batchEndpoints/${names.endpoint}${q}`, { properties: { authMode: 'aadToken' }, location: t.location });
  await waitForCompletion(http, asyncUrl(endpoint), t.pollSleepMs);
  const deployment = await http.put(`${ws}/batchEndpoints/${names.endpoint}/deployments/${names.deployment}${q}`, {
    location: t.location,
    properties: {
      model: { referenceType: 'Id', assetId: `${ws}/models/${names.model}/versions/1` },
      codeConfiguration: { codeId: `${ws}/codes/${names.code}/versions/1`, scoringScript: 'digit_identification.py' },
      environmentId: `${ws}/environments/${names.environment}/versions/1`,
      compute: `${ws}/computes/${names.compute}`,
      resources: { instanceCount: 1 },
      maxConcurrencyPerInstance: '4',
      retrySettings: { maxRetries: 3, timeout: 'PT30S' },
      errorThreshold: '10',
      loggingLevel: 'info',
      miniBatchSize: '5',
    },
  });
  await waitForCompletion(http, asyncUrl(deployment), t.pollSleepMs);
  const defaults = await http.put(`${ws}/batchEndpoints/${names.endpoint}${q}`, {
    properties: { authMode: 'aadToken', defaults: { deploymentName: names.deployment } },
    location: t.location,
  });
  await waitForCompletion(http, asyncUrl(defaults), t.pollSleepMs);
  return { requests };
}
