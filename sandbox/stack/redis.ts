// A real redis-server (the Debian package) for tests, the demo and benchmarks: throwaway by default
// (no RDB snapshots, temporary dir removed on stop), or durable with the append-only file fsynced on
// every write, restartable on the same port and dir (see ../shared/notes/local-stack.md).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getFreePort } from './free-port';
import { stopChild, trackChild } from './processes';
import { waitUntilAnswering } from './wait-for-port';

export interface RedisProcess {
  url: string;
  port: number;
  pid: number;
  dir: string;
  /** Graceful shutdown (SIGTERM); removes the data dir when the launcher created it. */
  stop(): Promise<void>;
  /** Sends `signal` (default SIGKILL, a crash) and waits for the exit; keeps the dir for `restart()`. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts redis-server again on the same port and dir (stopping the current one first if running). */
  restart(): Promise<void>;
}

export interface StartRedisOptions {
  port?: number;
  dir?: string;
  /** `--appendonly yes --appendfsync always`: every acknowledged write survives a crash. */
  appendOnly?: boolean;
  startTimeoutMs?: number;
  /** More redis-server options, appended after ours (the cluster launcher's `--cluster-enabled yes …`). */
  extraArgs?: readonly string[];
}

export class RedisNotInstalledError extends Error {
  constructor() {
    super('redis-server was not found on PATH: run scripts/ensure-redis.sh (or apt-get install -y redis-server)');
    this.name = 'RedisNotInstalledError';
  }
}

function redisArgs(port: number, dir: string, appendOnly: boolean, extraArgs: readonly string[]): string[] {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--maxmemory-policy', 'noeviction'];
  // Logs go to stdout, which we keep only to explain a failed start.
  args.push('--logfile', '', '--daemonize', 'no', '--protected-mode', 'no');
  if (appendOnly) args.push('--appendonly', 'yes', '--appendfsync', 'always', '--save', '');
  else args.push('--appendonly', 'no', '--save', '');
  return [...args, ...extraArgs];
}

async function launch(port: number, dir: string, appendOnly: boolean, timeoutMs: number, extraArgs: readonly string[]): Promise<ChildProcess> {
  // Its own process group (detached): a terminal's Ctrl-C reaches only our process, which stops the
  // bot and workers first and Redis last; killed with the group, Redis would go first and every client
  // would flood the terminal with ECONNREFUSED while the stack tries to stop.
  const child = spawn('redis-server', redisArgs(port, dir, appendOnly, extraArgs), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let spawnError: Error | undefined;
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('error', (err: NodeJS.ErrnoException) => {
    spawnError = err.code === 'ENOENT' ? new RedisNotInstalledError() : err;
  });
  // Let a missing binary surface before we probe the port.
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (spawnError) throw spawnError;
  trackChild(child);
  try {
    await waitUntilAnswering({
      what: `redis-server on port ${port}`,
      port,
      timeoutMs,
      payload: 'PING\r\n',
      expect: '+PONG',
      failed: () => {
        if (spawnError) return spawnError.message;
        if (child.exitCode !== null || child.signalCode !== null) {
          return `exited with ${child.exitCode ?? child.signalCode}; last output:\n${output.trim()}`;
        }
        return undefined;
      },
    });
  } catch (err) {
    await stopChild(child, 'SIGKILL');
    if (spawnError) throw spawnError;
    throw err;
  }
  // Stop buffering once it is up; the pipes must still be drained so redis never blocks on them.
  child.stdout?.off('data', keep);
  child.stderr?.off('data', keep);
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisProcess> {
  const port = opts.port ?? (await getFreePort());
  const ownsDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'redis-'));
  const appendOnly = opts.appendOnly ?? false;
  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  const extraArgs = opts.extraArgs ?? [];
  let child = await launch(port, dir, appendOnly, timeoutMs, extraArgs);

  const handle: RedisProcess = {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    dir,
    async stop() {
      await stopChild(child, 'SIGTERM');
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      await stopChild(child, signal);
    },
    async restart() {
      await stopChild(child, 'SIGTERM');
      child = await launch(port, dir, appendOnly, timeoutMs, extraArgs);
      handle.pid = child.pid ?? -1;
    },
  };
  return handle;
}
