// A throwaway HTTP server on 127.0.0.1 that answers from a script and records what it was sent: the
// outer edge the ARM client is exercised against (headers, retries, error bodies, LRO polls).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenCredential } from '@azure/identity';

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface ScriptedReply {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings as they are. */
  body?: unknown;
  /** Drop the connection without answering (a network error for the client). */
  destroy?: boolean;
  /** Answer only after this many milliseconds (for timeouts). */
  delayMs?: number;
}

export type Script = (req: RecordedRequest, index: number) => ScriptedReply;

export interface ScriptedServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Replaces the script and forgets recorded requests. */
  reset(script: Script): void;
  close(): Promise<void>;
}

export async function startScriptedServer(initial: Script = () => ({ status: 404 })): Promise<ScriptedServer> {
  let script = initial;
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const reply = script(recorded, requests.length - 1);
      if (reply.destroy) {
        req.socket.destroy();
        return;
      }
      const send = (): void => {
        const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status, {
          ...(typeof reply.body === 'object' ? { 'content-type': 'application/json' } : {}),
          ...reply.headers,
        });
        res.end(body);
      };
      if (reply.delayMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          send();
        }, reply.delayMs);
        timers.add(t);
      } else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reset(next) {
      script = next;
      requests.length = 0;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TokenCredential that hands out numbered tokens and records the scopes asked for. */
export function recordingCredential(): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    async getToken(scope: string | string[]) {
      scopes.push(Array.isArray(scope) ? scope.join(' ') : scope);
      return { token: `token-${scopes.length}`, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

/** A clock that only moves when the code under test sleeps, so backoff costs no real time. */
export function virtualClock(start = Date.UTC(2026, 10, 27, 12, 0, 0)) {
  let t = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}
