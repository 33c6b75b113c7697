// The `batch-score` CLI as a user runs it: a child process (tsx src/cli.ts) pointed at an in-process Azure
// ML sandbox through --sandbox <file>, the JSON line `npm run sandbox:azureml` prints. Deploys from a
// spec file with local model and code folders, scores a datastore folder, and checks what scripts rely
// on: tables, the --json document and the exit codes (0 ok, 1 failed operation, 2 usage error, 3 a job
// completed with failed items).
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAzureMlSandbox, type AzureMlSandbox } from '../../sandbox/azureml';
import { connectionLine } from '../../sandbox/azureml/connection-info';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = path.join(ROOT, 'src', 'cli.ts');
const ENDPOINT = 'cli-digits';
const DEPLOYMENT = 'cli-digits-v1';
const INPUT = 'azureml://datastores/workspaceblobstore/paths/cli-inputs/digits/';

let sandbox: AzureMlSandbox;
let workDir: string;
let sandboxFile: string;

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with a clean environment: no AZURE_* variables, only what the sandbox file gives. */
function cli(...args: string[]): Promise<CliRun> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: workDir,
    BATCH_SCORE_ARTIFACTS_ROOT: path.join(workDir, 'artifacts'),
  };
  return new Promise((resolve) => {
    execFile(TSX, [CLI, '--sandbox', sandboxFile, ...args], { cwd: workDir, env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const jsonOf = (run: CliRun): { ok: boolean; command: string; result?: Record<string, unknown>; error?: Record<string, unknown> } => JSON.parse(run.stdout);

beforeAll(async () => {
  sandbox = await startAzureMlSandbox({ timeScale: 0.002 });
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-test-'));
  sandboxFile = path.join(workDir, 'sandbox.json');

  const artifacts = path.join(workDir, 'artifacts');
  await Promise.all([
    fs.writeFile(sandboxFile, connectionLine(sandbox)),
    fs.mkdir(path.join(artifacts, 'model'), { recursive: true }).then(() => fs.writeFile(path.join(artifacts, 'model', 'model.pt'), Buffer.alloc(4096, 7))),
    fs.mkdir(path.join(artifacts, 'code'), { recursive: true }).then(() => fs.writeFile(path.join(artifacts, 'code', 'score.py'), 'def run(batch):\n    return batch\n')),
    fs.writeFile(
      path.join(workDir, 'deploy.json'),
      JSON.stringify({
        endpointName: ENDPOINT,
        deploymentName: DEPLOYMENT,
        model: { kind: 'upload', localPath: 'model', name: 'cli-digits-model' },
        code: { kind: 'upload', localPath: 'code', name: 'cli-digits-code' },
        scoringScript: 'score.py',
        environment: { kind: 'image', name: 'cli-digits-env', image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest' },
        compute: { kind: 'create', name: 'cli-cluster' },
      }),
    ),
    sandbox.admin.putDatastoreFile('cli-inputs/digits/0.png', 'seven'),
    sandbox.admin.putDatastoreFile('cli-inputs/digits/1.png', 'three!'),
  ]);
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
  if (workDir) await fs.rm(workDir, { recursive: true, force: true });
});

describe('batch-score against the sandbox', () => {
  it('lists no endpoints in an empty workspace, as text and as JSON', async () => {
    const [text, json] = await Promise.all([cli('endpoints'), cli('endpoints', '--json')]);
    expect(text).toMatchObject({ code: 0 });
    expect(text.stdout).toContain(`No batch endpoints in workspace ${sandbox.workspace}.`);
    expect(json.code).toBe(0);
    expect(jsonOf(json)).toEqual({ ok: true, command: 'endpoints', result: { endpoints: [] } });
  });

  it('deploys from a spec file with local folders, reporting each step on stderr', async () => {
    const run = await cli('deploy', '--spec', 'deploy.json', '--wait');
    expect(run.stderr).toContain('deploy model: done');
    expect(run.stderr).toContain('deploy default: done');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Deployed ${DEPLOYMENT} to batch endpoint ${ENDPOINT}.`);
    expect(run.stdout).toContain(sandbox.scoringUri(ENDPOINT));
  });

  it('with --plan shows what a change would do against what exists now, and changes nothing', async () => {
    const redeploy = await cli('--plan', 'deploy', '--spec', 'deploy.json');
    expect(redeploy.code).toBe(0);
    expect(redeploy.stdout).toContain('Plan (against what exists now; nothing was changed):');
    expect(redeploy.stdout).toMatch(/reuse\s+model cli-digits-model:[0-9a-f]{16} \(the same content is registered\)/);
    expect(redeploy.stdout).toMatch(new RegExp(`unchanged\\s+deployment ${DEPLOYMENT}`));
    const removal = jsonOf(await cli('--plan', '--json', 'delete', ENDPOINT));
    expect(JSON.stringify(removal.result)).toContain(`"what":"deployment","name":"${DEPLOYMENT}","change":"remove"`);
    const refused = await cli('--plan', 'endpoints');
    expect(refused.code).toBe(2);
    expect((await cli('endpoints')).stdout).toContain(ENDPOINT);
  }, 150_000);

  it('shows the endpoint with its default deployment in a table', async () => {
    const run = await cli('show', ENDPOINT);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`Default deployment:\\s+${DEPLOYMENT}`));
    expect(run.stdout).toMatch(/DEPLOYMENT\s+STATE\s+MODEL\s+COMPUTE/);
    expect(run.stdout).toMatch(new RegExp(`${DEPLOYMENT} \\(default\\)\\s+Succeeded\\s+cli-digits-model:\\S+\\s+cli-cluster`));
  });

  it('runs a job on a datastore folder and waits for it: exit 0, JSON with status Completed and the output it asked for', async () => {
    const output = 'azureml://datastores/workspaceblobstore/paths/cli-out/predictions.csv';
    const run = await cli('run', ENDPOINT, INPUT, '--output', output, '--wait', '--json', '--poll-interval', '50ms');
    expect(run.code).toBe(0);
    const doc = jsonOf(run);
    expect(doc).toMatchObject({ ok: true, command: 'run', result: { status: 'Completed', endpointName: ENDPOINT, deploymentName: DEPLOYMENT } });
    const jobName = doc.result?.name as string;
    expect(doc.result?.output).toBe(output);
    expect(run.stderr).toContain(`job ${jobName}: Completed`);
    const csv = await sandbox.admin.readDatastoreFile('cli-out/predictions.csv');
    expect(csv?.toString().trim().split('\n')).toHaveLength(2);
  });

  it("runs a job with its own settings: the output file takes the name given", async () => {
    const run = await cli('run', ENDPOINT, INPUT, '--mini-batch-size', '1', '--output-file-name', 'cli-digits.csv', '--wait', '--json', '--poll-interval', '50ms');
    expect(run.code).toBe(0);
    const jobName = jsonOf(run).result?.name as string;
    const csv = await sandbox.admin.readDatastoreFile(`azureml/${jobName}/score/cli-digits.csv`);
    expect(csv?.toString().trim().split('\n')).toHaveLength(2);
  });

  it('exits 1 saying how the job ended when it fails (Azure’s job documents carry no reason)', async () => {
    sandbox.admin.failNextJobs(1, 'The scoring script raised ValueError');
    const run = await cli('run', ENDPOINT, INPUT, '--wait', '--json', '--poll-interval', '50ms');
    expect(run.code).toBe(1);
    const doc = jsonOf(run);
    expect(doc).toMatchObject({ ok: false, command: 'run', result: { status: 'Failed' } });
    const jobName = doc.result?.name as string;
    expect(String(doc.error?.message)).toBe(`job ${jobName} ended Failed`);
    expect(sandbox.admin.jobFailure(jobName)?.message).toBe('The scoring script raised ValueError');
  });

  it('shows a failed job’s triage in status: its first log lines and the fix', async () => {
    sandbox.admin.failNextJobs(1, undefined, 'init-error');
    const run = await cli('run', ENDPOINT, INPUT, '--wait', '--json', '--poll-interval', '50ms');
    const jobName = jsonOf(run).result?.name as string;
    const status = await cli('status', jobName);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain("FileNotFoundError: [Errno 2] No such file or directory");
    expect(status.stdout).toContain("Fix:         The scoring script's init() raised");
  });

  it('downloads a completed job’s predictions into --to, shows them in status, and never overwrites', async () => {
    const run = await cli('run', ENDPOINT, INPUT, '--wait', '--json', '--poll-interval', '50ms');
    const jobName = jsonOf(run).result?.name as string;
    const status = await cli('status', jobName);
    expect(status.stdout).toMatch(/Progress: +2 items scored, 0 failed, 1 of 1 mini-batches/);
    expect(status.stdout).toMatch(/COL1 +COL2\n +0\.png +\d/);

    const download = await cli('download', jobName, '--to', 'results', '--json');
    expect(download.code).toBe(0);
    expect(jsonOf(download).result).toMatchObject({ jobName, file: path.join('results', 'predictions.csv') });
    const local = await fs.readFile(path.join(workDir, 'results', 'predictions.csv'), 'utf8');
    expect(local).toBe((await sandbox.admin.readDatastoreFile(`azureml/${jobName}/score/predictions.csv`))?.toString());

    const again = await cli('download', jobName, '--to', 'results');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists: nothing was downloaded');
    expect(await fs.readFile(path.join(workDir, 'results', 'predictions.csv'), 'utf8')).toBe(local);
  });

  it('refuses to download a job that did not complete, and a download without a job', async () => {
    sandbox.admin.failNextJobs(1, undefined, 'no-nodes');
    const run = await cli('run', ENDPOINT, INPUT, '--wait', '--json', '--poll-interval', '50ms');
    const failed = await cli('download', jsonOf(run).result?.name as string);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('only a Completed job has predictions to download');
    const usage = await cli('download');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('batch-score download <job> [--to <dir>]');
  });

  it('exits 1 with the service’s error code and request id for an endpoint that does not exist', async () => {
    const run = await cli('show', 'no-such-endpoint');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: \w*NotFound\w*: /);
    expect(run.stderr).toMatch(/request id [\w-]+/);
  });

  it('exits 2 on a typo, with the parser’s message, the usage and a suggestion', async () => {
    const run = await cli('stauts', 'some-job');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain("error: 'stauts' is not a command.");
    expect(run.stderr).toMatch(/^usage: batch-score /m);
    expect(run.stderr).toMatch(/^\s+batch-score status <job>$/m);
    expect(run.stderr).toContain("Did you mean 'status'?");
  });

  it('exits 3 when a job completed but some of its items failed, and says how many', async () => {
    await Promise.all([sandbox.admin.putDatastoreFile('cli-inputs/mixed/0.png', 'CORRUPT'), sandbox.admin.putDatastoreFile('cli-inputs/mixed/1.png', 'fine')]);
    const run = await cli('run', ENDPOINT, 'azureml://datastores/workspaceblobstore/paths/cli-inputs/mixed/', '--wait', '--poll-interval', '50ms');
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/Status:\s+Completed/);
    expect(run.stderr).toContain('completed, but 1 of 2 items failed');
  });

  it('says in our words that a job or an endpoint is not there, keeping Azure’s code and request id', async () => {
    const [status, jobs, del] = await Promise.all([cli('status', '12345'), cli('jobs', 'nosuch-ep'), cli('delete', 'nosuch-ep')]);
    for (const run of [status, jobs, del]) {
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/error: \w*NotFound\w*: There is no /);
      expect(run.stderr).toMatch(/request id [\w-]+/);
      expect(run.stderr).not.toContain('aka.ms');
    }
    expect(status.stderr).toContain('There is no job 12345');
    expect(jobs.stderr).toContain('There is no batch endpoint nosuch-ep');
    expect(del.stderr).toContain('Nothing was deleted.');
    expect(del.stdout).not.toContain('deleted');
  });

  it('exits 2 with one clear sentence when the --sandbox file is missing', async () => {
    const run = await new Promise<CliRun>((resolve) => {
      execFile(TSX, [CLI, '--sandbox', path.join(workDir, 'no-such-file.json'), 'endpoints'], { cwd: workDir, env: { PATH: process.env.PATH ?? '', HOME: workDir }, timeout: 30_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
      );
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no-such-file\.json does not exist/);
    expect(run.stderr).not.toContain('ENOENT');
  });

  it('deletes the endpoint, after which the workspace lists none again', async () => {
    const run = await cli('delete', ENDPOINT);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Endpoint ${ENDPOINT} and all its deployments are deleted.`);
    const after = jsonOf(await cli('endpoints', '--json'));
    expect(after.result).toEqual({ endpoints: [] });
  });
});

describe('batch-score deploy of what already exists', () => {
  it('deploys a registry MLflow model named by labels/latest with no scoring code or environment, pinned to the newest version', async () => {
    for (const version of ['4', '5']) {
      sandbox.admin.addRegistryAsset({ registry: 'cli-reg', kind: 'models', name: 'cli-heart', version, properties: { modelType: 'mlflow_model' } });
    }
    await fs.writeFile(
      path.join(workDir, 'mlflow.json'),
      JSON.stringify({ endpointName: 'cli-mlflow-ep', deploymentName: 'heart', model: 'azureml://registries/cli-reg/models/cli-heart/labels/latest', compute: { kind: 'create', name: 'cli-cluster' } }),
    );
    const run = await cli('deploy', '--spec', 'mlflow.json');
    expect(run.stderr).not.toContain('deploy code');
    expect(run.stderr).not.toContain('deploy environment');
    expect(run.code).toBe(0);
    const deployment = jsonOf(await cli('show', 'cli-mlflow-ep', '--json'));
    expect(JSON.stringify(deployment)).toContain('heart');
    const puts = sandbox.requestLog.filter((x) => x.method === 'PUT' && x.url.includes('/batchEndpoints/cli-mlflow-ep/deployments/heart'));
    expect(JSON.parse(puts[0]?.body ?? '{}')).toMatchObject({ properties: { model: { assetId: 'azureml://registries/cli-reg/models/cli-heart/versions/5' } } });
  });
});
