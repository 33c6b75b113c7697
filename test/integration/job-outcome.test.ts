// After a job ends, through the real sandbox on Azurite: the job leaves its logs where Azure does
// (artifact store, ExperimentRun/dcid.<batchscoring step run id>/logs/…, the step found through run
// history), the client reads them and recognises each failure users hit most; a completed job's
// predictions are previewed and a time-limited link fetches them.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAzureMlSandbox, type AzureMlSandbox } from '../../sandbox/azureml';
import type { JobFailureScenario } from '../../sandbox/azureml/job-logs';
import { createArmClient, type ArmClient } from '../../src/azureml/arm-client';
import { createDatastoreContainerFactory } from '../../src/azureml/datastore-container';
import { AZURE_CLOUDS } from '../../src/azureml/clouds';
import type { TokenCredential } from '../../src/azureml/credentials';
import { createAzureMlClient, createDeployProgress, isTerminalJobStatus, type AzureMlClient } from '../../src/azureml';
import { jobOutputUri } from '../../src/azureml/scoring';
import { parseDataReference } from '../../src/domain/data-reference';
import { deploySpecSchema } from '../../src/domain/deploy-spec';

const ENDPOINT = 'triage-ep';
const INPUT = 'azureml://datastores/workspaceblobstore/paths/inputs/digits/';
let sandbox: AzureMlSandbox;
let arm: ArmClient;
let client: AzureMlClient;
let artifactsRoot: string;
let scoringUri: string;

beforeAll(async () => {
  sandbox = await startAzureMlSandbox({ timeScale: 0.002 });
  arm = createArmClient({ cloud: AZURE_CLOUDS[sandbox.cloud], credential: sandbox.credential as TokenCredential, baseUrl: sandbox.baseUrl, retry: { baseDelayMs: 20, maxDelayMs: 200 } });
  artifactsRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'job-outcome-'));
  await fs.mkdir(path.join(artifactsRoot, 'code'), { recursive: true });
  await fs.mkdir(path.join(artifactsRoot, 'model'), { recursive: true });
  await fs.writeFile(path.join(artifactsRoot, 'code', 'score.py'), 'def run(batch):\n    return batch\n');
  await fs.writeFile(path.join(artifactsRoot, 'model', 'model.pt'), 'weights');
  client = createAzureMlClient({
    arm,
    workspace: { subscriptionId: sandbox.subscriptionId, resourceGroup: sandbox.resourceGroup, workspace: sandbox.workspace, location: sandbox.location },
    storage: { kind: 'connection-string', connectionString: sandbox.storageConnectionString },
    artifactsRoot,
    poll: { minIntervalMs: 10, maxIntervalMs: 200 },
  });
  await Promise.all(['0.png', '1.png', '2.png', '3.png'].map((n, i) => sandbox.admin.putDatastoreFile(`inputs/digits/${n}`, `digit ${i}`)));
  const spec = deploySpecSchema.parse({
    endpointName: ENDPOINT,
    deploymentName: 'blue',
    model: { kind: 'upload', localPath: 'model', name: 'm' },
    code: { kind: 'upload', localPath: 'code', name: 'c' },
    scoringScript: 'score.py',
    environment: { kind: 'image', name: 'env', image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest' },
    compute: { kind: 'create', name: 'cpu-cluster' },
    miniBatchSize: 2,
    errorThreshold: -1,
  });
  const final = await client.runDeployPlan(spec, createDeployProgress(spec), async () => undefined);
  scoringUri = final.steps.endpoint!.outputs.scoringUri!;
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
  if (artifactsRoot) await fs.rm(artifactsRoot, { recursive: true, force: true });
});

/** Polls the job until it ends (a deadline, no fixed sleeps). */
async function untilEnded(jobName: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const job = await client.scoring.getJob(scoringUri, jobName);
    if (isTerminalJobStatus(job.properties.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobName} still ${job.properties.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function runJob(scenario?: JobFailureScenario) {
  if (scenario) sandbox.admin.failNextJobs(1, undefined, scenario);
  const { jobName } = await client.scoring.invoke({ endpointName: ENDPOINT, input: { ref: parseDataReference(INPUT), type: 'UriFolder' } });
  return { jobName, job: await untilEnded(jobName) };
}

describe('a job leaves its logs where Azure does', () => {
  it('keeps them under the batchscoring step run in the artifact store, found through run history', async () => {
    const { jobName } = await runJob();
    const runId = await client.artifacts.findScoringStep(jobName, ENDPOINT);
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(runId).not.toBe(jobName);
    const overview = await sandbox.admin.readDatastoreFile(`ExperimentRun/dcid.${runId}/logs/job_progress_overview.txt`, 'workspaceartifactstore');
    expect(overview?.toString()).toMatch(/2 of 2 mini batches processed\. 4 items succeeded, 0 items failed, of 4 items\.[\s\S]*The job completed\./);
  });
});

describe('failure triage', () => {
  it.each([
    ['init-error', 'init-raised', /FileNotFoundError: \[Errno 2\] No such file or directory/],
    ['run-error', 'run-raised', /PIL\.UnidentifiedImageError: cannot identify image file/],
    ['no-succeeded-mini-batch', 'no-succeeded-mini-batch', /No succeeded mini batch item returned from run\(\)/],
    ['input-auth', 'input-access', /StreamAccessException was caused by AuthenticationException/],
    ['no-nodes', 'no-nodes', /AzureMLCompute cluster only has 0 maximum nodes/],
  ] as const)('recognises %s from the job logs and says the fix', async (scenario, kind, firstLine) => {
    const { jobName, job } = await runJob(scenario);
    expect(job.properties.status).toBe('Failed');
    const outcome = await client.artifacts.readOutcome({ jobName, endpointName: ENDPOINT, status: 'Failed' });
    expect(outcome.problems).toEqual([]);
    expect(outcome.triage?.recognised?.kind).toBe(kind);
    expect(outcome.triage?.recognised?.fix).toMatch(/\./);
    expect(outcome.triage?.errorLines[0]).toMatch(firstLine);
  });

  it('counts failed items and mini-batches', async () => {
    const { jobName } = await runJob('run-error');
    sandbox.admin.resetCounters();
    const outcome = await client.artifacts.readOutcome({ jobName, endpointName: ENDPOINT, status: 'Failed' });
    expect(outcome.progress).toMatchObject({ miniBatchesDone: 2, miniBatchesTotal: 2, itemsSucceeded: 0, itemsFailed: 4 });
    await client.artifacts.readOutcome({ jobName, endpointName: ENDPOINT, status: 'Failed' });
    // Every log of both reads, from one lookup of the artifact store at most (the client keeps it a while;
    // earlier tests may have looked it up already), and of the workspace's data-plane host.
    expect(sandbox.admin.requestCount({ method: 'GET', path: /\/datastores\/workspaceartifactstore$/i })).toBeLessThanOrEqual(1);
    expect(sandbox.admin.requestCount({ method: 'GET', path: /\/workspaces\/[^/]+$/i })).toBeLessThanOrEqual(1);
  });

  it('recognises an output file that already exists', async () => {
    const output = 'azureml://datastores/workspaceblobstore/paths/results/taken.csv';
    await sandbox.admin.putDatastoreFile('results/taken.csv', 'old');
    // Past the client's own pre-check: the service finds it at its own time, as when two jobs race.
    const body = { properties: { InputData: { input_data: { JobInputType: 'UriFolder', Uri: INPUT } }, OutputData: { score: { JobOutputType: 'UriFile', Uri: output } } } };
    const token = await sandbox.credential.getToken(AZURE_CLOUDS[sandbox.cloud].mlScope);
    const res = await fetch(scoringUri, { method: 'POST', headers: { authorization: `Bearer ${token!.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const jobName = ((await res.json()) as { name: string }).name;
    expect((await untilEnded(jobName)).properties.status).toBe('Failed');
    const outcome = await client.artifacts.readOutcome({ jobName, endpointName: ENDPOINT, status: 'Failed' });
    expect(outcome.triage?.recognised?.kind).toBe('output-exists');
  });
});

describe('results', () => {
  it('previews the first rows of the predictions and links to them for a limited time', async () => {
    const { jobName, job } = await runJob();
    const outcome = await client.artifacts.readOutcome({ jobName, endpointName: ENDPOINT, status: 'Completed', outputUri: jobOutputUri(job), wantResults: true });
    expect(outcome.triage).toBeUndefined();
    expect(outcome.preview?.rows).toHaveLength(4);
    expect(outcome.preview?.rows[0]).toEqual(['0.png', expect.stringMatching(/^\d$/)]);
    expect(outcome.link?.kind).toBe('account-key');
    expect(outcome.link!.expiresOn.getTime()).toBeGreaterThan(Date.now());
    const fetched = await fetch(outcome.link!.url);
    expect(fetched.status).toBe(200);
    expect((await fetched.text()).split('\n')[0]).toBe(outcome.preview!.rows[0]!.join(','));
    // The link reads, and nothing else.
    const write = await fetch(outcome.link!.url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'x' });
    expect(write.status).toBe(403);
  });

  it('reads the head of a predictions file whatever its size: empty, short, or longer than the preview', async () => {
    const line = (i: number) => `${i}.png,${i % 10}\n`;
    await sandbox.admin.putDatastoreFile('heads/empty.csv', '');
    await sandbox.admin.putDatastoreFile('heads/short.csv', line(0) + line(1));
    await sandbox.admin.putDatastoreFile('heads/long.csv', Array.from({ length: 5_000 }, (_, i) => line(i)).join(''));
    const read = (file: string) =>
      client.artifacts.readOutcome({ jobName: 'none', endpointName: ENDPOINT, status: 'Completed', outputUri: `azureml://datastores/workspaceblobstore/paths/heads/${file}`, wantResults: true });
    const empty = await read('empty.csv');
    expect(empty.preview).toEqual({ rows: [], more: false });
    const short = await read('short.csv');
    expect(short.preview).toEqual({ rows: [['0.png', '0'], ['1.png', '1']], more: false });
    const long = await read('long.csv');
    expect(long.preview?.more).toBe(true);
    expect(long.preview?.rows[0]).toEqual(['0.png', '0']);
    expect((await read('missing.csv')).preview).toBeUndefined();
    // Only the step lookup (no job of that name) is missing; every head was read without a problem.
    for (const r of [empty, short, long]) expect(r.problems.filter((p) => !p.startsWith('scoring step'))).toEqual([]);
  });

  it('reads the predictions while run history is still answering, not after it', async () => {
    const { jobName, job } = await runJob();
    // What the storage was asked to download, and whether run history had answered the step lookup by then.
    const downloads: Array<{ blob: string; stepKnown: boolean }> = [];
    const logFrom = sandbox.requestLog.length;
    const stepKnown = () => sandbox.requestLog.slice(logFrom).some((e) => e.url.includes('/children'));
    const azurite = createDatastoreContainerFactory({ kind: 'connection-string', connectionString: sandbox.storageConnectionString });
    const watched = createAzureMlClient({
      arm,
      workspace: { subscriptionId: sandbox.subscriptionId, resourceGroup: sandbox.resourceGroup, workspace: sandbox.workspace, location: sandbox.location },
      storage: {
        kind: 'factory',
        containerFor: (ds) => {
          const container = azurite(ds);
          const blobClient = container.getBlobClient.bind(container);
          container.getBlobClient = (blob) => {
            const b = blobClient(blob);
            const download = b.download.bind(b);
            b.download = (...args) => {
              downloads.push({ blob, stepKnown: stepKnown() });
              return download(...args);
            };
            return b;
          };
          return container;
        },
      },
    });
    sandbox.admin.injectFault({ match: { method: 'GET', path: '/children$' }, delayMs: 1_500 });
    const outcome = await watched.artifacts.readOutcome({ jobName, endpointName: ENDPOINT, status: 'Completed', outputUri: jobOutputUri(job), wantResults: true });
    expect(outcome.preview?.rows).toHaveLength(4);
    expect(outcome.progress).toBeDefined();
    const predictions = downloads.find((d) => !d.blob.startsWith('ExperimentRun/'));
    const progress = downloads.find((d) => d.blob.startsWith('ExperimentRun/'));
    expect(predictions).toEqual({ blob: expect.any(String), stepKnown: false });
    expect(progress).toEqual({ blob: expect.stringContaining('job_progress_overview'), stepKnown: true });
  });
});
