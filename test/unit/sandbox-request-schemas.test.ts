import { SandboxHttpError } from '../../sandbox/azureml/arm-errors';
import { batchDeploymentPropertiesSchema, normalizeScoringKeys, parseBody, scoringBodySchema } from '../../sandbox/azureml/request-schemas';
import { createTokenAuthority } from '../../sandbox/azureml/tokens';
import { FaultInjector } from '../../sandbox/azureml/faults';
import { createSandboxClock, LRO_RETRY_AFTER_BOUNDS, retryAfterHeaders } from '../../sandbox/azureml/durations';

describe('sandbox request leniency', () => {
  it('coerces the recipe numbers-as-strings and enum case to spec values', () => {
    const p = parseBody(batchDeploymentPropertiesSchema, {
      maxConcurrencyPerInstance: '4',
      errorThreshold: '10',
      loggingLevel: 'info',
      miniBatchSize: '5',
      outputAction: 'appendrow',
    });
    expect(p).toMatchObject({ maxConcurrencyPerInstance: 4, errorThreshold: 10, loggingLevel: 'Info', miniBatchSize: 5, outputAction: 'AppendRow', outputFileName: 'predictions.csv' });
  });

  it('names the field of each error', () => {
    try {
      parseBody(batchDeploymentPropertiesSchema, { miniBatchSize: 'five', loggingLevel: 'loud' });
      throw new Error('expected a failure');
    } catch (err) {
      expect(err).toBeInstanceOf(SandboxHttpError);
      const e = err as SandboxHttpError;
      expect(e.status).toBe(400);
      expect(e.details?.map((d) => d.target).sort()).toEqual(['loggingLevel', 'miniBatchSize']);
    }
  });

  it('reads scoring bodies whatever the key case, keeping input names', () => {
    const body = parseBody(scoringBodySchema, normalizeScoringKeys({ properties: { inputData: { myInput: { jobInputType: 'uri_folder', uri: 'azureml://datastores/d/paths/p' } } } }));
    expect(body.properties.InputData).toEqual({ myInput: { JobInputType: 'UriFolder', Uri: 'azureml://datastores/d/paths/p' } });
  });
});

describe('sandbox tokens', () => {
  it('accepts its own tokens for the right audience only, and expires them on demand', async () => {
    const authority = createTokenAuthority({ authorityHost: 'https://login.chinacloudapi.cn' });
    const arm = await authority.credential.getToken('https://management.chinacloudapi.cn/.default');
    expect(authority.verify(`Bearer ${arm!.token}`, ['https://management.chinacloudapi.cn'])).toMatchObject({ ok: true });
    expect(authority.verify(`Bearer ${arm!.token}`, ['https://studio.ml.azure.cn'])).toMatchObject({ ok: false, reason: 'wrong-audience' });
    expect(authority.verify(undefined, [])).toMatchObject({ ok: false, reason: 'missing' });
    const other = createTokenAuthority({ authorityHost: 'https://login.chinacloudapi.cn' }).issue('https://management.chinacloudapi.cn');
    expect(authority.verify(`Bearer ${other.token}`, ['https://management.chinacloudapi.cn'])).toMatchObject({ ok: false, reason: 'bad-signature' });
    authority.expireAll();
    expect(authority.verify(`Bearer ${arm!.token}`, ['https://management.chinacloudapi.cn'])).toMatchObject({ ok: false, reason: 'expired' });
    const renewed = authority.issue('https://management.chinacloudapi.cn');
    expect(authority.verify(`Bearer ${renewed.token}`, ['https://management.chinacloudapi.cn/'])).toMatchObject({ ok: true });
  });

  it('expires tokens after their lifetime', () => {
    let now = 1_000_000;
    const authority = createTokenAuthority({ authorityHost: 'https://login.microsoftonline.com', lifetimeMs: 60_000, now: () => now });
    const t = authority.issue('https://management.azure.com');
    now += 61_000;
    expect(authority.verify(`Bearer ${t.token}`, ['https://management.azure.com'])).toMatchObject({ ok: false, reason: 'expired' });
  });
});

describe('sandbox fault rules and pacing', () => {
  it('consumes rules in order, by kind or by method and path', () => {
    const faults = new FaultInjector();
    faults.add({ match: 'scoring', count: 2, status: 503 });
    faults.add({ match: { method: 'PUT', path: '/deployments/' }, status: 429 });
    expect(faults.take('GET', '/subscriptions/x', 'arm')).toBeUndefined();
    expect(faults.take('PUT', '/a/deployments/b', 'arm')).toMatchObject({ kind: 'status', status: 429, code: 'TooManyRequests' });
    expect(faults.take('PUT', '/a/deployments/b', 'arm')).toBeUndefined();
    expect(faults.take('POST', '/inference/x', 'scoring')).toMatchObject({ status: 503, code: 'ServiceUnavailable' });
    expect(faults.take('POST', '/inference/x', 'scoring')).toMatchObject({ status: 503 });
    expect(faults.take('POST', '/inference/x', 'scoring')).toBeUndefined();
    expect(() => faults.add({ match: 'arm' })).toThrow();
  });

  it('scales durations and sends whole-second Retry-After with precise retry-after-ms', () => {
    const clock = createSandboxClock(0.01);
    expect(clock.ms('deploymentCreateMs')).toBe(1800);
    expect(retryAfterHeaders(clock.ms('pollIntervalMs'))).toEqual({ 'Retry-After': '1', 'retry-after-ms': '100' });
    expect(retryAfterHeaders(2500)).toEqual({ 'Retry-After': '3', 'retry-after-ms': '2500' });
    // mfe.json bounds an LRO's Retry-After to 10–600 s; the scaled value stays in retry-after-ms.
    expect(retryAfterHeaders(100, LRO_RETRY_AFTER_BOUNDS)).toEqual({ 'Retry-After': '10', 'retry-after-ms': '100' });
    expect(() => createSandboxClock(0)).toThrow(RangeError);
  });
});
