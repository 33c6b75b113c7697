// A local folder as a sorted list of files with their sizes and MD5s: what the uploader compares with the
// blob listing, and what the content-derived asset version is computed from. Files are hashed as streams.
//
// A path check and a later read are two steps, and `realpath` cannot see hard links: `ln /outside/secret
// <root>/models/x/notes.txt` is a plain file inside the root. So the walk records each file's device and
// inode and refuses files with more than one link (unless the operator allows them), and every read
// opens the file with O_NOFOLLOW and checks that the opened file is the one the walk saw: a file swapped
// for a symlink (or another file) between the walk and the read is refused, not followed.
import { createHash } from 'node:crypto';
import { constants as fsConstants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ArtifactPathError, isInside } from './artifacts-root';
import { mapWithConcurrency } from './bounded-concurrency';
import { fileStamp, type FileHashCache, type FileStamp } from './file-hash-cache';

export interface LocalFile {
  /** Forward-slash path relative to the folder: also the blob name under the upload prefix. */
  relativePath: string;
  absolutePath: string;
  size: number;
  /** Identity of the file the walk saw: a read must open this very file. */
  dev: number;
  ino: number;
}

export interface ListLocalFilesOptions {
  /** Accept files with more than one hard link (BATCH_SCORE_ALLOW_HARD_LINKS); default refuse. */
  allowHardLinks?: boolean;
}

export interface HashedLocalFile extends LocalFile {
  /** MD5 of the content, base64 as Content-MD5 carries it. */
  md5: string;
}

/**
 * Lists regular files under `dir` recursively, sorted by relative path. Symlinks are followed only while
 * their real path stays inside `root` (default `dir`); one that leaves it is an ArtifactPathError.
 */
export async function listLocalFiles(dir: string, root: string = dir, options: ListLocalFilesOptions = {}): Promise<LocalFile[]> {
  const realRoot = await fs.realpath(root);
  const out: LocalFile[] = [];
  const seenDirs = new Set<string>();
  async function walk(abs: string, rel: string): Promise<void> {
    const realDir = await fs.realpath(abs);
    if (seenDirs.has(realDir)) return; // a link back up the tree
    seenDirs.add(realDir);
    const entries = await fs.readdir(abs, { withFileTypes: true });
    for (const entry of entries) {
      const childAbs = path.join(abs, entry.name);
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      let target = childAbs;
      if (entry.isSymbolicLink()) {
        target = await fs.realpath(childAbs);
        if (!isInside(realRoot, target)) {
          throw new ArtifactPathError('EscapesRoot', `"${childRel}" is a link to a place outside the artifacts folder`, childRel);
        }
      }
      const stat = await fs.stat(target);
      if (stat.isDirectory()) await walk(target, childRel);
      else if (stat.isFile()) {
        if (stat.nlink > 1 && !options.allowHardLinks) {
          throw new ArtifactPathError(
            'HardLink',
            `"${childRel}" has more than one hard link, so it may be a file from outside the artifacts folder; copy it instead of linking it`,
            childRel,
          );
        }
        out.push({ relativePath: childRel, absolutePath: target, size: stat.size, dev: stat.dev, ino: stat.ino });
      }
    }
  }
  await walk(dir, '');
  return out.sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
}

/**
 * Opens the file the walk listed, never following a symlink at its last component, and checks (fstat)
 * that it is the same regular file (device and inode). The caller closes the handle.
 */
export async function openListedFile(file: Pick<LocalFile, 'relativePath' | 'absolutePath' | 'dev' | 'ino'>): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await fs.open(file.absolutePath, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw changed(file.relativePath);
    throw err;
  }
  const stat = await handle.stat().catch(async (err: unknown) => {
    await handle.close();
    throw err;
  });
  if (!stat.isFile() || stat.dev !== file.dev || stat.ino !== file.ino) {
    await handle.close();
    throw changed(file.relativePath);
  }
  return handle;
}

function changed(relativePath: string): ArtifactPathError {
  return new ArtifactPathError('ChangedDuringRead', `"${relativePath}" changed while it was being read (replaced or turned into a link); nothing was uploaded from it`, relativePath);
}

/** The file's MD5 (base64); with a cache, a file unchanged since it was last hashed is not read again. */
export async function fileMd5(file: Pick<LocalFile, 'relativePath' | 'absolutePath' | 'dev' | 'ino'>, cache?: FileHashCache): Promise<string> {
  const startedAt = Date.now();
  const handle = await openListedFile(file);
  let stamp: FileStamp | undefined;
  if (cache) {
    try {
      stamp = fileStamp(await handle.stat({ bigint: true }));
    } catch (err) {
      await handle.close();
      throw err;
    }
    const known = cache.get(stamp);
    if (known !== undefined) {
      await handle.close();
      return known;
    }
  }
  const md5 = await new Promise<string>((resolve, reject) => {
    const hash = createHash('md5');
    handle
      .createReadStream()
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('base64')));
  });
  if (cache && stamp) cache.remember(stamp, md5, startedAt);
  return md5;
}

export interface HashLocalFilesOptions {
  /** Files read at once (default 4). */
  concurrency?: number;
  /** MD5s already known for unchanged files (file-hash-cache.ts). */
  cache?: FileHashCache;
}

export async function hashLocalFiles(files: readonly LocalFile[], options: HashLocalFilesOptions = {}): Promise<HashedLocalFile[]> {
  return mapWithConcurrency(files, options.concurrency ?? 4, async (f) => ({ ...f, md5: await fileMd5(f, options.cache) }));
}
