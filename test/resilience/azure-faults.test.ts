// Azure ML misbehaving: bursts of 429 and 503, a request that hangs past the client's timeout, a
// long-running operation that ends Failed, tokens that expire in the middle of a job. Each is retried,
// resumed, or reported in the request's thread with the service's own message — and nothing waits
// forever. The worker is a real child process using the production credential (managed identity).
import { waitFor } from '../../sandbox/slack/wait-for';
import pino from 'pino';
import { AZURE_CLOUDS } from '../../src/azureml/clouds';
import { createArmClient } from '../../src/azureml/arm-client';
import { createAzureMlClient } from '../../src/azureml';
import { isAzureMlError } from '../../src/azureml/errors';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { waitForQuiet } from '../support/quiet-queues';
import { createQueueInspector, createThreadReader, type QueueInspector, type ThreadReader } from '../support/stack-probes';
import { deployApproved } from '../support/user-gestures';
import { startWorkerChild } from '../support/worker-children';
import type { TsxChild } from '../support/worker-process';

let stack: EmbeddedStack;
let queues: QueueInspector;
let threads: ThreadReader;
let worker: TsxChild | undefined;
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), workers: false, timeScale: 0.005, slackRateLimit: 'count' });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
  threads = createThreadReader(stack.slack, STACK_CHANNEL);
  worker = await startWorkerChild(stack.env, stack.azureml);
}, 60_000);

afterAll(async () => {
  process.stdout.write(`azure faults: ${JSON.stringify(figures)}\n`);
  await worker?.stop();
  await queues?.close();
  await stack?.stop();
});

async function finalReplyOf(parent: { ts: string }): Promise<string> {
  const final = await waitFor(() => threads.finalReplies(parent as never)[0], { what: 'the final reply', timeoutMs: 60_000 });
  return `${final.text}\n${JSON.stringify(final.blocks ?? [])}`;
}

async function runOn(endpoint: string, files: number): Promise<{ ts: string }> {
  for (let i = 0; i < files; i++) await stack.azureml.admin.putDatastoreFile(`${endpoint}/in/${i}.png`, Buffer.from(`digit-${i}`));
  const res = await stack.driver.slash(`run ${endpoint} azureml://datastores/workspaceblobstore/paths/${endpoint}/in`, { user: STACK_USERS.requester, channel: STACK_CHANNEL });
  expect(JSON.stringify(res.body)).toContain('Checking request');
  return waitFor(() => threads.parentWith(`Run* a batch scoring job on \`${endpoint}\``), { what: 'the run request' });
}

it('deploys and runs through bursts of 429 (with Retry-After) and 503 on ARM, operation polls and scoring', async () => {
  const admin = stack.azureml.admin;
  admin.injectFault({ match: 'arm', count: 2, status: 429, retryAfterSeconds: 1, retryAfterMs: 100 });
  admin.injectFault({ match: 'arm', count: 2, status: 503 });
  admin.injectFault({ match: 'lro-poll', count: 2, status: 503 });
  const parent = await deployApproved(stack, 'throttled');
  expect(await finalReplyOf(parent)).toContain('deployed');

  admin.injectFault({ match: 'scoring', count: 2, status: 429, retryAfterSeconds: 1, retryAfterMs: 100 });
  admin.injectFault({ match: 'scoring', count: 1, status: 503 });
  const run = await runOn('throttled', 3);
  expect(await finalReplyOf(run)).toContain('completed');
  await waitForQuiet(queues);
  expect(admin.faults()).toEqual([]); // every injected fault was met, and survived
  expect(admin.requestCount({ method: 'PUT', path: /\/batchendpoints\/throttled\/deployments\/mnist-torch$/ })).toBeGreaterThanOrEqual(1);
  expect(admin.listJobs().filter((j) => (j.properties as { experimentName?: string }).experimentName === 'throttled')).toHaveLength(1);
  expect(threads.finalReplies(parent as never)).toHaveLength(1);
  expect(threads.finalReplies(run as never)).toHaveLength(1);
});

it('reports a deployment whose long-running operation fails, with the service message, once', async () => {
  const message = 'Deployment provisioning failed: the image build failed (conda env create exited with code 1)';
  stack.azureml.admin.failDeploymentProvisioning('lro-fails', 'mnist-torch', { code: 'DeploymentProvisioningFailed', message });
  const parent = await deployApproved(stack, 'lro-fails');
  const final = await finalReplyOf(parent);
  expect(final).toMatch(/^:x:/);
  expect(final).toContain('DeploymentProvisioningFailed');
  expect(final).toContain('conda env create exited with code 1');
  await waitForQuiet(queues);
  expect(threads.finalReplies(parent as never)).toHaveLength(1);
});

it("reports a job failed by the service with the job's studio page, where Azure gives the reason", async () => {
  const parentDeploy = await deployApproved(stack, 'job-fails');
  expect(await finalReplyOf(parentDeploy)).toContain('deployed');
  stack.azureml.admin.failNextJobs(1, 'UserError: run() raised ValueError: bad image in mini-batch 0');
  const run = await runOn('job-fails', 2);
  const final = await finalReplyOf(run);
  expect(final).toMatch(/^:x:/);
  // Neither the ARM job nor the data-plane document carries the reason (recorded): the reply says how
  // the job ended and links the studio page the service gave at invoke.
  expect(final).toContain('the job ended Failed');
  expect(final).toMatch(/https:\/\/ml\.azure\.com\/runs\/[^?\s]+\?wsid=/);
});

/** A deployed endpoint and a fresh worker process (its credential's token cache holds no revoked token). */
async function freshWorkerAndEndpoint(endpoint: string): Promise<void> {
  await worker?.stop();
  worker = await startWorkerChild(stack.env, stack.azureml);
  const parentDeploy = await deployApproved(stack, endpoint);
  expect(await finalReplyOf(parentDeploy)).toContain('deployed');
}

/** The 401s the sandbox answered since `from`, by ARM's error code. */
function refusedSince(from: number): string[] {
  return stack.azureml.requestLog
    .slice(from)
    .filter((e) => e.status === 401)
    .map((e) => (JSON.parse(e.responseBody) as { error?: { code?: string } }).error?.code ?? '?');
}

// Known gap 1, closed (docs/reliability.md): this worker authenticates through the sandbox's managed-identity
// endpoint, whose tokens MSAL Node caches once per process, so a new DefaultAzureCredential alone would hand
// the revoked token back. On the 401 the ARM client builds the replacement credential, whose first token per
// scope is taken past that cache (src/azureml/managed-identity-refresh.ts), and retries once.
it('goes on after tokens were revoked before a run: one refusal, a fresh managed-identity token, and the run completes', async () => {
  await freshWorkerAndEndpoint('tokens-expire');
  stack.azureml.admin.expireAllTokens();
  const seen = stack.azureml.requestLog.length;
  const run = await runOn('tokens-expire', 3);
  expect(await finalReplyOf(run)).toContain('completed');
  const refused = refusedSince(seen);
  figures.tokensRevokedBeforeRun401s = refused.length;
  // The check before queueing (src/queue/request-preflight.ts) met the revoked token; every later call,
  // ARM and scoring alike, carried fresh ones.
  expect(refused).toEqual(['ExpiredAuthenticationToken']);
  expect(worker?.stdout()).toContain('Azure refused the token; retrying once with a fresh one');
  expect(worker?.stdout()).not.toContain('could not take a fresh managed-identity token');
  expect(stack.slack.ephemerals(STACK_CHANNEL, STACK_USERS.requester).filter((m) => `${m.text}${JSON.stringify(m.blocks ?? [])}`.includes('ExpiredAuthenticationToken'))).toEqual([]);
  await waitForQuiet(queues);
  expect(threads.finalReplies(run as never)).toHaveLength(1);
});

// Tokens revoked while the job is watched (it is in the shared status snapshot, still going): the snapshot's
// refresh and the watch meet the 401, take fresh tokens, and the watch reports the job's end as usual.
it('watches a job to its end when tokens are revoked while it runs', async () => {
  await freshWorkerAndEndpoint('tokens-expire-2');
  const run = await runOn('tokens-expire-2', 150);
  const prefix = stack.config.redis.queuePrefix;
  await waitFor(
    async () => {
      const job = stack.azureml.admin.listJobs().find((j) => (j.properties as { experimentName?: string }).experimentName === 'tokens-expire-2');
      if (!job) return false;
      const line = await queues.redis.hget(`${prefix}:watch-snapshot:entries`, String(job.name).toLowerCase());
      const status = line ? (JSON.parse(line) as { status?: string }).status : undefined;
      return status !== undefined && !['Completed', 'Failed', 'Canceled'].includes(status);
    },
    { what: 'the running job in the shared status snapshot', timeoutMs: 20_000, intervalMs: 5 },
  );
  const seen = stack.azureml.requestLog.length;
  stack.azureml.admin.expireAllTokens();
  expect(await finalReplyOf(run)).toContain('completed');
  const refused = refusedSince(seen);
  figures.tokensRevokedWhileWatched401s = refused.length;
  // Each request in flight at the revocation may meet it once; none meets it twice.
  expect(refused.length).toBeGreaterThanOrEqual(1);
  expect(new Set(refused)).toEqual(new Set(['ExpiredAuthenticationToken']));
  expect(worker?.stdout()).not.toContain('could not take a fresh managed-identity token');
}, 60_000);

describe('a request that hangs past the ARM client timeout', () => {
  const client = (timeoutMs: number) =>
    createAzureMlClient({
      workspace: { subscriptionId: stack.azureml.subscriptionId, resourceGroup: stack.azureml.resourceGroup, workspace: stack.azureml.workspace, location: stack.azureml.location },
      arm: createArmClient({
        cloud: AZURE_CLOUDS.AzureCloud,
        credential: stack.azureml.credential as never,
        baseUrl: stack.azureml.baseUrl,
        timeoutMs,
        retry: { baseDelayMs: 50, maxDelayMs: 200 },
      }),
      storage: { kind: 'connection-string', connectionString: stack.azureml.storageConnectionString },
    });

  it('is abandoned at the timeout and retried, and the retry answers', async () => {
    stack.azureml.admin.injectFault({ match: { method: 'GET', path: '/batchEndpoints$' }, count: 1, hang: true });
    const started = Date.now();
    const list = await client(500).endpoints.list();
    figures.hangRetriedAfterMs = Date.now() - started;
    expect(list.map((e) => e.name)).toContain('throttled');
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });

  it('fails with a timeout error, not a hang, when every attempt hangs', async () => {
    stack.azureml.admin.injectFault({ match: { method: 'GET', path: '/batchEndpoints$' }, count: 10, hang: true });
    const started = Date.now();
    const err = await client(300).endpoints.list().then(
      () => undefined,
      (e: unknown) => e,
    );
    figures.allHangFailedAfterMs = Date.now() - started;
    stack.azureml.admin.clearFaults();
    expect(isAzureMlError(err)).toBe(true);
    expect(String((err as Error).message)).toMatch(/time|timeout/i);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
