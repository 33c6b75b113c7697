// How to reach a blob datastore's container. Production: the bot's TokenCredential against
// `{protocol}://{account}.blob.{endpoint}/{container}` (or an explicit blob service URL, the
// BATCH_SCORE_STORAGE_BLOB_URL override, for private endpoints). Sandbox: Azurite's connection string.
// With a credential, the token only goes to hosts storage-token-host.ts allows: the check runs here,
// before the SDK client exists, because the SDK sends the token to whatever URL it is given.
import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { datastoreContainerUrl, type BlobDatastoreLocation } from './datastores';
import { assertMayReceiveStorageToken, type StorageTokenPolicy } from './storage-token-host';

export type DatastoreContainerFactory = (datastore: BlobDatastoreLocation) => ContainerClient;

export type DatastoreAccess =
  | { kind: 'connection-string'; connectionString: string }
  | {
      kind: 'credential';
      credential: TokenCredential;
      /** Blob service URL overriding the datastore's own (configured by the operator, so trusted). */
      blobServiceUrl?: string;
      /** Which hosts may receive the storage token. */
      tokenPolicy: StorageTokenPolicy;
    };

export function createDatastoreContainerFactory(access: DatastoreAccess): DatastoreContainerFactory {
  if (access.kind === 'connection-string') {
    const service = BlobServiceClient.fromConnectionString(access.connectionString);
    return (ds) => service.getContainerClient(ds.containerName);
  }
  return (ds) => {
    if (access.blobServiceUrl) {
      return new BlobServiceClient(access.blobServiceUrl, access.credential).getContainerClient(ds.containerName);
    }
    const url = new URL(datastoreContainerUrl(ds));
    assertMayReceiveStorageToken(url, access.tokenPolicy);
    return new ContainerClient(url.toString(), access.credential);
  };
}
