// `upload`: the datastore upload the deploy does (src/azureml/uploads.ts uploadFolder: MD5s, several
// files in flight, several blocks in flight per large file) against sequential one-file-at-a-time,
// one-block-at-a-time upload, as a shell loop of `az storage blob upload` calls amounts to, to the same
// Azurite in the same run. Two shapes: a model folder of 500 files (4 KB-200 KB, like a tokenizer or a
// sharded checkpoint's side files) and one 500 MB file (a checkpoint). Files live in a temp dir that is
// deleted afterwards.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite } from '../sandbox/stack/azurite';
import { hashLocalFiles, listLocalFiles } from '../src/azureml/local-folder';
import { uploadFolder } from '../src/azureml/uploads';
import type { BenchOutcome } from './bench-report';
import { round } from './latency-stats';

const SMALL_FILES = 500;
const BIG_FILE_BYTES = 500 * 1024 * 1024;
const FOUR_MIB = 4 * 1024 * 1024;
const MB = 1e6;

async function writeSmallFiles(dir: string): Promise<number> {
  await mkdir(dir, { recursive: true });
  let bytes = 0;
  for (let i = 0; i < SMALL_FILES; i++) {
    // Sizes spread deterministically over 4 KB-200 KB, in a few sub-folders as real model folders have.
    const size = 4_096 + ((i * 7_919) % 196_000);
    const sub = path.join(dir, `part-${i % 5}`);
    await mkdir(sub, { recursive: true });
    await writeFile(path.join(sub, `file-${String(i).padStart(3, '0')}.bin`), randomBytes(size));
    bytes += size;
  }
  return bytes;
}

async function writeBigFile(file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  const chunk = randomBytes(FOUR_MIB);
  for (let written = 0; written < BIG_FILE_BYTES; written += chunk.length) {
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort();
}

/** The baseline: one file after another, one block after another. */
async function uploadSequentially(container: ContainerClient, dir: string, prefix: string): Promise<void> {
  for (const file of await filesUnder(dir)) {
    const name = `${prefix}/${path.relative(dir, file).split(path.sep).join('/')}`;
    await container.getBlockBlobClient(name).uploadFile(file, { blockSize: FOUR_MIB, maxSingleShotSize: FOUR_MIB, concurrency: 1 });
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

export async function runUploadBench(log: (line: string) => void): Promise<BenchOutcome> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bsb-upload-'));
  const azurite = await startAzurite();
  try {
    const smallDir = path.join(dir, 'model-folder');
    const bigDir = path.join(dir, 'checkpoint');
    log('upload: writing 500 files and one 500 MB file');
    const smallBytes = await writeSmallFiles(smallDir);
    await writeBigFile(path.join(bigDir, 'model.ckpt'));
    const bigBytes = (await stat(path.join(bigDir, 'model.ckpt'))).size;
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('bench');
    await container.create();

    // Each shape twice, alternating who goes first, so disk caches and Azurite's warm-up favour neither.
    const seconds = { smallOurs: [] as number[], smallSeq: [] as number[], bigOurs: [] as number[], bigSeq: [] as number[] };
    for (let round_ = 0; round_ < 2; round_++) {
      log(`upload: round ${round_ + 1} of 2`);
      const ours = () => timed(() => uploadFolder({ container, localDir: smallDir, prefix: `ours-${round_}/small` }));
      const seq = () => timed(() => uploadSequentially(container, smallDir, `seq-${round_}/small`));
      const oursBig = () => timed(() => uploadFolder({ container, localDir: bigDir, prefix: `ours-${round_}/big` }));
      const seqBig = () => timed(() => uploadSequentially(container, bigDir, `seq-${round_}/big`));
      if (round_ === 0) {
        seconds.smallOurs.push(await ours());
        seconds.smallSeq.push(await seq());
        seconds.bigSeq.push(await seqBig());
        seconds.bigOurs.push(await oursBig());
      } else {
        seconds.smallSeq.push(await seq());
        seconds.smallOurs.push(await ours());
        seconds.bigOurs.push(await oursBig());
        seconds.bigSeq.push(await seqBig());
      }
    }
    // uploadFolder reads every file twice (MD5 first, for skipping unchanged blobs, then the upload): the
    // hashing alone, timed on its own, tells how much of its time that first read is.
    const hashSeconds = { small: await timed(async () => hashLocalFiles(await listLocalFiles(smallDir))), big: await timed(async () => hashLocalFiles(await listLocalFiles(bigDir))) };
    const best = (xs: number[]): number => Math.min(...xs);
    const s = { smallOurs: best(seconds.smallOurs), smallSeq: best(seconds.smallSeq), bigOurs: best(seconds.bigOurs), bigSeq: best(seconds.bigSeq) };
    const oursSeconds = s.smallOurs + s.bigOurs;
    const seqSeconds = s.smallSeq + s.bigSeq;
    return {
      summary: {
        speedup_vs_sequential: round(seqSeconds / oursSeconds),
        mb_per_s: round((smallBytes + bigBytes) / MB / oursSeconds, 1),
      },
      tables: [
        {
          title: 'Upload to the datastore (Azurite), best of 2 rounds, seconds',
          columns: ['shape', 'MB', 'uploadFolder', 'of which MD5', 'sequential', 'speedup', 'ours MB/s', 'seq MB/s'],
          rows: [
            ['500 files', round(smallBytes / MB, 1), round(s.smallOurs), round(hashSeconds.small), round(s.smallSeq), round(s.smallSeq / s.smallOurs), round(smallBytes / MB / s.smallOurs, 1), round(smallBytes / MB / s.smallSeq, 1)],
            ['one 500 MB file', round(bigBytes / MB, 1), round(s.bigOurs), round(hashSeconds.big), round(s.bigSeq), round(s.bigSeq / s.bigOurs), round(bigBytes / MB / s.bigOurs, 1), round(bigBytes / MB / s.bigSeq, 1)],
            ['both', round((smallBytes + bigBytes) / MB, 1), round(oursSeconds), round(hashSeconds.small + hashSeconds.big), round(seqSeconds), round(seqSeconds / oursSeconds), round((smallBytes + bigBytes) / MB / oursSeconds, 1), round((smallBytes + bigBytes) / MB / seqSeconds, 1)],
          ],
        },
      ],
      details: {
        rounds: seconds,
        md5Seconds: { small: round(hashSeconds.small), big: round(hashSeconds.big) },
        smallFolderSpeedup: round(s.smallSeq / s.smallOurs),
        bigFileSpeedup: round(s.bigSeq / s.bigOurs),
        note: 'MB = 10^6 bytes; uploadFolder times include hashing every file (MD5), the baseline hashes nothing',
      },
    };
  } finally {
    await azurite.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
