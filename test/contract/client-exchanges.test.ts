// Our client through the whole REST recipe against the sandbox, then every ARM exchange the sandbox
// recorded checked with Azure's validator on both sides: what we send must be spec-valid (integers, the
// enums' case: the service is lenient, but the spec is the contract we code to), and what the sandbox
// answers must be spec-valid resources (so code written against it also holds against Azure).
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAzureMlSandbox, type AzureMlSandbox } from '../../sandbox/azureml';
import { createAzureMlClient, createDeployProgress, type AzureMlClient } from '../../src/azureml';
import { createArmClient } from '../../src/azureml/arm-client';
import { AZURE_CLOUDS } from '../../src/azureml/clouds';
import type { TokenCredential } from '../../src/azureml/credentials';
import { parseDataReference } from '../../src/domain/data-reference';
import { deploySpecSchema, type DeploySpecInput } from '../../src/domain/deploy-spec';
import {
  AZURE_ML_SPEC_FILES,
  createAzureSpecValidator,
  expectSpecValid,
  fromRecordedExchange,
  type AzureSpecValidator,
  type SpecCoverageReport,
} from '../support/azure-spec-validator';
import { getCompute } from '../../src/azureml/computes';
import { getDefaultDatastore } from '../../src/azureml/datastores';
import { followScoringJob } from '../support/azureml-setup';

const ENDPOINT = 'contract-ep';
const DEPLOYMENT = 'contract-dp';
const SECOND_DEPLOYMENT = 'contract-dp2';
const poll = { minIntervalMs: 5, maxIntervalMs: 50 };
const watch = { intervalMs: 10, timeoutMs: 15_000 };

let sandbox: AzureMlSandbox;
let validator: AzureSpecValidator;
let client: AzureMlClient;
let artifactsRoot: string;
let report: SpecCoverageReport;

const spec = (overrides: Partial<DeploySpecInput> = {}) =>
  deploySpecSchema.parse({
    endpointName: ENDPOINT,
    deploymentName: DEPLOYMENT,
    description: 'contract check',
    model: { kind: 'upload', localPath: 'model', name: 'contract-model' },
    code: { kind: 'upload', localPath: 'code', name: 'contract-code' },
    scoringScript: 'digit_identification.py',
    environment: { kind: 'image', name: 'contract-env', image: 'mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04:latest', condaFile: 'name: mnist\n' },
    compute: { kind: 'create', name: 'batch-cluster' },
    ...overrides,
  });

const datastoreUri = (p: string): string => `azureml://datastores/workspaceblobstore/paths/${p}`;

beforeAll(async () => {
  artifactsRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'contract-artifacts-'));
  await fs.mkdir(path.join(artifactsRoot, 'code'), { recursive: true });
  await fs.mkdir(path.join(artifactsRoot, 'model'), { recursive: true });
  await fs.writeFile(path.join(artifactsRoot, 'code', 'digit_identification.py'), 'def run(batch):\n    return batch\n');
  await fs.writeFile(path.join(artifactsRoot, 'model', 'model.pt'), Buffer.alloc(1024, 7));
  [sandbox, validator] = await Promise.all([startAzureMlSandbox({ timeScale: 0.002 }), createAzureSpecValidator()]);
  const arm = createArmClient({
    cloud: AZURE_CLOUDS[sandbox.cloud],
    credential: sandbox.credential as TokenCredential,
    baseUrl: sandbox.baseUrl,
    retry: { baseDelayMs: 10, maxDelayMs: 100 },
  });
  client = createAzureMlClient({
    arm,
    workspace: { subscriptionId: sandbox.subscriptionId, resourceGroup: sandbox.resourceGroup, workspace: sandbox.workspace, location: sandbox.location },
    storage: { kind: 'connection-string', connectionString: sandbox.storageConnectionString },
    artifactsRoot,
    poll,
  });
  await Promise.all(['0.png', '1.png'].map((name, i) => sandbox.admin.putDatastoreFile(`contract/inputs/${name}`, `digit ${i}`)));
}, 30_000);

afterAll(async () => {
  await sandbox?.stop();
  if (artifactsRoot) await fs.rm(artifactsRoot, { recursive: true, force: true });
});

describe('our client through the batch scoring recipe', () => {
  it('deploys: compute, default datastore, code and model upload and registration, environment, endpoint, deployment, default', async () => {
    const s = spec();
    const final = await client.runDeployPlan(s, createDeployProgress(s), async () => undefined);
    expect(Object.values(final.steps).every((step) => step?.status === 'done')).toBe(true);
    await expect(getCompute(client, 'batch-cluster')).resolves.toMatchObject({ name: 'batch-cluster' });
    await expect(getDefaultDatastore(client)).resolves.toMatchObject({ name: 'workspaceblobstore' });
    expect((await client.endpoints.get(ENDPOINT)).properties.defaults?.deploymentName).toBe(DEPLOYMENT);
  });

  it('adds a second deployment, lists endpoints and deployments, and switches the default back and forth', async () => {
    const s = spec({ deploymentName: SECOND_DEPLOYMENT, makeDefault: false });
    await client.runDeployPlan(s, createDeployProgress(s), async () => undefined);
    expect((await client.endpoints.list()).map((e) => e.name)).toContain(ENDPOINT);
    expect((await client.deployments.list(ENDPOINT)).map((d) => d.name).sort()).toEqual([DEPLOYMENT, SECOND_DEPLOYMENT]);
    await client.endpoints.setDefaultDeploymentAndWait(ENDPOINT, SECOND_DEPLOYMENT, poll);
    await client.endpoints.setDefaultDeploymentAndWait(ENDPOINT, DEPLOYMENT, poll);
  });

  it('registers a data asset, invokes the endpoint with it and reads the job through ARM', async () => {
    await client.assets.createDataVersion({ name: 'contract-data', version: '1' }, 'uri_folder', datastoreUri('contract/inputs/'), 'contract inputs');
    const ref = parseDataReference(`azureml://locations/${sandbox.location}/workspaces/${sandbox.workspace}/data/contract-data/versions/1`);
    const { jobName } = await client.scoring.invoke({ endpointName: ENDPOINT, input: { ref, type: 'UriFolder' } });
    const scoringUri = await client.scoring.getScoringUri(ENDPOINT);
    await expect(followScoringJob(client, scoringUri, jobName, watch)).resolves.toMatchObject({ properties: { status: 'Completed' } });
    await expect(client.jobs.get(jobName)).resolves.toMatchObject({ name: jobName });
    expect((await client.jobs.list()).map((j) => j.name)).toContain(jobName);
    expect((await client.jobs.listForEndpoint(ENDPOINT)).map((j) => j.name)).toContain(jobName);
  });

  it('cancels a job', async () => {
    const { jobName } = await client.scoring.invoke({
      endpointName: ENDPOINT,
      input: { ref: parseDataReference(datastoreUri('contract/inputs/0.png')), type: 'UriFile' },
      deploymentName: SECOND_DEPLOYMENT,
    });
    // Invoked a moment ago, the job is still queued: the cancel takes ARM's long-running path (202 + Location).
    await client.jobs.cancelAndWait(jobName, poll);
    expect((await client.jobs.get(jobName)).properties.status).toBe('Canceled');
    const cancel = sandbox.requestLog.find((x) => x.method === 'POST' && x.url.includes(`/jobs/${jobName}/cancel`));
    expect(cancel?.status).toBe(202);
  });

  it('deletes a deployment, then the endpoint', async () => {
    await client.deployments.deleteAndWait(ENDPOINT, SECOND_DEPLOYMENT, poll);
    await client.deleteEndpoint(ENDPOINT, poll);
    await expect(client.endpoints.find(ENDPOINT)).resolves.toBeUndefined();
  });
});

describe('every ARM exchange of that run, checked against the 2022-05-01 spec with oav', () => {
  beforeAll(async () => {
    report = await validator.validateExchanges(sandbox.requestLog.map(fromRecordedExchange));
  }, 20_000);

  it('validated the ARM exchanges and skipped only the data plane and operation polls', () => {
    expect(report.validated.length).toBeGreaterThan(20);
    expect(Object.keys(report.skippedByReason).sort()).toEqual(['data-plane', 'operation-status']);
    expect(report.validated.filter((v) => v.operationId === 'unknownOperationId')).toEqual([]);
  });

  it('covered each operation of the recipe', () => {
    expect(report.operationIds).toEqual(
      expect.arrayContaining([
        'Compute_CreateOrUpdate',
        'Compute_Get',
        'Datastores_List',
        'CodeVersions_CreateOrUpdate',
        'ModelVersions_CreateOrUpdate',
        'EnvironmentVersions_CreateOrUpdate',
        'DataVersions_CreateOrUpdate',
        'BatchEndpoints_CreateOrUpdate',
        'BatchEndpoints_Get',
        'BatchEndpoints_List',
        'BatchEndpoints_Delete',
        'BatchDeployments_CreateOrUpdate',
        'BatchDeployments_Get',
        'BatchDeployments_List',
        'BatchDeployments_Delete',
        'Jobs_Get',
        'Jobs_List',
        'Jobs_Cancel',
      ]),
    );
  });

  it('our client sent only spec-valid requests', () => {
    expectSpecValid(report.validated, 'request');
  });

  it('the sandbox answered only spec-valid responses', () => {
    expectSpecValid(report.validated, 'response');
  });

  // oav lets unknown values of extensible (modelAsString) enums through, so pin the ones the bot
  // branches on to the values mfe.json lists.
  it('the sandbox answered only job statuses and provisioning states that mfe.json lists', () => {
    const mfe = JSON.parse(readFileSync(path.join(validator.specsDirectory, AZURE_ML_SPEC_FILES[0]), 'utf8')) as {
      definitions: Record<string, { enum?: string[] }>;
    };
    const allowed = (definition: string) => mfe.definitions[definition]!.enum!;
    const unlisted: string[] = [];
    const checked: Record<string, number> = {};
    for (const v of report.validated) {
      if (typeof v.exchange.responseBody !== 'string' || !v.exchange.responseBody) continue;
      const body = JSON.parse(v.exchange.responseBody) as { value?: unknown[] } | null;
      if (body === null) continue; // a 202 answers with the body null (recorded)
      for (const resource of (Array.isArray(body.value) ? body.value : [body]) as Array<{ type?: string; properties?: Record<string, unknown> }>) {
        const p = resource.properties ?? {};
        const check = (field: string, definition: string) => {
          if (p[field] === undefined) return;
          checked[definition] = (checked[definition] ?? 0) + 1;
          if (!allowed(definition).includes(String(p[field]))) {
            unlisted.push(`${v.operationId}: ${field} ${String(p[field])} is not in ${definition}`);
          }
        };
        if (/\/jobs$/i.test(resource.type ?? '')) check('status', 'JobStatus');
        if (/\/batchEndpoints$/i.test(resource.type ?? '')) check('provisioningState', 'EndpointProvisioningState');
        if (/\/deployments$/i.test(resource.type ?? '')) check('provisioningState', 'DeploymentProvisioningState');
      }
    }
    expect(unlisted).toEqual([]);
    expect(Object.keys(checked).sort()).toEqual(['DeploymentProvisioningState', 'EndpointProvisioningState', 'JobStatus']);
  });
});
