// `storage`: Azurite alone as its store grows. At thousands of scoring jobs the sandbox's Azurite holds
// tens of thousands of log and output blobs, and every ended job's outcome is a ranged read of one of them
// (job_progress_overview.txt): the watch benchmark's replies wait on those reads. Here nothing but Azurite:
// blobs named like a run's logs are added in steps of STEP, and after each step 200 of them are read the
// way the outcome reads them (one ranged GET each, 20 in flight). Twice: Azurite keeping its store on disk
// (as the sandbox runs it) and in memory (`--inMemoryPersistence`), to tell the disk from its own index.
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '../sandbox/stack/azurite';
import { mapWithConcurrency } from '../src/azureml/bounded-concurrency';
import type { BenchOutcome } from './bench-report';
import { round } from './latency-stats';

const STEP = 2_500;
const STEPS = 6;
const READS = 200;
const LOG_BYTES = 300;

interface Point {
  blobs: number;
  uploadS: number;
  readsMs: number;
}

async function grow(mode: 'disk' | 'memory', log: (line: string) => void): Promise<Point[]> {
  const azurite = await startAzurite({ inMemory: mode === 'memory' });
  try {
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('azureml');
    await container.createIfNotExists();
    const body = 'x'.repeat(LOG_BYTES);
    const points: Point[] = [];
    for (let step = 0; step < STEPS; step++) {
      const names = Array.from({ length: STEP }, (_, i) => `ExperimentRun/dcid.run-${step * STEP + i}/logs/job_progress_overview.txt`);
      const uploadStarted = Date.now();
      await mapWithConcurrency(names, 32, (name) => container.getBlockBlobClient(name).upload(body, LOG_BYTES));
      const uploadS = (Date.now() - uploadStarted) / 1000;
      const readsStarted = Date.now();
      await mapWithConcurrency(names.slice(0, READS), 20, async (name) => (await container.getBlobClient(name).download(0, 4_096)).readableStreamBody?.resume());
      const point = { blobs: (step + 1) * STEP, uploadS: round(uploadS, 1), readsMs: Date.now() - readsStarted };
      log(`storage (${mode}): ${point.blobs} blobs: the last ${STEP} uploaded in ${point.uploadS} s, ${READS} ranged reads ${point.readsMs} ms`);
      points.push(point);
    }
    return points;
  } finally {
    await azurite.stop();
  }
}

export async function runStorageBench(log: (line: string) => void): Promise<BenchOutcome> {
  const disk = await grow('disk', log);
  const memory = await grow('memory', log);
  const first = disk[0]!;
  const last = disk[disk.length - 1]!;
  return {
    summary: {
      reads_ms_first_step: first.readsMs,
      reads_ms_last_step: last.readsMs,
      reads_slowdown: round(last.readsMs / Math.max(1, first.readsMs), 1),
      in_memory_reads_ms_last_step: memory[memory.length - 1]!.readsMs,
    },
    tables: [
      {
        title: `Azurite alone as its store grows (${STEP} log blobs a step, 32 uploads in flight; ${READS} ranged reads, 20 in flight)`,
        columns: ['blobs', 'disk: step uploaded s', `disk: ${READS} reads ms`, 'memory: step uploaded s', `memory: ${READS} reads ms`],
        rows: disk.map((d, i) => [d.blobs, d.uploadS, d.readsMs, memory[i]?.uploadS ?? '', memory[i]?.readsMs ?? '']),
      },
    ],
    details: { step: STEP, reads: READS, logBytes: LOG_BYTES, disk, memory },
  };
}
