// The datastores' bytes live in Azurite; this is the sandbox's only door to them.
import { BlobServiceClient, RestError } from '@azure/storage-blob';

export class BlobAlreadyExistsError extends Error {
  constructor(readonly container: string, readonly blob: string) {
    super(`blob '${container}/${blob}' already exists`);
    this.name = 'BlobAlreadyExistsError';
  }
}

export interface BlobStore {
  ensureContainer(container: string): Promise<void>;
  containerExists(container: string): Promise<boolean>;
  /** Blob names under `prefix` (flat listing), sorted. */
  list(container: string, prefix: string): Promise<string[]>;
  exists(container: string, blob: string): Promise<boolean>;
  read(container: string, blob: string): Promise<Buffer>;
  /** Writes only if the blob does not exist yet (If-None-Match: *). */
  create(container: string, blob: string, content: Buffer | string, contentType?: string): Promise<void>;
  put(container: string, blob: string, content: Buffer | string, contentType?: string): Promise<void>;
  /** Deletes the blob if it is there (tests take an asset's files away). */
  delete(container: string, blob: string): Promise<void>;
}

export function createBlobStore(connectionString: string): BlobStore {
  const service = BlobServiceClient.fromConnectionString(connectionString);
  const upload = async (
    container: string,
    blob: string,
    content: Buffer | string,
    contentType: string | undefined,
    onlyIfNew: boolean,
  ): Promise<void> => {
    const data = typeof content === 'string' ? Buffer.from(content) : content;
    try {
      await service
        .getContainerClient(container)
        .getBlockBlobClient(blob)
        .upload(data, data.length, {
          blobHTTPHeaders: contentType ? { blobContentType: contentType } : undefined,
          conditions: onlyIfNew ? { ifNoneMatch: '*' } : undefined,
        });
    } catch (err) {
      if (onlyIfNew && err instanceof RestError && (err.statusCode === 409 || err.statusCode === 412)) {
        throw new BlobAlreadyExistsError(container, blob);
      }
      throw err;
    }
  };
  return {
    async ensureContainer(container) {
      await service.getContainerClient(container).createIfNotExists();
    },
    async containerExists(container) {
      return service.getContainerClient(container).exists();
    },
    async list(container, prefix) {
      const names: string[] = [];
      for await (const item of service.getContainerClient(container).listBlobsFlat({ prefix })) names.push(item.name);
      return names.sort();
    },
    async exists(container, blob) {
      return service.getContainerClient(container).getBlobClient(blob).exists();
    },
    async read(container, blob) {
      return service.getContainerClient(container).getBlobClient(blob).downloadToBuffer();
    },
    create: (container, blob, content, contentType) => upload(container, blob, content, contentType, true),
    put: (container, blob, content, contentType) => upload(container, blob, content, contentType, false),
    async delete(container, blob) {
      await service.getContainerClient(container).getBlobClient(blob).deleteIfExists();
    },
  };
}
