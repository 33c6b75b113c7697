// A local folder as a sorted list of files with their sizes and MD5s: what the uploader compares with the
// blob listing, and what the content-derived asset version is computed from. Files are hashed as streams.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { ArtifactPathError, isInside } from './artifacts-root';
import { mapWithConcurrency } from './bounded-concurrency';

export interface LocalFile {
  /** Forward-slash path relative to the folder: also the blob name under the upload prefix. */
  relativePath: string;
  absolutePath: string;
  size: number;
}

export interface HashedLocalFile extends LocalFile {
  /** MD5 of the content, base64 as Content-MD5 carries it. */
  md5: string;
}

/**
 * Lists regular files under `dir` recursively, sorted by relative path. Symlinks are followed only while
 * their real path stays inside `root` (default `dir`); one that leaves it is an ArtifactPathError.
 */
export async function listLocalFiles(dir: string, root: string = dir): Promise<LocalFile[]> {
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
      else if (stat.isFile()) out.push({ relativePath: childRel, absolutePath: target, size: stat.size });
    }
  }
  await walk(dir, '');
  return out.sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
}

export function fileMd5(absolutePath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('md5');
    createReadStream(absolutePath)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('base64')));
  });
}

export async function hashLocalFiles(files: readonly LocalFile[], concurrency = 4): Promise<HashedLocalFile[]> {
  return mapWithConcurrency(files, concurrency, async (f) => ({ ...f, md5: await fileMd5(f.absolutePath) }));
}
