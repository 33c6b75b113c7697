// The `batch-score` CLI with two workspace profiles, as an operator configures them: dev on Azure and prod
// on Azure China, each its own sandbox (its own ARM endpoint, its own token authority, so a token of one
// is refused by the other) and its own user-assigned identity (WORKSPACE_<NAME>_AZURE_CLIENT_ID). The
// child process authenticates through the production DefaultAzureCredential and one App Service identity
// endpoint; the test plays Entra ID's side of that endpoint, handing each client id the token of its own
// workspace's sandbox. So a command reaches a workspace only if the CLI chose that profile's ARM endpoint,
// cloud and credential together.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startAzureMlSandbox, type AzureMlSandbox } from '../../sandbox/azureml';
import { connectionLine } from '../../sandbox/azureml/connection-info';
import { startAzurite, type AzuriteProcess } from '../../sandbox/stack/azurite';
import { sandboxAzureMlClient } from '../../dev/embedded-stack';
import { createEndpoint } from '../support/azureml-setup';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = path.join(ROOT, 'src', 'cli.ts');

interface Workspace {
  sandbox: AzureMlSandbox;
  /** The user-assigned identity the profile names; the identity endpoint hands it this sandbox's tokens. */
  clientId: string;
  endpoint: string;
}

let azurite: AzuriteProcess;
let dev: Workspace;
let prod: Workspace;
let identity: http.Server;
let identityEndpoint: string;
const identityHeader = crypto.randomBytes(16).toString('hex');
/** Which identity asked for which audience, in order. */
const tokenRequests: { clientId: string; resource: string }[] = [];
let workDir: string;

/**
 * App Service's identity endpoint for two user-assigned identities (protocol 2019-08-01): a request names
 * its identity by `client_id`, and gets a token from that identity's sandbox.
 */
function startIdentityEndpoint(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://identity');
      const clientId = url.searchParams.get('client_id') ?? '';
      const owner = [dev, prod].find((w) => w.clientId === clientId);
      if (req.headers['x-identity-header'] !== identityHeader || !owner) {
        res.writeHead(owner ? 401 : 400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ statusCode: owner ? 401 : 400, error: 'invalid_request', message: `no identity ${clientId} here` }));
        return;
      }
      tokenRequests.push({ clientId, resource: url.searchParams.get('resource') ?? '' });
      const answer = await fetch(`${owner.sandbox.identityEndpoint}?${url.searchParams.toString()}`, { headers: { 'X-IDENTITY-HEADER': owner.sandbox.identityHeader } });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(await answer.text());
    })();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const profileEnv = (name: string, w: Workspace): Record<string, string> => {
  const p = `WORKSPACE_${name.toUpperCase()}_`;
  return {
    [`${p}AZURE_CLOUD`]: w.sandbox.cloud,
    [`${p}AZURE_SUBSCRIPTION_ID`]: w.sandbox.subscriptionId,
    [`${p}AZURE_RESOURCE_GROUP`]: w.sandbox.resourceGroup,
    [`${p}AZUREML_WORKSPACE`]: w.sandbox.workspace,
    [`${p}AZURE_LOCATION`]: w.sandbox.location,
    [`${p}AZURE_CLIENT_ID`]: w.clientId,
    [`${p}BATCH_SCORE_ARM_ENDPOINT`]: w.sandbox.baseUrl,
    [`${p}BATCH_SCORE_STORAGE_CONNECTION_STRING`]: w.sandbox.storageConnectionString,
  };
};

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI in a clean environment: the two profiles and the identity endpoint, nothing of this machine's. */
function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliRun> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: workDir,
    BATCH_SCORE_WORKSPACES: 'dev,prod',
    ...profileEnv('dev', dev),
    ...profileEnv('prod', prod),
    IDENTITY_ENDPOINT: identityEndpoint,
    IDENTITY_HEADER: identityHeader,
    ...extraEnv,
  };
  return new Promise((resolve) => {
    execFile(TSX, [CLI, ...args], { cwd: workDir, env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** ARM calls a sandbox answered since `from` (its request log; the identity endpoint is not in it). */
const armCallsSince = (w: Workspace, from: number): number => w.sandbox.requestLog.length - from;

beforeAll(async () => {
  azurite = await startAzurite();
  const [devSandbox, prodSandbox] = await Promise.all([
    startAzureMlSandbox({ azurite, timeScale: 0.002, workspace: 'ml-dev', subscriptionId: '00000000-0000-0000-0000-00000000d0d0' }),
    startAzureMlSandbox({ azurite, timeScale: 0.002, cloud: 'AzureChinaCloud', workspace: 'ml-prod', subscriptionId: '00000000-0000-0000-0000-00000000b0b0' }),
  ]);
  dev = { sandbox: devSandbox, clientId: crypto.randomUUID(), endpoint: 'dev-digits' };
  prod = { sandbox: prodSandbox, clientId: crypto.randomUUID(), endpoint: 'prod-digits' };
  await Promise.all([createEndpoint(sandboxAzureMlClient(dev.sandbox), { name: dev.endpoint }), createEndpoint(sandboxAzureMlClient(prod.sandbox), { name: prod.endpoint })]);
  identity = await startIdentityEndpoint();
  identityEndpoint = `http://127.0.0.1:${(identity.address() as AddressInfo).port}/msi/token`;
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-workspaces-'));
}, 90_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (identity ? identity.close(() => resolve()) : resolve()));
  await Promise.all([dev?.sandbox.stop(), prod?.sandbox.stop()]);
  await azurite?.stop();
  if (workDir) await fs.rm(workDir, { recursive: true, force: true });
});

describe('batch-score with two workspace profiles', () => {
  it('acts on the workspace --workspace names, with its own identity and cloud, and says so', async () => {
    const devCalls = dev.sandbox.requestLog.length;
    const prodCalls = prod.sandbox.requestLog.length;
    const asked = tokenRequests.length;
    const run = await cli(['endpoints', '--workspace', 'prod']);
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toContain(prod.endpoint);
    expect(run.stdout).not.toContain(dev.endpoint);
    expect(run.stderr).toContain('workspace prod: ml-prod on Azure China');
    expect(armCallsSince(prod, prodCalls)).toBeGreaterThan(0);
    expect(armCallsSince(dev, devCalls)).toBe(0);
    // prod's identity, for Azure China's resource manager: never dev's, never the public cloud's audience.
    expect(tokenRequests.slice(asked)).toEqual([{ clientId: prod.clientId, resource: 'https://management.chinacloudapi.cn' }]);
  });

  it('takes --workspace=<name> before the command, and puts the workspace in the JSON document', async () => {
    const run = await cli(['--workspace=PROD', '--json', 'show', prod.endpoint]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, command: 'show', workspace: 'prod', result: { endpoint: { name: prod.endpoint } } });
  });

  it('acts on the first profile when none is named', async () => {
    const prodCalls = prod.sandbox.requestLog.length;
    const run = await cli(['endpoints', '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { workspace: string; result: { endpoints: { name: string }[] } };
    expect(doc.workspace).toBe('dev');
    expect(doc.result.endpoints.map((e) => e.name)).toEqual([dev.endpoint]);
    expect(run.stderr).toContain('workspace dev: ml-dev on Azure');
    expect(armCallsSince(prod, prodCalls)).toBe(0);
  });

  it('names the workspace in a failure too: a dev endpoint is not found in prod', async () => {
    const run = await cli(['show', dev.endpoint, '--workspace', 'prod', '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, workspace: 'prod', error: { code: expect.stringMatching(/NotFound/) } });
  });

  it('refuses a workspace that is not configured, listing the ones that are, and talks to none', async () => {
    const devCalls = dev.sandbox.requestLog.length;
    const prodCalls = prod.sandbox.requestLog.length;
    const run = await cli(['endpoints', '--workspace', 'staging']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain("there is no workspace 'staging'; the configured workspaces are: dev, prod.");
    expect(armCallsSince(dev, devCalls) + armCallsSince(prod, prodCalls)).toBe(0);
  });

  it('keeps --sandbox working with profiles configured: the sandbox is the one workspace', async () => {
    const sandboxFile = path.join(workDir, 'sandbox.json');
    await fs.writeFile(sandboxFile, connectionLine(dev.sandbox));
    const run = await cli(['--sandbox', sandboxFile, 'endpoints', '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ ok: true, result: { endpoints: [expect.objectContaining({ name: dev.endpoint })] } });
    expect(doc).not.toHaveProperty('workspace');
    const both = await cli(['--sandbox', sandboxFile, '--workspace', 'prod', 'endpoints']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give one or the other');
  });
});
