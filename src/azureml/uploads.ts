// Uploads a local folder to `<container>/<prefix>/` on a blob datastore, as the recipe's
// `az storage blob upload-batch -d $CONTAINER/score -s code/` does, but resumable and economical:
// files whose blob already holds the same bytes are skipped. Small blobs carry a service-computed
// Content-MD5; block-list uploads do not, so we set x-ms-blob-content-md5 ourselves on every upload and
// also keep the MD5 in blob metadata (`md5`), and compare against either.
import type { ContainerClient } from '@azure/storage-blob';
import { mapWithConcurrency } from './bounded-concurrency';
import { hashLocalFiles, listLocalFiles, openListedFile, type HashedLocalFile } from './local-folder';

export interface UploadProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface UploadFolderOptions {
  container: ContainerClient;
  /** Absolute path of the folder (already checked with resolveInsideRoot). */
  localDir: string;
  /** Blob name prefix, without leading or trailing slash: files go to `<prefix>/<relative path>`. */
  prefix: string;
  /** Files in flight at once (default 8). */
  concurrency?: number;
  /** Blocks in flight per large file (default 4). */
  blockConcurrency?: number;
  /** Block size for large files (default 4 MiB; files up to maxSingleShotSize go in one request). */
  blockSize?: number;
  /** Root the symlinks inside the folder must stay in (default localDir). */
  root?: string;
  onProgress?: (progress: UploadProgress) => void;
  abortSignal?: AbortSignal;
  /** Already-hashed files, when the caller hashed them to derive the asset version. */
  files?: HashedLocalFile[];
}

export interface UploadResult {
  uploaded: number;
  skipped: number;
  /** Bytes sent (skipped files excluded). */
  bytes: number;
}

const MD5_METADATA_KEY = 'md5';
const FOUR_MIB = 4 * 1024 * 1024;
/**
 * Files up to this size go in one Put Blob request. Streamed uploads always stage blocks and commit a
 * list (two requests even for a 4 KB file), which doubled the storage's work on a folder of small
 * files (bench/upload-bench.ts measured Azurite's CPU time at twice that of the same blobs sent whole).
 */
const SINGLE_SHOT_MAX = FOUR_MIB;

export function blobNameFor(prefix: string, relativePath: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return p ? `${p}/${relativePath}` : relativePath;
}

/** Existing blobs under the prefix → the MD5 (base64) each is known to have. */
async function remoteMd5s(container: ContainerClient, prefix: string): Promise<Map<string, string>> {
  const known = new Map<string, string>();
  const p = prefix.replace(/^\/+|\/+$/g, '');
  for await (const blob of container.listBlobsFlat({ prefix: p ? `${p}/` : undefined, includeMetadata: true })) {
    const fromMetadata = blob.metadata?.[MD5_METADATA_KEY];
    const fromHeader = blob.properties.contentMD5 ? Buffer.from(blob.properties.contentMD5).toString('base64') : undefined;
    const md5 = fromMetadata ?? fromHeader;
    if (md5) known.set(blob.name, md5);
  }
  return known;
}

export async function uploadFolder(options: UploadFolderOptions): Promise<UploadResult> {
  const { container, localDir, prefix } = options;
  const files = options.files ?? (await hashLocalFiles(await listLocalFiles(localDir, options.root ?? localDir)));
  const remote = await remoteMd5s(container, prefix);
  const progress: UploadProgress = {
    filesDone: 0,
    filesTotal: files.length,
    bytesDone: 0,
    bytesTotal: files.reduce((n, f) => n + f.size, 0),
  };
  const result: UploadResult = { uploaded: 0, skipped: 0, bytes: 0 };
  const report = (): void => options.onProgress?.({ ...progress });

  await mapWithConcurrency(files, options.concurrency ?? 8, async (file) => {
    const blobName = blobNameFor(prefix, file.relativePath);
    if (remote.get(blobName) === file.md5) {
      result.skipped++;
      progress.filesDone++;
      progress.bytesDone += file.size;
      report();
      return;
    }
    let sentForFile = 0;
    // Streamed from the very file the folder walk listed (opened without following links, checked by
    // device and inode), in blocks, never read whole into memory.
    const send = async (): Promise<void> => {
      const handle = await openListedFile(file);
      const blob = container.getBlockBlobClient(blobName);
      const common = {
        blobHTTPHeaders: { blobContentMD5: Buffer.from(file.md5, 'base64') },
        metadata: { [MD5_METADATA_KEY]: file.md5 },
        abortSignal: options.abortSignal,
        onProgress: (ev: { loadedBytes: number }) => {
          progress.bytesDone += ev.loadedBytes - sentForFile;
          sentForFile = ev.loadedBytes;
          report();
        },
      };
      if (file.size <= SINGLE_SHOT_MAX) {
        // Read whole through the same descriptor (at most concurrency × 4 MiB in memory), sent in one request.
        let data: Buffer;
        try {
          data = await handle.readFile();
        } finally {
          await handle.close();
        }
        await blob.upload(data, data.length, common);
        return;
      }
      await blob.uploadStream(handle.createReadStream(), options.blockSize ?? FOUR_MIB, options.blockConcurrency ?? 4, common);
    };
    try {
      await send();
    } catch (err) {
      // Two deploys of the same content upload the same (content-addressed) blob at once; the storage then
      // refuses one commit as InvalidBlockList. If the other upload left the same content, it is done;
      // otherwise send it once more.
      if ((err as { code?: unknown }).code !== 'InvalidBlockList') throw err;
      if ((await remoteMd5Of(container, blobName)) !== file.md5) {
        progress.bytesDone -= sentForFile;
        sentForFile = 0;
        await send();
      }
    }
    progress.bytesDone += file.size - sentForFile;
    progress.filesDone++;
    result.uploaded++;
    result.bytes += file.size;
    report();
  });
  return result;
}

/** One blob's MD5 as remoteMd5s reads it (metadata first, then Content-MD5); undefined when absent. */
async function remoteMd5Of(container: ContainerClient, blobName: string): Promise<string | undefined> {
  const props = await container.getBlockBlobClient(blobName).getProperties().catch(() => undefined);
  if (!props) return undefined;
  return props.metadata?.[MD5_METADATA_KEY] ?? (props.contentMD5 ? Buffer.from(props.contentMD5).toString('base64') : undefined);
}

/** Whether a blob exists: the output-file check before an invoke. */
export function blobExists(container: ContainerClient, blobName: string): Promise<boolean> {
  return container.getBlobClient(blobName).exists();
}
