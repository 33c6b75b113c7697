// Azurite (the Azure Storage emulator, npm `azurite`), blob service only, started by running its
// blob entry point with this Node directly: going through npx costs about a second per start.
// Flags from ../shared/notes/local-stack.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getFreePort } from './free-port';
import { stopChild, trackChild } from './processes';
import { waitUntilAnswering } from './wait-for-port';

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT_NAME = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteProcess {
  port: number;
  pid: number;
  accountName: 'devstoreaccount1';
  accountKey: string;
  /** `http://127.0.0.1:N/devstoreaccount1` */
  blobEndpoint: string;
  connectionString: string;
  stop(): Promise<void>;
}

export interface StartAzuriteOptions {
  port?: number;
  /** Where Azurite keeps blobs and metadata; a temporary dir (removed on stop) when omitted. */
  location?: string;
  /** Azurite's `--inMemoryPersistence`: nothing written to disk (`location` then unused). */
  inMemory?: boolean;
  startTimeoutMs?: number;
  /**
   * Bearer tokens and user delegation keys, as the real service serves them to an Azure identity: Azurite's
   * `--oauth basic` (issuer, audience and lifetime checked, not the signature), which needs HTTPS, so the
   * PEM certificate and key files to serve it with.
   */
  oauth?: { certFile: string; keyFile: string };
}

function azuriteBlobEntry(): string {
  const pkg = require.resolve('azurite/package.json');
  return path.join(path.dirname(pkg), 'dist', 'src', 'blob', 'main.js');
}

export function azuriteConnectionString(blobEndpoint: string): string {
  return (
    `DefaultEndpointsProtocol=${blobEndpoint.startsWith('https:') ? 'https' : 'http'};AccountName=${AZURITE_ACCOUNT_NAME};` +
    `AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`
  );
}

export async function startAzurite(opts: StartAzuriteOptions = {}): Promise<AzuriteProcess> {
  const port = opts.port ?? (await getFreePort());
  const ownsLocation = opts.location === undefined;
  const location = opts.location ?? mkdtempSync(path.join(os.tmpdir(), 'azurite-'));
  const args = [
    azuriteBlobEntry(),
    '--silent',
    ...(opts.inMemory ? ['--inMemoryPersistence'] : ['--location', location]),
    '--blobPort', String(port),
    '--blobHost', '127.0.0.1',
    '--skipApiVersionCheck',
    '--loose',
    '--disableTelemetry',
    ...(opts.oauth ? ['--oauth', 'basic', '--cert', opts.oauth.certFile, '--key', opts.oauth.keyFile] : []),
  ];
  // Its own process group, like redis-server (redis.ts): stopped by us, in order, not by the terminal's Ctrl-C.
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  trackChild(child);
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  try {
    await waitUntilAnswering({
      what: `Azurite blob service on port ${port}`,
      port,
      timeoutMs: opts.startTimeoutMs ?? 15_000,
      failed: () =>
        child.exitCode !== null || child.signalCode !== null
          ? `exited with ${child.exitCode ?? child.signalCode}; last output:\n${output.trim()}`
          : undefined,
    });
  } catch (err) {
    await stopChild(child, 'SIGKILL');
    if (ownsLocation) rmSync(location, { recursive: true, force: true });
    throw err;
  }
  child.stdout?.off('data', keep);
  child.stderr?.off('data', keep);
  child.stdout?.resume();
  child.stderr?.resume();

  const blobEndpoint = `${opts.oauth ? 'https' : 'http'}://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}`;
  return {
    port,
    pid: child.pid ?? -1,
    accountName: AZURITE_ACCOUNT_NAME,
    accountKey: AZURITE_ACCOUNT_KEY,
    blobEndpoint,
    connectionString: azuriteConnectionString(blobEndpoint),
    async stop() {
      await stopChild(child, 'SIGTERM');
      if (ownsLocation) rmSync(location, { recursive: true, force: true });
    },
  };
}
