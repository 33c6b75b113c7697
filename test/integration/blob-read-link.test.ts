// The results link made with an Azure identity (production): a user-delegation SAS, against an Azurite
// that serves bearer tokens and user delegation keys as the blob service does (`--oauth basic` over
// HTTPS with a certificate made here). The link must read the blob with no other credential, carry
// the delegation fields (skoid, sktid), not write, and the identity's token must never go to a host
// that is not a blob host of the cloud. The HTTPS part runs in a child process that trusts the
// certificate (test/support/read-link-child.ts).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startAzurite, type AzuriteProcess } from '../../sandbox/stack/azurite';
import { createBlobReadLinkFactory } from '../../src/azureml/blob-read-link';
import type { TokenCredential } from '../../src/azureml/credentials';
import { REPO_ROOT, spawnTsx } from '../support/worker-process';

const execFileAsync = promisify(execFile);
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const OBJECT_ID = '5d3c1f0e-0000-4000-8000-00000000b07a';

let dir: string;
let certFile: string;
let azurite: AzuriteProcess;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'bsb-oauth-azurite-'));
  certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  await execFileAsync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  azurite = await startAzurite({ oauth: { certFile, keyFile } });
}, 60_000);

afterAll(async () => {
  await azurite?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('signs read-only links with a user delegation key from the identity, readable with nothing else, one key for many links', async () => {
  const child = spawnTsx(path.join(REPO_ROOT, 'test', 'support', 'read-link-child.ts'), [], {
    env: {
      NODE_EXTRA_CA_CERTS: certFile,
      CONNECTION_STRING: azurite.connectionString,
      BLOB_SERVICE_URL: azurite.blobEndpoint,
      BLOB_NAME: 'azureml/job-1/score/predictions.csv',
      CONTENT: 'file,prediction\n0.png,7\n',
      TENANT,
      OBJECT_ID,
    },
  });
  const exit = await child.exited;
  expect({ exit: exit.code, stderr: child.stderr() }).toEqual({ exit: 0, stderr: '' });
  const out = JSON.parse(child.stdout().trim()) as { kind: string; url: string; readStatus: number; body: string; writeStatus: number; moreReads: number[]; longerRead: number; tokenRequests: number };
  expect(out.kind).toBe('user-delegation');
  const url = new URL(out.url);
  expect(url.searchParams.get('skoid')).toBe(OBJECT_ID);
  expect(url.searchParams.get('sktid')).toBe(TENANT);
  expect(url.searchParams.get('sp')).toBe('r');
  expect(out.url).not.toContain(encodeURIComponent(azurite.accountKey));
  expect(out.readStatus).toBe(200);
  expect(out.body).toBe('file,prediction\n0.png,7\n');
  expect(out.writeStatus).toBe(403);
  // Four more links, three of them at once: all readable, and one more key request in all (for the link
  // that outlives the first key), not one per link.
  expect(out.moreReads).toEqual([200, 200, 200]);
  expect(out.longerRead).toBe(200);
  expect(out.tokenRequests).toBe(2);
}, 60_000);

it("does not send the identity's token to a datastore host outside the cloud's blob hosts", async () => {
  let asked = 0;
  const credential: TokenCredential = { getToken: async () => (asked++, { token: 'unused', expiresOnTimestamp: Date.now() + 60_000 }) };
  const links = createBlobReadLinkFactory({ kind: 'credential', credential, tokenPolicy: { storageEndpointSuffix: 'core.windows.net' } });
  const elsewhere = { name: 'workspaceblobstore', id: 'workspaceblobstore', accountName: 'evil', containerName: 'azureml-blobstore', endpoint: 'example.test', protocol: 'https' };
  await expect(links(elsewhere, 'azureml/job-1/score/predictions.csv', 60_000)).rejects.toThrow(/not a blob host of this Azure cloud/);
  expect(asked).toBe(0);
});
