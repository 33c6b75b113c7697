// The audit trail is a log: secrets never reach it.
import { redactSecrets } from '../../src/queue/audit-trail';

describe('redacting secrets from audit details', () => {
  it('replaces credential-looking fields at any depth', () => {
    expect(
      redactSecrets({ endpoint: 'fraud-ep', auth: { accessToken: 'eyJ', clientSecret: 's' }, items: [{ password: 'p', name: 'n' }] }),
    ).toEqual({ endpoint: 'fraud-ep', auth: { accessToken: '[redacted]', clientSecret: '[redacted]' }, items: [{ password: '[redacted]', name: 'n' }] });
  });

  it('drops a response_url, which lets anyone holding it post as the app', () => {
    expect(redactSecrets({ responseUrl: 'https://hooks.slack.com/commands/T/1/x', response_url: 'x' })).toEqual({
      responseUrl: '[redacted]',
      response_url: '[redacted]',
    });
  });

  it('removes the signature of a SAS URL but keeps where it points', () => {
    expect(redactSecrets({ output: 'https://a.blob.core.windows.net/c/out.csv?sv=2024-01-01&sig=abc%2F&se=2025' })).toEqual({
      output: 'https://a.blob.core.windows.net/c/out.csv?sv=2024-01-01&sig=[redacted]&se=2025',
    });
  });

  it('leaves ordinary details alone', () => {
    const detail = { deployment: 'blue', instanceCount: 2, tags: ['a'], nested: { ok: true } };
    expect(redactSecrets(detail)).toEqual(detail);
  });
});
