// The local tools as a person at a terminal stops them: `npm run demo` and `npm run sandbox` get Ctrl-C
// (SIGINT to the whole process group, as a terminal sends it) and `npm run sandbox:azureml` gets SIGTERM
// on the npm process only (as a script or a supervisor stops it; npm does not pass it on). Each must stop
// its whole tree within 5 s, quietly, leaving no process behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { REPO_ROOT } from '../support/worker-process';

interface Run {
  child: ChildProcess;
  pid: number;
  out(): string;
  err(): string;
  exited: Promise<void>;
}

function npmRun(script: string, args: readonly string[]): Run {
  const child = spawn('npm', ['run', '--silent', script, '--', ...args], {
    cwd: REPO_ROOT,
    // Its own process group, like a job a terminal started: -pid addresses every process in it.
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(process.env.HOME ? { HOME: process.env.HOME } : {}) },
  });
  if (child.pid === undefined) throw new Error(`could not start npm run ${script}`);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, pid: child.pid, out: () => out, err: () => err, exited };
}

/** Every process descended from `root` (read from /proc, so it also sees children in other process groups). */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // Gone while we looked.
    }
  }
  const found: number[] = [];
  const walk = (pid: number): void => {
    for (const [child, parent] of parentOf) {
      if (parent !== pid) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(root);
  return found;
}

function alive(pid: number): boolean {
  try {
    // A zombie is dead for our purpose: it runs nothing and holds no port.
    return !/^\S+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function expectStoppedQuietly(run: Run, tree: number[], startedAt: number): Promise<void> {
  let exited = false;
  void run.exited.then(() => (exited = true));
  await until('npm to exit', () => exited, 5_000).catch(() => undefined);
  const tookMs = Date.now() - startedAt;
  const left = tree.filter(alive);
  // Clean up whatever is left before asserting, so a failure leaves nothing running.
  for (const pid of [run.pid, ...left]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  expect({ exited, left }).toEqual({ exited: true, left: [] });
  expect(tookMs).toBeLessThan(5_000);
  const errLines = run.err().split('\n').filter((l) => l.trim());
  expect(errLines.length).toBeLessThanOrEqual(3);
  expect(run.err()).not.toMatch(/ECONNREFUSED|SIGINT again/);
}

/** Starts `script`, waits for `ready` in its output, then sends one Ctrl-C to its whole process group. */
async function ctrlCStopsQuietly(script: string, ready: { what: string; text: string }, afterReady?: (run: ReturnType<typeof npmRun>) => void): Promise<void> {
  const run = npmRun(script, ['--time-scale', '0.05']);
  await until(ready.what, () => run.out().includes(ready.text), 45_000);
  afterReady?.(run);
  const tree = descendants(run.pid);
  expect(tree.length).toBeGreaterThanOrEqual(3);
  const startedAt = Date.now();
  process.kill(-run.pid, 'SIGINT');
  await expectStoppedQuietly(run, tree, startedAt);
}

it('npm run demo stops within 5 s on one Ctrl-C to its process group, quietly, leaving nothing running', async () => {
  await ctrlCStopsQuietly('demo', { what: 'the demo to start its stack', text: 'Slack workspace:' });
}, 70_000);

it('npm run sandbox stops within 5 s on one Ctrl-C to its process group, quietly, leaving nothing running', async () => {
  await ctrlCStopsQuietly('sandbox', { what: 'the console to be ready', text: 'Ready.' }, (run) => run.child.stdin?.write('deploy\n'));
}, 70_000);

it('npm run sandbox:azureml stopped by SIGTERM to the npm process alone leaves neither the sandbox nor Azurite running', async () => {
  const run = npmRun('sandbox:azureml', ['--time-scale', '0.01']);
  await until('the sandbox to print its connection line', () => run.out().includes('baseUrl'), 45_000);
  const tree = descendants(run.pid);
  expect(tree.length).toBeGreaterThanOrEqual(2);
  // npm alone, as a script's `kill $pid` or a supervisor does it; npm does not pass the signal on.
  process.kill(run.pid, 'SIGTERM');
  await run.exited;
  const startedAt = Date.now();
  await until('the sandbox tree to stop', () => tree.every((pid) => !alive(pid)), 5_000).catch(() => undefined);
  const left = tree.filter(alive);
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  expect(left).toEqual([]);
  expect(Date.now() - startedAt).toBeLessThan(5_000);
}, 70_000);

it('npm run sandbox:azureml says at start what time scale it runs at and how to change it', async () => {
  const run = npmRun('sandbox:azureml', []);
  await until('the sandbox to print its connection line', () => run.out().includes('baseUrl'), 45_000);
  await until('the note on the time scale', () => run.err().includes('\n'), 5_000).catch(() => undefined);
  const tree = descendants(run.pid);
  process.kill(-run.pid, 'SIGTERM');
  await run.exited;
  await until('the sandbox tree to stop', () => tree.every((pid) => !alive(pid)), 5_000).catch(() => undefined);
  expect(run.err()).toMatch(/time scale 1: real Azure durations.*--time-scale 0\.01/);
}, 70_000);
