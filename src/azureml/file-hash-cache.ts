// The MD5s of local files already read, so a deploy hashes its folders once: the plan hashes them when it
// is made, the plan guard again right before the change, and the upload step a third time (a 150 MB
// checkpoint is about half a second each on two cores; a 5 GB model, many seconds).
//
// A file is the same when its device and inode, size, modification and status-change times (ns) are the
// same, as git's index decides. The status-change time cannot be set by a user, so a rewrite that restores
// the modification time is still seen. File timestamps come from a coarse clock: a file written within the
// same tick after it was hashed could keep its stamp, so a file changed less than `settleMs` before its
// hash began is hashed again next time rather than remembered (git's "racily clean" entries).
import type { BigIntStats } from 'node:fs';

export interface FileStamp {
  /** Device and inode, exactly (bigint stat). */
  key: string;
  /** Size, mtime and ctime in ns. */
  stamp: string;
  /** Status-change time in ms, to tell a file that has settled. */
  changedAtMs: number;
}

/** The stamp of a file from its stat (bigint, for exact inodes and ns times). */
export function fileStamp(st: Pick<BigIntStats, 'dev' | 'ino' | 'size' | 'mtimeNs' | 'ctimeNs'>): FileStamp {
  return { key: `${st.dev}:${st.ino}`, stamp: `${st.size}:${st.mtimeNs}:${st.ctimeNs}`, changedAtMs: Number(st.ctimeNs / 1_000_000n) };
}

export interface FileHashCache {
  /** The MD5 remembered for this file at this stamp, if any. */
  get(file: FileStamp): string | undefined;
  /** Remembers the MD5 of a file whose hash began at `hashStartedAtMs`. */
  remember(file: FileStamp, md5: string, hashStartedAtMs: number): void;
  readonly size: number;
}

export interface FileHashCacheOptions {
  /** Files remembered at most; the least recently used go first (default 20,000: a few MB). */
  maxEntries?: number;
  /** How long before its hash began a file must have last changed to be remembered (default 1 s). */
  settleMs?: number;
}

export function createFileHashCache(options: FileHashCacheOptions = {}): FileHashCache {
  const maxEntries = options.maxEntries ?? 20_000;
  const settleMs = options.settleMs ?? 1_000;
  // Map keeps insertion order: re-inserting on use makes its first key the least recently used.
  const entries = new Map<string, { stamp: string; md5: string }>();
  return {
    get(file) {
      const entry = entries.get(file.key);
      if (!entry || entry.stamp !== file.stamp) return undefined;
      entries.delete(file.key);
      entries.set(file.key, entry);
      return entry.md5;
    },
    remember(file, md5, hashStartedAtMs) {
      if (file.changedAtMs > hashStartedAtMs - settleMs) return;
      entries.delete(file.key);
      entries.set(file.key, { stamp: file.stamp, md5 });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    get size() {
      return entries.size;
    },
  };
}
