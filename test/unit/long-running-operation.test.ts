import { AZURE_CLOUDS } from '../../src/azureml/clouds';
import { createArmClient, type ArmClient, type ArmResponse } from '../../src/azureml/arm-client';
import { AzureMlError, isAzureMlError } from '../../src/azureml/errors';
import {
  createPollerState,
  pollUntilDone,
  restorePollerState,
  serializePollerState,
  type PollerState,
} from '../../src/azureml/long-running-operation';
import { recordingCredential, startScriptedServer, virtualClock, type RecordedRequest, type ScriptedReply, type ScriptedServer } from './scripted-http-server';

const endpointPath =
  '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/batchEndpoints/ep1';

let server: ScriptedServer;
beforeAll(async () => {
  server = await startScriptedServer();
});
afterAll(async () => {
  await server.close();
});

function setup(): { arm: ArmClient; clock: ReturnType<typeof virtualClock> } {
  const clock = virtualClock();
  const arm = createArmClient({ cloud: AZURE_CLOUDS.AzureCloud, credential: recordingCredential(), baseUrl: server.url, sleep: clock.sleep, now: clock.now });
  return { arm, clock };
}

const path = (r: RecordedRequest): string => new URL(r.url, 'http://x').pathname;
const response = (status: number, headers: Record<string, string> = {}, body?: unknown): ArmResponse => ({ status, headers, body });

/** Routes: the resource itself, and an operation poll URL answering from a list (the last answer repeats). */
function lroServer(opts: { resource?: ScriptedReply; operation: ScriptedReply[] }): void {
  let polls = 0;
  server.reset((req) => {
    if (path(req) === '/operations/op1') {
      const reply = opts.operation[Math.min(polls, opts.operation.length - 1)]!;
      polls += 1;
      return reply;
    }
    if (path(req) === endpointPath && req.method === 'GET') return opts.resource ?? { status: 200, body: { name: 'ep1', properties: { provisioningState: 'Succeeded' } } };
    return { status: 404, body: { error: { code: 'NotFound', message: req.url } } };
  });
}

async function failure(promise: Promise<unknown>): Promise<AzureMlError> {
  try {
    await promise;
  } catch (err) {
    if (isAzureMlError(err)) return err;
    throw err;
  }
  throw new Error('expected the operation to fail');
}

describe('starting a poller from the first answer', () => {
  const put = { method: 'PUT' as const, url: `https://management.azure.com${endpointPath}` };
  const now = () => Date.UTC(2026, 0, 1);

  it('follows Azure-AsyncOperation from a 201 PUT and remembers the resource URL', () => {
    const state = createPollerState(
      response(201, { 'azure-asyncoperation': 'https://management.azure.com/operations/op1?api-version=2022-05-01', 'retry-after': '10' }),
      put,
      { now, deadlineMs: 60_000 },
    );
    expect(state).toEqual({
      kind: 'azure-async-operation',
      pollUrl: 'https://management.azure.com/operations/op1?api-version=2022-05-01',
      resourceUrl: put.url,
      method: 'PUT',
      startedAt: '2026-01-01T00:00:00.000Z',
      deadlineAt: '2026-01-01T00:01:00.000Z',
      status: 'InProgress',
      lastRetryAfterMs: 10_000,
      polls: 0,
    });
  });

  it("reads the recipe's properties.properties.AzureAsyncOperationUri when the header is missing", () => {
    const state = createPollerState(
      response(201, {}, { properties: { provisioningState: 'Creating', properties: { AzureAsyncOperationUri: 'https://management.azure.com/operations/op2' } } }),
      put,
    );
    expect(state).toMatchObject({ kind: 'azure-async-operation', pollUrl: 'https://management.azure.com/operations/op2' });
  });

  it('follows Location from a 202 DELETE, with no resource to read at the end', () => {
    const state = createPollerState(response(202, { location: '/operationResults/op3', 'retry-after-ms': '250' }), { ...put, method: 'DELETE' });
    expect(state).toMatchObject({ kind: 'location', pollUrl: 'https://management.azure.com/operationResults/op3', method: 'DELETE', lastRetryAfterMs: 250 });
    expect(state?.resourceUrl).toBeUndefined();
  });

  it('polls the resource body when a PUT answers with a provisioningState still moving and no header', () => {
    const state = createPollerState(response(201, {}, { properties: { provisioningState: 'Creating' } }), put);
    expect(state).toMatchObject({ kind: 'body', pollUrl: put.url, status: 'Creating' });
  });

  it('needs no poller when the answer is already final', () => {
    expect(createPollerState(response(200, {}, { properties: { provisioningState: 'Succeeded' } }), put)).toBeUndefined();
    expect(createPollerState(response(204), { ...put, method: 'DELETE' })).toBeUndefined();
  });
});

describe('polling to the end', () => {
  function started(arm: ArmClient, clock: ReturnType<typeof virtualClock>, extra: Partial<PollerState> = {}): PollerState {
    const state = createPollerState(
      response(201, { 'azure-asyncoperation': `${server.url}/operations/op1?api-version=2022-05-01` }),
      { method: 'PUT', url: `${arm.baseUrl}${endpointPath}` },
      { now: clock.now, deadlineMs: 10 * 60_000 },
    );
    return { ...state!, ...extra };
  }

  it('polls Azure-AsyncOperation until Succeeded, pacing by retry-after-ms, then reads the resource', async () => {
    lroServer({
      operation: [
        { status: 200, headers: { 'retry-after-ms': '50' }, body: { status: 'InProgress' } },
        { status: 200, headers: { 'retry-after-ms': '120000' }, body: { status: 'InProgress' } },
        { status: 200, body: { status: 'Succeeded' } },
      ],
    });
    const { arm, clock } = setup();
    const progress: PollerState[] = [];
    const result = await pollUntilDone<{ name: string }>(arm, started(arm, clock), {
      onProgress: (s) => {
        progress.push(s);
      },
      minIntervalMs: 100,
      maxIntervalMs: 30_000,
      defaultIntervalMs: 5_000,
      sleep: clock.sleep,
      now: clock.now,
    });
    expect(result.resource).toEqual({ name: 'ep1', properties: { provisioningState: 'Succeeded' } });
    expect(result.state).toMatchObject({ status: 'Succeeded', polls: 3 });
    expect(progress.map((s) => [s.status, s.polls])).toEqual([
      ['InProgress', 1],
      ['InProgress', 2],
      ['Succeeded', 3],
    ]);
    // No hint before the first poll → default 5 s; 50 ms clamped up to 100 ms; 120 s clamped down to 30 s.
    expect(clock.sleeps).toEqual([5_000, 100, 30_000]);
    expect(server.requests.map((r) => `${r.method} ${path(r)}`)).toEqual([
      'GET /operations/op1',
      'GET /operations/op1',
      'GET /operations/op1',
      `GET ${endpointPath}`,
    ]);
  });

  it("fails with the operation's own error code and message", async () => {
    lroServer({ operation: [{ status: 200, body: { status: 'Failed', error: { code: 'DeploymentFailed', message: 'The image could not be pulled' } } }] });
    const { arm, clock } = setup();
    const err = await failure(pollUntilDone(arm, started(arm, clock), { sleep: clock.sleep, now: clock.now }));
    expect(err).toMatchObject({ code: 'DeploymentFailed', message: 'The image could not be pulled', retriable: false });
  });

  it('fails as OperationFailed when the failed operation gives no error', async () => {
    lroServer({ operation: [{ status: 200, body: { status: 'Failed' } }] });
    const { arm, clock } = setup();
    const err = await failure(pollUntilDone(arm, started(arm, clock), { sleep: clock.sleep, now: clock.now }));
    expect(err).toMatchObject({ code: 'OperationFailed', retriable: false });
  });

  it('reports a canceled operation as OperationCanceled', async () => {
    lroServer({ operation: [{ status: 200, body: { status: 'Canceled' } }] });
    const { arm, clock } = setup();
    const err = await failure(pollUntilDone(arm, started(arm, clock), { sleep: clock.sleep, now: clock.now }));
    expect(err).toMatchObject({ code: 'OperationCanceled', retriable: false });
  });

  it('gives up at the deadline with OperationTimedOut, which is not retriable', async () => {
    lroServer({ operation: [{ status: 200, headers: { 'retry-after': '60' }, body: { status: 'InProgress' } }] });
    const { arm, clock } = setup();
    const err = await failure(
      pollUntilDone(arm, started(arm, clock, { lastRetryAfterMs: 60_000 }), { sleep: clock.sleep, now: clock.now, maxIntervalMs: 60_000 }),
    );
    expect(err).toMatchObject({ code: 'OperationTimedOut', retriable: false });
    // 10 minutes of 60 s waits: ten polls, the last one exactly at the deadline.
    expect(server.requests).toHaveLength(10);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(10 * 60_000);
  });

  it('follows a Location poll through 202s to a 204 for a DELETE', async () => {
    let polls = 0;
    server.reset(() => (++polls < 3 ? { status: 202, headers: { location: '/operationResults/op3', 'retry-after-ms': '200' } } : { status: 204 }));
    const { arm, clock } = setup();
    const state = createPollerState(response(202, { location: `${server.url}/operationResults/op3` }), { method: 'DELETE', url: `${server.url}${endpointPath}` }, { now: clock.now });
    const result = await pollUntilDone(arm, state!, { sleep: clock.sleep, now: clock.now });
    expect(result.state).toMatchObject({ status: 'Succeeded', polls: 3 });
    expect(result.resource).toBeUndefined();
    expect(server.requests.every((r) => r.method === 'GET' && path(r) === '/operationResults/op3')).toBe(true);
  });

  it("reports a Location poll's error answer as the operation's failure", async () => {
    server.reset(() => ({ status: 409, body: { error: { code: 'EndpointInUse', message: 'Deployments still reference this endpoint' } } }));
    const { arm, clock } = setup();
    const state = createPollerState(response(202, { location: `${server.url}/operationResults/op4` }), { method: 'DELETE', url: `${server.url}${endpointPath}` }, { now: clock.now });
    const progress: PollerState[] = [];
    const err = await failure(pollUntilDone(arm, state!, { sleep: clock.sleep, now: clock.now, onProgress: (s) => void progress.push(s) }));
    expect(err).toMatchObject({ code: 'EndpointInUse', retriable: false });
    expect(progress.at(-1)).toMatchObject({ status: 'Failed', error: { code: 'EndpointInUse' } });
  });

  it('polls the resource body until its provisioningState is Succeeded', async () => {
    let gets = 0;
    server.reset(() => ({ status: 200, body: { name: 'ep1', properties: { provisioningState: ++gets < 3 ? 'Updating' : 'Succeeded' } } }));
    const { arm, clock } = setup();
    const state = createPollerState(response(201, {}, { properties: { provisioningState: 'Creating' } }), { method: 'PUT', url: `${server.url}${endpointPath}` }, { now: clock.now });
    const result = await pollUntilDone<{ name: string }>(arm, state!, { sleep: clock.sleep, now: clock.now });
    expect(result.state.status).toBe('Succeeded');
    expect(result.resource?.name).toBe('ep1');
  });
});

describe('resuming from a saved state', () => {
  it('finishes in a new process from the serialized state without re-sending the PUT', async () => {
    let polls = 0;
    server.reset((req) => {
      if (req.method === 'PUT') return { status: 201, headers: { 'azure-asyncoperation': `${server.url}/operations/op1?api-version=2022-05-01` }, body: { properties: { provisioningState: 'Creating' } } };
      if (path(req) === '/operations/op1') return { status: 200, body: { status: ++polls < 3 ? 'InProgress' : 'Succeeded' } };
      return { status: 200, body: { name: 'ep1', properties: { provisioningState: 'Succeeded' } } };
    });

    // Worker 1 sends the PUT, checkpoints after its first poll, then dies.
    const first = setup();
    const put = await first.arm.request({ method: 'PUT', path: endpointPath, body: { location: 'eastus' } });
    let checkpoint = serializePollerState(createPollerState(put, { method: 'PUT', url: `${first.arm.baseUrl}${endpointPath}` }, { now: first.clock.now })!);
    const dying = new AbortController();
    const stopped = await failure(
      pollUntilDone(first.arm, restorePollerState(checkpoint), {
        sleep: first.clock.sleep,
        now: first.clock.now,
        signal: dying.signal,
        onProgress: (s) => {
          checkpoint = serializePollerState(s);
          dying.abort();
        },
      }),
    );
    expect(stopped.code).toBe('RequestAborted');
    expect(server.requests.filter((r) => path(r) === '/operations/op1')).toHaveLength(1);
    expect(restorePollerState(checkpoint)).toMatchObject({ status: 'InProgress', polls: 1 });

    // Worker 2 restores the checkpoint and carries on.
    const second = setup();
    const result = await pollUntilDone<{ name: string }>(second.arm, restorePollerState(checkpoint), { sleep: second.clock.sleep, now: second.clock.now });
    expect(result.state).toMatchObject({ status: 'Succeeded', polls: 3 });
    expect(result.resource?.name).toBe('ep1');
    expect(server.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });

  it('reads the resource straight away when the saved state already says Succeeded', async () => {
    lroServer({ operation: [{ status: 500 }] });
    const { arm, clock } = setup();
    const state = createPollerState(response(201, { 'azure-asyncoperation': `${server.url}/operations/op1` }), { method: 'PUT', url: `${server.url}${endpointPath}` });
    const result = await pollUntilDone(arm, { ...state!, status: 'Succeeded' }, { sleep: clock.sleep, now: clock.now });
    expect(result.resource).toMatchObject({ name: 'ep1' });
    expect(server.requests.map(path)).toEqual([endpointPath]);
  });

  it('refuses a corrupt or foreign saved state', () => {
    expect(() => restorePollerState('{not json')).toThrow(expect.objectContaining({ code: 'InvalidPollerState' }));
    expect(() => restorePollerState(JSON.stringify({ kind: 'smoke-signal', pollUrl: 'x' }))).toThrow(
      expect.objectContaining({ code: 'InvalidPollerState', message: expect.stringContaining('kind') }),
    );
  });
});
