// The Azure ML client against the local sandbox (sandbox/azureml, datastore on Azurite): the REST recipe
// end to end through the deploy plan, every input form, outputs, deployments, faults and resume.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzureMlSandbox, type AzureMlSandbox } from '../../sandbox/azureml';
import { createArmClient } from '../../src/azureml/arm-client';
import { AZURE_CLOUDS } from '../../src/azureml/clouds';
import type { TokenCredential } from '../../src/azureml/credentials';
import {
  AzureMlError,
  createAzureMlClient,
  createDeployProgress,
  DeployStepError,
  ScoringRequestError,
  type AzureMlClient,
  type DeployProgress,
} from '../../src/azureml';
import { parseDataReference } from '../../src/domain/data-reference';
import { deploySpecSchema, type DeploySpec, type DeploySpecInput } from '../../src/domain/deploy-spec';
import { getDefaultDatastore } from '../../src/azureml/datastores';
import { uploadFolder, type UploadProgress } from '../../src/azureml/uploads';
import { jobStudioUrl } from '../../src/azureml/scoring';
import { followScoringJob } from '../support/azureml-setup';

const ENDPOINT = 'mnist-ep';
const DEPLOYMENT = 'mnist-dp';
/** The sandbox's digit model: digit = sum of the file's bytes mod 10. */
const digitOf = (content: string): number => [...Buffer.from(content)].reduce((s, b) => (s + b) % 10, 0);
const INPUT_FILES: Record<string, string> = { '0.png': 'seven', '1.png': 'three!', '2.png': 'a digit' };

let sandbox: AzureMlSandbox;
let client: AzureMlClient;
let artifactsRoot: string;
let scoringUri: string;

function spec(overrides: Partial<DeploySpecInput> = {}): DeploySpec {
  return deploySpecSchema.parse({
    endpointName: ENDPOINT,
    deploymentName: DEPLOYMENT,
    description: 'digits',
    model: { kind: 'upload', localPath: 'model', name: 'mnist' },
    code: { kind: 'upload', localPath: 'code', name: 'score-mnist' },
    scoringScript: 'digit_identification.py',
    environment: { kind: 'image', name: 'mnist-env', image: 'mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04:latest', condaFile: 'name: mnist\ndependencies: [python=3.8]\n' },
    compute: { kind: 'create', name: 'batch-cluster' },
    ...overrides,
  });
}

async function deploy(s: DeploySpec, progress: DeployProgress = createDeployProgress(s)): Promise<DeployProgress> {
  return client.runDeployPlan(s, progress, async () => undefined);
}

const datastoreUri = (p: string): string => `azureml://datastores/workspaceblobstore/paths/${p}`;
const countRequests = (method: string, pathPattern: RegExp): number => sandbox.admin.requestCount({ method, path: pathPattern });

beforeAll(async () => {
  sandbox = await startAzureMlSandbox({ timeScale: 0.002 });
  const cloud = AZURE_CLOUDS[sandbox.cloud];
  const arm = createArmClient({
    cloud,
    credential: sandbox.credential as TokenCredential,
    baseUrl: sandbox.baseUrl,
    retry: { baseDelayMs: 20, maxDelayMs: 200 },
  });
  artifactsRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'a2-client-artifacts-'));
  await fs.mkdir(path.join(artifactsRoot, 'code'), { recursive: true });
  await fs.mkdir(path.join(artifactsRoot, 'model'), { recursive: true });
  await fs.writeFile(path.join(artifactsRoot, 'code', 'digit_identification.py'), 'def run(batch):\n    return batch\n');
  await fs.writeFile(path.join(artifactsRoot, 'model', 'model.pt'), Buffer.alloc(64 * 1024, 1));
  client = createAzureMlClient({
    arm,
    workspace: { subscriptionId: sandbox.subscriptionId, resourceGroup: sandbox.resourceGroup, workspace: sandbox.workspace, location: sandbox.location },
    storage: { kind: 'connection-string', connectionString: sandbox.storageConnectionString },
    artifactsRoot,
    poll: { minIntervalMs: 10, maxIntervalMs: 200 },
  });
  await Promise.all(
    Object.entries(INPUT_FILES).flatMap(([name, content]) => [
      sandbox.admin.putPublicFile(`sampledata/mnist/${name}`, content),
      sandbox.admin.putDatastoreFile(`inputs/mnist/${name}`, content),
    ]),
  );
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
  if (artifactsRoot) await fs.rm(artifactsRoot, { recursive: true, force: true });
});

const watch = { intervalMs: 20, timeoutMs: 20_000 };

describe('the batch scoring recipe', () => {
  it('deploys through the plan, scores a datastore folder and writes predictions.csv', async () => {
    const final = await deploy(spec());
    expect(Object.values(final.steps).every((s) => s?.status === 'done')).toBe(true);
    scoringUri = final.steps.endpoint!.outputs.scoringUri!;
    expect(scoringUri).toBe(sandbox.scoringUri(ENDPOINT));
    expect(final.steps.default!.outputs.deploymentName).toBe(DEPLOYMENT);

    const deployment = await client.deployments.get(ENDPOINT, DEPLOYMENT);
    expect(deployment.properties).toMatchObject({ provisioningState: 'Succeeded', miniBatchSize: 5, maxConcurrencyPerInstance: 4, errorThreshold: 10, loggingLevel: 'Info' });
    expect(deployment.properties.model?.assetId).toBe(final.steps.model!.outputs.id);

    const { jobName } = await client.scoring.invoke({
      endpointName: ENDPOINT,
      input: { ref: parseDataReference(datastoreUri('inputs/mnist/')), type: 'UriFolder' },
    });
    const job = await followScoringJob(client, scoringUri, jobName, watch);
    expect(job.properties.status).toBe('Completed');
    const csv = (await sandbox.admin.readDatastoreFile(`azureml/${jobName}/score/predictions.csv`))?.toString();
    const expected = Object.entries(INPUT_FILES)
      .map(([name, content]) => `${name},${digitOf(content)}`)
      .sort();
    expect(csv?.trim().split('\n').map((row) => row.replace(/^.*\//, '')).sort()).toEqual(expected);
  });

  it('re-deploys unchanged files without uploading or registering new versions', async () => {
    const versionPuts = countRequests('PUT', /\/(codes|models)\/[^/]+\/versions\//);
    const final = await deploy(spec());
    expect(final.steps.code!.outputs).toMatchObject({ reused: 'true', uploaded: '0' });
    expect(final.steps.model!.outputs.version).toMatch(/^[0-9a-f]{16}$/);
    expect(countRequests('PUT', /\/(codes|models)\/[^/]+\/versions\//)).toBe(versionPuts);
  });

  it('deploys a new model version by copying the unchanged files within the storage account', async () => {
    const before = (await deploy(spec())).steps.model!.outputs.version;
    await fs.writeFile(path.join(artifactsRoot, 'model', 'MLmodel'), 'flavors: {}\n');
    try {
      const outputs = (await deploy(spec())).steps.model!.outputs;
      expect(outputs.version).not.toBe(before);
      expect(outputs).toMatchObject({ uploaded: '1', copied: '1', bytes: String('flavors: {}\n'.length) });
    } finally {
      await fs.rm(path.join(artifactsRoot, 'model', 'MLmodel'));
    }
    expect((await deploy(spec())).steps.model!.outputs).toMatchObject({ version: before, reused: 'true' });
  });

  it.each([
    ['a public https folder', () => `${sandbox.publicBaseUrl}/sampledata/mnist/`, 'UriFolder', 3],
    ['a public https file', () => `${sandbox.publicBaseUrl}/sampledata/mnist/1.png`, 'UriFile', 1],
    ['a datastore folder, short form', () => datastoreUri('inputs/mnist/'), 'UriFolder', 3],
    [
      'a datastore folder, long form',
      () => `azureml://subscriptions/${sandbox.subscriptionId}/resourceGroups/${sandbox.resourceGroup}/workspaces/${sandbox.workspace}/datastores/workspaceblobstore/paths/inputs/mnist/`,
      'UriFolder',
      3,
    ],
    ['a data asset by asset id', () => `azureml://locations/${sandbox.location}/workspaces/${sandbox.workspace}/data/mnist-data/versions/1`, 'UriFolder', 3],
    [
      'a data asset by ARM id',
      () => `/subscriptions/${sandbox.subscriptionId}/resourceGroups/${sandbox.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${sandbox.workspace}/data/mnist-data/versions/1`,
      'UriFolder',
      3,
    ],
  ] as const)('scores %s', async (_label, uri, type, rows) => {
    await client.assets.createDataVersion({ name: 'mnist-data', version: '1' }, 'uri_folder', datastoreUri('inputs/mnist/'), 'Mnist data asset');
    const output = parseDataReference(datastoreUri(`outputs/${type}-${Math.random().toString(36).slice(2)}.csv`));
    const { jobName } = await client.scoring.invoke({ endpointName: ENDPOINT, input: { ref: parseDataReference(uri()), type }, output: { ref: output } });
    await followScoringJob(client, scoringUri, jobName, watch);
    const csv = await sandbox.admin.readDatastoreFile(output.kind === 'datastore' ? output.path : '');
    expect(csv?.toString().trim().split('\n')).toHaveLength(rows);
  });

  it('writes an explicit output file, then refuses to reuse it before asking the service', async () => {
    const output = parseDataReference(datastoreUri('outputs/explicit/predictions.csv'));
    const input = { ref: parseDataReference(datastoreUri('inputs/mnist/')), type: 'UriFolder' as const };
    const { jobName } = await client.scoring.invoke({ endpointName: ENDPOINT, input, output: { ref: output } });
    await followScoringJob(client, scoringUri, jobName, watch);
    expect(await sandbox.admin.readDatastoreFile('outputs/explicit/predictions.csv')).toBeDefined();

    const posts = countRequests('POST', /\/inference\//);
    const err = await client.scoring.invoke({ endpointName: ENDPOINT, input, output: { ref: output } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScoringRequestError);
    expect(err).toMatchObject({ code: 'OutputAlreadyExists' });
    expect((err as Error).message).toMatch(/pick a new file name/);
    expect(countRequests('POST', /\/inference\//)).toBe(posts);
  });

  it('runs a non-default deployment named in the header, and switches the default', async () => {
    await deploy(spec({ deploymentName: 'second-dp', makeDefault: false, instanceCount: 2 }));
    const input = { ref: parseDataReference(datastoreUri('inputs/mnist/0.png')), type: 'UriFile' as const };

    const named = await client.scoring.invoke({ endpointName: ENDPOINT, input, deploymentName: 'second-dp' });
    expect(named.job.properties.tags?.['azureml.deploymentname']).toBe('second-dp');
    expect(named.job.id).toContain(`/batchEndpoints/${ENDPOINT}/deployments/second-dp/jobs/${named.jobName}`);
    const byDefault = await client.scoring.invoke({ endpointName: ENDPOINT, input });
    expect(byDefault.job.properties.tags?.['azureml.deploymentname']).toBe(DEPLOYMENT);

    const endpoint = await client.endpoints.setDefaultDeploymentAndWait(ENDPOINT, 'second-dp', { minIntervalMs: 10 });
    expect(endpoint.properties.defaults?.deploymentName).toBe('second-dp');
    expect(endpoint.properties.description).toBeUndefined();
    const afterSwitch = await client.scoring.invoke({ endpointName: ENDPOINT, input });
    expect(afterSwitch.job.properties.tags?.['azureml.deploymentname']).toBe('second-dp');
    await client.endpoints.setDefaultDeploymentAndWait(ENDPOINT, DEPLOYMENT, { minIntervalMs: 10 });

    const deployments = await client.deployments.list(ENDPOINT);
    expect(deployments.map((d) => d.name).sort()).toEqual(['mnist-dp', 'second-dp']);
    await Promise.all([named, byDefault, afterSwitch].map((j) => followScoringJob(client, scoringUri, j.jobName, watch)));
  });

  it('cancels a job through ARM and sees it end Canceled', async () => {
    const { jobName } = await client.scoring.invoke({ endpointName: ENDPOINT, input: { ref: parseDataReference(datastoreUri('inputs/mnist/')), type: 'UriFolder' } });
    await client.jobs.cancelAndWait(jobName, { minIntervalMs: 10 });
    expect((await followScoringJob(client, scoringUri, jobName, watch)).properties.status).toBe('Canceled');
    expect((await client.jobs.get(jobName)).properties.status).toBe('Canceled');
    const jobs = await client.jobs.listForEndpoint(ENDPOINT);
    expect(jobs.map((j) => j.name)).toContain(jobName);
    expect(jobs.every((j) => j.properties.experimentName === ENDPOINT)).toBe(true);
  });

  it("points a failed job at its studio page (Azure's job documents carry no reason)", async () => {
    sandbox.admin.failNextJobs(1, 'CUDA out of memory on node 0');
    const { jobName, studioUrl } = await client.scoring.invoke({ endpointName: ENDPOINT, input: { ref: parseDataReference(datastoreUri('inputs/mnist/')), type: 'UriFolder' } });
    expect(studioUrl).toContain(`/runs/${jobName}?wsid=`);
    const job = await followScoringJob(client, scoringUri, jobName, watch);
    expect(job.properties.status).toBe('Failed');
    expect(jobStudioUrl(job)).toBe(studioUrl);
    expect(sandbox.admin.jobFailure(jobName)?.message).toBe('CUDA out of memory on node 0');
  });

  it('sends a repeatability id with each invoke and never repeats an invoke whose answer was lost', async () => {
    const input = { ref: parseDataReference(datastoreUri('inputs/mnist/1.png')), type: 'UriFile' as const };
    const before = sandbox.admin.listJobs().length;
    const posts = countRequests('POST', /\/inference\//);
    sandbox.admin.injectFault({ match: 'scoring', count: 1, status: 504, after: true });
    const err = await client.scoring.invoke({ endpointName: ENDPOINT, input, repeatabilityId: 'req-0001' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'AzureMlError', statusCode: 504 });
    expect(countRequests('POST', /\/inference\//)).toBe(posts + 1);
    const created = sandbox.admin.listJobs().slice(before);
    expect(created).toHaveLength(1);
    expect(sandbox.admin.jobRepeatabilityId(created[0]!.name as string)).toBe('req-0001');
    sandbox.admin.injectFault({ match: 'scoring', count: 1, reset: true, after: true });
    await expect(client.scoring.invoke({ endpointName: ENDPOINT, input })).rejects.toMatchObject({ code: 'NetworkError' });
    expect(countRequests('POST', /\/inference\//)).toBe(posts + 2);
    for (const job of sandbox.admin.listJobs().slice(before)) await client.jobs.cancelAndWait(job.name as string, { minIntervalMs: 10 });
  });

  it('survives bursts of 429 and 5xx answers on ARM, scoring and operation polls', async () => {
    sandbox.admin.injectFault({ match: 'arm', count: 3, status: 503 });
    sandbox.admin.injectFault({ match: 'scoring', count: 2, status: 429, retryAfterMs: 20 });
    sandbox.admin.injectFault({ match: 'lro-poll', count: 2, status: 500 });
    const endpoint = await client.endpoints.setDefaultDeploymentAndWait(ENDPOINT, DEPLOYMENT, { minIntervalMs: 10 });
    expect(endpoint.properties.provisioningState).toBe('Succeeded');
    const { jobName } = await client.scoring.invoke({ endpointName: ENDPOINT, input: { ref: parseDataReference(datastoreUri('inputs/mnist/1.png')), type: 'UriFile' } });
    await expect(followScoringJob(client, scoringUri, jobName, watch)).resolves.toMatchObject({ properties: { status: 'Completed' } });
    expect(sandbox.admin.faults()).toEqual([]);
  });

  it('surfaces a failed deployment operation as a DeployStepError with the service message', async () => {
    sandbox.admin.failDeploymentProvisioning(ENDPOINT, 'broken-dp', { code: 'ImageBuildFailure', message: 'conda could not resolve python=3.8' });
    const s = spec({ deploymentName: 'broken-dp', makeDefault: false });
    const err = await deploy(s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployStepError);
    expect(err).toMatchObject({ step: 'deployment', code: 'ImageBuildFailure' });
    expect((err as DeployStepError).cause).toBeInstanceOf(AzureMlError);
    expect((err as Error).message).toContain('conda could not resolve python=3.8');
  });
});

// @azure/identity keeps handing out a cached token until it nears expiry, even after Azure revoked it
// (docs/reliability.md, known gap 1, fixed). The sandbox revokes every token issued so far and answers them
// 401 ExpiredAuthenticationToken, as ARM does; the client must take one token from a new credential.
describe('a token Azure revoked before its expiry', () => {
  /** A credential that caches its token per scope until expiry, as @azure/identity's do. */
  function cachingCredential(built: { count: number }): TokenCredential {
    built.count += 1;
    const cache = new Map<string, { token: string; expiresOnTimestamp: number }>();
    return {
      async getToken(scopes) {
        const scope = ([] as string[]).concat(scopes)[0]!;
        const hit = cache.get(scope);
        if (hit && hit.expiresOnTimestamp > Date.now() + 60_000) return hit;
        const token = await (sandbox.credential as TokenCredential).getToken(scope);
        if (token) cache.set(scope, token);
        return token;
      },
    };
  }

  it('gets one fresh token from a new credential, retries once, and keeps using it', async () => {
    const built = { count: 0 };
    const arm = createArmClient({
      cloud: AZURE_CLOUDS[sandbox.cloud],
      credential: cachingCredential(built),
      freshCredential: () => cachingCredential(built),
      baseUrl: sandbox.baseUrl,
      retry: { baseDelayMs: 20, maxDelayMs: 200 },
    });
    const endpoints = `/subscriptions/${sandbox.subscriptionId}/resourceGroups/${sandbox.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${sandbox.workspace}/batchEndpoints`;
    expect((await arm.request({ method: 'GET', path: endpoints })).status).toBe(200);
    sandbox.admin.expireAllTokens();
    const seen = sandbox.requestLog.length;
    expect((await arm.request({ method: 'GET', path: endpoints })).status).toBe(200);
    // One 401 with the cached token, one answer with the fresh one; one new credential.
    const answers = () => sandbox.requestLog.slice(seen).filter((e) => new URL(e.url).pathname === endpoints);
    expect(answers().map((e) => [e.status, e.status === 401 ? JSON.parse(e.responseBody).error.code : 'ok'])).toEqual([
      [401, 'ExpiredAuthenticationToken'],
      [200, 'ok'],
    ]);
    expect(built.count).toBe(2);
    // Later requests use the new credential's token: no second 401, no third credential.
    expect((await arm.request({ method: 'GET', path: endpoints })).status).toBe(200);
    expect(answers().map((e) => e.status)).toEqual([401, 200, 200]);
    expect(built.count).toBe(2);
  });
});

describe('uploading a folder to the default datastore', () => {
  it('uploads once, skips unchanged files (large ones too) and re-sends only what changed', async () => {
    const dir = path.join(artifactsRoot, 'upload-check');
    await fs.mkdir(path.join(dir, 'nested'), { recursive: true });
    let smallBytes = 0;
    for (let i = 0; i < 12; i++) {
      await fs.writeFile(path.join(dir, `part-${i}.txt`), `part ${i}`);
      smallBytes += `part ${i}`.length;
    }
    // Over the 4 MiB single-shot limit: goes up in blocks, so only our metadata MD5 can prove it unchanged.
    await fs.writeFile(path.join(dir, 'nested', 'weights.bin'), Buffer.alloc(9 * 1024 * 1024, 3));
    const datastore = await getDefaultDatastore(client);
    expect(datastore).toMatchObject({ name: 'workspaceblobstore', containerName: sandbox.datastoreContainer });
    const progress: Array<{ filesDone: number; bytesDone: number }> = [];

    const upload = (o: { concurrency?: number; onProgress?: (p: UploadProgress) => void } = {}) =>
      uploadFolder({ container: client.containerFor(datastore), localDir: dir, prefix: 'uploads/check', ...o });
    const first = await upload({ concurrency: 4, onProgress: (p) => progress.push(p) });
    expect(first).toEqual({ uploaded: 13, skipped: 0, copied: 0, bytes: 9 * 1024 * 1024 + smallBytes });
    expect(progress[progress.length - 1]).toMatchObject({ filesDone: 13, filesTotal: 13, bytesDone: first.bytes });
    expect((await sandbox.admin.readDatastoreFile('uploads/check/nested/weights.bin'))?.length).toBe(9 * 1024 * 1024);
    // A small file goes up in one Put Blob (no committed blocks); a large one in staged blocks.
    const container = BlobServiceClient.fromConnectionString(sandbox.storageConnectionString).getContainerClient(sandbox.datastoreContainer);
    expect((await container.getBlockBlobClient('uploads/check/part-3.txt').getBlockList('committed')).committedBlocks ?? []).toHaveLength(0);
    expect(((await container.getBlockBlobClient('uploads/check/nested/weights.bin').getBlockList('committed')).committedBlocks ?? []).length).toBeGreaterThan(1);

    await expect(upload()).resolves.toEqual({ uploaded: 0, skipped: 13, copied: 0, bytes: 0 });

    await fs.writeFile(path.join(dir, 'part-3.txt'), 'changed');
    await expect(upload()).resolves.toEqual({ uploaded: 1, skipped: 12, copied: 0, bytes: 7 });
    expect((await sandbox.admin.readDatastoreFile('uploads/check/part-3.txt'))?.toString()).toBe('changed');
  });

  it("copies the files an earlier version holds within the storage account and sends only the new ones", async () => {
    const dir = path.join(artifactsRoot, 'copy-check');
    await fs.mkdir(path.join(dir, 'nested'), { recursive: true });
    const weights = Buffer.alloc(9 * 1024 * 1024, 5);
    await fs.writeFile(path.join(dir, 'nested', 'weights.bin'), weights);
    await fs.writeFile(path.join(dir, 'MLmodel'), 'revision: 1\n');
    await fs.writeFile(path.join(dir, 'vocab.txt'), 'a b c');
    const container = client.containerFor(await getDefaultDatastore(client));
    const upload = (version: string) => uploadFolder({ container, localDir: dir, prefix: `uploads/model/v-${version}`, copyFrom: 'uploads/model' });
    await expect(upload('1')).resolves.toEqual({ uploaded: 3, skipped: 0, copied: 0, bytes: weights.length + 12 + 5 });

    await fs.writeFile(path.join(dir, 'MLmodel'), 'revision: 2\n');
    await expect(upload('2')).resolves.toEqual({ uploaded: 1, skipped: 0, copied: 2, bytes: 12 });
    expect((await sandbox.admin.readDatastoreFile('uploads/model/v-2/nested/weights.bin'))?.equals(weights)).toBe(true);
    expect((await sandbox.admin.readDatastoreFile('uploads/model/v-2/vocab.txt'))?.toString()).toBe('a b c');
    expect((await sandbox.admin.readDatastoreFile('uploads/model/v-2/MLmodel'))?.toString()).toBe('revision: 2\n');
    // The storage itself says which blobs it copied, and from where.
    const copy = await container.getBlobClient('uploads/model/v-2/nested/weights.bin').getProperties();
    expect(copy).toMatchObject({ copyStatus: 'success' });
    expect(copy.copySource).toMatch(/\/uploads\/model\/v-1\/nested\/weights\.bin$/);
    expect((await container.getBlobClient('uploads/model/v-2/MLmodel').getProperties()).copyStatus).toBeUndefined();
    // A copy keeps the MD5 the uploader compares, so the copied version is seen as unchanged afterwards.
    await expect(upload('2')).resolves.toEqual({ uploaded: 0, skipped: 3, copied: 0, bytes: 0 });
  });

  it('sends a file when the storage refuses to copy it', async () => {
    const dir = path.join(artifactsRoot, 'copy-refused');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'weights.bin'), Buffer.alloc(256 * 1024, 7));
    const real = client.containerFor(await getDefaultDatastore(client));
    await uploadFolder({ container: real, localDir: dir, prefix: 'uploads/refused/v-1' });
    // The outer edge: a storage answering 403 to every Copy Blob, as one with the copy source unauthorized would.
    const refusing = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== 'getBlobClient') return Reflect.get(target, prop, receiver);
        return (name: string) => {
          const blob = target.getBlobClient(name);
          blob.beginCopyFromURL = () => Promise.reject(Object.assign(new Error('CannotVerifyCopySource'), { statusCode: 403 }));
          return blob;
        };
      },
    });
    await expect(uploadFolder({ container: refusing, localDir: dir, prefix: 'uploads/refused/v-2', copyFrom: 'uploads/refused' })).resolves.toEqual({
      uploaded: 1,
      skipped: 0,
      copied: 0,
      bytes: 256 * 1024,
    });
    expect((await sandbox.admin.readDatastoreFile('uploads/refused/v-2/weights.bin'))?.length).toBe(256 * 1024);
  });
});

describe('resuming a deploy', () => {
  it('resumes an interrupted deploy from saved progress without repeating any PUT', async () => {
    const s = spec({ endpointName: 'resume-ep', deploymentName: 'resume-dp', model: { kind: 'upload', localPath: 'model', name: 'mnist-resume' } });
    let saved: DeployProgress = createDeployProgress(s);
    const crash = new Error('worker killed');
    // The "worker" persists each snapshot, then dies right after checkpointing the deployment's operation.
    const err = await client
      .runDeployPlan(s, saved, async (event) => {
        saved = event.progress;
        if (event.step === 'deployment' && event.progress.steps.deployment?.poller) throw crash;
      })
      .catch((e: unknown) => e);
    expect(err).toBe(crash);
    expect(saved.steps.deployment).toMatchObject({ status: 'running' });
    // The deployment starts once the endpoint is accepted (deploy-plan.ts): the endpoint may still be provisioning.
    const endpointStep = saved.steps.endpoint!;
    expect(endpointStep.status === 'done' || (endpointStep.status === 'running' && endpointStep.accepted !== undefined)).toBe(true);

    const final = await client.runDeployPlan(s, saved, async (event) => void (saved = event.progress));
    expect(Object.values(final.steps).every((st) => st?.status === 'done')).toBe(true);
    expect(countRequests('PUT', /\/batchendpoints\/resume-ep$/)).toBe(2); // create, then set default
    expect(countRequests('PUT', /\/batchendpoints\/resume-ep\/deployments\/resume-dp$/)).toBe(1);
    expect(countRequests('PUT', /\/models\/mnist-resume\/versions\/[^/]+$/)).toBe(1);
    expect((await client.endpoints.get('resume-ep')).properties.defaults?.deploymentName).toBe('resume-dp');
  });
});


describe('deleting', () => {
  it('deletes the endpoint with its deployments and waits for the operation', async () => {
    await client.deleteEndpoint(ENDPOINT, { minIntervalMs: 10 });
    await expect(client.endpoints.find(ENDPOINT)).resolves.toBeUndefined();
    // Deleting what is already gone is not an error.
    await expect(client.deleteEndpoint(ENDPOINT)).resolves.toBeUndefined();
  });
});
