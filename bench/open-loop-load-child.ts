// Entry of the load-generator process: reads a LoadPlan (JSON file named by argv[2]), runs it, prints
// the LoadResult as one JSON line on stdout.
import { readFile } from 'node:fs/promises';
import { runOpenLoop } from './open-loop-load';

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: open-loop-load-child.ts <plan.json>');
  const result = await runOpenLoop(JSON.parse(await readFile(file, 'utf8')));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
