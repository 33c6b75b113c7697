// The server side of one WebSocket (RFC 6455), enough to play Slack's Socket Mode endpoint for the
// undici WebSocket client that @slack/socket-mode uses: the opening handshake, text frames (fragmented or
// not, 7/16/64-bit lengths, client masking), ping/pong, and the close handshake. No extensions
// (permessage-deflate is not offered, so the client sends plain frames). Nothing here knows about Slack.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** RFC 6455 §1.3: the GUID appended to Sec-WebSocket-Key before hashing. */
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;
/** A stand-in has no business with huge messages; Slack's payloads are a few kB. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface WebSocketConnection {
  /** Sends one text message; ignored once closing. */
  send(text: string): void;
  ping(data?: string): void;
  /** Starts the close handshake (or finishes it); the socket ends once the peer answers or after `graceMs`. */
  close(code?: number, reason?: string, graceMs?: number): void;
  /** Drops the TCP connection without a close frame (a network failure). */
  destroy(): void;
  readonly open: boolean;
  onMessage(listener: (text: string) => void): void;
  onPong(listener: (data: string) => void): void;
  onClose(listener: (code: number | undefined) => void): void;
}

/** Refuses an upgrade with a plain HTTP answer (bad ticket, wrong path). */
export function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

function frame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? Buffer.alloc(2) : length < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = 0x80 | opcode; // FIN + opcode; servers never mask (RFC 6455 §5.1)
  if (length < 126) header[1] = length;
  else if (length < 65_536) {
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([header, payload]);
}

/** Completes the opening handshake of an `upgrade` request and returns the connection. */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer): WebSocketConnection | undefined {
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || req.headers.upgrade?.toLowerCase() !== 'websocket') {
    refuseUpgrade(socket, 400, 'Bad Request');
    return undefined;
  }
  const accept = createHash('sha1').update(key + HANDSHAKE_GUID).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);

  const messageListeners: Array<(text: string) => void> = [];
  const pongListeners: Array<(data: string) => void> = [];
  const closeListeners: Array<(code: number | undefined) => void> = [];
  let buffered: Buffer = head.length ? Buffer.from(head) : Buffer.alloc(0);
  let fragments: Buffer[] = [];
  let closeSent = false;
  let ended = false;
  let closeCode: number | undefined;
  let graceTimer: NodeJS.Timeout | undefined;

  const write = (opcode: number, payload: Buffer): void => {
    if (!ended && socket.writable) socket.write(frame(opcode, payload));
  };
  const finish = (): void => {
    if (ended) return;
    ended = true;
    clearTimeout(graceTimer);
    socket.destroy();
    for (const l of closeListeners) l(closeCode);
  };
  const sendClose = (code: number, reason = ''): void => {
    if (closeSent) return;
    closeSent = true;
    const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
    payload.writeUInt16BE(code, 0);
    payload.write(reason, 2);
    write(OPCODE.close, payload);
  };

  const handleFrame = (fin: boolean, opcode: number, payload: Buffer): void => {
    switch (opcode) {
      case OPCODE.ping:
        write(OPCODE.pong, payload);
        return;
      case OPCODE.pong:
        for (const l of pongListeners) l(payload.toString('utf8'));
        return;
      case OPCODE.close:
        closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : undefined;
        sendClose(closeCode ?? 1000);
        finish();
        return;
      case OPCODE.text:
      case OPCODE.binary:
      case OPCODE.continuation: {
        fragments.push(payload);
        if (!fin) return;
        const message = Buffer.concat(fragments).toString('utf8');
        fragments = [];
        for (const l of messageListeners) l(message);
        return;
      }
      default:
        sendClose(1002, 'unknown opcode');
        finish();
    }
  };

  const parse = (): void => {
    for (;;) {
      if (buffered.length < 2) return;
      const first = buffered[0] as number;
      const second = buffered[1] as number;
      let offset = 2;
      let length = second & 0x7f;
      if (length === 126) {
        if (buffered.length < 4) return;
        length = buffered.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffered.length < 10) return;
        length = Number(buffered.readBigUInt64BE(2));
        offset = 10;
      }
      if (length > MAX_MESSAGE_BYTES) {
        sendClose(1009, 'message too big');
        finish();
        return;
      }
      const masked = (second & 0x80) !== 0;
      const maskAt = offset;
      if (masked) offset += 4;
      if (buffered.length < offset + length) return;
      const payload = Buffer.from(buffered.subarray(offset, offset + length));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (buffered[maskAt + (i % 4)] as number);
      buffered = buffered.subarray(offset + length);
      handleFrame((first & 0x80) !== 0, first & 0x0f, payload);
      if (ended) return;
    }
  };

  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    parse();
  });
  socket.on('close', finish);
  socket.on('error', finish);
  if (buffered.length) setImmediate(parse);

  return {
    send: (text) => {
      if (!closeSent) write(OPCODE.text, Buffer.from(text, 'utf8'));
    },
    ping: (data = '') => write(OPCODE.ping, Buffer.from(data, 'utf8')),
    close: (code = 1000, reason = '', graceMs = 1_000) => {
      if (ended) return;
      sendClose(code, reason);
      graceTimer = setTimeout(finish, graceMs);
      graceTimer.unref();
    },
    destroy: finish,
    get open() {
      return !ended && !closeSent;
    },
    onMessage: (l) => void messageListeners.push(l),
    onPong: (l) => void pongListeners.push(l),
    onClose: (l) => void closeListeners.push(l),
  };
}
