// The spec validator itself: a contract test is only as good as its judge, so check that it sees what
// it must (unknown properties, undeclared status codes, 202s without a poll URL, paths the spec lacks),
// that its scope rule skips what is outside the spec by name, and that its failures are readable.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AzureSpecsNotFoundError,
  createAzureSpecValidator,
  expectSpecValid,
  fromRecordedExchange,
  resolveSpecsDirectory,
  specScopeOf,
  SpecViolationError,
  type AzureSpecValidator,
  type ExchangeVerdict,
  type HttpExchange,
  type ValidatedExchange,
} from '../support/azure-spec-validator';

const WS = 'http://127.0.0.1:4000/subscriptions/sub/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';
const Q = '?api-version=2022-05-01';
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

const endpoint = (extra: Record<string, unknown> = {}) => ({
  id: '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/batchEndpoints/ep',
  name: 'ep',
  type: 'Microsoft.MachineLearningServices/workspaces/batchEndpoints',
  location: 'eastus',
  tags: {},
  properties: { authMode: 'AADToken', provisioningState: 'Succeeded', ...extra },
});

let validator: AzureSpecValidator;

beforeAll(async () => {
  validator = await createAzureSpecValidator();
}, 20_000);

function armVerdict(v: ExchangeVerdict): ValidatedExchange {
  if (v.scope !== 'arm') throw new Error(`expected an ARM verdict, got skipped (${v.reason})`);
  return v;
}

const codes = (v: ValidatedExchange, side: 'request' | 'response') => v[side].errors.map((e) => e.code);

describe('the scope rule', () => {
  it.each([
    [`${WS}/batchEndpoints/ep${Q}`, 'arm'],
    [`${WS}${Q}`, 'arm'],
    ['http://127.0.0.1:4000/subscriptions/sub/providers/Microsoft.MachineLearningServices/locations/eastus/usages?api-version=2022-05-01', 'arm'],
    ['http://127.0.0.1:4000/subscriptions/sub/providers/Microsoft.MachineLearningServices/locations/eastus/mfeOperationsStatus/abc?api-version=2022-05-01', 'operation-status'],
    ['http://127.0.0.1:4000/subscriptions/sub/providers/Microsoft.MachineLearningServices/locations/eastus/computeOperationResults/abc', 'operation-status'],
    ['http://127.0.0.1:4000/inference/batchEndpoints/ep/jobs', 'data-plane'],
    ['https://127.0.0.1:4443/sampledata/mnist/0.png', 'data-plane'],
    ['http://127.0.0.1:4000/_admin/faults', 'sandbox-admin'],
  ])('classifies %s as %s', (url, expected) => {
    const scope = specScopeOf(url);
    expect(scope.scope === 'arm' ? 'arm' : scope.reason).toBe(expected);
  });

  it('never validates a skipped exchange, and says so when asked to vouch for one', async () => {
    const verdict = await validator.validateExchange({ method: 'POST', url: 'http://127.0.0.1:4000/inference/batchEndpoints/ep/jobs', status: 200 });
    expect(verdict).toMatchObject({ scope: 'skipped', reason: 'data-plane' });
    expect(() => expectSpecValid(verdict)).toThrow(/was not validated: not an ARM path/);
  });
});

describe('what the validator catches', () => {
  it('accepts a spec-shaped batch endpoint', async () => {
    const v = armVerdict(
      await validator.validateExchange({
        method: 'GET',
        url: `${WS}/batchEndpoints/ep${Q}`,
        status: 200,
        responseHeaders: JSON_HEADERS,
        responseBody: JSON.stringify(endpoint()),
      }),
    );
    expect(v).toMatchObject({ operationId: 'BatchEndpoints_Get', request: { ok: true }, response: { ok: true } });
  });

  it('reports a response property the spec does not define', async () => {
    const v = armVerdict(
      await validator.validateExchange({ method: 'GET', url: `${WS}/batchEndpoints/ep${Q}`, status: 200, responseHeaders: JSON_HEADERS, responseBody: endpoint({ color: 'blue' }) }),
    );
    expect(v.response.errors).toEqual([expect.objectContaining({ code: 'OBJECT_ADDITIONAL_PROPERTIES', path: '$.properties.color' })]);
  });

  it('reports a status code the operation does not declare', async () => {
    const v = armVerdict(
      await validator.validateExchange({ method: 'GET', url: `${WS}/batchEndpoints/ep${Q}`, status: 201, responseHeaders: JSON_HEADERS, responseBody: endpoint() }),
    );
    expect(codes(v, 'response')).toEqual(['INVALID_RESPONSE_CODE']);
  });

  // Every enum the bot meets in mfe.json (provisioning states, JobStatus, BatchLoggingLevel, EndpointAuthMode)
  // is `x-ms-enum: modelAsString`, i.e. extensible: oav flags a case mismatch but lets an unknown value
  // through. Values such as job statuses must therefore be pinned by the tests that know them.
  it('treats extensible (modelAsString) enums as ARM does: a case mismatch is reported, an unknown value is not', async () => {
    const judge = async (provisioningState: string) =>
      armVerdict(
        await validator.validateExchange({
          method: 'GET',
          url: `${WS}/batchEndpoints/ep${Q}`,
          status: 200,
          responseHeaders: JSON_HEADERS,
          responseBody: endpoint({ provisioningState }),
        }),
      ).response.errors.map((e) => `${e.code} at ${e.path}`);
    expect(await judge('succeeded')).toEqual(['ENUM_CASE_MISMATCH at $.properties.provisioningState']);
    expect(await judge('Provisioning')).toEqual([]);
  });

  it('reports an ARM path the spec does not describe', async () => {
    const v = armVerdict(await validator.validateExchange({ method: 'GET', url: `${WS}/widgets/w1${Q}`, status: 200 }));
    expect(v.operationId).toBe('unknownOperationId');
    expect(codes(v, 'request')).toEqual(['OPERATION_NOT_FOUND_IN_CACHE']);
  });

  it('reports a request body that is not strict JSON, and still validates what it says', async () => {
    const v = armVerdict(
      await validator.validateExchange({
        method: 'PUT',
        url: `${WS}/batchEndpoints/ep${Q}`,
        requestHeaders: { 'content-type': 'application/json' },
        requestBody: '{"location": "eastus", "properties": {"authMode": "aadToken",},}',
        status: 201,
        responseHeaders: { ...JSON_HEADERS, 'azure-asyncoperation': 'https://example/op' },
        responseBody: endpoint({ provisioningState: 'Creating' }),
      }),
    );
    expect(v.request.errors.map((e) => `${e.code} at ${e.path}`).sort()).toEqual(['BODY_NOT_JSON at $', 'ENUM_CASE_MISMATCH at $.properties.authMode']);
    expect(v.response.ok).toBe(true);
  });
});

describe('readable failures', () => {
  it('prints the exchange, the operation and each error, with secrets redacted', async () => {
    const exchange: HttpExchange = {
      method: 'PUT',
      url: `${WS}/datastores/blob${Q}`,
      requestHeaders: { 'content-type': 'application/json' },
      requestBody: {
        properties: {
          datastoreType: 'AzureBlob',
          accountName: 'acct',
          containerName: 'c',
          credentials: { credentialsType: 'AccountKey', secrets: { secretsType: 'AccountKey', key: 'hunter2-account-key' } },
          shade: 'teal',
        },
      },
      status: 400,
      responseHeaders: JSON_HEADERS,
      responseBody: { error: { code: 'UserError', message: 'no' } },
    };
    const verdict = await validator.validateExchange(exchange);
    let message = '';
    try {
      expectSpecValid(verdict);
    } catch (err) {
      expect(err).toBeInstanceOf(SpecViolationError);
      message = (err as Error).message;
    }
    expect(message).toContain(`PUT ${WS}/datastores/blob${Q} → 400  [Datastores_CreateOrUpdate]`);
    expect(message).toMatch(/OBJECT_ADDITIONAL_PROPERTIES at \$\.properties\.shade: Additional properties not allowed: shade/);
    expect(message).toContain('"key": "<redacted>"');
    expect(message).not.toContain('hunter2');
  });

  it('maps what the sandbox records to an exchange', () => {
    expect(
      fromRecordedExchange({ method: 'GET', url: 'u', headers: { a: 'b' }, body: '', status: 200, responseHeaders: { c: 'd' }, responseBody: '{}' }),
    ).toEqual({ method: 'GET', url: 'u', requestHeaders: { a: 'b' }, requestBody: '', status: 200, responseHeaders: { c: 'd' }, responseBody: '{}' });
  });
});

describe('finding the specs', () => {
  it('uses AZURE_SPECS_DIR when set, and says what is missing and how to fix it', () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'no-specs-'));
    try {
      expect(() => resolveSpecsDirectory({ AZURE_SPECS_DIR: empty })).toThrow(AzureSpecsNotFoundError);
      expect(() => resolveSpecsDirectory({ AZURE_SPECS_DIR: empty })).toThrow(/mfe\.json.*missing under .*AZURE_SPECS_DIR/s);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('defaults to the shared folder next to the repository', () => {
    expect(resolveSpecsDirectory({})).toBe(path.resolve(__dirname, '../../../shared/azureml/specs/specification'));
  });
});
