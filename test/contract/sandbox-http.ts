// Plain HTTP against the Azure ML sandbox for the contract tests that replay documents (Microsoft's
// examples, the recipe's snippets) rather than drive our client: send a request exactly as given and
// keep the exchange for the spec validator.
import type { HttpExchange } from '../support/azure-spec-validator';

export interface RawRequest {
  method: string;
  url: string;
  /** A value is sent as JSON; a string is sent verbatim (the recipe's bodies are not always JSON). */
  body?: unknown;
  headers?: Record<string, string>;
}

/** Sends one request with a bearer token and returns the exchange (bodies as raw text, headers lower-cased). */
export async function sendRequest(req: RawRequest, token: string): Promise<HttpExchange> {
  const requestBody = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
  const requestHeaders: Record<string, string> = {
    ...(requestBody === undefined ? {} : { 'content-type': 'application/json' }),
    ...Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  const res = await fetch(req.url, {
    method: req.method,
    headers: { ...requestHeaders, authorization: `Bearer ${token}` },
    body: requestBody,
  });
  const responseHeaders: Record<string, string> = {};
  res.headers.forEach((value, name) => (responseHeaders[name] = value));
  return {
    method: req.method,
    url: req.url,
    requestHeaders,
    requestBody: requestBody ?? '',
    status: res.status,
    responseHeaders,
    responseBody: await res.text(),
  };
}

export function jsonOf(exchange: HttpExchange): Record<string, unknown> {
  const body = exchange.responseBody;
  return (typeof body === 'string' ? JSON.parse(body) : body) as Record<string, unknown>;
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs` naming what it waited for. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs ?? 10_000} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 20));
  }
}
