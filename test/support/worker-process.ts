// Child processes for tests: `src/main.ts` (or any TypeScript entry) run through tsx's loader in a plain
// `node` process, so the pid we hold is the process that gets our signals. Children see only the
// environment we give them (plus PATH and HOME), never the test runner's, so a stray AZURE_* variable on
// the machine cannot change how they authenticate. Every child is tracked by sandbox/stack/processes.ts:
// nothing outlives the test process.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { stopChild, trackChild } from '../../sandbox/stack/processes';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const MAIN_ENTRY = path.join(REPO_ROOT, 'src', 'main.ts');

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface TsxChild {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the process's exit. */
  exited: Promise<ChildExit>;
  /** Resolves once stdout or stderr matches; rejects on timeout or if the child exits first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends `signal` (default SIGTERM) and waits for the exit (SIGKILL after the grace period). */
  stop(signal?: NodeJS.Signals): Promise<ChildExit>;
}

/** The identity a child needs to get sandbox tokens through DefaultAzureCredential (App Service protocol). */
export function managedIdentityEnv(azureml: { identityEndpoint: string; identityHeader: string }): Record<string, string> {
  return { IDENTITY_ENDPOINT: azureml.identityEndpoint, IDENTITY_HEADER: azureml.identityHeader };
}

export function spawnTsx(entry: string, args: readonly string[], opts: { env: Record<string, string>; /** Written to stdin, then closed. */ stdin?: string }): TsxChild {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    ...opts.env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: REPO_ROOT, env, stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  trackChild(child);
  if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<ChildExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  if (child.pid === undefined) throw new Error(`could not start ${entry}`);

  const waitForOutput = (pattern: RegExp, timeoutMs = 20_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = pattern.exec(out) ?? pattern.exec(err);
        if (!hit) return false;
        cleanup();
        resolve(hit[0]);
        return true;
      };
      const onExit = (): void => {
        if (check()) return;
        cleanup();
        reject(new Error(`${path.basename(entry)} exited before printing ${pattern}; stderr:\n${err.slice(-2000)}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${path.basename(entry)} did not print ${pattern} within ${timeoutMs} ms; stderr:\n${err.slice(-2000)}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        child.stderr?.off('data', check);
        child.off('exit', onExit);
      };
      if (check()) return;
      child.stdout?.on('data', check);
      child.stderr?.on('data', check);
      child.once('exit', onExit);
    });

  return {
    child,
    pid: child.pid,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput,
    async stop(signal = 'SIGTERM') {
      await stopChild(child, signal, 15_000);
      return exited;
    },
  };
}

/** `src/main.ts worker` on the stack's environment, authenticating through the sandbox's managed identity. */
export function startWorkerProcess(
  stackEnv: Record<string, string>,
  azureml: { identityEndpoint: string; identityHeader: string },
  extraEnv: Record<string, string> = {},
): TsxChild {
  // LOG_LEVEL info at least: the 'batch-score-bot started' line is how a test knows the worker is up.
  return spawnTsx(MAIN_ENTRY, ['worker'], { env: { ...stackEnv, LOG_LEVEL: 'info', ...managedIdentityEnv(azureml), ...extraEnv } });
}
