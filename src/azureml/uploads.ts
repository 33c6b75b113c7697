// Uploads a local folder to `<container>/<prefix>/` on a blob datastore, as the recipe's
// `az storage blob upload-batch -d $CONTAINER/score -s code/` does, but resumable and economical:
// files whose blob already holds the same bytes are skipped. Small blobs carry a service-computed
// Content-MD5; block-list uploads do not, so we set x-ms-blob-content-md5 ourselves on every upload and
// also keep the MD5 in blob metadata (`md5`), and compare against either.
//
// A new asset version is a new folder, but most of its files are usually the previous version's (a new
// MLmodel beside the same 150 MB checkpoint). With `copyFrom`, a file whose bytes an earlier upload under
// that prefix already holds is copied there by the storage service (Copy Blob within the account: Microsoft
// documents it as able to finish at once, with the caller's own Entra ID, SAS or key authorizing the source)
// instead of being sent again. A copy that fails or ends other than `success` falls back to sending.
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
  /**
   * Blob name prefix holding earlier uploads of the same asset (e.g. its other versions): files found there
   * with the same MD5 and size are copied within the storage account instead of sent.
   */
  copyFrom?: string;
}

export interface UploadResult {
  uploaded: number;
  skipped: number;
  /** Files copied within the storage account from an earlier upload (see copyFrom). */
  copied: number;
  /** Bytes sent (skipped and copied files excluded). */
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
/** Between looks at a copy the service left pending (the SDK's default is 15 s; same-account copies are quick). */
const COPY_POLL_MS = 500;

const trimSlashes = (p: string): string => p.replace(/^\/+|\/+$/g, '');

export function blobNameFor(prefix: string, relativePath: string): string {
  const p = trimSlashes(prefix);
  return p ? `${p}/${relativePath}` : relativePath;
}

interface RemoteBlob {
  name: string;
  /** The MD5 (base64) the blob is known to have: our metadata first, then Content-MD5. */
  md5: string;
  size: number;
}

/**
 * The MD5 (base64) a blob is known to hold, from its metadata or properties: our metadata first, then
 * Content-MD5. A copy still pending, failed or aborted (one left by an interrupted deploy) carries the
 * source's MD5 from the start, not yet (or never) its bytes: it holds nothing known.
 */
export function knownMd5(blob: { metadata?: Record<string, string>; contentMD5?: Uint8Array; copyStatus?: string }): string | undefined {
  if (blob.copyStatus !== undefined && blob.copyStatus !== 'success') return undefined;
  return blob.metadata?.[MD5_METADATA_KEY] ?? (blob.contentMD5 ? Buffer.from(blob.contentMD5).toString('base64') : undefined);
}

/** Existing blobs under the prefix whose MD5 is known. */
async function remoteBlobs(container: ContainerClient, prefix: string): Promise<RemoteBlob[]> {
  const known: RemoteBlob[] = [];
  const p = trimSlashes(prefix);
  for await (const blob of container.listBlobsFlat({ prefix: p ? `${p}/` : undefined, includeMetadata: true })) {
    // An unfinished copy is neither done nor a source.
    const md5 = knownMd5({ ...blob.properties, ...(blob.metadata ? { metadata: blob.metadata } : {}) });
    if (md5) known.push({ name: blob.name, md5, size: blob.properties.contentLength ?? -1 });
  }
  return known;
}

const contentKey = (md5: string, size: number): string => `${md5}:${size}`;

/**
 * What the destination prefix holds (blob name -> MD5) and, with copyFrom, where each content already is
 * (MD5 and size -> a blob outside the destination). Every source is listed: an asset with a thousand
 * versions of 40 files is eight list pages, still far cheaper than sending one checkpoint. When copyFrom
 * contains the destination (a deploy's new version beside the asset's others), that one listing holds the
 * destination too; otherwise the two are listed at once.
 */
async function remoteState(container: ContainerClient, prefix: string, copyFrom: string | undefined): Promise<{ at: Map<string, string>; copies: Map<string, string> }> {
  const dest = trimSlashes(prefix);
  const from = copyFrom === undefined ? undefined : trimSlashes(copyFrom);
  // copyFrom when it contains the destination: then its listing is the only one.
  const covering = from !== undefined && (from === '' || dest.startsWith(`${from}/`)) ? from : undefined;
  const inDest = (name: string): boolean => dest === '' || name.startsWith(`${dest}/`);
  const [listed, others] = await Promise.all([
    remoteBlobs(container, covering ?? dest),
    from === undefined || covering !== undefined ? Promise.resolve([]) : remoteBlobs(container, from),
  ]);
  const sources = covering !== undefined ? listed : others;
  const copies = new Map<string, string>();
  for (const b of sources) if (!inDest(b.name)) copies.set(contentKey(b.md5, b.size), b.name);
  return { at: new Map(listed.filter((b) => inDest(b.name)).map((b) => [b.name, b.md5] as const)), copies };
}

/** Copies `source` to `blobName` within the container; false when the service did not (the caller sends it). */
async function copiedWithin(container: ContainerClient, source: string, blobName: string, md5: string, options: UploadFolderOptions): Promise<boolean> {
  try {
    const poller = await container.getBlobClient(blobName).beginCopyFromURL(container.getBlobClient(source).url, {
      metadata: { [MD5_METADATA_KEY]: md5 },
      abortSignal: options.abortSignal,
      intervalInMs: COPY_POLL_MS,
    });
    const done = await poller.pollUntilDone();
    return done.copyStatus === 'success';
  } catch (err) {
    if (options.abortSignal?.aborted) throw err;
    return false;
  }
}

export async function uploadFolder(options: UploadFolderOptions): Promise<UploadResult> {
  const { container, localDir, prefix } = options;
  const files = options.files ?? (await hashLocalFiles(await listLocalFiles(localDir, options.root ?? localDir)));
  const { at: remote, copies } = await remoteState(container, prefix, options.copyFrom);
  const progress: UploadProgress = {
    filesDone: 0,
    filesTotal: files.length,
    bytesDone: 0,
    bytesTotal: files.reduce((n, f) => n + f.size, 0),
  };
  const result: UploadResult = { uploaded: 0, skipped: 0, copied: 0, bytes: 0 };
  const report = (): void => options.onProgress?.({ ...progress });

  await mapWithConcurrency(files, options.concurrency ?? 8, async (file) => {
    const blobName = blobNameFor(prefix, file.relativePath);
    /** The file is in place without a byte sent (already there, or copied within the account). */
    const inPlace = (how: 'skipped' | 'copied'): void => {
      result[how]++;
      progress.filesDone++;
      progress.bytesDone += file.size;
      report();
    };
    if (remote.get(blobName) === file.md5) return inPlace('skipped');
    const source = copies.get(contentKey(file.md5, file.size));
    if (source !== undefined && (await copiedWithin(container, source, blobName, file.md5, options))) return inPlace('copied');
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

/** One blob's MD5 as remoteBlobs reads it; undefined when absent. */
async function remoteMd5Of(container: ContainerClient, blobName: string): Promise<string | undefined> {
  const props = await container.getBlockBlobClient(blobName).getProperties().catch(() => undefined);
  return props && knownMd5(props);
}

/** Whether a blob exists: the output-file check before an invoke. */
export function blobExists(container: ContainerClient, blobName: string): Promise<boolean> {
  return container.getBlobClient(blobName).exists();
}
