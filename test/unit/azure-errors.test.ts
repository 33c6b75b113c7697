import { AzureMlError, azureMlErrorFromResponse, isAzureMlError, parseArmErrorDetail, redactUrl } from '../../src/azureml/errors';

describe('AzureMlError', () => {
  it('is recognised by isAzureMlError and not confused with other errors', () => {
    expect(isAzureMlError(new AzureMlError({ code: 'X', message: 'm' }))).toBe(true);
    expect(isAzureMlError(Object.assign(new Error('m'), { code: 'X' }))).toBe(false);
  });

  it('is retriable by default exactly when its status is', () => {
    expect(new AzureMlError({ code: 'X', message: 'm', statusCode: 503 }).retriable).toBe(true);
    expect(new AzureMlError({ code: 'X', message: 'm', statusCode: 400 }).retriable).toBe(false);
    expect(new AzureMlError({ code: 'X', message: 'm' }).retriable).toBe(false);
  });

  it('serializes for logs without the cause or secret query values', () => {
    const err = new AzureMlError({ code: 'X', message: 'm', url: 'https://a.blob.core.windows.net/c/b?sv=1&sig=abc%2B', cause: new Error('inner secret') });
    const json = JSON.stringify(err);
    expect(json).toContain('sig=REDACTED');
    expect(json).not.toContain('abc%2B');
    expect(json).not.toContain('inner secret');
  });
});

describe('reading ARM error bodies', () => {
  it("reads common-types' ErrorResponse and the bare ErrorDetail some services send", () => {
    expect(parseArmErrorDetail({ error: { code: 'Conflict', message: 'busy' } })).toMatchObject({ code: 'Conflict', message: 'busy' });
    expect(parseArmErrorDetail('{"code":"BadRequest","message":"no"}')).toMatchObject({ code: 'BadRequest' });
    expect(parseArmErrorDetail('<html>gateway</html>')).toBeUndefined();
    expect(parseArmErrorDetail({ unrelated: true })).toBeUndefined();
  });

  it('falls back to a code named for the status when the body has none', () => {
    const err = azureMlErrorFromResponse({ status: 502, headers: { 'x-ms-request-id': 'r1' }, body: '' });
    expect(err).toMatchObject({ code: 'BadGateway', statusCode: 502, requestId: 'r1', retriable: true });
  });

  it("keeps the server's Retry-After hint for callers that re-schedule instead of waiting", () => {
    const throttled = azureMlErrorFromResponse({ status: 429, headers: { 'retry-after': '7' }, body: '' });
    expect(throttled.retryAfterMs).toBe(7_000);
    expect(azureMlErrorFromResponse({ status: 503, headers: { 'retry-after-ms': '1500' }, body: '' }).retryAfterMs).toBe(1_500);
    expect(azureMlErrorFromResponse({ status: 500, headers: {}, body: '' }).retryAfterMs).toBeUndefined();
  });
});

describe('redactUrl', () => {
  it('keeps the path and harmless parameters', () => {
    expect(redactUrl('https://management.azure.com/subscriptions/s?api-version=2022-05-01')).toBe(
      'https://management.azure.com/subscriptions/s?api-version=2022-05-01',
    );
  });

  it('replaces SAS signatures and tokens', () => {
    expect(redactUrl('https://x/y?sv=2021&sig=s3cr3t&access_token=t0k&code=c0de')).toBe('https://x/y?sv=2021&sig=REDACTED&access_token=REDACTED&code=REDACTED');
  });
});
