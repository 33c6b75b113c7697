// The floor under our acknowledgement time: the least any Slack app with a durable queue must do per
// request — read the body, check Slack's HMAC-SHA256 signature in constant time, add one BullMQ job with
// a custom jobId on the same Redis, answer 200. Whatever Bolt and our handlers take beyond this is
// our overhead.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

export interface AckFloorServer {
  url: string;
  stop(): Promise<void>;
}

const FIVE_MINUTES_S = 5 * 60;

function validSignature(secret: string, timestamp: string | undefined, signature: string | undefined, body: string): boolean {
  if (!timestamp || !signature) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > FIVE_MINUTES_S) return false;
  const expected = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startAckFloorServer(opts: { redisUrl: string; signingSecret: string; prefix: string }): Promise<AckFloorServer> {
  const connection = new Redis(opts.redisUrl, { maxRetriesPerRequest: 2 });
  const queue = new Queue('floor', { connection, prefix: opts.prefix });
  let seq = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const ts = req.headers['x-slack-request-timestamp'];
      const sig = req.headers['x-slack-signature'];
      if (!validSignature(opts.signingSecret, typeof ts === 'string' ? ts : undefined, typeof sig === 'string' ? sig : undefined, body)) {
        res.writeHead(401).end();
        return;
      }
      queue
        .add('ack', { body: body.slice(0, 200) }, { jobId: `floor-${++seq}`, removeOnComplete: true })
        .then(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'))
        .catch(() => res.writeHead(500).end());
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/slack/events`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue.close();
      await connection.quit();
    },
  };
}
