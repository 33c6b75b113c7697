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

// Still a GAP for managed identity (docs/reliability.md, known gap 1): on a 401 ExpiredAuthenticationToken
// the client retries once with a new DefaultAzureCredential, but MSAL Node keeps managed-identity tokens in
// one cache per process, so the new instance hands back the revoked token and every call fails until the
// token's expiry or a restart. This worker authenticates through the sandbox's managed-identity endpoint;
// the test pins down what the user sees meanwhile.
it("reports tokens that expired before a run to the requester privately, with the service's error code, and starts nothing", async () => {
  await freshWorkerAndEndpoint('tokens-expire');
  stack.azureml.admin.expireAllTokens();
  const posted = stack.slack.messages(STACK_CHANNEL).filter((m) => !m.ephemeralTo).length;
  await stack.driver.slash('run tokens-expire azureml://datastores/workspaceblobstore/paths/tokens-expire/in', { user: STACK_USERS.requester, channel: STACK_CHANNEL });
  // The check before anything is queued (src/queue/request-preflight.ts) is the first call that meets the 401.
  const answer = await waitFor(
    () => stack.slack.ephemerals(STACK_CHANNEL, STACK_USERS.requester).find((m) => `${m.text}${JSON.stringify(m.blocks ?? [])}`.includes('ExpiredAuthenticationToken')),
    { what: 'the private answer', timeoutMs: 30_000 },
  );
  figures.tokenExpiryOutcome = answer.text.split('\n')[0];
  expect(answer.text).toMatch(/^:x:/);
  expect(answer.text).toContain('nothing was asked or started');
  await waitForQuiet(queues);
  expect(stack.slack.messages(STACK_CHANNEL).filter((m) => !m.ephemeralTo).length).toBe(posted);
  // Refused by Azure before any job existed: nothing was started behind the user's back.
  expect(stack.azureml.admin.listJobs().filter((j) => (j.properties as { experimentName?: string }).experimentName === 'tokens-expire')).toEqual([]);
});

// When every refresh of the shared status snapshot fails (here: Jobs_List answers 401
// ExpiredAuthenticationToken for good), the job's last line ("Running") goes stale; after a whole max
// interval the watch stops trusting it and asks the job itself, which reports the 401 (or the job's end).
it('reports a watched job within seconds when tokens expire after it entered the status snapshot', async () => {
  await freshWorkerAndEndpoint('tokens-expire-2');
  const run = await runOn('tokens-expire-2', 150);
  const prefix = stack.config.redis.queuePrefix;
  // Expired while the snapshot shows the job still going (and the job is still going).
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
  stack.azureml.admin.expireAllTokens();
  // The watch's max interval is 2 s here; a final word well within 15 s is what "never hangs" means.
  await waitFor(() => threads.finalReplies(run as never)[0], { what: 'a final reply after the expiry', timeoutMs: 15_000 });
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
