// What the sandbox saw: every request/response pair (for contract tests that replay them through
// Azure's LiveValidator) and counters per route template and per concrete path (for assertions such
// as "no duplicate PUT", "exactly one job"). Authorization headers are redacted: tokens are secrets.

export interface RecordedExchange {
  method: string;
  /** Absolute URL as the client addressed it (base URL + path + query). */
  url: string;
  headers: Record<string, string>;
  /** Raw request body text ('' when none). */
  body: string;
  status: number;
  responseHeaders: Record<string, string>;
  /** Raw response body text ('' when none). */
  responseBody: string;
  kind: string;
  /** Route template, e.g. `PUT batchEndpoints/{endpointName}`, or undefined when nothing matched. */
  route?: string;
  at: string;
}

export interface RequestCounters {
  /** `METHOD template` → count, e.g. `PUT batchEndpoints/{endpointName}/deployments/{deploymentName}`. */
  byRoute: Record<string, number>;
  /** `METHOD /path` (lower-cased path, no query) → count. */
  byPath: Record<string, number>;
  /** kind ('arm' | 'scoring' | 'lro-poll' | 'other') → count. */
  byKind: Record<string, number>;
  total: number;
}

const REDACTED_HEADERS = new Set(['authorization', 'cookie', 'x-ms-authorization-auxiliary']);

export function redactHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const value = Array.isArray(v) ? v.join(', ') : v;
    out[k.toLowerCase()] = REDACTED_HEADERS.has(k.toLowerCase()) ? value.replace(/^(\S+\s+).*$/, '$1<redacted>') : value;
  }
  return out;
}

export class RequestLog {
  readonly exchanges: RecordedExchange[] = [];
  private counters: RequestCounters = { byRoute: {}, byPath: {}, byKind: {}, total: 0 };

  constructor(private readonly limit: number) {}

  count(method: string, path: string, kind: string, template: string | undefined): void {
    const c = this.counters;
    const routeKey = `${method} ${template ?? '(unmatched)'}`;
    const pathKey = `${method} ${path.toLowerCase()}`;
    c.byRoute[routeKey] = (c.byRoute[routeKey] ?? 0) + 1;
    c.byPath[pathKey] = (c.byPath[pathKey] ?? 0) + 1;
    c.byKind[kind] = (c.byKind[kind] ?? 0) + 1;
    c.total += 1;
  }

  record(exchange: RecordedExchange): void {
    if (this.limit <= 0) return;
    this.exchanges.push(exchange);
    // Bounded: long benchmarks keep the newest exchanges only.
    if (this.exchanges.length > this.limit) this.exchanges.splice(0, this.exchanges.length - this.limit);
  }

  snapshot(): RequestCounters {
    return JSON.parse(JSON.stringify(this.counters)) as RequestCounters;
  }

  /** Zeroes the counters; the exchange log is kept (contract tests read it at the end). */
  resetCounters(): void {
    this.counters = { byRoute: {}, byPath: {}, byKind: {}, total: 0 };
  }
}
