// --sandbox: the JSON line `npm run sandbox:azureml` prints becomes Azure settings config.ts accepts and
// a credential that hands out the right token for ARM and for scoring calls.
import { AZURE_CLOUDS } from '../../src/azureml/clouds';
import { createSandboxCredential, parseSandboxConnection, SandboxConnectionError, sandboxEnvironment } from '../../src/cli/sandbox-connection';
import { loadAzureConfig } from '../../src/config';

const jwt = (claims: Record<string, unknown>): string =>
  `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

const line = {
  baseUrl: 'http://127.0.0.1:4321',
  subscriptionId: '00000000-0000-0000-0000-000000000000',
  resourceGroup: 'sandbox-rg',
  workspace: 'sandbox-ws',
  location: 'chinaeast2',
  cloud: 'AzureChinaCloud',
  token: jwt({ aud: 'https://management.chinacloudapi.cn', exp: 2_000_000_000 }),
  scoringToken: jwt({ aud: 'https://studio.ml.azure.cn', exp: 2_000_000_100 }),
  storageConnectionString: 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;',
  publicBaseUrl: 'https://127.0.0.1:4322',
};

describe('the sandbox line', () => {
  it('is read from a file that also holds log lines', () => {
    const conn = parseSandboxConnection(`starting azurite…\n${JSON.stringify(line)}\n`, 'sb.json');
    expect(conn).toMatchObject({ baseUrl: line.baseUrl, cloud: 'AzureChinaCloud', workspace: 'sandbox-ws' });
  });

  it('says what is missing from an incomplete line, and refuses a file without one', () => {
    expect(() => parseSandboxConnection(JSON.stringify({ ...line, token: undefined }), 'sb.json')).toThrow(/sb\.json: the sandbox line is incomplete \(token: /);
    expect(() => parseSandboxConnection('nothing here', 'sb.json')).toThrow(SandboxConnectionError);
  });

  it('becomes environment variables that config.ts validates into the sandbox workspace', () => {
    const config = loadAzureConfig({ AZURE_SUBSCRIPTION_ID: 'left-over', ...sandboxEnvironment(parseSandboxConnection(JSON.stringify(line), 'sb.json')) });
    expect(config).toMatchObject({
      cloud: 'AzureChinaCloud',
      subscriptionId: line.subscriptionId,
      resourceGroup: 'sandbox-rg',
      workspace: 'sandbox-ws',
      location: 'chinaeast2',
      armEndpoint: line.baseUrl,
      storageConnectionString: line.storageConnectionString,
    });
  });
});

describe('the sandbox credential', () => {
  const cloud = AZURE_CLOUDS.AzureChinaCloud;

  it('gives the scoring token for the ML audience and the ARM token for everything else', async () => {
    const credential = createSandboxCredential(parseSandboxConnection(JSON.stringify(line), 'sb.json'));
    await expect(credential.getToken(cloud.mlScope)).resolves.toEqual({ token: line.scoringToken, expiresOnTimestamp: 2_000_000_100_000 });
    await expect(credential.getToken([cloud.resourceManagerScope])).resolves.toEqual({ token: line.token, expiresOnTimestamp: 2_000_000_000_000 });
  });

  it('falls back to the ARM token when the line has no scoring token, and to an hour for a token it cannot read', async () => {
    const credential = createSandboxCredential(parseSandboxConnection(JSON.stringify({ ...line, scoringToken: undefined, token: 'opaque' }), 'sb.json'), () => 1_000);
    await expect(credential.getToken(cloud.mlScope)).resolves.toEqual({ token: 'opaque', expiresOnTimestamp: 1_000 + 3_600_000 });
  });
});
