// The local Azure ML sandbox, driven over plain HTTP (fetch), not through our client: recipe bodies,
// ARM errors, long-running operations, real scoring jobs on Azurite, public https inputs, data assets,
// fault injection, and the `sandbox:azureml` CLI. One sandbox (with its own Azurite) for the file.
import { spawn } from 'node:child_process';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { startAzureMlSandbox, type AzureMlSandbox } from '../../sandbox/azureml';
import { startRedis } from '../../sandbox/stack/redis';
import { getFreePort } from '../../sandbox/stack/free-port';

let sb: AzureMlSandbox;
let ws: string; // workspace path (no host)
const API = 'api-version=2022-05-01';

interface Reply {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

async function call(method: string, url: string, opts: { body?: string; token?: string | null; headers?: Record<string, string> } = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
  const token = opts.token === undefined ? sb.token : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method, headers, body: opts.body });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body, text };
}

const arm = (method: string, p: string, body?: string, extra: { token?: string | null; query?: string } = {}) =>
  call(method, `${sb.baseUrl}${ws}${p}?${extra.query ?? API}`, { body, token: extra.token });

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const TERMINAL = ['Completed', 'Failed', 'Canceled'];
async function waitForJob(scoringUri: string, name: string): Promise<Reply> {
  return waitFor(async () => {
    const r = await call('GET', `${scoringUri}/${name}`, { token: sb.scoringToken });
    return TERMINAL.includes(r.body?.properties?.status) ? r : undefined;
  }, `job ${name}`);
}

async function waitForProvisioned(p: string): Promise<Reply> {
  return waitFor(async () => {
    const r = await arm('GET', p);
    return ['Succeeded', 'Failed'].includes(r.body?.properties?.provisioningState) ? r : undefined;
  }, `${p} to provision`);
}

// --- the recipe's own bodies, verbatim in shape (trailing commas, numbers as strings, "info") ---
const computeBody = (location: string) => `{
    "properties":{
        "computeType": "AmlCompute",
        "properties": {
            "osType": "Linux",
            "vmSize": "STANDARD_D2_V2",
            "scaleSettings": {
                "maxNodeCount": 5,
                "minNodeCount": 0
            },
            "remoteLoginPortPublicAccess": "NotSpecified"
        },
    },
    "location": "${location}"
}`;
const deploymentBody = (o: { errorThreshold?: string; miniBatchSize?: string; maxRetries?: number } = {}) => `{
    "location": "${sb.location}",
    "properties": {
        "model": {
            "referenceType": "Id",
            "assetId": "${ws}/models/mnist/versions/1"
        },
        "codeConfiguration": {
            "codeId": "${ws}/codes/score-mnist/versions/1",
            "scoringScript": "digit_identification.py"
        },
        "environmentId": "${ws}/environments/mnist-env/versions/1",
        "compute": "${ws}/computes/batch-cluster",
        "resources": {
            "instanceCount": 1
        },
        "maxConcurrencyPerInstance": "4",
        "retrySettings": {
            "maxRetries": ${o.maxRetries ?? 3},
            "timeout": "PT30S"
        },
        "errorThreshold": "${o.errorThreshold ?? '10'}",
        "loggingLevel": "info",
        "miniBatchSize": "${o.miniBatchSize ?? '5'}",
    }
}`;
const endpointBody = (defaultDeployment?: string) => `{
    "properties": {
        "authMode": "aadToken"${defaultDeployment ? `,
        "defaults": {
            "deploymentName": "${defaultDeployment}"
        }` : ''}
    },
    "location": "${sb.location}"
}`;
const scoringBody = (input: { type?: string; uri: string }, output?: string) => `{
    "properties": {
        "InputData": {
            "mnistInput": {
                "JobInputType" : "${input.type ?? 'UriFolder'}",
                "Uri": "${input.uri}"
            }
        }${output ? `,
        "OutputData": {
            "mnistOutput": {
                "JobOutputType": "UriFile",
                "Uri": "${output}"
            }
        }` : ''}
    }
}`;

/** The file contents used as inputs, and the digit the sandbox's model gives each. */
const files = Array.from({ length: 12 }, (_, i) => ({ name: `${i}.png`, content: `image-${i}` }));
const digitOf = (content: string): number => [...Buffer.from(content)].reduce((a, b) => a + b, 0) % 10;
const expectedCsv = (list: { name: string; content: string }[]): string =>
  [...list].sort((a, b) => (a.name < b.name ? -1 : 1)).map((f) => `${f.name},${digitOf(f.content)}\n`).join('');

async function createEndpoint(name: string, deployments: { name: string; body?: string }[], defaultDeployment?: string): Promise<string> {
  expect((await arm('PUT', `/batchEndpoints/${name}`, endpointBody())).status).toBe(201);
  for (const d of deployments) {
    const r = await arm('PUT', `/batchEndpoints/${name}/deployments/${d.name}`, d.body ?? deploymentBody());
    expect(r.status).toBe(201);
  }
  for (const d of deployments) await waitForProvisioned(`/batchEndpoints/${name}/deployments/${d.name}`);
  const r = await arm('PUT', `/batchEndpoints/${name}`, endpointBody(defaultDeployment));
  expect(r.status).toBe(200);
  await waitForProvisioned(`/batchEndpoints/${name}`);
  return r.body.properties.scoringUri as string;
}

beforeAll(async () => {
  sb = await startAzureMlSandbox({ timeScale: 0.005 });
  ws = `/subscriptions/${sb.subscriptionId}/resourceGroups/${sb.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${sb.workspace}`;
  // The recipe's assets.
  expect((await arm('PUT', '/computes/batch-cluster', computeBody(sb.location))).status).toBe(201);
  // The code and model are on the workspace's storage: a job fetches them when it starts (a job whose files are gone fails).
  await sb.admin.putDatastoreFile('score/digit_identification.py', 'def run(batch):\n    return batch\n');
  await sb.admin.putDatastoreFile('model/model.pt', 'weights');
  expect((await arm('PUT', '/codes/score-mnist/versions/1', `{"properties": {"description": "Score code", "codeUri": "${sb.blobEndpoint}/${sb.datastoreContainer}/score"}}`)).status).toBe(201);
  expect((await arm('PUT', '/models/mnist/versions/1', `{"properties": {"modelUri":"azureml://datastores/workspaceblobstore/paths/model"}}`)).status).toBe(201);
  expect((await arm('PUT', '/environments/mnist-env/versions/1', `{"properties":{"condaFile": "name: mnist", "image": "mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04:latest"}}`)).status).toBe(201);
  await waitForProvisioned('/computes/batch-cluster');
  await Promise.all(files.map((f) => sb.admin.putDatastoreFile(`inputs/mnist/${f.name}`, f.content)));
}, 30_000);

afterAll(async () => {
  await sb?.stop();
});

describe('ARM requests', () => {
  it('accepts the recipe verbatim bodies and answers with spec-typed values', async () => {
    const r = await arm('PUT', '/batchEndpoints/recipe-ep/deployments/nonmlflowedp', deploymentBody());
    expect(r.status).toBe(404); // the endpoint does not exist yet
    expect(r.body.error.code).toBe('NotFound');
    expect(r.body.error.details[0].code).toBe('NoSuchEndpoint');
    await arm('PUT', '/batchEndpoints/recipe-ep', endpointBody());
    const d = await arm('PUT', '/batchEndpoints/recipe-ep/deployments/nonmlflowedp', deploymentBody());
    expect(d.status).toBe(201);
    expect(d.body.type).toBe('Microsoft.MachineLearningServices/workspaces/batchEndpoints/deployments');
    expect(d.body.properties).toMatchObject({
      miniBatchSize: 5,
      maxConcurrencyPerInstance: 4,
      errorThreshold: 10,
      loggingLevel: 'Info',
      provisioningState: 'Updating', // recorded: a new deployment's 201 says Updating
      retrySettings: { maxRetries: 3, timeout: 'PT30S' },
    });
    expect(d.body.systemData.createdAt).toEqual(expect.any(String));
  });

  it('lists the default datastore with the fields the recipe reads, and no secrets', async () => {
    const r = await arm('GET', '/datastores', undefined, { query: `${API}&isDefault=true` });
    expect(r.status).toBe(200);
    const ds = r.body.value[0];
    expect(ds.name).toBe('workspaceblobstore');
    expect(ds.properties).toMatchObject({ isDefault: true, datastoreType: 'AzureBlob', accountName: 'devstoreaccount1', containerName: sb.datastoreContainer, protocol: 'https' });
    expect(ds.properties.credentials).toEqual({ credentialsType: 'AccountKey', secrets: { secretsType: 'AccountKey' } });
    expect(r.text).not.toContain('Eby8vdM02x');
  });

  it('says which field is wrong in an invalid body', async () => {
    const r = await arm('PUT', '/batchEndpoints/bad-ep/deployments/xyz', deploymentBody());
    expect(r.status).toBe(404);
    await arm('PUT', '/batchEndpoints/bad-ep', endpointBody());
    const bad = await arm('PUT', '/batchEndpoints/bad-ep/deployments/xyz', deploymentBody({ miniBatchSize: 'five' }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].target).toBe('properties.miniBatchSize');
    const missingModel = await arm('PUT', '/batchEndpoints/bad-ep/deployments/xyz', deploymentBody().replace('models/mnist/versions/1', 'models/nope/versions/9'));
    expect(missingModel.status).toBe(404);
    expect(missingModel.body.error.message).toContain('Model nope version 9 was not found');
    expect(missingModel.body.error.target).toBe('properties.model.assetId');
    const badJson = await arm('PUT', '/batchEndpoints/bad-ep', '{"properties": ');
    expect(badJson.status).toBe(400);
  });

  it('answers ARM 401 shapes for missing, invalid, wrong-audience and expired tokens', async () => {
    expect((await arm('GET', '/batchEndpoints', undefined, { token: null })).body.error.code).toBe('AuthenticationFailed');
    const invalid = await arm('GET', '/batchEndpoints', undefined, { token: 'not.a.jwt' });
    expect(invalid.status).toBe(401);
    expect(invalid.body.error.code).toBe('InvalidAuthenticationToken');
    expect(invalid.headers.get('www-authenticate')).toContain('invalid_token');
    const wrongAudience = await arm('GET', '/batchEndpoints', undefined, { token: sb.scoringToken });
    expect(wrongAudience.body.error.code).toBe('InvalidAuthenticationTokenAudience');
    const fresh = await sb.credential.getToken('https://management.azure.com/.default');
    expect((await arm('GET', '/batchEndpoints', undefined, { token: fresh!.token })).status).toBe(200);
    sb.admin.expireAllTokens();
    const expired = await arm('GET', '/batchEndpoints', undefined, { token: fresh!.token });
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('ExpiredAuthenticationToken');
    // Tokens issued afterwards work again; keep the suite's token usable.
    const renewed = await sb.credential.getToken(['https://management.azure.com/.default']);
    expect((await arm('GET', '/batchEndpoints', undefined, { token: renewed!.token })).status).toBe(200);
    sb.token = renewed!.token;
    sb.scoringToken = (await sb.credential.getToken('https://ml.azure.com/.default'))!.token;
  });

  it('requires api-version like ARM', async () => {
    const r = await arm('GET', '/batchEndpoints', undefined, { query: '' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('MissingApiVersionParameter');
  });

  it('answers 404 NotFound (NoSuchEndpoint) for missing resources, ResourceNotFound for another workspace', async () => {
    const r = await arm('GET', '/batchEndpoints/nope');
    expect(r.status).toBe(404);
    // Recorded (test_batch_endpoint_create.json #10).
    expect(r.body.error).toMatchObject({
      code: 'NotFound',
      message: 'The specified resource was not found.',
      details: [{ code: 'NoSuchEndpoint', message: `There is no endpoint with name: nope in ${sb.workspace}` }],
    });
    const other = await call('GET', `${sb.baseUrl}${ws.replace(sb.workspace, 'other-ws')}/batchEndpoints?${API}`);
    expect(other.status).toBe(404);
  });
});

describe('long-running operations', () => {
  it('moves an endpoint from Creating to Succeeded through its Azure-AsyncOperation', async () => {
    const put = await arm('PUT', '/batchEndpoints/lro-ep', endpointBody());
    expect(put.status).toBe(201);
    expect(put.body.properties.provisioningState).toBe('Creating');
    // Recorded (test_batch_job_download.json #1): no scoring URI yet, Location + timeout, no Retry-After.
    expect(put.body.properties.scoringUri).toBeNull();
    expect(put.body.properties.authMode).toBe('AADToken');
    const asyncUrl = put.headers.get('azure-asyncoperation')!;
    expect(put.body.properties.properties.AzureAsyncOperationUri).toBe(asyncUrl);
    expect(put.headers.get('location')).toBe(`${sb.baseUrl}${ws}/batchEndpoints/lro-ep?${API}`);
    expect(put.headers.get('x-ms-async-operation-timeout')).toBe('PT30M');
    expect(put.headers.get('retry-after')).toBeNull();
    // The sandbox's own fast-poll hint (docs/architecture.md), not Azure's.
    expect(Number(put.headers.get('retry-after-ms'))).toBeLessThan(1000);
    const first = await call('GET', asyncUrl);
    expect(first.body).toMatchObject({ status: 'Updating', percentComplete: 0 });
    const done = await waitFor(async () => {
      const r = await call('GET', asyncUrl);
      return r.body.status === 'Succeeded' ? r : undefined;
    }, 'endpoint operation');
    expect(done.body.endTime).toEqual(expect.any(String));
    expect(done.body.percentComplete).toBe(100);
    const endpoint = (await arm('GET', '/batchEndpoints/lro-ep')).body.properties;
    expect(endpoint.provisioningState).toBe('Succeeded');
    expect(endpoint.scoringUri).toBe(sb.scoringUri('lro-ep'));
  });

  it('answers PATCH and DELETE with 202 + Location, and deleting an endpoint deletes its deployments', async () => {
    await createEndpoint('lro-del', [{ name: 'blue' }], 'blue');
    const patch = await arm('PATCH', '/batchEndpoints/lro-del', '{"tags": {"team": "ml"}}');
    expect(patch.status).toBe(202);
    const patched = await waitFor(async () => {
      const r = await call('GET', patch.headers.get('location')!);
      return r.status === 200 ? r : undefined;
    }, 'patch result');
    expect(patched.body.tags).toEqual({ team: 'ml' });

    const del = await arm('DELETE', '/batchEndpoints/lro-del');
    expect(del.status).toBe(202);
    // Recorded (test_batch_endpoint_create.json #6): body null, Azure-AsyncOperation and Location.
    expect(del.text).toBe('null');
    expect(del.headers.get('azure-asyncoperation')).toContain('/mfeOperationsStatus/');
    expect(del.headers.get('location')).toContain('/mfeOperationResults/');
    expect((await arm('GET', '/batchEndpoints/lro-del/deployments/blue')).body.properties.provisioningState).toBe('Deleting');
    const polled = await call('GET', del.headers.get('location')!);
    expect([200, 202]).toContain(polled.status);
    await waitFor(async () => ((await call('GET', del.headers.get('location')!)).status === 200 ? true : undefined), 'delete');
    expect((await arm('GET', '/batchEndpoints/lro-del')).status).toBe(404);
    expect((await arm('GET', '/batchEndpoints/lro-del/deployments/blue')).status).toBe(404);
  });

  it('fails a deployment whose provisioning is made to fail', async () => {
    await arm('PUT', '/batchEndpoints/fail-ep', endpointBody());
    sb.admin.failDeploymentProvisioning('fail-ep', 'broken', { code: 'ImageBuildFailure', message: 'conda solve failed' });
    const put = await arm('PUT', '/batchEndpoints/fail-ep/deployments/broken', deploymentBody());
    const status = await waitFor(async () => {
      const r = await call('GET', put.headers.get('azure-asyncoperation')!);
      return r.body.status !== 'Updating' ? r : undefined;
    }, 'failed operation');
    expect(status.body).toMatchObject({ status: 'Failed', error: { code: 'ImageBuildFailure', message: 'conda solve failed' } });
    expect((await arm('GET', '/batchEndpoints/fail-ep/deployments/broken')).body.properties.provisioningState).toBe('Failed');
  });
});

describe('batch scoring jobs', () => {
  let scoringUri: string;
  beforeAll(async () => {
    scoringUri = await createEndpoint(
      'score-ep',
      [{ name: 'main' }, { name: 'strict', body: deploymentBody({ errorThreshold: '0', maxRetries: 1 }) }],
      'main',
    );
  }, 30_000);

  const invoke = (body: string, headers: Record<string, string> = {}) => call('POST', scoringUri, { body, token: sb.scoringToken, headers });

  it('scores a datastore folder and writes predictions.csv with the right digits', async () => {
    const r = await invoke(scoringBody({ uri: 'azureml://datastores/workspaceblobstore/paths/inputs/mnist' }));
    // Recorded (test_batch_invoke.json #21): 201, the data-plane document, X-Request-ID.
    expect(r.status).toBe(201);
    expect(r.headers.get('x-request-id')).toEqual(expect.any(String));
    expect(r.body.id).toBe(`${ws}/batchEndpoints/score-ep/deployments/main/jobs/${r.body.name}`);
    expect(r.body.type).toBe('Microsoft.MachineLearningServices/workspaces/batchEndpoints/deployments/jobs');
    expect(r.body.properties).toMatchObject({
      status: 'NotStarted',
      inputData: { mnistInput: { uri: 'azureml://datastores/workspaceblobstore/paths/inputs/mnist', mode: 'ReadOnlyMount', jobInputType: 'UriFolder' } },
      output: { datastoreId: null, path: null },
      tags: { 'azureml.batchrun': 'true', 'azureml.deploymentname': 'main', 'azureml.jobtype': 'azureml.batchjob' },
    });
    expect(r.body.properties.interactionEndpoints.Studio.endpoint).toContain(`/runs/${r.body.name}?wsid=`);
    const seen = new Set<string>();
    const done = await waitFor(async () => {
      const g = await call('GET', `${scoringUri}/${r.body.name}`, { token: sb.scoringToken });
      seen.add(g.body.properties.status);
      return TERMINAL.includes(g.body.properties.status) ? g : undefined;
    }, 'job');
    expect(done.body.properties.status).toBe('Completed');
    expect([...seen]).toEqual(expect.arrayContaining(['Running', 'Completed']));
    const csv = await sb.admin.readDatastoreFile(`azureml/${r.body.name}/score/predictions.csv`);
    expect(csv?.toString()).toBe(expectedCsv(files));

    // Recorded (test_batch_job_download.json #29): experimentName, deployment in tags, inputs/outputs null.
    const armJob = await arm('GET', `/jobs/${r.body.name}`);
    expect(armJob.body.properties).toMatchObject({
      jobType: 'Pipeline',
      experimentName: 'score-ep',
      status: 'Completed',
      description: 'Pipeline submission for endpoint: score-ep, deployment: main.',
      tags: { 'azureml.deploymentname': 'main' },
      inputs: null,
      outputs: null,
    });
    expect(JSON.stringify(armJob.body)).not.toContain('azureml.error');
    const listed = await arm('GET', '/jobs', undefined, { query: `${API}&jobType=Pipeline` });
    expect(listed.body.value.map((j: { name: string }) => j.name)).toContain(r.body.name);
  });

  it('accepts the long datastore URI form', async () => {
    const uri = `azureml://subscriptions/${sb.subscriptionId}/resourceGroups/${sb.resourceGroup}/workspaces/${sb.workspace}/datastores/workspaceblobstore/paths/inputs/mnist/`;
    const r = await invoke(scoringBody({ uri }));
    expect((await waitForJob(scoringUri, r.body.name)).body.properties.status).toBe('Completed');
  });

  it('skips a CORRUPT file within errorThreshold and fails the job beyond it', async () => {
    await sb.admin.putDatastoreFile('corrupt/a.png', 'fine-a');
    await sb.admin.putDatastoreFile('corrupt/b.png', 'CORRUPT bytes');
    const lenient = await invoke(scoringBody({ uri: 'azureml://datastores/workspaceblobstore/paths/corrupt' }));
    const ok = await waitForJob(scoringUri, lenient.body.name);
    expect(ok.body.properties.status).toBe('Completed');
    expect((await sb.admin.readDatastoreFile(`azureml/${lenient.body.name}/score/predictions.csv`))?.toString()).toBe(`a.png,${digitOf('fine-a')}\n`);

    const strict = await invoke(scoringBody({ uri: 'azureml://datastores/workspaceblobstore/paths/corrupt' }), { 'azureml-model-deployment': 'strict' });
    const failed = await waitForJob(scoringUri, strict.body.name);
    expect(failed.body.properties.status).toBe('Failed');
    expect(failed.body.properties.tags['azureml.deploymentname']).toBe('strict');
    expect(sb.admin.jobFailure(strict.body.name)?.message).toContain('errorThreshold');
  });

  it("honours a job's own settings in the invoke body over the deployment's, for that job only", async () => {
    await sb.admin.putDatastoreFile('corrupt-override/a.png', 'fine-a');
    await sb.admin.putDatastoreFile('corrupt-override/b.png', 'CORRUPT bytes');
    // The strict deployment (errorThreshold 0) fails on one bad file; this job tolerates every failure,
    // cuts mini-batches of one file and names its results file (keys in the SDK's camelCase).
    const body = JSON.stringify({
      properties: {
        inputData: { input_data: { jobInputType: 'UriFolder', uri: 'azureml://datastores/workspaceblobstore/paths/corrupt-override' } },
        miniBatchSize: 1,
        errorThreshold: -1,
        outputFileName: 'digits.csv',
        compute: { instanceCount: 2 },
        retrySettings: { maxRetries: 0 },
      },
    });
    const r = await invoke(body, { 'azureml-model-deployment': 'strict' });
    expect(r.status).toBe(201);
    const done = await waitForJob(scoringUri, r.body.name);
    expect(done.body.properties.status).toBe('Completed');
    expect(done.body.properties.properties['azureml.miniBatchesTotal']).toBe('2');
    expect(done.body.properties.properties['azureml.miniBatchRetries']).toBe('0');
    expect((await sb.admin.readDatastoreFile(`azureml/${r.body.name}/score/digits.csv`))?.toString()).toBe(`a.png,${digitOf('fine-a')}\n`);

    const bad = await invoke(JSON.stringify({ properties: { inputData: { i: { jobInputType: 'UriFolder', uri: 'azureml://datastores/workspaceblobstore/paths/corrupt-override' } }, miniBatchSize: 0 } }));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('miniBatchSize');
  });

  it('writes an explicit output file and fails a job whose output file already exists', async () => {
    const out = 'azureml://datastores/workspaceblobstore/paths/outputs/run1.csv';
    const first = await invoke(scoringBody({ uri: 'azureml://datastores/workspaceblobstore/paths/inputs/mnist' }, out));
    // **guess** (no recording names an output): the confirmed output is the datastore's id and the path.
    expect(first.body.properties.output).toEqual({ datastoreId: `${ws}/datastores/workspaceblobstore`, path: 'outputs/run1.csv' });
    expect((await waitForJob(scoringUri, first.body.name)).body.properties.status).toBe('Completed');
    expect((await sb.admin.readDatastoreFile('outputs/run1.csv'))?.toString()).toBe(expectedCsv(files));
    const second = await invoke(scoringBody({ uri: 'azureml://datastores/workspaceblobstore/paths/inputs/mnist' }, out));
    const failed = await waitForJob(scoringUri, second.body.name);
    expect(failed.body.properties.status).toBe('Failed');
    expect(sb.admin.jobFailure(second.body.name)?.message).toContain('already exists');
  });

  it('refuses an unknown deployment header and an endpoint without a default deployment', async () => {
    const unknown = await invoke(scoringBody({ uri: 'azureml://datastores/workspaceblobstore/paths/inputs/mnist' }), { 'azureml-model-deployment': 'nope' });
    expect(unknown.status).toBe(404);
    await arm('PUT', '/batchEndpoints/nodefault', endpointBody());
    const noDefault = await waitForProvisioned('/batchEndpoints/nodefault');
    const r = await call('POST', noDefault.body.properties.scoringUri, { body: scoringBody({ uri: 'azureml://datastores/workspaceblobstore/paths/inputs/mnist' }), token: sb.scoringToken });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('no default deployment');
  });

  it('requires an ML-audience token on the scoring URI', async () => {
    const r = await call('POST', scoringUri, { body: scoringBody({ uri: 'azureml://datastores/workspaceblobstore/paths/inputs/mnist' }), token: sb.token });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('InvalidAuthenticationTokenAudience');
  });

  it('reads public https inputs from its own HTTPS server and fails on unreachable hosts', async () => {
    await sb.admin.putPublicFile('sampledata/mnist/0.png', 'public-0');
    await sb.admin.putPublicFile('sampledata/mnist/1.png', 'public-1');
    const served = await new Promise<string>((resolve, reject) => {
      https.get(`${sb.publicBaseUrl}/sampledata/mnist/0.png`, { ca: sb.publicCa }, (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve(data));
      }).on('error', reject);
    });
    expect(served).toBe('public-0');

    const folder = await invoke(scoringBody({ uri: `${sb.publicBaseUrl}/sampledata/mnist` }));
    expect((await waitForJob(scoringUri, folder.body.name)).body.properties.status).toBe('Completed');
    expect((await sb.admin.readDatastoreFile(`azureml/${folder.body.name}/score/predictions.csv`))?.toString()).toBe(
      `0.png,${digitOf('public-0')}\n1.png,${digitOf('public-1')}\n`,
    );
    const file = await invoke(scoringBody({ type: 'UriFile', uri: `${sb.publicBaseUrl}/sampledata/mnist/1.png` }));
    expect((await waitForJob(scoringUri, file.body.name)).body.properties.status).toBe('Completed');
    expect((await sb.admin.readDatastoreFile(`azureml/${file.body.name}/score/predictions.csv`))?.toString()).toBe(`1.png,${digitOf('public-1')}\n`);

    const unreachable = await invoke(scoringBody({ uri: 'https://pipelinedata.blob.core.windows.net/sampledata/mnist' }));
    const failed = await waitForJob(scoringUri, unreachable.body.name);
    expect(failed.body.properties.status).toBe('Failed');
    expect(sb.admin.jobFailure(unreachable.body.name)?.message).toContain('not reachable');
  });

  it('resolves a data asset by asset id and by ARM id', async () => {
    const put = await arm('PUT', '/data/mnist/versions/7', `{"properties": {"dataType": "uri_folder", "dataUri": "azureml://datastores/workspaceblobstore/paths/inputs/mnist", "description": "Mnist data asset"}}`);
    expect(put.status).toBe(201);
    for (const uri of [
      `azureml://locations/${sb.location}/workspaces/${sb.workspace}/data/mnist/versions/7/`,
      `/subscriptions/${sb.subscriptionId}/resourcegroups/${sb.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${sb.workspace}/data/mnist/versions/7`,
    ]) {
      const r = await invoke(scoringBody({ uri }));
      const done = await waitForJob(scoringUri, r.body.name);
      expect(done.body.properties.status).toBe('Completed');
      expect((await sb.admin.readDatastoreFile(`azureml/${r.body.name}/score/predictions.csv`))?.toString()).toBe(expectedCsv(files));
    }
  });

  it('cancels a job through ARM', async () => {
    const r = await invoke(scoringBody({ uri: 'azureml://datastores/workspaceblobstore/paths/inputs/mnist' }));
    const cancel = await arm('POST', `/jobs/${r.body.name}/cancel`);
    expect([200, 202]).toContain(cancel.status);
    const done = await waitForJob(scoringUri, r.body.name);
    expect(done.body.properties.status).toBe('Canceled');
  });

  it('fails a job made to fail, and counts exactly one job creation', async () => {
    sb.admin.resetCounters();
    sb.admin.failNextJobs(1, 'node preempted');
    const r = await invoke(scoringBody({ uri: 'azureml://datastores/workspaceblobstore/paths/inputs/mnist' }));
    const done = await waitForJob(scoringUri, r.body.name);
    expect(done.body.properties.status).toBe('Failed');
    expect(sb.admin.jobFailure(r.body.name)?.message).toBe('node preempted');
    expect(sb.admin.requestCount({ method: 'POST', path: new URL(scoringUri).pathname })).toBe(1);
  });
});

// Azure creates a batch deployment without reading its code or model files (azure-ai-ml checks the script on
// the client, `validate_scoring_script`); a job meets them when its batchscoring step starts
// (docs/sandbox-fidelity.md). Here nobody went through the bot's preflight: the sandbox itself must fail the job.
describe('deployments whose files Azure never checks', () => {
  const INPUT = 'azureml://datastores/workspaceblobstore/paths/inputs/mnist';
  /** A deployment naming these code and model versions, on an endpoint of its own. */
  const deploymentOf = (code: string, model: string): string =>
    deploymentBody().replace(`${ws}/codes/score-mnist/versions/1`, `${ws}/codes/${code}/versions/1`).replace(`${ws}/models/mnist/versions/1`, `${ws}/models/${model}/versions/1`);

  async function failedJobOn(endpoint: string, code: string, model: string): Promise<{ name: string; message: string; runId: string }> {
    const scoringUri = await createEndpoint(endpoint, [{ name: 'main', body: deploymentOf(code, model) }], 'main');
    // The deployment provisions: nothing looked at its files.
    expect((await arm('GET', `/batchEndpoints/${endpoint}/deployments/main`)).body.properties.provisioningState).toBe('Succeeded');
    const r = await call('POST', scoringUri, { body: scoringBody({ uri: INPUT }), token: sb.scoringToken });
    expect(r.status).toBe(201);
    const done = await waitForJob(scoringUri, r.body.name);
    expect(done.body.properties.status).toBe('Failed');
    // Run history's batchscoring step: where its logs are, and (a guess) its error.
    const children = await call(
      'GET',
      `${sb.baseUrl}/history/v1.0/subscriptions/${sb.subscriptionId}/resourceGroups/${sb.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${sb.workspace}/experiments/${endpoint}/runs/${r.body.name}/children`,
      { token: sb.scoringToken },
    );
    expect(children.status).toBe(200);
    const step = children.body.value[0];
    expect(step).toMatchObject({ name: 'batchscoring', status: 'Failed' });
    return { name: r.body.name, message: step.error.error.message, runId: step.runId };
  }

  it('fails the job, not the deployment, when the code folder never held the scoring script', async () => {
    await sb.admin.putDatastoreFile('no-script/helpers.py', 'def helper():\n    return 1\n');
    const codeUri = `${sb.blobEndpoint}/${sb.datastoreContainer}/no-script`;
    expect((await arm('PUT', '/codes/no-script/versions/1', JSON.stringify({ properties: { codeUri } }))).status).toBe(201);
    const job = await failedJobOn('no-script-ep', 'no-script', 'mnist');
    expect(job.message).toBe(
      'User program failed with Exception: Run failed. Please check logs for details. You can check logs/readme.txt for the layout of logs.',
    );
    expect(sb.admin.jobFailure(job.name)?.message).toBe(job.message);
    const logs = `ExperimentRun/dcid.${job.runId}/logs`;
    expect((await sb.admin.readDatastoreFile(`${logs}/user/error.txt`, 'workspaceartifactstore'))?.toString()).toContain(
      "EntryScriptException: No module named 'digit_identification'",
    );
    expect((await sb.admin.readDatastoreFile(`${logs}/job_error.txt`, 'workspaceartifactstore'))?.toString()).toContain('User program failed');
  });

  it.each([
    ['code', 'ghost-code', 'mnist', 'downloaded'],
    ['model', 'score-mnist', 'ghost-model', 'mounted'],
  ] as const)('fails the job in Preparing when a %s version names blobs that never existed', async (kind, code, model, verb) => {
    // The version itself is accepted (the service does not list storage when an asset version is registered: a guess).
    const created =
      kind === 'code'
        ? await arm('PUT', '/codes/ghost-code/versions/1', JSON.stringify({ properties: { codeUri: `${sb.blobEndpoint}/${sb.datastoreContainer}/never-uploaded/code` } }))
        : await arm('PUT', '/models/ghost-model/versions/1', JSON.stringify({ properties: { modelUri: 'azureml://datastores/workspaceblobstore/paths/never-uploaded/model' } }));
    expect(created.status).toBe(201);
    const job = await failedJobOn(`ghost-${kind}-ep`, code, model);
    expect(job.message).toMatch(new RegExp(`^UserError: The ${kind} of this deployment could not be ${verb}: no files at .*never-uploaded/${kind} \\(${kind} asset ghost-${kind}:1\\)\\.$`));
    expect((await sb.admin.readDatastoreFile(`ExperimentRun/dcid.${job.runId}/logs/job_error.txt`, 'workspaceartifactstore'))?.toString()).toContain(job.message);
    // It never scored: no predictions.
    expect(await sb.admin.readDatastoreFile(`azureml/${job.name}/score/predictions.csv`)).toBeUndefined();
  });
});

describe('names, tags and recorded job shapes', () => {
  it("refuses names outside Azure's rule (3–32, a letter first, no trailing '-') and names taken in the region", async () => {
    for (const bad of ['ab', 'a'.repeat(33), '1abc', 'abc-', 'ab_c']) {
      const r = await arm('PUT', `/batchEndpoints/${bad}`, endpointBody());
      expect([r.status, r.body.error.target]).toEqual([400, 'endpointName']);
    }
    expect((await arm('PUT', `/batchEndpoints/${'a'.repeat(32)}`, endpointBody())).status).toBe(201);
    sb.admin.takeEndpointName('taken-elsewhere');
    const taken = await arm('PUT', '/batchEndpoints/taken-elsewhere', endpointBody());
    expect(taken.status).toBe(400);
    expect(taken.body.error.message).toBe(
      "The specified endpoint name 'taken-elsewhere' is not available. Endpoint names must be unique within the region. Please choose a different name and try again.",
    );
  });

  it('refuses empty tag values', async () => {
    const r = await arm('PUT', '/batchEndpoints/tagged-ep', `{"location": "${sb.location}", "tags": {"team": ""}, "properties": {"authMode": "AADToken"}}`);
    expect(r.status).toBe(400);
    expect(r.body.error.target).toBe('tags.team');
  });

  it('names jobs in both recorded forms, a GUID and batchjob-<guid>, and accepts lower-case body keys', async () => {
    const scoringUri = sb.scoringUri('score-ep');
    const lower = JSON.stringify({ properties: { inputData: { in1: { uri: 'azureml://datastores/workspaceblobstore/paths/inputs/mnist', jobInputType: 'UriFolder' } } } });
    const names: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await call('POST', scoringUri, { body: lower, token: sb.scoringToken });
      expect(r.status).toBe(201);
      names.push(r.body.name);
    }
    const guid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
    expect(names.some((n) => new RegExp(`^${guid}$`).test(n))).toBe(true);
    expect(names.some((n) => new RegExp(`^batchjob-${guid}$`).test(n))).toBe(true);
    for (const n of names) await arm('POST', `/jobs/${n}/cancel`);
  });

  it('answers a cancel with 202, body null and a Location polled 202 {} then 200; a finished job with 200 and no body', async () => {
    const r = await call('POST', sb.scoringUri('score-ep'), { body: scoringBody({ uri: 'azureml://datastores/workspaceblobstore/paths/inputs/mnist' }), token: sb.scoringToken });
    const cancel = await arm('POST', `/jobs/${r.body.name}/cancel`);
    expect([cancel.status, cancel.text]).toEqual([202, 'null']);
    const location = cancel.headers.get('location')!;
    expect(location).toContain('/mfeOperationResults/');
    const first = await call('GET', location);
    if (first.status === 202) expect(first.body).toEqual({});
    const done = await waitFor(async () => {
      const p = await call('GET', location);
      return p.status === 200 ? p : undefined;
    }, 'cancel operation');
    expect(done.text).toBe('');
    const again = await arm('POST', `/jobs/${r.body.name}/cancel`);
    expect([again.status, again.text]).toEqual([200, '']);
  });
});

describe('fault injection', () => {
  it('loses the answer after the handler ran: a 504, or a reset connection, with the job created all the same', async () => {
    const scoringUri = sb.scoringUri('score-ep');
    const body = scoringBody({ uri: 'azureml://datastores/workspaceblobstore/paths/inputs/mnist' });
    const before = sb.admin.listJobs().length;
    sb.admin.injectFault({ match: 'scoring', count: 1, status: 504, after: true });
    const lost = await call('POST', scoringUri, { body, token: sb.scoringToken });
    expect(lost.status).toBe(504);
    expect(sb.admin.listJobs()).toHaveLength(before + 1);
    sb.admin.injectFault({ match: 'scoring', count: 1, reset: true, after: true });
    await expect(call('POST', scoringUri, { body, token: sb.scoringToken })).rejects.toThrow();
    expect(sb.admin.listJobs()).toHaveLength(before + 2);
    // A reset before the handler creates nothing.
    sb.admin.injectFault({ match: 'scoring', count: 1, reset: true });
    await expect(call('POST', scoringUri, { body, token: sb.scoringToken })).rejects.toThrow();
    expect(sb.admin.listJobs()).toHaveLength(before + 2);
    for (const job of sb.admin.listJobs().slice(before)) await arm('POST', `/jobs/${job.name as string}/cancel`);
  });

  it('holds a request delayMs before its fault, or alone before the usual answer', async () => {
    sb.admin.injectFault({ match: { method: 'GET', path: '/batchEndpoints$' }, count: 1, status: 503, delayMs: 300 });
    sb.admin.injectFault({ match: { method: 'GET', path: '/batchEndpoints$' }, count: 1, delayMs: 300 });
    for (const expected of [503, 200]) {
      const started = Date.now();
      const answer = await arm('GET', '/batchEndpoints');
      expect(answer.status).toBe(expected);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    }
  });

  it('answers the next ARM requests with 429 and 503, then normally', async () => {
    sb.admin.resetCounters();
    sb.admin.injectFault({ match: 'arm', count: 1, status: 429, retryAfterMs: 30 });
    sb.admin.injectFault({ match: { method: 'GET', path: '/batchEndpoints$' }, count: 1, status: 503 });
    const throttled = await arm('GET', '/batchEndpoints');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('1');
    expect(throttled.headers.get('retry-after-ms')).toBe('30');
    const unavailable = await arm('GET', '/batchEndpoints');
    expect(unavailable.status).toBe(503);
    expect(unavailable.body.error.code).toBe('ServiceUnavailable');
    expect((await arm('GET', '/batchEndpoints')).status).toBe(200);
    expect(sb.admin.counters().byRoute['GET workspaces/{workspaceName}/batchEndpoints']).toBe(3);
    expect(sb.admin.requestCount({ method: 'PUT' })).toBe(0);
  });

  it('hangs a request until the sandbox stops (and only that one)', async () => {
    sb.admin.injectFault({ match: 'lro-poll', count: 1, hang: true });
    const put = await arm('PUT', '/batchEndpoints/hang-ep', endpointBody());
    const controller = new AbortController();
    const hung = fetch(put.headers.get('azure-asyncoperation')!, { headers: { authorization: `Bearer ${sb.token}` }, signal: controller.signal });
    const outcome = await Promise.race([hung.then(() => 'answered'), new Promise((r) => setTimeout(() => r('still waiting'), 200))]);
    expect(outcome).toBe('still waiting');
    controller.abort();
    await expect(hung).rejects.toThrow();
    expect((await call('GET', put.headers.get('azure-asyncoperation')!)).status).toBe(200);
  });

  it('is reachable over the /_admin HTTP routes too', async () => {
    const added = await call('POST', `${sb.baseUrl}/_admin/faults`, { body: JSON.stringify({ match: 'scoring', count: 1, status: 500 }), token: null });
    expect(added.status).toBe(201);
    const r = await call('GET', `${sb.baseUrl}/inference/batchEndpoints/score-ep/jobs`, { token: sb.scoringToken });
    expect(r.status).toBe(500);
    expect(r.body.error.code).toBe('InternalServerError');
    const counters = await call('GET', `${sb.baseUrl}/_admin/counters`, { token: null });
    expect(counters.body.byKind.scoring).toBeGreaterThan(0);
  });

  it('records every exchange without the bearer token', () => {
    expect(sb.requestLog.length).toBeGreaterThan(10);
    const sample = sb.requestLog.find((e) => e.method === 'PUT')!;
    expect(sample).toMatchObject({ status: expect.any(Number), responseBody: expect.any(String) });
    expect(JSON.stringify(sb.requestLog)).not.toContain(sb.token);
  });
});

describe('process launchers and the CLI', () => {
  it('starts a durable redis-server that keeps data across a crash and restart', async () => {
    const redis = await startRedis({ appendOnly: true });
    const send = (cmd: string) =>
      new Promise<string>((resolve, reject) => {
        const s = net.connect(redis.port, '127.0.0.1', () => s.write(cmd));
        s.once('data', (d) => {
          s.destroy();
          resolve(d.toString());
        });
        s.once('error', reject);
      });
    try {
      expect(await send('SET k v\r\n')).toBe('+OK\r\n');
      await redis.kill('SIGKILL');
      await redis.restart();
      expect(await send('GET k\r\n')).toBe('$1\r\nv\r\n');
    } finally {
      await redis.stop();
    }
  });

  it('prints one JSON line and stops cleanly on SIGTERM', async () => {
    const port = await getFreePort();
    const root = path.resolve(__dirname, '../..');
    const child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'sandbox/azureml/main.ts', '--port', String(port), '--time-scale', '0.01', '--cloud', 'AzureChinaCloud', '--list-page-size', '1', '--seed-history', '3'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    const line = await waitFor(async () => (out.includes('\n') ? out.split('\n')[0] : undefined), 'the JSON line', 20_000);
    const info = JSON.parse(line!);
    expect(info).toMatchObject({ baseUrl: `http://127.0.0.1:${port}`, location: 'chinaeast2', cloud: 'AzureChinaCloud' });
    expect(info.publicBaseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const wsPath = `/subscriptions/${info.subscriptionId}/resourceGroups/${info.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${info.workspace}`;
    const r = await fetch(`${info.baseUrl}${wsPath}/datastores?api-version=2022-05-01&isDefault=true`, { headers: { authorization: `Bearer ${info.token}` } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { value: { properties: { endpoint: string } }[] }).value[0]!.properties.endpoint).toBe('core.chinacloudapi.cn');
    // --seed-history 3 --list-page-size 1: three past jobs, one per page.
    const jobs = (await (await fetch(`${info.baseUrl}${wsPath}/jobs?api-version=2022-05-01&listViewType=All`, { headers: { authorization: `Bearer ${info.token}` } })).json()) as { value: unknown[]; nextLink?: string };
    expect(jobs.value).toHaveLength(1);
    expect(jobs.nextLink).toContain('$skipToken=');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    await expect(fetch(`${info.baseUrl}/`)).rejects.toThrow();
  }, 30_000);
});
