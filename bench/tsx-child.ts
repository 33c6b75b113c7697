// Runs a TypeScript entry of bench/ in its own `node --import tsx` process, tracked by the stack's
// process registry (nothing outlives the benchmark), and collects what it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { stopChild, trackChild } from '../sandbox/stack/processes';

export const REPO_ROOT = path.resolve(__dirname, '..');

export interface BenchChild {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** `entry`: a file of bench/ (relative) or any absolute path; compiled `.js` runs on plain node, `.ts` through tsx. */
export function spawnBenchChild(entry: string, args: readonly string[], env: Record<string, string> = {}): BenchChild {
  const file = path.resolve(__dirname, entry);
  const loader = file.endsWith('.js') ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...loader, file, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(process.env.HOME ? { HOME: process.env.HOME } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  if (child.pid === undefined) throw new Error(`could not start ${entry}`);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, pid: child.pid, stdout: () => out, stderr: () => err, exited, stop: () => stopChild(child, 'SIGTERM', 10_000) };
}

/** Runs the entry to completion and returns its last stdout line, parsed as JSON. */
export async function runBenchChildForJson(entry: string, args: readonly string[], env: Record<string, string> = {}): Promise<unknown> {
  const c = spawnBenchChild(entry, args, env);
  const code = await c.exited;
  if (code !== 0) throw new Error(`${entry} exited with ${code}: ${c.stderr().slice(-2000)}`);
  const last = c.stdout().trim().split('\n').pop() ?? '';
  return JSON.parse(last);
}
