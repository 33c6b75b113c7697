import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ArtifactPathError, resolveInsideRoot } from '../../src/azureml/artifacts-root';
import { environmentContentVersion, folderContentVersion } from '../../src/azureml/asset-version';
import { assetVersionSchema } from '../../src/domain/naming-rules';
import { fileMd5, hashLocalFiles, listLocalFiles } from '../../src/azureml/local-folder';
import { createFileHashCache, fileStamp, type FileStamp } from '../../src/azureml/file-hash-cache';
import { createHash } from 'node:crypto';

let root: string;
let outside: string;

beforeAll(async () => {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'a2-artifacts-'));
  root = path.join(base, 'artifacts');
  outside = path.join(base, 'outside');
  await fs.mkdir(path.join(root, 'model', 'sub'), { recursive: true });
  await fs.mkdir(outside, { recursive: true });
  await fs.writeFile(path.join(root, 'model', 'weights.bin'), 'weights');
  await fs.writeFile(path.join(root, 'model', 'sub', 'config.json'), '{"a":1}');
  await fs.writeFile(path.join(outside, 'secret.txt'), 'secret');
  await fs.symlink(outside, path.join(root, 'escape'));
  await fs.symlink(path.join(root, 'model'), path.join(root, 'model-link'));
});

afterAll(async () => {
  await fs.rm(path.dirname(root), { recursive: true, force: true });
});

describe('artifacts-root guard', () => {
  it('resolves a folder inside the root to its real path', async () => {
    await expect(resolveInsideRoot(root, 'model')).resolves.toBe(path.join(await fs.realpath(root), 'model'));
    await expect(resolveInsideRoot(root, 'model-link')).resolves.toBe(path.join(await fs.realpath(root), 'model'));
  });

  it.each([
    ['../outside', 'EscapesRoot'],
    ['model/../../outside', 'EscapesRoot'],
    ['escape', 'EscapesRoot'],
    ['escape/secret.txt', 'EscapesRoot'],
    ['/etc', 'AbsolutePath'],
    ['missing-folder', 'NotFound'],
  ])('refuses %s with %s', async (rel, code) => {
    const err = await resolveInsideRoot(root, rel).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactPathError);
    expect(err).toMatchObject({ code });
  });

  it('refuses a folder holding a link that leaves the root', async () => {
    const dir = path.join(root, 'leaky');
    await fs.mkdir(dir, { recursive: true });
    await fs.symlink(path.join(outside, 'secret.txt'), path.join(dir, 'innocent.txt'));
    await expect(listLocalFiles(dir, root)).rejects.toMatchObject({ code: 'EscapesRoot' });
  });
});

describe('local folder listing and hashing', () => {
  it('lists files recursively with forward-slash relative paths, sorted', async () => {
    const files = await listLocalFiles(path.join(root, 'model'), root);
    expect(files.map((f) => f.relativePath)).toEqual(['sub/config.json', 'weights.bin']);
    expect(files.find((f) => f.relativePath === 'weights.bin')?.size).toBe(7);
  });

  it('computes base64 MD5s as Content-MD5 carries them', async () => {
    const weights = (await listLocalFiles(path.join(root, 'model'), root)).find((f) => f.relativePath === 'weights.bin')!;
    await expect(fileMd5(weights)).resolves.toBe(
      createHash('md5').update('weights').digest('base64'),
    );
  });
});

describe('the hash cache', () => {
  const md5 = (text: string): string => createHash('md5').update(text).digest('base64');
  const stampOf = async (file: string): Promise<FileStamp> => fileStamp(await fs.stat(file, { bigint: true }));
  const listed = async (dir: string, name: string) => (await listLocalFiles(dir, root)).find((f) => f.relativePath === name)!;

  it('answers from the cache while the file keeps its identity, size and times, and reads it again once any changes', async () => {
    const dir = path.join(root, 'cached');
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, 'weights.bin');
    await fs.writeFile(file, 'aaaa');
    const cache = createFileHashCache();
    // What the cache holds is what is answered: a planted MD5 proves the file was not read.
    cache.remember(await stampOf(file), 'planted', Date.now() + 60_000);
    await expect(fileMd5(await listed(dir, 'weights.bin'), cache)).resolves.toBe('planted');
    await expect(hashLocalFiles([await listed(dir, 'weights.bin')], { cache })).resolves.toMatchObject([{ md5: 'planted' }]);

    // Same size, and the modification time put back: the status-change time still moved.
    const { mtime } = await fs.stat(file);
    await new Promise((r) => setTimeout(r, 20));
    await fs.writeFile(file, 'bbbb');
    await fs.utimes(file, mtime, mtime);
    await expect(fileMd5(await listed(dir, 'weights.bin'), cache)).resolves.toBe(md5('bbbb'));
  });

  it('does not remember a file that changed within the settle time before its hash began', async () => {
    const dir = path.join(root, 'fresh');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'a.txt'), 'just written');
    const settling = createFileHashCache({ settleMs: 60_000 });
    await expect(fileMd5(await listed(dir, 'a.txt'), settling)).resolves.toBe(md5('just written'));
    expect(settling.size).toBe(0);
    const settled = createFileHashCache({ settleMs: 0 });
    await new Promise((r) => setTimeout(r, 20));
    await expect(fileMd5(await listed(dir, 'a.txt'), settled)).resolves.toBe(md5('just written'));
    expect(settled.size).toBe(1);
  });

  it('forgets the least recently used files past its size', async () => {
    const cache = createFileHashCache({ maxEntries: 2 });
    const f = (key: string): FileStamp => ({ key, stamp: 's', changedAtMs: 0 });
    cache.remember(f('a'), 'A', 10_000);
    cache.remember(f('b'), 'B', 10_000);
    expect(cache.get(f('a'))).toBe('A');
    cache.remember(f('c'), 'C', 10_000);
    expect([cache.get(f('a')), cache.get(f('b')), cache.get(f('c'))]).toEqual(['A', undefined, 'C']);
  });
});

describe('content-derived asset versions', () => {
  it('gives an unchanged folder the same version and any change a new one', async () => {
    const files = await hashLocalFiles(await listLocalFiles(path.join(root, 'model'), root));
    const v1 = folderContentVersion(files);
    expect(folderContentVersion([...files].reverse())).toBe(v1);
    expect(assetVersionSchema.safeParse(v1).success).toBe(true);
    expect(folderContentVersion(files.map((f, i) => (i === 0 ? { ...f, md5: 'changed' } : f)))).not.toBe(v1);
    expect(folderContentVersion(files.map((f, i) => (i === 0 ? { ...f, relativePath: 'renamed.json' } : f)))).not.toBe(v1);
  });

  it('derives an environment version from its image and conda file', () => {
    const v = environmentContentVersion('img:1', 'deps: []');
    expect(environmentContentVersion('img:1', 'deps: []')).toBe(v);
    expect(environmentContentVersion('img:2', 'deps: []')).not.toBe(v);
    expect(environmentContentVersion('img:1', undefined)).not.toBe(v);
  });
});
