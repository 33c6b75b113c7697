// What every benchmark produces: a flat `summary` of the figures the issue asks for (the contract
// bench/results/<name>.json keeps), the rows of the table printed to the console, and anything else
// worth keeping for a reader under `details`.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { machineInfo, type MachineInfo } from './machine-info';

export const BENCH_NAMES = ['ack', 'deploy', 'watch', 'upload', 'fanout', 'storage'] as const;
export const benchNameSchema = z.enum(BENCH_NAMES);
export type BenchName = z.infer<typeof benchNameSchema>;

/** Flat figures only: a dashboard or a regression check reads them without knowing the benchmark. */
export const benchSummarySchema = z.record(z.string(), z.number());
export type BenchSummary = z.infer<typeof benchSummarySchema>;

export interface BenchTable {
  title: string;
  columns: string[];
  rows: Array<Array<string | number>>;
}

export interface BenchOutcome {
  summary: BenchSummary;
  tables: BenchTable[];
  details?: Record<string, unknown>;
}

export interface BenchReport extends BenchOutcome {
  name: BenchName;
  startedAt: string;
  durationS: number;
  machine: MachineInfo;
  command: string;
}

export const RESULTS_DIR = path.join(__dirname, 'results');

export function formatTable(table: BenchTable): string {
  const cells = [table.columns, ...table.rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const widths = table.columns.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: Array<string | number>): string => r.map((c, i) => String(c).padStart(widths[i]!)).join('  ');
  return [table.title, line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Number.isInteger(n) ? String(n) : n.toFixed(Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2);
}

export async function writeReport(name: BenchName, outcome: BenchOutcome, startedAt: Date): Promise<BenchReport> {
  const report: BenchReport = {
    name,
    summary: benchSummarySchema.parse(outcome.summary),
    startedAt: startedAt.toISOString(),
    durationS: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
    machine: machineInfo(),
    command: `npm run bench -- ${name}`,
    tables: outcome.tables,
    ...(outcome.details ? { details: outcome.details } : {}),
  };
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(path.join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}
