// The sandbox's stand-in for "a public https:// location" (the recipe's pipelinedata.blob.core.windows.net
// sample data): an HTTPS server with a self-signed certificate generated at start, serving the blobs
// of an Azurite container. GET /a/b.png → the blob; GET /a/ → the names under it, one per line.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import type { BlobStore } from './blob-store';

export const PUBLIC_CONTAINER = 'public';

export interface PublicDataServer {
  baseUrl: string;
  host: string;
  ca: string;
  stop(): Promise<void>;
}

export async function startPublicDataServer(blobs: BlobStore, port = 0): Promise<PublicDataServer> {
  await blobs.ensureContainer(PUBLIC_CONTAINER);
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  });
  const server = https.createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'https://x').pathname).replace(/^\/+/, '');
    const send = (status: number, body: Buffer | string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    const serve = async (): Promise<void> => {
      if (path === '' || path.endsWith('/')) {
        const names = await blobs.list(PUBLIC_CONTAINER, path);
        return names.length ? send(200, names.map((n) => n.slice(path.length)).join('\n') + '\n') : send(404, 'not found\n');
      }
      if (!(await blobs.exists(PUBLIC_CONTAINER, path))) return send(404, 'not found\n');
      send(200, await blobs.read(PUBLIC_CONTAINER, path), 'application/octet-stream');
    };
    serve().catch((err: unknown) => send(500, `error: ${err instanceof Error ? err.message : String(err)}\n`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    baseUrl: `https://127.0.0.1:${actual}`,
    host: `127.0.0.1:${actual}`,
    ca: pems.cert,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
