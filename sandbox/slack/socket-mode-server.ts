// Slack's Socket Mode, as Slack documents it (docs.slack.dev, "Using Socket Mode" and the
// apps.connections.open reference) and as @slack/socket-mode speaks it:
// - apps.connections.open, called with an app-level token (xapp-…), answers {ok, url} with a single-use
//   WebSocket URL (Slack: wss://wss-primary.slack.com/link/?ticket=…&app_id=…; here ws://127.0.0.1). A bot
//   token gets not_allowed_token_type, an unknown token invalid_auth.
// - On connect Slack sends {type:'hello', num_connections, connection_info:{app_id}, debug_info}.
// - Each slash command or interaction becomes an envelope {envelope_id, type ('slash_commands' |
//   'interactive'), payload, accepts_response_payload} on ONE of the app's open connections (up to 10);
//   an Events API event (the Home tab's app_home_opened) an envelope of type 'events_api' whose payload is
//   the event_callback body, with accepts_response_payload false and retry_attempt/retry_reason (as in the
//   Python SDK's SocketModeRequest and bolt-python's Socket Mode adapter);
//   the app acknowledges with {envelope_id, payload?}, the payload playing the HTTP response body's part.
//   Without an acknowledgement in 3 seconds the user sees a timeout, as over HTTP.
// - Slack refreshes connections: {type:'disconnect', reason:'warning'} some seconds ahead, then
//   {type:'disconnect', reason:'refresh_requested'}; too many connections get 'too_many_websockets'.
// - Slack pings every few seconds and answers the client's pings (WebSocket control frames).
// Where the docs are silent we guess, and say so in docs/sandbox-fidelity.md: a command sent while the app
// has no open connection fails at once with dispatch_failed (nothing is queued for later).
//
// The relay (`relayUrl`) lets the signed driver play the user unchanged: it takes the request the driver
// would POST to the bot's HTTP endpoint, turns it into an envelope, and answers with the ack's payload.
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { acceptWebSocket, refuseUpgrade, type WebSocketConnection } from './websocket-connection';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/** Slack allows an app ten simultaneous Socket Mode connections. */
export const MAX_CONNECTIONS_PER_APP = 10;
/** Slack's acknowledgement window for commands and interactions. */
const ACK_TIMEOUT_MS = 3_000;
/** A ticket from apps.connections.open is good for one connection, briefly (a guess: Slack says "short-lived"). */
const TICKET_TTL_MS = 30_000;

export interface SocketModeOptions {
  appToken: string;
  appId: string;
  /** Tokens that exist but are not app-level (the bot token): not_allowed_token_type. */
  otherTokens?: readonly string[];
  /** How often Slack pings each connection; default 5 s. */
  pingIntervalMs?: number;
  ackTimeoutMs?: number;
}

export interface SocketModeConnectionInfo {
  id: string;
  open: boolean;
  /** Envelopes this connection was given. */
  delivered: number;
}

export interface EnvelopeRecord {
  envelopeId: string;
  type: EnvelopeType;
  connectionId: string;
  acceptsResponsePayload: boolean;
  /** Acknowledgements received for it (more than one would be a bug in the app). */
  acks: number;
  ackPayload?: unknown;
}

export type DeliveryResult =
  | { ok: true; envelopeId: string; connectionId: string; ackPayload: unknown }
  | { ok: false; error: 'dispatch_failed' | 'operation_timeout'; envelopeId?: string };

export interface SocketModeServer {
  appToken: string;
  /** The bot's "request URL" for the driver in Socket Mode: each signed request becomes an envelope. */
  relayUrl: string;
  /** The Web API method apps.connections.open, given the bearer token it was called with. */
  openConnection(token: string | undefined): { ok: true; url: string } | { ok: false; error: string };
  connections(): SocketModeConnectionInfo[];
  envelopes(): EnvelopeRecord[];
  /** Sends an envelope on one open connection and waits for its acknowledgement. */
  deliver(type: EnvelopeType, payload: Record<string, unknown>): Promise<DeliveryResult>;
  /** `disconnect` with reason 'warning' to every open connection (or one). */
  warn(connectionId?: string): void;
  /** `disconnect` with reason 'refresh_requested' to every open connection (or one); they close and reconnect. */
  refresh(connectionId?: string): void;
  /** Drops connections without a close frame, as a network failure would. */
  drop(connectionId?: string): void;
  /** Resolves once `count` connections are open (each has had its hello). */
  waitForConnections(count: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

interface Live {
  id: string;
  ws: WebSocketConnection;
  delivered: number;
}

export async function startSocketModeServer(opts: SocketModeOptions): Promise<SocketModeServer> {
  const pingIntervalMs = opts.pingIntervalMs ?? 5_000;
  const ackTimeoutMs = opts.ackTimeoutMs ?? ACK_TIMEOUT_MS;
  const tickets = new Map<string, number>();
  const live = new Map<string, Live>();
  const all: Live[] = [];
  const records: EnvelopeRecord[] = [];
  const waitingAcks = new Map<string, (payload: unknown) => void>();
  let nextConnection = 0;
  let roundRobin = 0;
  let wsBase = '';

  // A connection told to refresh gets nothing more (a guess: Slack moves new envelopes to the new connection).
  const draining = new Set<string>();
  const openOnes = (): Live[] => [...live.values()].filter((c) => c.ws.open && !draining.has(c.id));

  const onAck = (connection: Live, text: string): void => {
    let message: { envelope_id?: unknown; payload?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return; // Slack ignores what it cannot read; the app's envelope then times out.
    }
    if (typeof message.envelope_id !== 'string') return;
    const record = records.find((r) => r.envelopeId === message.envelope_id && r.connectionId === connection.id);
    if (!record) return;
    record.acks += 1;
    if (record.acks > 1) return;
    record.ackPayload = message.payload;
    waitingAcks.get(record.envelopeId)?.(message.payload);
  };

  const upgrade = (req: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://socket-mode');
    const ticket = url.searchParams.get('ticket') ?? '';
    const expiresAt = tickets.get(ticket);
    if (url.pathname !== '/link/' || expiresAt === undefined || expiresAt < Date.now()) {
      refuseUpgrade(socket, 401, 'Unauthorized');
      return;
    }
    tickets.delete(ticket);
    const ws = acceptWebSocket(req, socket, head);
    if (!ws) return;
    const connection: Live = { id: `conn-${++nextConnection}`, ws, delivered: 0 };
    if (openOnes().length >= MAX_CONNECTIONS_PER_APP) {
      ws.send(JSON.stringify({ type: 'disconnect', reason: 'too_many_websockets', debug_info: { host: 'applink-sandbox' } }));
      ws.close(1008, 'too many websockets');
      return;
    }
    live.set(connection.id, connection);
    all.push(connection);
    const pinger = setInterval(() => ws.ping(`ping ${Date.now()}`), pingIntervalMs);
    pinger.unref();
    ws.onMessage((text) => onAck(connection, text));
    ws.onClose(() => {
      clearInterval(pinger);
      live.delete(connection.id);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: openOnes().length,
        debug_info: { host: 'applink-sandbox', build_number: 1, approximate_connection_time: 18_060 },
        connection_info: { app_id: opts.appId },
      }),
    );
  };

  const deliver: SocketModeServer['deliver'] = async (type, payload) => {
    const candidates = openOnes();
    if (candidates.length === 0) return { ok: false, error: 'dispatch_failed' };
    const connection = candidates[roundRobin++ % candidates.length] as Live;
    const envelopeId = randomBytes(16).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
    const interaction = typeof payload.type === 'string' ? payload.type : '';
    const acceptsResponsePayload = type === 'slash_commands' || interaction === 'view_submission' || interaction === 'block_suggestion';
    const record: EnvelopeRecord = { envelopeId, type, connectionId: connection.id, acceptsResponsePayload, acks: 0 };
    records.push(record);
    connection.delivered += 1;
    const acked = new Promise<unknown>((resolve) => waitingAcks.set(envelopeId, resolve));
    const retry = type === 'events_api' ? { retry_attempt: 0, retry_reason: '' } : {};
    connection.ws.send(JSON.stringify({ envelope_id: envelopeId, payload, type, accepts_response_payload: acceptsResponsePayload, ...retry }));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), ackTimeoutMs);
    });
    const outcome = await Promise.race([acked, timedOut]);
    clearTimeout(timer);
    waitingAcks.delete(envelopeId);
    if (outcome === TIMED_OUT) return { ok: false, error: 'operation_timeout', envelopeId };
    return { ok: true, envelopeId, connectionId: connection.id, ackPayload: outcome };
  };

  /** The driver's signed HTTP request → an envelope; the ack's payload → the HTTP answer. */
  const relay = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const form = new URLSearchParams(raw);
    const rawPayload = form.get('payload');
    let result: DeliveryResult;
    try {
      if ((req.headers['content-type'] ?? '').includes('application/json')) {
        // Events API bodies are JSON; only event_callback travels over Socket Mode (no url_verification).
        const body = JSON.parse(raw) as Record<string, unknown>;
        if (body.type !== 'event_callback') throw new Error('not an event_callback');
        result = await deliver('events_api', body);
      } else {
        result = rawPayload !== null
          ? await deliver('interactive', JSON.parse(rawPayload) as Record<string, unknown>)
          : await deliver('slash_commands', Object.fromEntries(form.entries()));
      }
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('invalid_payload');
      return;
    }
    if (!result.ok) {
      res.writeHead(result.error === 'dispatch_failed' ? 503 : 504, { 'content-type': 'text/plain' });
      res.end(result.error);
      return;
    }
    const body = result.ackPayload;
    const empty = body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0);
    res.writeHead(200, empty ? {} : { 'content-type': 'application/json' });
    res.end(empty ? '' : JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && new URL(req.url ?? '/', 'http://x').pathname === '/relay') {
      relay(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  server.on('upgrade', upgrade);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  wsBase = `ws://127.0.0.1:${port}`;

  const targets = (connectionId?: string): Live[] => openOnes().filter((c) => connectionId === undefined || c.id === connectionId);
  const sendDisconnect = (reason: string, connectionId?: string): void => {
    for (const c of targets(connectionId)) c.ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-sandbox' } }));
  };

  return {
    appToken: opts.appToken,
    relayUrl: `http://127.0.0.1:${port}/relay`,
    openConnection(token) {
      if (token === undefined) return { ok: false, error: 'not_authed' };
      if (token !== opts.appToken) return { ok: false, error: opts.otherTokens?.includes(token) ? 'not_allowed_token_type' : 'invalid_auth' };
      const ticket = randomBytes(16).toString('hex');
      tickets.set(ticket, Date.now() + TICKET_TTL_MS);
      return { ok: true, url: `${wsBase}/link/?ticket=${ticket}&app_id=${opts.appId}` };
    },
    connections: () => all.map((c) => ({ id: c.id, open: c.ws.open && live.has(c.id) && !draining.has(c.id), delivered: c.delivered })),
    envelopes: () => records.map((r) => ({ ...r })),
    deliver,
    warn: (connectionId) => sendDisconnect('warning', connectionId),
    refresh(connectionId) {
      const closing = targets(connectionId);
      sendDisconnect('refresh_requested', connectionId);
      for (const c of closing) draining.add(c.id);
      // The client closes on its own; a connection that lingers is closed by Slack shortly after.
      for (const c of closing) setTimeout(() => c.ws.close(1001, 'refresh'), 2_000).unref();
    },
    drop: (connectionId) => {
      for (const c of targets(connectionId)) c.ws.destroy();
    },
    async waitForConnections(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (openOnes().length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} open Socket Mode connection(s), have ${openOnes().length} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const c of live.values()) c.ws.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const TIMED_OUT = Symbol('timed out');
