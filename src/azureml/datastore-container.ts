// How to reach a blob datastore's container. Production: the bot's TokenCredential against
// `{protocol}://{account}.blob.{endpoint}/{container}` (or an explicit blob service URL, the
// BATCH_SCORE_STORAGE_BLOB_URL override, for private endpoints). Sandbox: Azurite's connection string.
import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { datastoreContainerUrl, type BlobDatastoreLocation } from './datastores';

export type DatastoreContainerFactory = (datastore: BlobDatastoreLocation) => ContainerClient;

export type DatastoreAccess =
  | { kind: 'connection-string'; connectionString: string }
  | { kind: 'credential'; credential: TokenCredential; /** Blob service URL overriding the datastore's own. */ blobServiceUrl?: string };

export function createDatastoreContainerFactory(access: DatastoreAccess): DatastoreContainerFactory {
  if (access.kind === 'connection-string') {
    const service = BlobServiceClient.fromConnectionString(access.connectionString);
    return (ds) => service.getContainerClient(ds.containerName);
  }
  return (ds) => {
    if (access.blobServiceUrl) {
      return new BlobServiceClient(access.blobServiceUrl, access.credential).getContainerClient(ds.containerName);
    }
    return new ContainerClient(datastoreContainerUrl(ds), access.credential);
  };
}
