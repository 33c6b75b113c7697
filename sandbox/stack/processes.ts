// Every child process a launcher starts is registered here, so that nothing outlives the Node process
// that started it: on normal exit the remaining children get SIGTERM synchronously (the 'exit' event
// allows no async work), and entry points can opt into the same cleanup on SIGINT/SIGTERM.
import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();
let exitHookInstalled = false;

function killRemainingSync(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        // Already gone: nothing left to stop.
      }
    }
  }
  children.clear();
}

/** Tracks a child until it exits; it is killed if this process exits first. */
export function trackChild(child: ChildProcess): void {
  if (!exitHookInstalled) {
    process.once('exit', killRemainingSync);
    exitHookInstalled = true;
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** How many tracked children are still running (tests assert that it returns to zero). */
export function runningChildCount(): number {
  return children.size;
}

/** Resolves when the child has exited; sends SIGKILL if it is still running after `graceMs`. */
export function waitForExit(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Sends `signal` and resolves once the child is gone (escalating to SIGKILL after `graceMs`). */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = waitForExit(child, graceMs);
  child.kill(signal);
  await exited;
}

/**
 * For entry points (CLIs, the demo): on SIGINT/SIGTERM run `cleanup` once, then exit with the
 * conventional 128+signal code. Libraries never call this, because a signal handler replaces
 * Node's default "exit on signal" behaviour for the whole process.
 */
export function stopOnSignals(cleanup: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    const code = 128 + (signal === 'SIGINT' ? 2 : 15);
    cleanup()
      .catch((err: unknown) => {
        process.stderr.write(`cleanup after ${signal} failed: ${String(err)}\n`);
      })
      .finally(() => {
        killRemainingSync();
        process.exit(code);
      });
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  stopWhenParentGoes(() => handler('SIGTERM'));
}

/**
 * Signals do not always arrive: `npm run x` stopped by SIGTERM to npm alone ends npm and its shell
 * without passing the signal on, and a parent killed with SIGKILL says nothing. So an entry point also
 * watches its parent: once the parent process is gone (this process is re-parented), it stops as if it
 * got SIGTERM. Polling process.ppid is portable and costs nothing (an unref'd timer twice a second).
 */
export function stopWhenParentGoes(stop: () => void, intervalMs = 500): void {
  const parent = process.ppid;
  if (parent <= 1) return; // Started by init or a container's entry: nothing to watch.
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, intervalMs);
  timer.unref();
}
