// The artifacts-root guard: model and code folders named in Slack are relative to one configured root, and
// must stay inside it. `..`, absolute paths and symlinks whose real path leaves the root are refused with
// a typed error before anything is read or uploaded.
import { promises as fs } from 'node:fs';
import path from 'node:path';

export type ArtifactPathErrorCode = 'AbsolutePath' | 'EscapesRoot' | 'NotFound' | 'HardLink' | 'ChangedDuringRead';

export class ArtifactPathError extends Error {
  override readonly name = 'ArtifactPathError';
  constructor(
    readonly code: ArtifactPathErrorCode,
    message: string,
    readonly relativePath: string,
  ) {
    super(message);
  }
}

/** True when `candidate` is `root` or below it (both absolute and normalised). */
export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Resolves `relativePath` under `root` and returns its real path. Refuses absolute paths, any path that
 * leaves the root lexically (`a/../../b`), and any symlink on the way whose target lies outside the root.
 */
export async function resolveInsideRoot(root: string, relativePath: string): Promise<string> {
  if (path.isAbsolute(relativePath) || path.win32.isAbsolute(relativePath)) {
    throw new ArtifactPathError('AbsolutePath', `"${relativePath}" is an absolute path; give a path relative to the artifacts folder`, relativePath);
  }
  const realRoot = await fs.realpath(root);
  const lexical = path.resolve(realRoot, relativePath);
  if (!isInside(realRoot, lexical)) {
    throw new ArtifactPathError('EscapesRoot', `"${relativePath}" leaves the artifacts folder; remove the ".." parts`, relativePath);
  }
  let real: string;
  try {
    real = await fs.realpath(lexical);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ArtifactPathError('NotFound', `"${relativePath}" does not exist in the artifacts folder`, relativePath);
    }
    throw err;
  }
  if (!isInside(realRoot, real)) {
    throw new ArtifactPathError('EscapesRoot', `"${relativePath}" is a link to a place outside the artifacts folder`, relativePath);
  }
  return real;
}
