// The use cases the workers and the CLI share (src/usecases), against the Azure ML sandbox over HTTP:
// deploy, invoke, the look-ups and the changes, each with the summary it answers and the typed "not
// there" (TargetNotFoundError) a front end words for itself.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAzureMlSandbox, type AzureMlSandbox } from '../../sandbox/azureml';
import { createArmClient } from '../../src/azureml/arm-client';
import { AZURE_CLOUDS } from '../../src/azureml/clouds';
import type { TokenCredential } from '../../src/azureml/credentials';
import { createAzureMlClient, type AzureMlClient } from '../../src/azureml';
import { isTerminalJobStatus } from '../../src/azureml/jobs';
import { deploySpecSchema } from '../../src/domain/deploy-spec';
import { runSpecSchema, type RunSpec } from '../../src/domain/run-spec';
import { cancelJob } from '../../src/usecases/cancel-job';
import { deleteEndpoint } from '../../src/usecases/delete-endpoint';
import { deploy } from '../../src/usecases/deploy';
import { listEndpoints, showEndpoint } from '../../src/usecases/endpoint-lookup';
import { findEarlierInvoke, invokeJob } from '../../src/usecases/invoke-job';
import { findBatchJob, jobStatus, listJobs, type JobLookupDeps } from '../../src/usecases/job-lookup';
import { findJobPredictions } from '../../src/usecases/job-predictions';
import { registerData } from '../../src/usecases/register-data';
import { checkRequest } from '../../src/usecases/request-check';
import { parseCommand, type Command } from '../../src/domain/command-grammar';
import { setDefaultDeployment } from '../../src/usecases/set-default-deployment';
import { studioEndpointLink, studioJobLink, workspaceLinksOf, type WorkspaceLinks } from '../../src/usecases/studio-links';
import { TargetNotFoundError } from '../../src/usecases/target-not-found';

const ENDPOINT = 'uc-digits';
const FILES = 40;

let sandbox: AzureMlSandbox;
let client: AzureMlClient;
let links: WorkspaceLinks;
let artifactsRoot: string;
let deps: JobLookupDeps & { azureml: AzureMlClient; now: () => number };

const datastoreUri = (p: string): string => `azureml://datastores/workspaceblobstore/paths/${p}`;
const runSpec = (input: string, over: Record<string, unknown> = {}): RunSpec =>
  runSpecSchema.parse({ endpointName: ENDPOINT, input: { kind: 'UriFolder', uri: datastoreUri(input) }, ...over });
const deploySpec = (deploymentName: string, makeDefault = true) =>
  deploySpecSchema.parse({
    endpointName: ENDPOINT,
    deploymentName,
    makeDefault,
    model: { kind: 'upload', localPath: 'model', name: 'uc-model' },
    code: { kind: 'upload', localPath: 'code', name: 'uc-code' },
    scoringScript: 'score.py',
    environment: { kind: 'image', name: 'uc-env', image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest' },
    compute: { kind: 'create', name: 'uc-cluster' },
  });

/** Reads the job until it has ended (a deadline, no sleeps of fixed length beyond the poll). */
async function ended(jobName: string, deadlineMs = 30_000): Promise<string> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const status = (await client.jobs.get(jobName)).properties.status ?? 'Unknown';
    if (isTerminalJobStatus(status)) return status;
    if (Date.now() > until) throw new Error(`job ${jobName} still ${status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const command = (text: string): { kind: 'command'; command: Command } => {
  const parsed = parseCommand(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return { kind: 'command', command: parsed.command };
};

/** What a use case threw, for matching. */
const thrown = (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (err: unknown) => err);

beforeAll(async () => {
  // Slow per file, so a job with many inputs runs long enough to be canceled; a one-file job ends soon.
  sandbox = await startAzureMlSandbox({ timeScale: 0.002, durations: { perFileMs: 100_000 } });
  const cloud = AZURE_CLOUDS[sandbox.cloud];
  const arm = createArmClient({ cloud, credential: sandbox.credential as TokenCredential, baseUrl: sandbox.baseUrl, retry: { baseDelayMs: 20, maxDelayMs: 200 } });
  artifactsRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'usecases-artifacts-'));
  await fs.mkdir(path.join(artifactsRoot, 'code'), { recursive: true });
  await fs.mkdir(path.join(artifactsRoot, 'model'), { recursive: true });
  await fs.writeFile(path.join(artifactsRoot, 'code', 'score.py'), 'def run(batch):\n    return batch\n');
  await fs.writeFile(path.join(artifactsRoot, 'model', 'model.pt'), Buffer.alloc(1024, 3));
  const workspace = { subscriptionId: sandbox.subscriptionId, resourceGroup: sandbox.resourceGroup, workspace: sandbox.workspace, location: sandbox.location };
  client = createAzureMlClient({
    arm,
    workspace,
    storage: { kind: 'connection-string', connectionString: sandbox.storageConnectionString },
    artifactsRoot,
    poll: { minIntervalMs: 10, maxIntervalMs: 200 },
  });
  links = workspaceLinksOf(cloud, workspace);
  deps = { azureml: client, links, now: () => 1_700_000_000_000 };
  await sandbox.admin.putDatastoreFile('uc/one/0.png', 'seven');
  await Promise.all(Array.from({ length: FILES }, (_, i) => sandbox.admin.putDatastoreFile(`uc/many/${i}.png`, `digit-${i}`)));
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
  if (artifactsRoot) await fs.rm(artifactsRoot, { recursive: true, force: true });
});

describe('use cases against the sandbox', () => {
  it('deploys and says what now exists, assets named name:version', async () => {
    const steps: string[] = [];
    const { result } = await deploy(deps, deploySpec('uc-v1'), { onStep: async (e) => void steps.push(`${e.step}:${e.status}`) });
    expect(steps).toContain('deployment:done');
    expect(result).toMatchObject({ endpointName: ENDPOINT, deploymentName: 'uc-v1', isDefault: true, scoringUri: sandbox.scoringUri(ENDPOINT), studioUrl: studioEndpointLink(links, ENDPOINT) });
    expect(result.model).toMatch(/^uc-model:[0-9a-f]+$/);
  }, 60_000);

  it('lists the endpoints and shows one with its deployments', async () => {
    expect((await listEndpoints(deps)).map((e) => [e.name, e.defaultDeployment])).toEqual([[ENDPOINT, 'uc-v1']]);
    const shown = await showEndpoint(deps, ENDPOINT);
    expect(shown.endpoint).toMatchObject({ name: ENDPOINT, studioUrl: studioEndpointLink(links, ENDPOINT) });
    expect(shown.deployments).toEqual([expect.objectContaining({ name: 'uc-v1', isDefault: true, model: expect.stringMatching(/^uc-model:/), compute: 'uc-cluster' })]);
  });

  it('says which target is missing, keeping Azure’s 404', async () => {
    for (const [attempt, missing] of [
      [showEndpoint(deps, 'nope'), { kind: 'endpoint', endpointName: 'nope' }],
      [listJobs(deps, 'nope'), { kind: 'endpoint', endpointName: 'nope' }],
      [jobStatus(deps, 'no-such-job'), { kind: 'job', jobName: 'no-such-job' }],
      [findJobPredictions(deps, 'no-such-job'), { kind: 'job', jobName: 'no-such-job' }],
      [setDefaultDeployment(deps, ENDPOINT, 'nope'), { kind: 'deployment', endpointName: ENDPOINT, deploymentName: 'nope' }],
      [deleteEndpoint(deps, 'nope'), { kind: 'endpoint', endpointName: 'nope' }],
    ] as const) {
      const err = await thrown(attempt);
      expect(err).toBeInstanceOf(TargetNotFoundError);
      expect(err).toMatchObject({ missing, statusCode: 404 });
    }
  });

  it('invokes a job, lists it, and answers its status with the outcome once it has ended', async () => {
    const invoked = await invokeJob(deps, runSpec('uc/one/'));
    expect((await listJobs(deps, ENDPOINT)).map((j) => j.name)).toContain(invoked.jobName);
    expect((await listJobs(deps)).map((j) => j.name)).toContain(invoked.jobName);
    expect(await ended(invoked.jobName)).toBe('Completed');
    const { job, outcome } = await jobStatus(deps, invoked.jobName);
    expect(job).toMatchObject({ name: invoked.jobName, status: 'Completed', endpointName: ENDPOINT, studioUrl: studioJobLink(links, invoked.jobName) });
    expect(outcome).toMatchObject({ status: 'Completed', preview: { rows: expect.arrayContaining([expect.arrayContaining([expect.stringContaining('0.png')])]) } });
    expect(await findJobPredictions(deps, invoked.jobName)).toMatchObject({ found: true, location: { blobName: expect.stringMatching(/predictions\.csv$/) } });
  });

  it('finds the job an earlier invoke of the same request started, unless another request claims it', async () => {
    const since = Date.now();
    const spec = runSpec('uc/one/');
    const invoked = await invokeJob(deps, spec);
    expect(await findEarlierInvoke(deps, spec, since, async () => false)).toMatchObject({ jobName: invoked.jobName, scoringUri: invoked.scoringUri });
    // Claimed by another request: never adopted (an older job of the same input, inside the clock margin, may be).
    expect((await findEarlierInvoke(deps, spec, since, async (name) => name === invoked.jobName))?.jobName).not.toBe(invoked.jobName);
    expect(await findEarlierInvoke(deps, spec, since, async () => true)).toBeUndefined();
    expect(await findEarlierInvoke(deps, runSpec('uc/many/'), since, async () => false)).toBeUndefined();
    await ended(invoked.jobName);
  });

  it('cancels a running job, and says a job that has ended is already finished', async () => {
    const invoked = await invokeJob(deps, runSpec('uc/many/'));
    expect(await cancelJob(deps, invoked.jobName)).toMatchObject({ outcome: 'cancel-requested', jobName: invoked.jobName, before: { name: invoked.jobName } });
    expect(await ended(invoked.jobName)).toBe('Canceled');
    expect(await cancelJob(deps, invoked.jobName)).toMatchObject({ outcome: 'already-finished', status: 'Canceled' });
    expect(await findJobPredictions(deps, invoked.jobName)).toEqual({ found: false, code: 'JobNotCompleted', status: 'Canceled' });
    expect(await findBatchJob(deps, invoked.jobName)).toMatchObject({ name: invoked.jobName });
  });

  it('checks a request before it is taken: what it names is there, the job still runs, the deploy sources exist', async () => {
    expect((await checkRequest(deps, { kind: 'run', spec: runSpec('uc/one/') })).problem).toBeUndefined();
    expect((await checkRequest(deps, { kind: 'run', spec: runSpec('uc/one/', { deploymentName: 'nope' }) })).problem).toMatchObject({
      kind: 'target-missing',
      missing: { kind: 'deployment', endpointName: ENDPOINT, deploymentName: 'nope' },
      azure: { code: expect.any(String) },
    });
    expect((await checkRequest(deps, command('delete nope'))).problem).toMatchObject({ kind: 'target-missing', missing: { kind: 'endpoint', endpointName: 'nope' }, verb: 'delete' });
    const [ended_] = (await listJobs(deps, ENDPOINT)).filter((j) => isTerminalJobStatus(j.status));
    expect((await checkRequest(deps, command(`cancel ${ended_!.name}`))).problem).toEqual({ kind: 'job-already-finished', jobName: ended_!.name, status: ended_!.status });
    const missingModel = { ...deploySpec('uc-v3'), model: { kind: 'registered' as const, name: 'no-such-model', version: '1' } };
    expect((await checkRequest(deps, { kind: 'deploy', spec: missingModel })).problem).toMatchObject({ kind: 'deploy-sources', problems: [expect.objectContaining({ step: 'model' })] });
  });

  it('makes another deployment the default, and registers data with the next version', async () => {
    await deploy(deps, deploySpec('uc-v2', false), { onStep: async () => undefined });
    expect(await setDefaultDeployment(deps, ENDPOINT, 'uc-v2')).toEqual({ endpointName: ENDPOINT, defaultDeployment: 'uc-v2', summary: `uc-v2 is now the default deployment of ${ENDPOINT}.` });
    expect((await showEndpoint(deps, ENDPOINT)).endpoint.defaultDeployment).toBe('uc-v2');
    const data = await registerData(deps, { name: 'uc-data', kind: 'UriFolder', uri: datastoreUri('uc/one/') });
    expect(data).toMatchObject({ name: 'uc-data', version: '1700000000000', dataType: 'uri_folder', summary: `Data asset uc-data:1700000000000 registered (uri_folder) as ${data.id}.` });
    expect((await client.arm.request({ method: 'GET', path: data.id })).body).toMatchObject({ id: data.id });
  }, 60_000);

  it('deletes the endpoint, after which it is missing', async () => {
    expect(await deleteEndpoint(deps, ENDPOINT)).toMatchObject({ deleted: true, summary: `Endpoint ${ENDPOINT} and all its deployments are deleted.` });
    expect(await listEndpoints(deps)).toEqual([]);
    expect(await thrown(deleteEndpoint(deps, ENDPOINT))).toBeInstanceOf(TargetNotFoundError);
  }, 60_000);
});
