// The HTTP edge to Azure: ARM (management) calls and the data-plane calls made with the same shape
// (scoring URIs, operation poll URLs). One small pipeline, like core-rest-pipeline's: a bearer token per
// attempt for the request's scope, api-version on ARM paths, retries with backoff that honours the
// server's Retry-After, and every non-2xx turned into an AzureMlError carrying ARM's error code and
// request ids. Nothing here knows about endpoints or jobs; operations build on `request`.
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import type { Logger } from 'pino';
import type { TokenCredential } from '@azure/identity';
import type { AzureCloudDescription } from './clouds';
import { AzureMlError, azureMlErrorFromResponse, redactUrl } from './errors';
import { DEFAULT_RETRY_OPTIONS, isRetriable, retryDelayMs, type RetryOptions } from './retry-policy';

export type ArmMethod = 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';

export interface ArmRequest {
  method: ArmMethod;
  /** An ARM path ('/subscriptions/…'), or an absolute URL (poll URLs, nextLinks, scoring URIs). */
  path: string;
  /** Extra query parameters; undefined values are left out. */
  query?: Record<string, string | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Token scope; default cloud.resourceManagerScope (scoring calls pass cloud.mlScope). */
  scope?: string;
  /**
   * api-version to send. Default: the client's, added unless the URL already carries one (poll URLs and
   * nextLinks do). false: never add one (scoring URIs are not ARM).
   */
  apiVersion?: string | false;
  /** Per-attempt timeout; default the client's. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Per-request retry settings (e.g. maxAttempts 1 for a call that must not be repeated); false = no retries. */
  retry?: Partial<RetryOptions> | false;
}

export interface ArmResponse<T = unknown> {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Parsed JSON; undefined for an empty body; the raw text when the answer is not JSON. */
  body: T;
  /** x-ms-request-id, the id Azure support asks for. */
  requestId?: string;
}

export interface ArmClient {
  readonly cloud: AzureCloudDescription;
  /** Where ARM paths are sent: cloud.resourceManagerEndpoint, or an override such as the sandbox. */
  readonly baseUrl: string;
  request<T = unknown>(req: ArmRequest): Promise<ArmResponse<T>>;
}

export interface ArmClientDeps {
  cloud: AzureCloudDescription;
  credential: TokenCredential;
  /** Override of cloud.resourceManagerEndpoint (the sandbox). */
  baseUrl?: string;
  /** Default api-version for ARM paths; '2022-05-01', the version of the spec and the recipe. */
  apiVersion?: string;
  retry?: Partial<RetryOptions>;
  http?: AxiosInstance;
  logger?: Logger;
  userAgent?: string;
  /** Per-attempt timeout; default 60 s. */
  timeoutMs?: number;
  /** Injected for tests: waits between attempts (default a timer that stops on abort). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injected for tests: the clock the total retry budget is measured on. */
  now?: () => number;
  /** Injected for tests: jitter source. */
  random?: () => number;
  /**
   * Builds a new credential whose token cache is empty (a managed identity's cache is MSAL's, per process:
   * its replacement takes its first token past that cache, managed-identity-refresh.ts). Azure can revoke a token before it expires (401
   * ExpiredAuthenticationToken / InvalidAuthenticationToken) while @azure/identity keeps handing out the
   * cached one until its expiry; the client then takes ONE fresh token from a new instance, retries once,
   * and keeps that instance for later requests. Absent: the retry asks the same credential again.
   */
  freshCredential?: () => TokenCredential;
}

/** The 401 codes ARM gives a token it no longer accepts (revoked early, or its signing keys rolled). */
const REVOKED_TOKEN_CODES = new Set(['ExpiredAuthenticationToken', 'InvalidAuthenticationToken']);

export const DEFAULT_API_VERSION = '2022-05-01';
const DEFAULT_TIMEOUT_MS = 60_000;
/**
 * The largest answer read. ARM resources and list pages are kilobytes (pages are capped by nextLink); an
 * answer of many megabytes can only be a fault, and buffering it would let one endpoint bloat a worker.
 */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
const DEFAULT_USER_AGENT = `batch-score-bot/0.1.0 Node/${process.versions.node}`;

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : undefined);
}

export function createArmClient(deps: ArmClientDeps): ArmClient {
  const baseUrl = (deps.baseUrl ?? deps.cloud.resourceManagerEndpoint).replace(/\/+$/, '');
  const http = deps.http ?? axios.create();
  const defaultApiVersion = deps.apiVersion ?? DEFAULT_API_VERSION;
  const clientRetry: RetryOptions = { ...DEFAULT_RETRY_OPTIONS, ...deps.retry };
  const sleep = deps.sleep ?? defaultSleep;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const userAgent = deps.userAgent ?? DEFAULT_USER_AGENT;

  function buildUrl(req: ArmRequest): URL {
    const url = /^https?:\/\//i.test(req.path) ? new URL(req.path) : new URL(`${baseUrl}${req.path.startsWith('/') ? '' : '/'}${req.path}`);
    for (const [name, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    if (typeof req.apiVersion === 'string') url.searchParams.set('api-version', req.apiVersion);
    else if (req.apiVersion === undefined && !url.searchParams.has('api-version')) {
      url.searchParams.set('api-version', defaultApiVersion);
    }
    return url;
  }

  let credential = deps.credential;

  async function bearerToken(scope: string, signal: AbortSignal | undefined): Promise<string> {
    let token;
    try {
      token = await credential.getToken(scope, signal ? { abortSignal: signal } : undefined);
    } catch (err) {
      throw new AzureMlError({
        code: 'AuthenticationFailed',
        message:
          `Could not get an Azure token for ${scope}: ${err instanceof Error ? err.message : String(err)}. ` +
          'Sign in with `az login`, or set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET or a managed identity.',
        retriable: false,
        cause: err,
      });
    }
    if (!token?.token) {
      throw new AzureMlError({ code: 'AuthenticationFailed', message: `The credential returned no token for ${scope}`, retriable: false });
    }
    return token.token;
  }

  /** One attempt; a failure comes back (not thrown) with the answer's headers, for Retry-After. */
  async function attemptOnce<T>(req: ArmRequest, url: URL, clientRequestId: string): Promise<Attempt<T>> {
    const token = await bearerToken(req.scope ?? deps.cloud.resourceManagerScope, req.signal);
    const hasBody = req.body !== undefined;
    // axios labels a body-less POST/PUT/PATCH as form data; ARM operations consume JSON only
    // (mfe.json "consumes": application/json, e.g. Jobs_Cancel), so say JSON whenever a method may carry one.
    const sendsJson = hasBody || req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH';
    let res: AxiosResponse<string>;
    try {
      res = await http.request<string>({
        method: req.method,
        url: url.toString(),
        headers: {
          Accept: 'application/json',
          'User-Agent': userAgent,
          'x-ms-client-request-id': clientRequestId,
          ...(sendsJson ? { 'Content-Type': 'application/json' } : {}),
          ...req.headers,
          // Last, so a caller's header cannot replace the token for the declared scope.
          Authorization: `Bearer ${token}`,
        },
        data: hasBody ? JSON.stringify(req.body) : undefined,
        timeout: req.timeoutMs ?? deps.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        signal: req.signal,
        responseType: 'text',
        transformResponse: [(data: string) => data],
        validateStatus: () => true,
        // ARM does not redirect; a 3xx is reported, not followed with our bearer token.
        maxRedirects: 0,
        maxContentLength: MAX_RESPONSE_BYTES,
        transitional: { clarifyTimeoutError: true },
      });
    } catch (err) {
      return { error: transportError(err, req.method, url.toString()) };
    }
    const headers = lowerCaseHeaders(res.headers);
    const text = typeof res.data === 'string' ? res.data : res.data === undefined || res.data === null ? '' : String(res.data);
    if (res.status < 200 || res.status > 299) {
      return { error: azureMlErrorFromResponse({ status: res.status, headers, body: text, method: req.method, url: url.toString() }), headers };
    }
    return {
      response: {
        status: res.status,
        headers,
        body: parseBody(text, headers, res.status, req.method, url.toString()) as T,
        requestId: headers['x-ms-request-id'] ?? headers['x-request-id'],
      },
    };
  }

  const armOrigin = new URL(baseUrl).origin;
  /**
   * A bearer token goes only where its audience lives: the management token to the configured
   * resource-manager host (poll URLs and nextLinks come from answers, and a Location, Azure-AsyncOperation
   * or body AzureAsyncOperationUri naming another host must not take the token along), the ML token to
   * the cloud's scoring hosts (or the configured stand-in). Anything else is refused before a token is asked for.
   */
  function assertTokenDestination(url: URL, scope: string, method: string): void {
    const scoringHost =
      url.protocol === 'https:' && url.username === '' && url.password === '' && url.hostname.toLowerCase().endsWith(`.${deps.cloud.scoringHostSuffix}`);
    // Registry look-ups go to the cloud's regional Azure ML hosts with the management token, as azure-ai-ml's do.
    const registryHost =
      url.protocol === 'https:' && url.hostname.toLowerCase().endsWith(`.${deps.cloud.registryHostSuffix}`);
    const ok =
      url.origin === armOrigin ||
      (scope === deps.cloud.mlScope && scoringHost) ||
      (scope === deps.cloud.resourceManagerScope && registryHost);
    if (ok && url.username === '' && url.password === '') return;
    throw new AzureMlError({
      code: 'UntrustedHost',
      message:
        `refused to send the ${scope === deps.cloud.mlScope ? 'scoring' : 'resource-manager'} token to ${url.host} ` +
        `(${method} ${redactUrl(url.toString())}): it is not ${scope === deps.cloud.mlScope ? `a *.${deps.cloud.scoringHostSuffix} host or ` : ''}the configured resource manager ${armOrigin}`,
      retriable: false,
      method,
      url: url.toString(),
    });
  }

  async function request<T = unknown>(req: ArmRequest): Promise<ArmResponse<T>> {
    const url = buildUrl(req);
    assertTokenDestination(url, req.scope ?? deps.cloud.resourceManagerScope, req.method);
    const shown = redactUrl(url.toString());
    const retry: RetryOptions = req.retry === false ? { ...clientRetry, maxAttempts: 1 } : { ...clientRetry, ...req.retry };
    // One id for the logical request across its attempts, as core-rest-pipeline's setClientRequestIdPolicy.
    const clientRequestId = randomUUID();
    const started = now();
    let refreshedToken = false;
    for (let attempt = 1; ; attempt++) {
      const result = await attemptOnce<T>(req, url, clientRequestId);
      if ('response' in result) {
        const { response } = result;
        deps.logger?.debug({ method: req.method, url: shown, status: response.status, requestId: response.requestId, attempt }, 'azure request');
        return response;
      }
      const { error: failure, headers: failureHeaders } = result;
      if (failure.statusCode === 401 && REVOKED_TOKEN_CODES.has(failure.code) && !refreshedToken) {
        // Once per request, at once: a new credential instance has no cached token to hand back.
        refreshedToken = true;
        credential = deps.freshCredential?.() ?? credential;
        deps.logger?.warn({ method: req.method, url: shown, code: failure.code }, 'Azure refused the token; retrying once with a fresh one');
        attempt -= 1;
        continue;
      }
      if (!failure.retriable || attempt >= retry.maxAttempts) throw failure;
      if (retry.onlyStatuses && !(failure.statusCode !== undefined && retry.onlyStatuses.includes(failure.statusCode))) throw failure;
      const waitMs = retryDelayMs(attempt, retry, failureHeaders, random, now());
      if (now() - started + waitMs > retry.maxTotalMs) throw failure;
      deps.logger?.warn(
        { method: req.method, url: shown, status: failure.statusCode, code: failure.code, requestId: failure.requestId, attempt, waitMs },
        'azure request failed; retrying',
      );
      try {
        await sleep(waitMs, req.signal);
      } catch (err) {
        throw abortedError(req.method, url.toString(), err);
      }
      if (req.signal?.aborted) throw abortedError(req.method, url.toString(), req.signal.reason);
    }
  }

  return { cloud: deps.cloud, baseUrl, request };
}

type Attempt<T> = { response: ArmResponse<T> } | { error: AzureMlError; headers?: Record<string, string> };

function lowerCaseHeaders(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const source = raw && typeof (raw as { toJSON?: unknown }).toJSON === 'function' ? (raw as { toJSON(): object }).toJSON() : raw;
  for (const [name, value] of Object.entries((source ?? {}) as Record<string, unknown>)) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

function parseBody(text: string, headers: Record<string, string>, status: number, method: string, url: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    if ((headers['content-type'] ?? '').includes('json')) {
      throw new AzureMlError({
        code: 'InvalidResponse',
        message: `Azure answered ${status} with a body that is not valid JSON (${method} ${redactUrl(url)})`,
        statusCode: status,
        requestId: headers['x-ms-request-id'] ?? headers['x-request-id'],
        retriable: false,
        method,
        url,
      });
    }
    return text;
  }
}

function transportError(err: unknown, method: string, url: string): AzureMlError {
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'ERR_CANCELED' || (err as { name?: unknown })?.name === 'AbortError') return abortedError(method, url, err);
  if (code === 'ERR_BAD_RESPONSE' && /maxContentLength/.test(message)) {
    return new AzureMlError({
      code: 'InvalidResponse',
      message: `Azure's answer was larger than ${MAX_RESPONSE_BYTES / (1024 * 1024)} MiB (${method} ${redactUrl(url)}); refused`,
      retriable: false,
      method,
      url,
      cause: err,
    });
  }
  if (code === 'ETIMEDOUT' || code === 'ECONNABORTED') {
    return new AzureMlError({ code: 'Timeout', message: `Azure did not answer in time (${method} ${redactUrl(url)})`, retriable: true, method, url, cause: err });
  }
  return new AzureMlError({
    code: 'NetworkError',
    message: `Could not reach Azure (${method} ${redactUrl(url)}): ${typeof code === 'string' ? `${code} ` : ''}${message}`,
    retriable: isRetriable(err),
    method,
    url,
    cause: err,
  });
}

function abortedError(method: string, url: string, cause: unknown): AzureMlError {
  return new AzureMlError({ code: 'RequestAborted', message: `Request aborted (${method} ${redactUrl(url)})`, retriable: false, method, url, cause });
}
