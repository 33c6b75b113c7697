// Deploying from what already exists, against the sandbox over HTTP: registry models and (curated)
// environments by version or `latest` (registry discovery, then the registry's versions), workspace models
// by `latest`, and MLflow models that need no scoring script or environment (deployment body without
// codeConfiguration/environmentId, scored by Azure ML's own driver: one prediction per CSV data row).
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAzureMlSandbox, type AzureMlSandbox } from '../../sandbox/azureml';
import { createAzureMlClient, createDeployProgress, plannedDeploySteps, type AzureMlClient } from '../../src/azureml';
import { createArmClient } from '../../src/azureml/arm-client';
import { AZURE_CLOUDS } from '../../src/azureml/clouds';
import type { TokenCredential } from '../../src/azureml/credentials';
import { batchDeploymentPath } from '../../src/azureml/workspace';
import { parseDataReference } from '../../src/domain/data-reference';
import { deploySpecSchema, type DeploySpec, type DeploySpecInput } from '../../src/domain/deploy-spec';
import { createAzureSpecValidator, expectSpecValid, fromRecordedExchange } from '../support/azure-spec-validator';
import { createModelVersion, getModelVersion } from '../../src/azureml/assets';
import { followScoringJob } from '../support/azureml-setup';

const ENDPOINT = 'existing-ep';
const poll = { minIntervalMs: 5, maxIntervalMs: 50 };
const watch = { intervalMs: 10, timeoutMs: 20_000 };
const CSV = 'age,chol\n63,233\n37,250\n41,204\n';
/** The sandbox's MLflow stand-in: a CSV row's prediction is the sum of its bytes mod 2 (mlflow-model.ts). */
const rowPrediction = (row: string): number => [...Buffer.from(row)].reduce((s, b) => (s + b) % 2, 0);

let sandbox: AzureMlSandbox;
let client: AzureMlClient;
let artifactsRoot: string;

const spec = (input: Partial<DeploySpecInput> & Pick<DeploySpecInput, 'deploymentName' | 'model'>): DeploySpec =>
  deploySpecSchema.parse({ endpointName: ENDPOINT, compute: { kind: 'create', name: 'batch-cluster' }, ...input });

async function deployAndScore(s: DeploySpec): Promise<string> {
  const { spec: pinned, problems } = await client.resolveDeploySources(s);
  expect(problems).toEqual([]);
  await client.runDeployPlan(pinned, createDeployProgress(pinned), async () => undefined);
  const { jobName } = await client.scoring.invoke({
    endpointName: ENDPOINT,
    deploymentName: s.deploymentName,
    input: { ref: parseDataReference('azureml://datastores/workspaceblobstore/paths/heart/'), type: 'UriFolder' },
  });
  await expect(followScoringJob(client, await client.scoring.getScoringUri(ENDPOINT), jobName, watch)).resolves.toMatchObject({ properties: { status: 'Completed' } });
  return (await sandbox.admin.readDatastoreFile(`azureml/${jobName}/score/predictions.csv`))?.toString() ?? '';
}

const deploymentPuts = () => sandbox.requestLog.filter((x) => x.method === 'PUT' && /\/batchEndpoints\/[^/]+\/deployments\/[^/?]+/.test(x.url));

beforeAll(async () => {
  artifactsRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'existing-artifacts-'));
  await fs.mkdir(path.join(artifactsRoot, 'mlflow-model'), { recursive: true });
  await fs.writeFile(path.join(artifactsRoot, 'mlflow-model', 'MLmodel'), 'flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n');
  await fs.writeFile(path.join(artifactsRoot, 'mlflow-model', 'model.pkl'), Buffer.alloc(256, 3));
  await fs.mkdir(path.join(artifactsRoot, 'not-mlflow'), { recursive: true });
  await fs.writeFile(path.join(artifactsRoot, 'not-mlflow', 'model.pkl'), Buffer.alloc(64, 1));
  sandbox = await startAzureMlSandbox({ timeScale: 0.002 });
  const arm = createArmClient({ cloud: AZURE_CLOUDS[sandbox.cloud], credential: sandbox.credential as TokenCredential, baseUrl: sandbox.baseUrl, retry: { baseDelayMs: 10, maxDelayMs: 100 } });
  client = createAzureMlClient({
    arm,
    workspace: { subscriptionId: sandbox.subscriptionId, resourceGroup: sandbox.resourceGroup, workspace: sandbox.workspace, location: sandbox.location },
    storage: { kind: 'connection-string', connectionString: sandbox.storageConnectionString },
    artifactsRoot,
    poll,
  });
  // A team registry with an MLflow model (two versions) and a custom one; a curated environment in `azureml`.
  for (const version of ['1', '2']) {
    sandbox.admin.addRegistryAsset({ registry: 'team-reg', kind: 'models', name: 'heart-classifier', version, properties: { modelType: 'mlflow_model', modelUri: `azureml://registries/team-reg/models/heart-classifier/versions/${version}` } });
    sandbox.admin.addRegistryAsset({ registry: 'azureml', kind: 'environments', name: 'sklearn-1.5', version: String(Number(version) + 10), properties: { image: 'mcr.microsoft.com/azureml/curated/sklearn-1.5:' + version } });
  }
  sandbox.admin.addRegistryAsset({ registry: 'team-reg', kind: 'models', name: 'custom-scorer', version: '1', properties: { modelType: 'custom_model' } });
  await createModelVersion(client, { name: 'ws-model', version: '1' }, 'azureml://datastores/workspaceblobstore/paths/m/1');
  await createModelVersion(client, { name: 'ws-model', version: '7' }, 'azureml://datastores/workspaceblobstore/paths/m/7');
  await Promise.all([sandbox.admin.putDatastoreFile('heart/a.csv', CSV), sandbox.admin.putDatastoreFile('heart/b.csv', 'age,chol\n50,199\n')]);
}, 30_000);

afterAll(async () => {
  await sandbox?.stop();
  if (artifactsRoot) await fs.rm(artifactsRoot, { recursive: true, force: true });
});

describe('resolving what a deploy names before approval', () => {
  it('pins a registry model and a curated environment given as labels/latest to their newest versions', async () => {
    const s = spec({
      deploymentName: 'pinned',
      model: 'azureml://registries/team-reg/models/heart-classifier/labels/latest',
      code: { kind: 'registered', name: 'none', version: '1' },
      scoringScript: 'score.py',
      environment: 'azureml://registries/azureml/environments/sklearn-1.5/labels/latest',
    } as DeploySpecInput & { deploymentName: string; model: unknown });
    const { spec: pinned, problems } = await client.resolveDeploySources(s);
    expect(pinned.model).toEqual({ kind: 'registry', registry: 'team-reg', name: 'heart-classifier', label: 'latest', version: '2' });
    expect(pinned.environment).toEqual({ kind: 'registry', registry: 'azureml', name: 'sklearn-1.5', label: 'latest', version: '12' });
    // Only the registered code is missing here; the registry lookups found everything.
    expect(problems.map((p) => p.step)).toEqual(['code']);
  });

  it('pins a workspace model@latest to its newest version', async () => {
    const s = spec({ deploymentName: 'ws-latest', model: 'ws-model@latest', code: { kind: 'registered', name: 'c', version: '1' }, scoringScript: 's.py', environment: 'env:1' } as never);
    const { spec: pinned } = await client.resolveDeploySources(s);
    expect(pinned.model).toMatchObject({ kind: 'registered', name: 'ws-model', label: 'latest', version: '7' });
  });

  it('says which registry, asset or version is missing', async () => {
    const problems = async (model: string) => (await client.resolveDeploySources(spec({ deploymentName: 'missing', model } as never))).problems.map((p) => p.message).join(' ');
    await expect(problems('azureml://registries/no-such-reg/models/x/versions/1')).resolves.toMatch(/no registry "no-such-reg"/);
    await expect(problems('azureml://registries/team-reg/models/heart-classifier/versions/9')).resolves.toMatch(/no model "heart-classifier" version "9".*labels\/latest/);
    await expect(problems('azureml://registries/team-reg/models/nothing/labels/latest')).resolves.toMatch(/no model "nothing"/);
    await expect(problems('nothing@latest')).resolves.toMatch(/no registered model "nothing"/);
  });

  it('refuses a model that is not MLflow when no scoring code is given, saying how to fix it', async () => {
    const { problems } = await client.resolveDeploySources(spec({ deploymentName: 'custom', model: 'azureml://registries/team-reg/models/custom-scorer/versions/1' } as never));
    expect(problems).toEqual([{ step: 'model', message: expect.stringMatching(/custom_model, not an MLflow model.*give all three/) }]);
    const ws = await client.resolveDeploySources(spec({ deploymentName: 'custom', model: 'ws-model:1' } as never));
    expect(ws.problems[0]?.message).toMatch(/not an MLflow model/);
  });

  it('refuses an MLflow upload whose folder has no MLmodel file', async () => {
    const { problems } = await client.resolveDeploySources(spec({ deploymentName: 'nomlmodel', model: { kind: 'upload', localPath: 'not-mlflow', name: 'x', type: 'mlflow_model' } }));
    expect(problems).toEqual([{ step: 'model', message: expect.stringMatching(/no MLmodel file/) }]);
  });
});

describe('deploying and scoring an MLflow model without scoring script or environment', () => {
  it('deploys a registry MLflow model by its azureml:// id, plans no code or environment step, and predicts one row per CSV data row', async () => {
    const s = spec({ deploymentName: 'registry-mlflow', model: 'azureml://registries/team-reg/models/heart-classifier/labels/latest' } as never);
    expect(plannedDeploySteps(s)).not.toContain('code');
    expect(plannedDeploySteps(s)).not.toContain('environment');
    const csv = await deployAndScore(s);
    const put = deploymentPuts().find((x) => x.url.includes('/deployments/registry-mlflow'));
    const body = JSON.parse(put?.body ?? '{}') as { properties: Record<string, unknown> };
    expect(body.properties.model).toEqual({ referenceType: 'Id', assetId: 'azureml://registries/team-reg/models/heart-classifier/versions/2' });
    expect(body.properties).not.toHaveProperty('codeConfiguration');
    expect(body.properties).not.toHaveProperty('environmentId');
    const expected = [
      ...CSV.trim().split('\n').slice(1).map((row) => `a.csv,${rowPrediction(row)}`),
      `b.csv,${rowPrediction('50,199')}`,
    ];
    expect(csv.trim().split('\n')).toEqual(expected);
  });

  it('uploads an MLflow model folder, registers it as mlflow_model and deploys it without code', async () => {
    const s = spec({ deploymentName: 'upload-mlflow', model: { kind: 'upload', localPath: 'mlflow-model', name: 'heart-local', type: 'mlflow_model' }, makeDefault: false });
    const csv = await deployAndScore(s);
    expect(csv.trim().split('\n')).toHaveLength(4);
    const model = (await client.deployments.get(ENDPOINT, 'upload-mlflow')).properties.model as { assetId: string };
    const version = model.assetId.split('/').at(-1) ?? '';
    await expect(getModelVersion(client, { name: 'heart-local', version })).resolves.toMatchObject({ properties: { modelType: 'mlflow_model' } });
  });

  it('has the service refuse a custom model deployed without a scoring script', async () => {
    const put = await client.arm
      .request({
        method: 'PUT',
        path: batchDeploymentPath(client.workspace, ENDPOINT, 'custom-nocode'),
        body: {
          location: sandbox.location,
          properties: { model: { referenceType: 'Id', assetId: 'azureml://registries/team-reg/models/custom-scorer/versions/1' }, compute: 'batch-cluster' },
        },
      })
      .catch((err: unknown) => err);
    expect(put).toMatchObject({ statusCode: 400, message: expect.stringMatching(/only an MLflow model/) });
  });

  it('sends spec-valid deployment bodies without codeConfiguration and environmentId (oav, 2022-05-01)', async () => {
    const validator = await createAzureSpecValidator();
    const puts = deploymentPuts().filter((p) => /registry-mlflow|upload-mlflow/.test(p.url));
    expect(puts.length).toBeGreaterThanOrEqual(2);
    for (const x of puts) {
      expectSpecValid(await validator.validateExchange(fromRecordedExchange(x)));
    }
  }, 30_000);
});
