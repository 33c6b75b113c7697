// `batch-score run --wait` on a job that runs for seconds: stderr shows its progress (mini-batches and items
// done of total) as it changes, read from the job's logs/job_progress_overview.txt as the bot's status line
// reads it. The CLI runs as a child process (tsx src/cli.ts) against an Azure ML sandbox over HTTP with a
// slow model (1 s a file), so the job is still Running when --wait looks.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAzureMlSandbox, type AzureMlSandbox } from '../../sandbox/azureml';
import { connectionLine } from '../../sandbox/azureml/connection-info';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = path.join(ROOT, 'src', 'cli.ts');
const ENDPOINT = 'cli-progress';
const FILES = 12;

let sandbox: AzureMlSandbox;
let workDir: string;
let sandboxFile: string;

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH ?? '', HOME: workDir, BATCH_SCORE_ARTIFACTS_ROOT: path.join(workDir, 'artifacts') };
  return new Promise((resolve) => {
    execFile(TSX, [CLI, '--sandbox', sandboxFile, ...args], { cwd: workDir, env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  sandbox = await startAzureMlSandbox({ timeScale: 0.01, durations: { perFileMs: 100_000 } });
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-progress-'));
  sandboxFile = path.join(workDir, 'sandbox.json');
  const artifacts = path.join(workDir, 'artifacts');
  await fs.writeFile(sandboxFile, connectionLine(sandbox));
  await fs.mkdir(path.join(artifacts, 'model'), { recursive: true });
  await fs.writeFile(path.join(artifacts, 'model', 'model.pt'), Buffer.alloc(1024, 7));
  await fs.mkdir(path.join(artifacts, 'code'), { recursive: true });
  await fs.writeFile(path.join(artifacts, 'code', 'score.py'), 'def run(batch):\n    return batch\n');
  await fs.writeFile(
    path.join(workDir, 'deploy.json'),
    JSON.stringify({
      endpointName: ENDPOINT,
      deploymentName: 'progress-v1',
      model: { kind: 'upload', localPath: 'model', name: 'progress-model' },
      code: { kind: 'upload', localPath: 'code', name: 'progress-code' },
      scoringScript: 'score.py',
      environment: { kind: 'image', name: 'progress-env', image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest' },
      compute: { kind: 'create', name: 'progress-cluster' },
    }),
  );
  for (let i = 0; i < FILES; i++) await sandbox.admin.putDatastoreFile(`progress-in/${i}.png`, `digit-${i}`);
  const deployed = await cli('deploy', '--spec', 'deploy.json', '--quiet');
  if (deployed.code !== 0) throw new Error(`deploy failed: ${deployed.stderr}`);
}, 90_000);

afterAll(async () => {
  await sandbox?.stop();
  if (workDir) await fs.rm(workDir, { recursive: true, force: true });
});

it("prints a running job's progress on stderr as it changes, between Running and Completed", async () => {
  const run = await cli('run', ENDPOINT, 'azureml://datastores/workspaceblobstore/paths/progress-in/', '--mini-batch-size', '1', '--wait', '--poll-interval', '50ms');
  expect(run.code).toBe(0);
  const lines = run.stderr.split('\n');
  const progress = lines.filter((l) => new RegExp(`: \\d+ of ${FILES} mini-batches done`).test(l));
  expect(progress.length).toBeGreaterThan(0);
  // Each line differs from the one before (printed on change only), and sits after Running, before Completed.
  expect(new Set(progress).size).toBe(progress.length);
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  expect(at(/: Running \(/)).toBeLessThan(lines.indexOf(progress[0]!));
  expect(lines.indexOf(progress[progress.length - 1]!)).toBeLessThan(at(/: Completed \(/));
  // --quiet prints none of it.
  const quiet = await cli('run', ENDPOINT, 'azureml://datastores/workspaceblobstore/paths/progress-in/', '--mini-batch-size', '1', '--wait', '--quiet', '--poll-interval', '50ms');
  expect(quiet.stderr).not.toContain('mini-batches done');
}, 120_000);
