// Answers from "Azure" that do not fit: not JSON, truncated JSON, the wrong shape, the wrong types, and
// an oversized body. A tiny local HTTP server plays ARM (the sandbox's fault injection sets status and
// message, not arbitrary bodies). Each is rejected by the response's schema with an AzureMlError
// 'InvalidResponse' that names what was wrong — never returned half-parsed to the caller.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAzureMlClient } from '../../src/azureml';
import { createArmClient } from '../../src/azureml/arm-client';
import { AZURE_CLOUDS } from '../../src/azureml/clouds';
import { isAzureMlError } from '../../src/azureml/errors';

const WORKSPACE = { subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroup: 'rg', workspace: 'ws', location: 'eastus' };
let server: http.Server;
let baseUrl: string;
/** What the stand-in answers next: status, content type and raw body. */
let answer: { status: number; type: string; body: string | Buffer } = { status: 200, type: 'application/json', body: '{}' };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(answer.status, { 'content-type': answer.type, 'x-ms-request-id': 'stand-in-request' });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function client() {
  return createAzureMlClient({
    workspace: WORKSPACE,
    arm: createArmClient({
      cloud: AZURE_CLOUDS.AzureCloud,
      credential: { getToken: async () => ({ token: 'stand-in-token', expiresOnTimestamp: Date.now() + 3_600_000 }) },
      baseUrl,
      retry: { maxAttempts: 1 },
    }),
    storage: { kind: 'connection-string', connectionString: 'UseDevelopmentStorage=true' },
  });
}

async function failureOf(call: Promise<unknown>): Promise<{ code: string; message: string; retriable: boolean }> {
  const outcome = await call.then(
    (value) => ({ value }),
    (err: unknown) => ({ err }),
  );
  if ('value' in outcome) throw new Error(`the malformed answer was accepted: ${JSON.stringify(outcome.value).slice(0, 300)}`);
  if (!isAzureMlError(outcome.err)) throw new Error(`not an AzureMlError: ${String(outcome.err)}`);
  return outcome.err as never;
}

const endpointPath = `/subscriptions/${WORKSPACE.subscriptionId}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/batchEndpoints/e1`;
const validEndpoint = {
  id: endpointPath,
  name: 'e1',
  type: 'Microsoft.MachineLearningServices/workspaces/batchEndpoints',
  location: 'eastus',
  properties: { authMode: 'AADToken', provisioningState: 'Succeeded', scoringUri: 'https://e1.eastus.inference.ml.azure.com/jobs', defaults: {} },
};

const MALFORMED: Array<[string, number, string, string, RegExp]> = [
  ['a body that is not JSON', 200, 'application/json', '<html>Service Unavailable</html>', /not valid JSON/],
  ['truncated JSON', 200, 'application/json; charset=utf-8', JSON.stringify(validEndpoint).slice(0, 80), /not valid JSON/],
  ['a JSON array instead of a resource', 200, 'application/json', '[1,2,3]', /malformed batch endpoint/],
  ['a resource without properties', 200, 'application/json', JSON.stringify({ ...validEndpoint, properties: undefined }), /properties/],
  ['a provisioning state of the wrong type', 200, 'application/json', JSON.stringify({ ...validEndpoint, properties: { ...validEndpoint.properties, provisioningState: 42 } }), /provisioningState/],
  ['a null body', 200, 'application/json', 'null', /malformed batch endpoint/],
];

it.each(MALFORMED)('rejects %s with a clear InvalidResponse error', async (_what, status, type, body, names) => {
  answer = { status, type, body };
  const err = await failureOf(client().endpoints.get('e1'));
  expect(err.code).toBe('InvalidResponse');
  expect(err.message).toMatch(names);
  expect(err.retriable).toBe(false);
});

it('accepts the same resource when it is well formed (the stand-in is a fair judge)', async () => {
  answer = { status: 200, type: 'application/json', body: JSON.stringify(validEndpoint) };
  const endpoint = await client().endpoints.get('e1');
  expect(endpoint.name).toBe('e1');
});

it('rejects a list whose items are malformed instead of returning the good half', async () => {
  answer = { status: 200, type: 'application/json', body: JSON.stringify({ value: [validEndpoint, { name: 7 }] }) };
  const err = await failureOf(client().endpoints.list());
  expect(err.code).toBe('InvalidResponse');
});

it('reports an error answer that is not ARM-shaped with its status, not a crash', async () => {
  answer = { status: 500, type: 'text/html', body: '<html><body>Bad Gateway</body></html>' };
  const err = await failureOf(client().endpoints.get('e1'));
  expect(err.code).not.toBe('InvalidResponse');
  expect(err.message.length).toBeGreaterThan(5);
});

// A resource body in the tens of megabytes can only be a fault; buffering it would let one endpoint make a
// worker hold any amount of memory (arm-client's MAX_RESPONSE_BYTES).
it('refuses an oversized answer (32 MB) instead of buffering it', async () => {
  answer = { status: 200, type: 'application/json', body: JSON.stringify({ ...validEndpoint, properties: { ...validEndpoint.properties, description: 'x'.repeat(32 * 1024 * 1024) } }) };
  const err = await failureOf(client().endpoints.get('e1'));
  expect(err.code).toBe('InvalidResponse');
}, 30_000);
