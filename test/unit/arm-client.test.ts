import { AZURE_CLOUDS } from '../../src/azureml/clouds';
import { createArmClient, type ArmClientDeps } from '../../src/azureml/arm-client';
import { AzureMlError, isAzureMlError } from '../../src/azureml/errors';
import { recordingCredential, startScriptedServer, virtualClock, type ScriptedServer } from './scripted-http-server';

const cloud = AZURE_CLOUDS.AzureCloud;
const endpointPath =
  '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/batchEndpoints/ep1';

let server: ScriptedServer;
beforeAll(async () => {
  server = await startScriptedServer();
});
afterAll(async () => {
  await server.close();
});

function client(overrides: Partial<ArmClientDeps> = {}) {
  const credential = recordingCredential();
  const clock = virtualClock();
  const arm = createArmClient({
    cloud,
    credential,
    baseUrl: server.url,
    sleep: clock.sleep,
    now: clock.now,
    random: () => 0.5,
    ...overrides,
  });
  return { arm, credential, clock };
}

async function failure(promise: Promise<unknown>): Promise<AzureMlError> {
  try {
    await promise;
  } catch (err) {
    if (isAzureMlError(err)) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
}

const armError = (code: string, message: string) => ({ error: { code, message } });

describe('a token Azure revoked before its expiry', () => {
  it('gets ONE fresh token from a new credential instance (bypassing the cache), retries once, and keeps it', async () => {
    let calls = 0;
    server.reset((req) => {
      calls += 1;
      return req.headers.authorization === 'Bearer fresh-1' ? { status: 200, body: { name: 'ep1' } } : { status: 401, body: armError('ExpiredAuthenticationToken', 'The access token expiry UTC time is earlier than current UTC time.') };
    });
    let built = 0;
    const fresh = () => {
      built += 1;
      return { getToken: async () => ({ token: `fresh-${built}`, expiresOnTimestamp: Date.now() + 3_600_000 }) };
    };
    const { arm, credential } = client({ freshCredential: fresh });
    await expect(arm.request({ method: 'GET', path: endpointPath })).resolves.toMatchObject({ status: 200 });
    expect([calls, built, credential.scopes.length]).toEqual([2, 1, 1]);
    // Later requests use the fresh instance: no second 401, no second rebuild.
    await arm.request({ method: 'GET', path: endpointPath });
    expect([calls, built, credential.scopes.length]).toEqual([3, 1, 1]);
  });

  it('retries only once: a second refusal is the caller’s error', async () => {
    server.reset(() => ({ status: 401, body: armError('InvalidAuthenticationToken', 'The access token is invalid.') }));
    let built = 0;
    const { arm } = client({ freshCredential: () => ({ getToken: async () => ({ token: `fresh-${++built}`, expiresOnTimestamp: Date.now() + 3_600_000 }) }) });
    const err = await failure(arm.request({ method: 'GET', path: endpointPath }));
    expect(err).toMatchObject({ statusCode: 401, code: 'InvalidAuthenticationToken' });
    expect([server.requests.length, built]).toEqual([2, 1]);
  });
});

describe('ARM client requests', () => {
  it('sends a bearer token for the resource-manager scope, the api-version and JSON headers', async () => {
    server.reset(() => ({ status: 200, body: { name: 'ep1' }, headers: { 'x-ms-request-id': 'req-1' } }));
    const { arm, credential } = client();
    const res = await arm.request({ method: 'PUT', path: endpointPath, body: { location: 'eastus' }, query: { isDefault: 'true', skip: undefined } });

    expect(res).toMatchObject({ status: 200, body: { name: 'ep1' }, requestId: 'req-1' });
    const [sent] = server.requests;
    const url = new URL(sent!.url, server.url);
    expect(url.pathname).toBe(endpointPath);
    expect(url.searchParams.get('api-version')).toBe('2022-05-01');
    expect(url.searchParams.get('isDefault')).toBe('true');
    expect(url.searchParams.has('skip')).toBe(false);
    expect(sent!.headers.authorization).toBe('Bearer token-1');
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sent!.headers['x-ms-client-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent!.headers['user-agent']).toMatch(/^batch-score-bot\//);
    expect(JSON.parse(sent!.body)).toEqual({ location: 'eastus' });
    expect(credential.scopes).toEqual(['https://management.azure.com/.default']);
  });

  it('asks for a token for the scope the request names (the ML audience for scoring URIs)', async () => {
    server.reset(() => ({ status: 200, body: {} }));
    const china = AZURE_CLOUDS.AzureChinaCloud;
    const { arm, credential } = client({ cloud: china });
    await arm.request({ method: 'POST', path: `${server.url}/score/ep1/jobs`, scope: china.mlScope, apiVersion: false, body: {} });
    expect(credential.scopes).toEqual(['https://studio.ml.azure.cn/.default']);
    expect(server.requests[0]!.url).toBe('/score/ep1/jobs');
  });

  it('keeps the api-version an absolute poll URL already carries', async () => {
    server.reset(() => ({ status: 200, body: { status: 'InProgress' } }));
    const { arm } = client();
    await arm.request({ method: 'GET', path: `${server.url}/operations/op1?api-version=2021-01-01` });
    expect(new URL(server.requests[0]!.url, server.url).searchParams.getAll('api-version')).toEqual(['2021-01-01']);
  });

  it('returns an empty body as undefined and a non-JSON body as text', async () => {
    server.reset((_req, i) => (i === 0 ? { status: 204 } : { status: 200, body: 'plain words', headers: { 'content-type': 'text/plain' } }));
    const { arm } = client();
    expect((await arm.request({ method: 'DELETE', path: endpointPath })).body).toBeUndefined();
    expect((await arm.request({ method: 'GET', path: endpointPath })).body).toBe('plain words');
  });

  it('refuses a 2xx answer that claims JSON but is not', async () => {
    server.reset(() => ({ status: 200, body: '{"half":', headers: { 'content-type': 'application/json' } }));
    const err = await failure(client().arm.request({ method: 'GET', path: endpointPath }));
    expect(err.code).toBe('InvalidResponse');
    expect(err.retriable).toBe(false);
  });
});

describe('ARM client errors', () => {
  it("turns ARM's ErrorResponse into an AzureMlError with the request ids, and does not retry a 400", async () => {
    server.reset(() => ({
      status: 400,
      headers: { 'x-ms-request-id': 'req-400', 'x-ms-correlation-request-id': 'corr-400' },
      body: { error: { code: 'UserError', message: 'miniBatchSize must be an integer', target: 'properties.miniBatchSize', details: [{ code: 'Invalid' }] } },
    }));
    const err = await failure(client().arm.request({ method: 'PUT', path: endpointPath, body: {} }));
    expect(err).toBeInstanceOf(AzureMlError);
    expect(err).toMatchObject({
      code: 'UserError',
      message: 'miniBatchSize must be an integer',
      statusCode: 400,
      requestId: 'req-400',
      correlationId: 'corr-400',
      target: 'properties.miniBatchSize',
      details: [{ code: 'Invalid' }],
      retriable: false,
      method: 'PUT',
    });
    expect(err.url).toContain(endpointPath);
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry a 404 and keeps its code', async () => {
    server.reset(() => ({ status: 404, body: armError('ResourceNotFound', "The batch endpoint 'ep1' was not found") }));
    const err = await failure(client().arm.request({ method: 'GET', path: endpointPath }));
    expect(err).toMatchObject({ code: 'ResourceNotFound', statusCode: 404, retriable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('names a failure with a non-JSON body by its status, quoting the body', async () => {
    server.reset(() => ({ status: 403, body: 'Forbidden by policy', headers: { 'content-type': 'text/plain' } }));
    const err = await failure(client().arm.request({ method: 'GET', path: endpointPath }));
    expect(err.code).toBe('Forbidden');
    expect(err.message).toContain('Forbidden by policy');
  });

  it('redacts secret query values from the URL it reports', async () => {
    server.reset(() => ({ status: 400, body: armError('BadRequest', 'no') }));
    const err = await failure(
      client().arm.request({ method: 'GET', path: `${server.url}/container/blob?sv=2021&sig=c2VjcmV0`, apiVersion: false }),
    );
    expect(err.url).toContain('sig=REDACTED');
    expect(err.url).not.toContain('c2VjcmV0');
    expect(JSON.stringify(err)).not.toContain('c2VjcmV0');
  });

  it('reports a credential that cannot give a token without sending the request', async () => {
    server.reset(() => ({ status: 200, body: {} }));
    const { arm } = client({
      credential: {
        getToken: async () => {
          throw new Error('EnvironmentCredential is unavailable');
        },
      },
    });
    const err = await failure(arm.request({ method: 'GET', path: endpointPath }));
    expect(err).toMatchObject({ code: 'AuthenticationFailed', retriable: false });
    expect(err.message).toContain('az login');
    expect(server.requests).toHaveLength(0);
  });
});

describe('ARM client retries', () => {
  it('retries a 429 after the retry-after-ms the server asked for, with a fresh token per attempt', async () => {
    server.reset((_req, i) =>
      i === 0 ? { status: 429, headers: { 'retry-after-ms': '1234', 'retry-after': '9' }, body: armError('TooManyRequests', 'slow down') } : { status: 200, body: { ok: true } },
    );
    const { arm, clock, credential } = client();
    const res = await arm.request({ method: 'GET', path: endpointPath });
    expect(res.body).toEqual({ ok: true });
    expect(clock.sleeps).toEqual([1234]);
    expect(credential.scopes).toHaveLength(2);
    expect(server.requests[0]!.headers['x-ms-client-request-id']).toBe(server.requests[1]!.headers['x-ms-client-request-id']);
  });

  it('retries a 503 after Retry-After seconds', async () => {
    server.reset((_req, i) => (i < 2 ? { status: 503, headers: { 'retry-after': '2' } } : { status: 200, body: {} }));
    const { arm, clock } = client();
    await arm.request({ method: 'GET', path: endpointPath });
    expect(clock.sleeps).toEqual([2000, 2000]);
    expect(server.requests).toHaveLength(3);
  });

  it('backs off exponentially with jitter when the server gives no hint', async () => {
    server.reset((_req, i) => (i < 3 ? { status: 500 } : { status: 200, body: {} }));
    const { arm, clock } = client({ random: () => 1 });
    await arm.request({ method: 'GET', path: endpointPath });
    expect(clock.sleeps).toEqual([800, 1600, 3200]);
  });

  it('gives up after maxAttempts with the last error', async () => {
    server.reset((_req, i) => ({ status: 503, headers: { 'x-ms-request-id': `req-${i}` }, body: armError('ServiceUnavailable', `busy ${i}`) }));
    const { arm } = client({ retry: { maxAttempts: 3 } });
    const err = await failure(arm.request({ method: 'GET', path: endpointPath }));
    expect(server.requests).toHaveLength(3);
    expect(err).toMatchObject({ code: 'ServiceUnavailable', message: 'busy 2', requestId: 'req-2', retriable: true });
  });

  it('gives up when the next wait would pass maxTotalMs', async () => {
    server.reset(() => ({ status: 429, headers: { 'retry-after': '40' } }));
    const { arm, clock } = client({ retry: { maxTotalMs: 100_000 } });
    const err = await failure(arm.request({ method: 'GET', path: endpointPath }));
    expect(err.statusCode).toBe(429);
    expect(clock.sleeps).toEqual([40_000, 40_000]);
    expect(server.requests).toHaveLength(3);
  });

  it('makes one attempt when the request says retry: false', async () => {
    server.reset(() => ({ status: 503 }));
    const err = await failure(client().arm.request({ method: 'POST', path: endpointPath, retry: false }));
    expect(err.retriable).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('retries a dropped connection as a network error', async () => {
    server.reset((_req, i) => (i === 0 ? { status: 0, destroy: true } : { status: 200, body: { ok: 1 } }));
    const { arm, clock } = client();
    const res = await arm.request({ method: 'GET', path: endpointPath });
    expect(res.body).toEqual({ ok: 1 });
    expect(clock.sleeps).toHaveLength(1);
  });

  it('reports a refused connection as a retriable NetworkError once attempts run out', async () => {
    const gone = await startScriptedServer();
    const url = gone.url;
    await gone.close();
    const { arm } = client({ baseUrl: url, retry: { maxAttempts: 2 } });
    const err = await failure(arm.request({ method: 'GET', path: endpointPath }));
    expect(err).toMatchObject({ code: 'NetworkError', retriable: true });
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('reports a slow answer as a Timeout', async () => {
    server.reset(() => ({ status: 200, body: {}, delayMs: 2_000 }));
    const err = await failure(client().arm.request({ method: 'GET', path: endpointPath, timeoutMs: 50, retry: { maxAttempts: 1 } }));
    expect(err).toMatchObject({ code: 'Timeout', retriable: true });
  });

  it('stops retrying when the caller aborts', async () => {
    server.reset(() => ({ status: 503 }));
    const controller = new AbortController();
    const { arm } = client({
      sleep: async () => {
        controller.abort();
      },
    });
    const err = await failure(arm.request({ method: 'GET', path: endpointPath, signal: controller.signal }));
    expect(err).toMatchObject({ code: 'RequestAborted', retriable: false });
    expect(server.requests).toHaveLength(1);
  });
});
