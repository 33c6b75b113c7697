// Content-derived asset versions. Asset versions are immutable in Azure ML, so an uploaded folder's default
// version is a short hash of its content (sorted relative paths and file MD5s): re-deploying unchanged
// files reuses the same version, and any change yields a new one instead of a conflicting PUT.
import { createHash } from 'node:crypto';

/** 16 hex characters (64 bits): collisions are not a practical concern within one asset name. */
const LENGTH = 16;

export function folderContentVersion(files: ReadonlyArray<{ relativePath: string; md5: string }>): string {
  const hash = createHash('sha256');
  const sorted = [...files].sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
  for (const f of sorted) hash.update(`${f.relativePath}\0${f.md5}\n`);
  return hash.digest('hex').slice(0, LENGTH);
}

/** An environment's identity is its image and conda file. */
export function environmentContentVersion(image: string, condaFile: string | undefined): string {
  return createHash('sha256')
    .update(`image\0${image}\nconda\0${condaFile ?? ''}\n`)
    .digest('hex')
    .slice(0, LENGTH);
}
