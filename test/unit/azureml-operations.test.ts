// The operations' requests, checked against a fake ARM client (what is sent) and against the official
// 2022-05-01 spec with oav's LiveValidator (that it is spec-valid: integers, enum case, no extra fields).
import { listJobs } from '../../src/azureml/jobs';
import { LiveValidator } from 'oav';
import { AZURE_CLOUDS } from '../../src/azureml/clouds';
import type { ArmClient, ArmRequest, ArmResponse } from '../../src/azureml/arm-client';
import type { AzureMlContext } from '../../src/azureml/azureml-context';
import { createCodeVersion, createDataVersion, createEnvironmentVersion, createModelVersion } from '../../src/azureml/assets';
import { batchDeploymentBody, beginCreateOrUpdateBatchDeployment, type BatchDeploymentSettings } from '../../src/azureml/batch-deployments';
import { beginCreateOrUpdateBatchEndpoint, beginSetDefaultDeployment, getBatchEndpoint } from '../../src/azureml/batch-endpoints';
import { beginCreateAmlCompute } from '../../src/azureml/computes';
import { getDefaultDatastore } from '../../src/azureml/datastores';
import { listEndpointJobs, isTerminalJobStatus } from '../../src/azureml/jobs';
import { knownJobStatusSchema, jobStatusSchema } from '../../src/azureml/resources';
import { assertOutputIsDatastoreFile, buildInvokeBody, invokeBatchEndpoint, ScoringRequestError } from '../../src/azureml/scoring';
import { parseDataReference } from '../../src/domain/data-reference';
import { deploySpecSchema } from '../../src/domain/deploy-spec';
import { workspacePath } from '../../src/azureml/workspace';
import { resolveSpecsDirectory } from '../support/azure-spec-validator';

const BASE = 'https://management.azure.com';
const workspace = { subscriptionId: '00000000-1111-2222-3333-444444444444', resourceGroup: 'rg1', workspace: 'ws1', location: 'eastus' };
const WS = workspacePath(workspace);

type Handler = (req: ArmRequest) => Partial<ArmResponse> | undefined;

function fakeArm(handler: Handler) {
  const sent: ArmRequest[] = [];
  const arm: ArmClient = {
    cloud: AZURE_CLOUDS.AzureCloud,
    baseUrl: BASE,
    async request<T>(req: ArmRequest): Promise<ArmResponse<T>> {
      sent.push(req);
      const r = handler(req) ?? {};
      return { status: r.status ?? 200, headers: r.headers ?? {}, body: r.body as T };
    },
  };
  const ctx: AzureMlContext = { arm, workspace };
  return { ctx, sent };
}

const endpointBody = (name: string, extra: Record<string, unknown> = {}) => ({
  id: `${WS}/batchEndpoints/${name}`,
  name,
  location: 'eastus',
  properties: { authMode: 'AADToken', scoringUri: `https://${name}.eastus.inference.ml.azure.com/jobs`, provisioningState: 'Succeeded', ...extra },
});

let validator: LiveValidator;
beforeAll(async () => {
  validator = new LiveValidator({
    directory: resolveSpecsDirectory(process.env),
    swaggerPathsPattern: [
      'machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2022-05-01/mfe.json',
      'machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2022-05-01/machineLearningServices.json',
    ],
    git: { shouldClone: false },
  });
  await validator.initialize();
}, 30000);

async function specErrors(req: ArmRequest): Promise<unknown[]> {
  const url = `${BASE}${req.path}?api-version=2022-05-01`;
  const result = await validator.validateLiveRequest({ url, method: req.method, headers: { 'content-type': 'application/json' }, body: req.body as Record<string, unknown> });
  return result.errors.map((e) => ({ code: e.code, message: e.message }));
}

const deploymentSettings: BatchDeploymentSettings = {
  endpointName: 'mnist-ep',
  name: 'mnist-dp',
  description: 'digits',
  modelId: `${WS}/models/mnist/versions/1`,
  codeId: `${WS}/codes/score-mnist/versions/1`,
  scoringScript: 'digit_identification.py',
  environmentId: `${WS}/environments/mnist-env/versions/1`,
  computeId: `${WS}/computes/batch-cluster`,
  instanceCount: 1,
  maxConcurrencyPerInstance: 4,
  miniBatchSize: 5,
  retrySettings: { maxRetries: 3, timeout: 'PT30S' },
  errorThreshold: 10,
  loggingLevel: 'Info',
};

describe('request bodies follow the 2022-05-01 spec', () => {
  it('creates an AmlCompute as the recipe does, with a spec-valid body', async () => {
    const { ctx, sent } = fakeArm(() => ({ status: 201, body: { id: `${WS}/computes/batch-cluster`, name: 'batch-cluster', properties: { computeType: 'AmlCompute', provisioningState: 'Creating' } }, headers: { 'azure-asyncoperation': 'https://management.azure.com/op/1' } }));
    const began = await beginCreateAmlCompute(ctx, { name: 'batch-cluster', vmSize: 'STANDARD_D2_V2', minNodeCount: 0, maxNodeCount: 5 });
    expect(sent[0]).toMatchObject({ method: 'PUT', path: `${WS}/computes/batch-cluster` });
    expect(sent[0]!.body).toEqual({
      location: 'eastus',
      properties: {
        computeType: 'AmlCompute',
        properties: { osType: 'Linux', vmSize: 'STANDARD_D2_V2', scaleSettings: { maxNodeCount: 5, minNodeCount: 0 }, remoteLoginPortPublicAccess: 'NotSpecified' },
      },
    });
    expect(began.poller).toMatchObject({ kind: 'azure-async-operation', pollUrl: 'https://management.azure.com/op/1' });
    expect(await specErrors(sent[0]!)).toEqual([]);
  });

  it('creates a batch endpoint with authMode AADToken as the enum spells it', async () => {
    const { ctx, sent } = fakeArm(() => ({ status: 201, body: endpointBody('mnist-ep', { provisioningState: 'Creating' }), headers: { 'azure-asyncoperation': 'https://management.azure.com/op/2' } }));
    const began = await beginCreateOrUpdateBatchEndpoint(ctx, { name: 'mnist-ep', description: 'digits' });
    expect(sent[0]!.body).toEqual({ location: 'eastus', properties: { authMode: 'AADToken', description: 'digits' } });
    expect(began.initial.properties.provisioningState).toBe('Creating');
    expect(began.poller).toBeDefined();
    expect(await specErrors(sent[0]!)).toEqual([]);
  });

  it('sends integers and the logging level enum case in a batch deployment, with every setting', async () => {
    const { ctx, sent } = fakeArm(() => ({ status: 201, body: { id: `${WS}/batchEndpoints/mnist-ep/deployments/mnist-dp`, name: 'mnist-dp', location: 'eastus', properties: { provisioningState: 'Creating' } }, headers: { 'azure-asyncoperation': 'https://management.azure.com/op/3' } }));
    await beginCreateOrUpdateBatchDeployment(ctx, deploymentSettings);
    expect(sent[0]!.path).toBe(`${WS}/batchEndpoints/mnist-ep/deployments/mnist-dp`);
    expect(sent[0]!.body).toEqual({
      location: 'eastus',
      properties: {
        description: 'digits',
        model: { referenceType: 'Id', assetId: deploymentSettings.modelId },
        codeConfiguration: { codeId: deploymentSettings.codeId, scoringScript: 'digit_identification.py' },
        environmentId: deploymentSettings.environmentId,
        compute: deploymentSettings.computeId,
        resources: { instanceCount: 1 },
        maxConcurrencyPerInstance: 4,
        miniBatchSize: 5,
        retrySettings: { maxRetries: 3, timeout: 'PT30S' },
        errorThreshold: 10,
        loggingLevel: 'Info',
      },
    });
    expect(await specErrors(sent[0]!)).toEqual([]);
  });

  it('turns the recipe-style spec values (strings, "info") into spec-valid deployment settings', () => {
    const spec = deploySpecSchema.parse({
      endpointName: 'mnist-ep',
      deploymentName: 'mnist-dp',
      model: { kind: 'registered', name: 'mnist', version: '1' },
      code: { kind: 'registered', name: 'score', version: '1' },
      scoringScript: 's.py',
      environment: { kind: 'registered', name: 'env', version: '1' },
      compute: { kind: 'existing', name: 'batch-cluster' },
      miniBatchSize: '5',
      maxConcurrencyPerInstance: '4',
      errorThreshold: '10',
      loggingLevel: 'info',
    });
    const body = batchDeploymentBody({ ...deploymentSettings, ...spec, endpointName: spec.endpointName, name: spec.deploymentName }, 'eastus');
    expect(body.properties).toMatchObject({ miniBatchSize: 5, maxConcurrencyPerInstance: 4, errorThreshold: 10, loggingLevel: 'Info' });
  });

  it('registers code, model, environment and data versions with spec-valid bodies', async () => {
    const { ctx, sent } = fakeArm((req) => ({ status: 201, body: { id: req.path, name: '1', properties: { ...(req.body as { properties: object }).properties } } }));
    await createCodeVersion(ctx, { name: 'score-mnist', version: '1' }, 'https://acct.blob.core.windows.net/c/score', 'Score code');
    await createModelVersion(ctx, { name: 'mnist', version: '1' }, `azureml://subscriptions/s/resourceGroups/r/workspaces/w/datastores/workspaceblobstore/paths/model`);
    await createEnvironmentVersion(ctx, { name: 'mnist-env', version: '1' }, 'mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04:latest', 'name: env\ndependencies: []\n');
    await createDataVersion(ctx, { name: 'mnist', version: '1' }, 'uri_folder', 'https://pipelinedata.blob.core.windows.net/sampledata/mnist', 'Mnist data asset');
    expect(sent.map((r) => r.path)).toEqual([
      `${WS}/codes/score-mnist/versions/1`,
      `${WS}/models/mnist/versions/1`,
      `${WS}/environments/mnist-env/versions/1`,
      `${WS}/data/mnist/versions/1`,
    ]);
    expect(sent[2]!.body).toEqual({ properties: { image: 'mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04:latest', condaFile: 'name: env\ndependencies: []\n' } });
    for (const req of sent) expect(await specErrors(req)).toEqual([]);
  });

  it('sets the default deployment by PUTting the endpoint back with defaults.deploymentName', async () => {
    const { ctx, sent } = fakeArm((req) =>
      req.method === 'GET'
        ? { body: endpointBody('mnist-ep', { description: 'keep me' }) }
        : { status: 200, body: endpointBody('mnist-ep', { defaults: { deploymentName: 'mnist-dp' }, provisioningState: 'Updating' }), headers: { 'azure-asyncoperation': 'https://management.azure.com/op/4' } },
    );
    const began = await beginSetDefaultDeployment(ctx, 'mnist-ep', 'mnist-dp');
    expect(sent[1]).toMatchObject({ method: 'PUT', body: { location: 'eastus', properties: { authMode: 'AADToken', description: 'keep me', defaults: { deploymentName: 'mnist-dp' } } } });
    expect(began.poller).toBeDefined();
    expect(await specErrors(sent[1]!)).toEqual([]);
  });
});

describe('reading resources', () => {
  it('finds the default datastore with isDefault=true and reads the recipe fields', async () => {
    const { ctx, sent } = fakeArm(() => ({
      body: {
        value: [
          {
            id: `${WS}/datastores/workspaceblobstore`,
            name: 'workspaceblobstore',
            properties: { datastoreType: 'AzureBlob', accountName: 'acct', containerName: 'azureml-blobstore-1', endpoint: 'core.windows.net', protocol: 'https', isDefault: true, credentials: { credentialsType: 'None' } },
          },
        ],
      },
    }));
    await expect(getDefaultDatastore(ctx)).resolves.toEqual({
      name: 'workspaceblobstore',
      id: `${WS}/datastores/workspaceblobstore`,
      accountName: 'acct',
      containerName: 'azureml-blobstore-1',
      endpoint: 'core.windows.net',
      protocol: 'https',
    });
    expect(sent[0]).toMatchObject({ method: 'GET', path: `${WS}/datastores`, query: { isDefault: 'true' } });
  });

  it('turns a malformed answer into InvalidResponse saying which field was wrong', async () => {
    const { ctx } = fakeArm(() => ({ body: { id: 'x', name: 'mnist-ep', location: 'eastus', properties: { authMode: 42 } } }));
    const err = await getBatchEndpoint(ctx, 'mnist-ep').catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'AzureMlError', code: 'InvalidResponse' });
    expect((err as Error).message).toMatch(/batch endpoint 'mnist-ep'.*properties\.authMode/);
  });

  it('keeps enum values newer than the spec as text: an endpoint state, an auth mode, a whole job list', async () => {
    const { ctx } = fakeArm(() => ({ body: { id: 'x', name: 'mnist-ep', location: 'eastus', properties: { authMode: 'FutureAuth', provisioningState: 'Migrating' } } }));
    const endpoint = await getBatchEndpoint(ctx, 'mnist-ep');
    expect(endpoint.properties).toMatchObject({ authMode: 'FutureAuth', provisioningState: 'Migrating' });
    const listed = fakeArm(() => ({
      body: {
        value: [
          { id: `${WS}/jobs/a`, name: 'a', properties: { jobType: 'Pipeline', experimentName: 'mnist-ep', status: 'Running' } },
          { id: `${WS}/jobs/b`, name: 'b', properties: { jobType: 'Sweep', experimentName: 'tuning', status: 'Scheduled' } },
        ],
      },
    }));
    expect((await listJobs(listed.ctx)).map((j) => j.properties.status)).toEqual(['Running', 'Scheduled']);
  });

  it('lists the jobs of one endpoint across pages, by experiment name, newest first', async () => {
    const job = (name: string, experimentName: string, createdAt: string) => ({
      id: `${WS}/jobs/${name}`,
      name,
      properties: { jobType: 'Pipeline', experimentName, status: 'Running' },
      systemData: { createdAt },
    });
    const { ctx, sent } = fakeArm((req) =>
      req.path.includes('skip=2')
        ? { body: { value: [job('c', 'mnist-ep', '2026-01-03T00:00:00Z')] } }
        : { body: { value: [job('a', 'mnist-ep', '2026-01-01T00:00:00Z'), job('b', 'other', '2026-01-02T00:00:00Z')], nextLink: `${BASE}${WS}/jobs?api-version=2022-05-01&skip=2` } },
    );
    const jobs = await listEndpointJobs(ctx, 'mnist-ep');
    expect(jobs.map((j) => j.name)).toEqual(['c', 'a']);
    expect(sent).toHaveLength(2);
  });

  it('asks the service for batch jobs only and stops reading at the jobs created before createdSince', async () => {
    const job = (name: string, createdAt: string, status = 'Completed') => ({
      id: `${WS}/jobs/${name}`,
      name,
      properties: { jobType: 'Pipeline', experimentName: 'mnist-ep', status },
      systemData: { createdAt },
    });
    // An endless history, newest first: every page links to the next.
    const { ctx, sent } = fakeArm((req) => {
      const page = Number(/page=(\d+)/.exec(req.path)?.[1] ?? 0);
      const day = String(28 - page).padStart(2, '0');
      return { body: { value: [job(`j${page}`, `2026-01-${day}T00:00:00Z`, page === 0 ? 'Scheduled' : 'Completed')], nextLink: `${BASE}${WS}/jobs?api-version=2022-05-01&page=${page + 1}` } };
    });
    const jobs = await listEndpointJobs(ctx, 'mnist-ep', { createdSince: Date.parse('2026-01-25T12:00:00Z') });
    expect(sent[0]).toMatchObject({ path: `${WS}/jobs`, query: { jobType: 'Pipeline', tag: 'azureml.batchrun' } });
    // Pages of the 28th, 27th, 26th and 25th: the 25th is older than createdSince, so reading stops there.
    expect(sent).toHaveLength(4);
    expect(jobs.map((j) => j.name)).toEqual(['j0', 'j1', 'j2']);
    // A status newer than 2022-05-01 is kept as the service wrote it.
    expect(jobs[0]!.properties.status).toBe('Scheduled');
    // Without a bound in time, a bounded number of pages.
    sent.length = 0;
    await listEndpointJobs(ctx, 'mnist-ep');
    expect(sent).toHaveLength(10);
  });
});

describe('scoring', () => {
  const scoringUri = 'https://mnist-ep.eastus.inference.ml.azure.com/jobs';

  it.each([
    ['https://pipelinedata.blob.core.windows.net/sampledata/mnist', 'UriFolder'],
    ['https://pipelinedata.blob.core.windows.net/sampledata/mnist/0.png', 'UriFile'],
    ['azureml://datastores/workspaceblobstore/paths/mnist-ep/mnist', 'UriFolder'],
    ['azureml://subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg1/workspaces/ws1/datastores/workspaceblobstore/paths/mnist-ep/mnist', 'UriFolder'],
    ['azureml://locations/eastus/workspaces/ws1/data/mnist/versions/3', 'UriFolder'],
    ['/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1/data/mnist/versions/3', 'UriFolder'],
  ] as const)('builds the invoke body for %s', (uri, type) => {
    expect(buildInvokeBody({ ref: parseDataReference(uri), type })).toEqual({
      properties: { InputData: { input_data: { JobInputType: type, Uri: uri } } },
    });
  });

  it("sends a job's settings as the data-plane BatchJob names them, and only those given", async () => {
    const { ctx, sent } = fakeArm((req) =>
      req.method === 'GET' ? { body: endpointBody('mnist-ep') } : { body: { id: `${WS}/jobs/batchjob-9`, properties: { status: 'NotStarted' } } },
    );
    await invokeBatchEndpoint(
      { ...ctx, containerFor: () => { throw new Error('no output, no datastore access'); } },
      {
        endpointName: 'mnist-ep',
        input: { ref: parseDataReference('azureml://datastores/workspaceblobstore/paths/in/'), type: 'UriFolder' },
        settings: { instanceCount: 3, miniBatchSize: 1, errorThreshold: -1, outputFileName: 'out.csv', retrySettings: { maxRetries: 5 } },
      },
    );
    expect((sent[1] as { body: unknown }).body).toEqual({
      properties: {
        InputData: { input_data: { JobInputType: 'UriFolder', Uri: 'azureml://datastores/workspaceblobstore/paths/in/' } },
        compute: { instanceCount: 3 },
        miniBatchSize: 1,
        errorThreshold: -1,
        outputFileName: 'out.csv',
        retrySettings: { maxRetries: 5 },
      },
    });
  });

  it('invokes with the ML token scope, no api-version and the deployment header, and names the job', async () => {
    const { ctx, sent } = fakeArm((req) =>
      req.method === 'GET' ? { body: endpointBody('mnist-ep') } : { body: { id: `${WS}/jobs/batchjob-123`, properties: { status: 'NotStarted' } } },
    );
    const result = await invokeBatchEndpoint(
      { ...ctx, containerFor: () => { throw new Error('no output, no datastore access'); } },
      { endpointName: 'mnist-ep', input: { ref: parseDataReference('azureml://datastores/workspaceblobstore/paths/in/'), type: 'UriFolder' }, deploymentName: 'mnist-dp' },
    );
    expect(result.jobName).toBe('batchjob-123');
    expect(sent[1]).toMatchObject({
      method: 'POST',
      path: scoringUri,
      apiVersion: false,
      scope: 'https://ml.azure.com/.default',
      headers: { 'azureml-model-deployment': 'mnist-dp' },
    });
  });

  it('accepts only a datastore file as the output', () => {
    expect(() => assertOutputIsDatastoreFile(parseDataReference('https://example.com/out.csv'))).toThrow(ScoringRequestError);
    expect(() => assertOutputIsDatastoreFile(parseDataReference('azureml://locations/eastus/workspaces/ws1/data/mnist/versions/1'))).toThrow(/data asset/);
    expect(() => assertOutputIsDatastoreFile(parseDataReference('azureml://datastores/ds/paths/out/'))).toThrow(/not a folder/);
    expect(() => assertOutputIsDatastoreFile(parseDataReference('azureml://datastores/ds/paths/out/p.csv'))).not.toThrow();
  });

  it('treats only Completed, Failed and Canceled as terminal job states', () => {
    const terminal = knownJobStatusSchema.options.filter((s) => isTerminalJobStatus(s));
    expect(terminal).toEqual(['Completed', 'Failed', 'Canceled']);
    expect(isTerminalJobStatus('Succeeded')).toBe(false);
  });

  it('keeps a job status newer than the 2022-05-01 spec as text (the enum is modelAsString)', () => {
    expect(jobStatusSchema.parse('Scheduled')).toBe('Scheduled');
    expect(isTerminalJobStatus('Scheduled')).toBe(false);
  });
});
