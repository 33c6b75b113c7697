// Run by blob-read-link.test.ts in a child process started with NODE_EXTRA_CA_CERTS (Node 20 trusts a
// certificate made at run time only from the start of a process): against an Azurite serving OAuth over
// HTTPS, puts a blob with the account key, makes a results link with an Azure identity (a
// user-delegation SAS), then reads and tries to write through the link. Prints one JSON line.
import { BlobServiceClient } from '@azure/storage-blob';
import { createBlobReadLinkFactory } from '../../src/azureml/blob-read-link';
import type { TokenCredential } from '../../src/azureml/credentials';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

/** An Entra ID access token for the storage audience (Azurite's basic check reads the claims, not the signature). */
function storageToken(tenant: string, objectId: string): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const claims = { aud: 'https://storage.azure.com', iss: `https://sts.windows.net/${tenant}/`, iat: now - 60, nbf: now - 60, exp: now + 3600, oid: objectId, tid: tenant };
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

async function main(): Promise<void> {
  const [tenant, objectId, blobName, content] = [env('TENANT'), env('OBJECT_ID'), env('BLOB_NAME'), env('CONTENT')];
  const container = BlobServiceClient.fromConnectionString(env('CONNECTION_STRING')).getContainerClient('azureml-blobstore');
  await container.createIfNotExists();
  await container.getBlockBlobClient(blobName).upload(content, Buffer.byteLength(content));
  // Asked once per request for a user delegation key (the only call the links make with the identity).
  let tokenRequests = 0;
  const credential: TokenCredential = { getToken: async () => (tokenRequests++, { token: storageToken(tenant, objectId), expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const links = createBlobReadLinkFactory(
    { kind: 'credential', credential, blobServiceUrl: env('BLOB_SERVICE_URL'), tokenPolicy: { storageEndpointSuffix: 'core.windows.net' } },
    Date.now,
    // Azurite 3.35 verifies user-delegation signatures up to this version (the SDK's default is newer).
    { sasVersion: '2025-11-05' },
  );
  const datastore = { name: 'workspaceblobstore', id: 'workspaceblobstore', accountName: 'devstoreaccount1', containerName: 'azureml-blobstore', endpoint: 'core.windows.net', protocol: 'https' };
  const link = await links(datastore, blobName, 3_600_000);
  if (!link) throw new Error('no link');
  const read = await fetch(link.url);
  const write = await fetch(link.url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'overwritten' });
  // More links, some at once, as when many jobs end together: signed with the same key, and readable.
  const more = await Promise.all([links(datastore, blobName, 3_600_000), links(datastore, blobName, 60_000), links(datastore, blobName, 3_600_000)]);
  const moreReads = await Promise.all(more.map(async (l) => (l ? (await fetch(l.url)).status : 0)));
  // A link that outlives the key kept (2 h more than it) needs a key of its own.
  const longer = await links(datastore, blobName, 3 * 3_600_000);
  const longerRead = longer ? (await fetch(longer.url)).status : 0;
  process.stdout.write(
    `${JSON.stringify({ kind: link.kind, url: link.url, readStatus: read.status, body: await read.text(), writeStatus: write.status, moreReads, longerRead, tokenRequests })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
