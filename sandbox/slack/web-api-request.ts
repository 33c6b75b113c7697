// Reading a Web API request the way Slack does: arguments from the query string and from a body that
// is either application/x-www-form-urlencoded (what @slack/web-api sends, non-scalars JSON-encoded) or
// application/json; the token from `Authorization: Bearer …` or, for form posts, a `token` argument
// (Slack's "Using the Web API": tokens go in the header or as a POST parameter, never in JSON bodies).
import type { IncomingMessage } from 'node:http';
import { parse as parseQuery } from 'node:querystring';

export const MAX_BODY_BYTES = 2 * 1024 * 1024;

export class RequestTooLarge extends Error {
  constructor() {
    super(`request body over ${MAX_BODY_BYTES} bytes`);
    this.name = 'RequestTooLarge';
  }
}

export async function readRawBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new RequestTooLarge();
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export type ParsedArgs = { ok: true; args: Record<string, unknown>; token?: string } | { ok: false; error: 'invalid_form_data' | 'invalid_json' | 'json_not_object' };

function flatten(q: ReturnType<typeof parseQuery>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(q)) out[key] = Array.isArray(value) ? value[value.length - 1] : value;
  return out;
}

export function parseWebApiArgs(req: IncomingMessage, rawBody: string): ParsedArgs {
  const url = new URL(req.url ?? '/', 'http://stand-in');
  const args: Record<string, unknown> = flatten(parseQuery(url.search.slice(1)));
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  let bodyToken: string | undefined;
  if (rawBody.length > 0) {
    if (contentType.startsWith('application/json')) {
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        return { ok: false, error: 'invalid_json' };
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, error: 'json_not_object' };
      Object.assign(args, body);
      delete args.token; // JSON bodies cannot carry the token
    } else if (contentType.startsWith('application/x-www-form-urlencoded') || contentType === '') {
      const form = flatten(parseQuery(rawBody));
      if (typeof form.token === 'string') bodyToken = form.token;
      Object.assign(args, form);
    } else {
      return { ok: false, error: 'invalid_form_data' };
    }
  }
  const header = req.headers.authorization;
  const bearer = header?.match(/^Bearer\s+(.+)$/i)?.[1];
  const queryToken = typeof args.token === 'string' ? args.token : undefined;
  delete args.token;
  const token = bearer ?? bodyToken ?? queryToken;
  return { ok: true, args, ...(token !== undefined ? { token } : {}) };
}
