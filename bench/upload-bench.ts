// `upload`: the datastore upload the deploy does (src/azureml/uploads.ts uploadFolder: MD5s, several
// files in flight, several blocks in flight per large file) against sequential one-file-at-a-time,
// one-block-at-a-time upload, as a shell loop of `az storage blob upload` calls amounts to, to the same
// Azurite in the same run. Two shapes: a model folder of 500 files (4 KB-200 KB, like a tokenizer or a
// sharded checkpoint's side files) and one 500 MB file (a checkpoint). Files live in a temp dir that is
// deleted afterwards. To tell whether the bot or Azurite is the limit for the small files, Azurite is also
// measured alone: the same 500 blobs from memory (no disk, no MD5) at 1, 8 and 32 in flight, with the CPU
// time the Azurite process spent (it is one Node process, so one core is its ceiling).
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { mapWithConcurrency } from '../src/azureml/bounded-concurrency';
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

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
async function cpuSecondsOf(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  // After the command: state is field 3, utime 14, stime 15 (1-based), in clock ticks (100 per second).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Azurite alone: the same blobs from memory, `inFlight` at a time. Returns wall and Azurite CPU seconds. */
async function azuriteAlone(container: ContainerClient, pid: number, blobs: Array<{ name: string; data: Buffer }>, inFlight: number, prefix: string): Promise<{ wall: number; cpu: number }> {
  const cpu0 = await cpuSecondsOf(pid);
  const wall = await timed(() => mapWithConcurrency(blobs, inFlight, (b) => container.getBlockBlobClient(`${prefix}/${b.name}`).upload(b.data, b.data.length)));
  return { wall, cpu: (await cpuSecondsOf(pid)) - cpu0 };
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
    log('upload: Azurite alone (500 blobs from memory at 1, 8 and 32 in flight)');
    const blobs = await Promise.all((await filesUnder(smallDir)).map(async (f) => ({ name: path.relative(smallDir, f).split(path.sep).join('/'), data: await readFile(f) })));
    const alone: Record<number, { wall: number; cpu: number }> = {};
    for (const inFlight of [1, 8, 32]) alone[inFlight] = await azuriteAlone(container, azurite.pid, blobs, inFlight, `alone-${inFlight}`);
    const oursCpu0 = await cpuSecondsOf(azurite.pid);
    const oursAgain = await timed(() => uploadFolder({ container, localDir: smallDir, prefix: 'ours-cpu/small' }));
    const oursAzuriteCpu = (await cpuSecondsOf(azurite.pid)) - oursCpu0;
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
        azurite_alone_best_s: round(Math.min(...Object.values(alone).map((r) => r.wall))),
        upload_folder_small_s: round(s.smallOurs),
      },
      tables: [
        {
          title: 'Who limits the 500-file upload: Azurite alone (blobs from memory) beside uploadFolder, seconds',
          columns: ['who', 'in flight', 'wall s', 'Azurite CPU s', 'Azurite CPU share of wall'],
          rows: [
            ...[1, 8, 32].map((n) => ['Azurite alone', n, round(alone[n]!.wall), round(alone[n]!.cpu), round(alone[n]!.cpu / alone[n]!.wall)]),
            ['uploadFolder (disk, MD5)', 8, round(oursAgain), round(oursAzuriteCpu), round(oursAzuriteCpu / oursAgain)],
          ],
        },
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
        azuriteAlone: Object.fromEntries(Object.entries(alone).map(([n, r]) => [n, { wallS: round(r.wall), azuriteCpuS: round(r.cpu) }])),
        uploadFolderAzuriteCpuS: round(oursAzuriteCpu),
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
