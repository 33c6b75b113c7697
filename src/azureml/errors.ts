// One error type for everything that goes wrong talking to Azure ML, shaped like the Azure SDK's
// RestError: callers branch on `code` and `retriable`, never on message text. ARM failures carry the
// service's own error.code (common-types v3 ErrorResponse: {error: {code, message, target, details}})
// and the request ids support needs (x-ms-request-id, x-ms-correlation-request-id).
import { z } from 'zod';
import { retryAfterMs } from '../domain/retry-after';
import { isRetriable } from './retry-policy';

export interface AzureMlErrorInit {
  code: string;
  message: string;
  statusCode?: number;
  requestId?: string;
  correlationId?: string;
  details?: unknown[];
  target?: string;
  /** Defaults to what the status code says (408/429/5xx), or false without one. */
  retriable?: boolean;
  /** The server's hint when to try again (Retry-After and its ms variants), for callers that re-schedule. */
  retryAfterMs?: number;
  method?: string;
  /** Stored with its query secrets redacted. */
  url?: string;
  cause?: unknown;
}

export class AzureMlError extends Error {
  override readonly name = 'AzureMlError';
  readonly code: string;
  readonly statusCode?: number;
  readonly requestId?: string;
  readonly correlationId?: string;
  readonly details?: unknown[];
  readonly target?: string;
  readonly retriable: boolean;
  readonly retryAfterMs?: number;
  readonly method?: string;
  readonly url?: string;

  constructor(init: AzureMlErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.statusCode = init.statusCode;
    this.requestId = init.requestId;
    this.correlationId = init.correlationId;
    this.details = init.details;
    this.target = init.target;
    this.retriable = init.retriable ?? (init.statusCode !== undefined && isRetriable(init.statusCode));
    this.retryAfterMs = init.retryAfterMs;
    this.method = init.method;
    this.url = init.url === undefined ? undefined : redactUrl(init.url);
  }

  /** What logs and queue job failures record: no stack, no cause chain, no secrets. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      statusCode: this.statusCode,
      requestId: this.requestId,
      correlationId: this.correlationId,
      target: this.target,
      details: this.details,
      retriable: this.retriable,
      method: this.method,
      url: this.url,
    };
  }
}

export function isAzureMlError(e: unknown): e is AzureMlError {
  return e instanceof AzureMlError;
}

/**
 * Query parameters that can carry credentials: SAS signatures (sig and its siblings are harmless
 * without it, but `sig` is the secret), OAuth codes and tokens, storage keys.
 */
const SECRET_QUERY_PARAM = /^(sig|signature|code|token|access_token|refresh_token|client_secret|key|secret|password)$/i;

/** The URL with secret-bearing query values replaced, safe for logs and error messages. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hashAt = url.indexOf('#', q);
  const query = url.slice(q + 1, hashAt < 0 ? undefined : hashAt);
  const redacted = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = decodeURIComponentSafe(eq < 0 ? pair : pair.slice(0, eq));
      return eq >= 0 && SECRET_QUERY_PARAM.test(name) ? `${pair.slice(0, eq)}=REDACTED` : pair;
    })
    .join('&');
  return `${url.slice(0, q)}?${redacted}`;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// ARM's ErrorDetail (common-types v3). Loose: services add additionalInfo and fields of their own.
const errorDetailSchema = z.looseObject({
  code: z.string().optional(),
  message: z.string().optional(),
  target: z.string().optional(),
  details: z.array(z.unknown()).optional(),
});
/** The body of a failed ARM call; some older RPs answer the ErrorDetail without the `error` wrapper. */
const errorResponseSchema = z.union([z.looseObject({ error: errorDetailSchema }), errorDetailSchema]);
export type ArmErrorDetail = z.infer<typeof errorDetailSchema>;

/** Extracts ARM's ErrorDetail from a response body (parsed JSON or raw text); undefined when absent. */
export function parseArmErrorDetail(body: unknown): ArmErrorDetail | undefined {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const parsed = errorResponseSchema.safeParse(value);
  if (!parsed.success) return undefined;
  const detail = 'error' in parsed.data ? (parsed.data.error as ArmErrorDetail) : (parsed.data as ArmErrorDetail);
  return detail.code || detail.message ? detail : undefined;
}

export interface FailedResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: unknown;
  method?: string;
  url?: string;
}

const STATUS_CODES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  408: 'RequestTimeout',
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** Builds the AzureMlError for a non-2xx answer, with the service's code, message and request ids. */
export function azureMlErrorFromResponse(res: FailedResponse): AzureMlError {
  const detail = parseArmErrorDetail(res.body);
  const fallbackCode = STATUS_CODES[res.status] ?? `Http${res.status}`;
  const snippet = typeof res.body === 'string' && res.body.trim() ? `: ${res.body.trim().slice(0, 200)}` : '';
  const where = res.method && res.url ? ` (${res.method} ${redactUrl(res.url)})` : '';
  return new AzureMlError({
    code: detail?.code || fallbackCode,
    message: detail?.message || `Azure answered ${res.status} ${fallbackCode}${where}${detail ? '' : snippet}`,
    statusCode: res.status,
    requestId: res.headers['x-ms-request-id'] ?? res.headers['x-request-id'],
    correlationId: res.headers['x-ms-correlation-request-id'],
    details: detail?.details,
    target: detail?.target,
    retriable: isRetriable(res.status),
    retryAfterMs: retryAfterMs(res.headers),
    method: res.method,
    url: res.url,
  });
}
