// `npm run bench` (all) or `npm run bench -- <name>`: runs benchmarks against the local stack only
// (127.0.0.1), prints each one's tables and writes bench/results/<name>.json. Not a test: CI does not
// run it; every benchmark is bounded in count and time and stops what it started.
import { stopOnSignals } from '../sandbox/stack/processes';
import { runAckBench } from './ack-bench';
import { BENCH_NAMES, benchNameSchema, formatTable, writeReport, type BenchName, type BenchOutcome } from './bench-report';
import { runDeployBench } from './deploy-bench';
import { runFanoutBench } from './fanout-bench';
import { runStorageBench } from './storage-bench';
import { runUploadBench } from './upload-bench';
import { runWatchBench } from './watch-bench';

const BENCHES: Record<BenchName, (log: (line: string) => void) => Promise<BenchOutcome>> = {
  ack: runAckBench,
  deploy: runDeployBench,
  watch: runWatchBench,
  upload: runUploadBench,
  fanout: runFanoutBench,
  storage: runStorageBench,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const names = args.length === 0 ? [...BENCH_NAMES] : args.map((a) => {
    const parsed = benchNameSchema.safeParse(a);
    if (!parsed.success) throw new Error(`unknown benchmark '${a}'; choose from ${BENCH_NAMES.join(', ')}`);
    return parsed.data;
  });
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  for (const name of names) {
    const startedAt = new Date();
    log(`== ${name} ==`);
    const report = await writeReport(name, await BENCHES[name](log), startedAt);
    process.stdout.write(`\n${report.tables.map(formatTable).join('\n\n')}\n\nsummary ${name}: ${JSON.stringify(report.summary)}  (${report.durationS} s, bench/results/${name}.json)\n`);
  }
}

// Ctrl-C: the stack's children (redis-server, Azurite) are stopped by the process registry.
stopOnSignals(async () => undefined);
main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
