// One HTTP entry point for everything the sandbox serves, in the order ARM applies its checks:
// classify the request (arm / lro-poll / scoring), count it, apply an injected fault, authenticate
// (401 shapes of ARM), require api-version on ARM routes (400 MissingApiVersionParameter), check the
// subscription / resource group / workspace, then route. Every exchange is recorded.
import crypto from 'node:crypto';
import type http from 'node:http';
import { handleAdminRequest, type SandboxAdmin } from './admin';
import { SandboxHttpError, methodNotAllowed, missingApiVersion, noRoute, resourceNotFound } from './arm-errors';
import type { SandboxLogger } from './batch-job-runner';
import { retryAfterHeaders } from './durations';
import type { FaultInjector } from './faults';
import { pageRenderedList } from './list-pages';
import { redactHeaders, type RequestLog } from './request-log';
import { parseLenientJson, type RouteTable, type SandboxRequest, type SandboxResponse } from './route-table';
import type { SandboxContext } from './sandbox-context';
import type { TokenAuthority, TokenCheck } from './tokens';

export interface DispatcherDeps {
  ctx: SandboxContext;
  workspaceRoutes: RouteTable;
  locationRoutes: RouteTable;
  scoringRoutes: RouteTable;
  /** Run history (`/history/v1.0/…`), a data-plane service like scoring: ML audience, no api-version. */
  historyRoutes?: RouteTable;
  /** Registry assets (`…/providers/Microsoft.MachineLearningServices/registries/…`), in another subscription than the workspace's. */
  registryRoutes?: RouteTable;
  /** Registry discovery (`/registrymanagement/v1.0/…`): management token, no api-version. */
  registryDiscoveryRoutes?: RouteTable;
  tokens: TokenAuthority;
  faults: FaultInjector;
  log: RequestLog;
  admin: SandboxAdmin;
  logger?: SandboxLogger;
  /** Responses held open by 'hang' faults; the sandbox destroys them on stop. */
  hanging: Set<http.ServerResponse>;
}

type Kind = 'arm' | 'lro-poll' | 'scoring' | 'other';

const PROVIDER = 'microsoft.machinelearningservices';
const lower = (s: string | undefined): string => (s ?? '').toLowerCase();

function unauthorized(check: Exclude<TokenCheck, { ok: true }>, authorityHost: string, tenantId: string): SandboxHttpError {
  const code =
    check.reason === 'missing'
      ? 'AuthenticationFailed'
      : check.reason === 'expired'
        ? 'ExpiredAuthenticationToken'
        : check.reason === 'wrong-audience'
          ? 'InvalidAuthenticationTokenAudience'
          : 'InvalidAuthenticationToken';
  const message = check.reason === 'missing' ? `Authentication failed. ${check.detail}` : check.detail;
  const challenge =
    `Bearer authorization_uri="${authorityHost}/${tenantId}", error="invalid_token", ` +
    `error_description="${check.reason === 'expired' ? 'The access token has expired.' : 'The access token is invalid.'}"`;
  return new SandboxHttpError(401, code, message, undefined, { 'WWW-Authenticate': challenge });
}

function isUnpagedList(body: unknown): body is { value: unknown[] } {
  return typeof body === 'object' && body !== null && Array.isArray((body as { value?: unknown }).value) && !('nextLink' in body);
}

export function createDispatcher(deps: DispatcherDeps) {
  const { ctx, tokens, faults, log } = deps;
  const ml = [ctx.cloud.mlAudience];

  const classify = (segments: string[]): { kind: Kind; table?: RouteTable; rest: string[]; template?: string; outsideWorkspace?: boolean } => {
    if (lower(segments[0]) === 'subscriptions') {
      if (lower(segments[2]) === 'resourcegroups' && lower(segments[4]) === 'providers' && lower(segments[5]) === PROVIDER && lower(segments[6]) === 'registries' && deps.registryRoutes) {
        const rest = segments.slice(6);
        return { kind: 'arm', table: deps.registryRoutes, rest, template: deps.registryRoutes.templateOf(rest), outsideWorkspace: true };
      }
      if (lower(segments[2]) === 'providers' && lower(segments[3]) === PROVIDER && lower(segments[4]) === 'locations') {
        const rest = segments.slice(6);
        const t = deps.locationRoutes.templateOf(rest);
        return { kind: 'lro-poll', table: deps.locationRoutes, rest, template: t && `locations/{location}/${t}` };
      }
      if (lower(segments[2]) === 'resourcegroups' && lower(segments[4]) === 'providers' && lower(segments[5]) === PROVIDER && lower(segments[6]) === 'workspaces' && segments[7]) {
        const rest = segments.slice(8);
        const t = deps.workspaceRoutes.templateOf(rest);
        return { kind: 'arm', table: deps.workspaceRoutes, rest, template: t !== undefined ? `workspaces/{workspaceName}${t ? `/${t}` : ''}` : undefined };
      }
      return { kind: 'arm', rest: segments };
    }
    if (lower(segments[0]) === 'registrymanagement' && deps.registryDiscoveryRoutes) {
      return { kind: 'arm', table: deps.registryDiscoveryRoutes, rest: segments, template: deps.registryDiscoveryRoutes.templateOf(segments), outsideWorkspace: true };
    }
    if (lower(segments[0]) === 'history' && deps.historyRoutes) {
      return { kind: 'scoring', table: deps.historyRoutes, rest: segments, template: deps.historyRoutes.templateOf(segments) };
    }
    if (lower(segments[0]) === 'inference') {
      return { kind: 'scoring', table: deps.scoringRoutes, rest: segments, template: deps.scoringRoutes.templateOf(segments) };
    }
    return { kind: 'other', rest: segments };
  };

  const checkScope = (segments: string[]): void => {
    const { subscriptionId, resourceGroup, workspace } = ctx.identity;
    if (lower(segments[1]) !== subscriptionId.toLowerCase()) {
      throw new SandboxHttpError(404, 'SubscriptionNotFound', `The subscription '${segments[1]}' could not be found.`);
    }
    if (segments[2] && lower(segments[2]) === 'resourcegroups' && lower(segments[3]) !== resourceGroup.toLowerCase()) {
      throw new SandboxHttpError(404, 'ResourceGroupNotFound', `Resource group '${segments[3]}' could not be found.`);
    }
    if (lower(segments[6]) === 'workspaces' && lower(segments[7]) !== workspace.toLowerCase()) {
      throw resourceNotFound('Microsoft.MachineLearningServices/workspaces', segments[7] ?? '', resourceGroup);
    }
  };

  const route = async (method: string, url: URL, segments: string[], raw: Buffer, headers: http.IncomingHttpHeaders, c: ReturnType<typeof classify>): Promise<SandboxResponse> => {
    if (c.kind === 'other') throw noRoute(url.pathname);
    const check = tokens.verify(headers.authorization, c.kind === 'scoring' ? ml : ctx.cloud.armAudiences);
    if (!check.ok) throw unauthorized(check, ctx.cloud.authorityHost, tokens.tenantId);
    if (c.kind !== 'scoring' && !c.outsideWorkspace) {
      if (!url.searchParams.get('api-version')) throw missingApiVersion();
      checkScope(segments);
    }
    if (c.outsideWorkspace && lower(segments[0]) === 'subscriptions' && !url.searchParams.get('api-version')) throw missingApiVersion();
    if (!c.table) throw noRoute(url.pathname);
    const match = c.table.match(method, c.rest);
    if (match.kind === 'none') throw noRoute(url.pathname);
    if (match.kind === 'method-not-allowed') throw methodNotAllowed(method, url.pathname);
    let parsed: { value: unknown } | undefined;
    const rawText = raw.toString('utf8');
    const req: SandboxRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      headers,
      rawBody: rawText,
      params: match.params,
      header: (name) => {
        const v = headers[name.toLowerCase()];
        return Array.isArray(v) ? v[0] : v;
      },
      body: () => {
        parsed ??= { value: parseLenientJson(rawText) };
        return parsed.value;
      },
    };
    const response = await match.handler(req);
    // Every ARM list pages as Azure's do; routes that page themselves (jobs, over a long history) say so.
    if (method === 'GET' && c.kind === 'arm' && response.status === 200 && !response.paged && isUnpagedList(response.body)) {
      return { ...response, body: pageRenderedList(response.body, { baseUrl: ctx.baseUrl, path: url.pathname, query: url.searchParams, pageSize: ctx.listPageSize.value }) };
    }
    return response;
  };

  return async function dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', ctx.baseUrl);
    const segments = url.pathname.split('/').filter(Boolean);
    const requestId = crypto.randomUUID();
    const clientRequestId = req.headers['x-ms-client-request-id'];

    const write = (response: SandboxResponse, record: { kind: string; template?: string } | undefined): void => {
      const body = response.body === undefined ? '' : JSON.stringify(response.body);
      // The data plane answers with X-Request-ID and no x-ms-* ids (recorded: test_batch_invoke.json #21).
      const ids: Record<string, string> =
        record?.kind === 'scoring' ? {} : { 'x-ms-request-id': requestId, 'x-ms-correlation-request-id': requestId };
      const headers: Record<string, string> = {
        ...ids,
        ...(typeof clientRequestId === 'string' ? { 'x-ms-client-request-id': clientRequestId } : {}),
        ...(body ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
        ...response.headers,
      };
      if (record) {
        log.record({
          method,
          url: url.toString(),
          headers: redactHeaders(req.headers),
          body: raw.toString('utf8'),
          status: response.status,
          responseHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
          responseBody: body,
          kind: record.kind,
          route: record.template ? `${method} ${record.template}` : undefined,
          at: new Date().toISOString(),
        });
      }
      res.writeHead(response.status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
      res.end(body);
    };

    const errorResponse = (err: unknown): SandboxResponse => {
      if (err instanceof SandboxHttpError) return { status: err.status, headers: err.headers, body: err.body() };
      deps.logger?.error({ err: err instanceof Error ? err.message : String(err), method, path: url.pathname }, 'sandbox handler failed');
      return { status: 500, body: { error: { code: 'InternalServerError', message: err instanceof Error ? err.message : String(err) } } };
    };

    if (segments[0] === '_admin') {
      try {
        write(await handleAdminRequest(deps.admin, method, segments.slice(1), raw, url.pathname), undefined);
      } catch (err) {
        write(errorResponse(err), undefined);
      }
      return;
    }

    const c = classify(segments);
    log.count(method, url.pathname, c.kind, c.template);
    const taken = faults.take(method, url.pathname, c.kind === 'other' ? 'other' : c.kind);
    if (taken?.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, taken.delayMs));
    // A delay alone: the usual answer, late.
    const fault = taken?.kind === 'delay' ? undefined : taken;
    if (fault?.after) {
      // The handler runs (its effects stay), and then the answer is lost.
      try {
        await route(method, url, segments, raw, req.headers, c);
      } catch {
        // Whatever it answered is lost all the same.
      }
    }
    if (fault?.kind === 'reset') {
      log.record({
        method,
        url: url.toString(),
        headers: redactHeaders(req.headers),
        body: raw.toString('utf8'),
        status: 0,
        responseHeaders: {},
        responseBody: '',
        kind: c.kind,
        route: c.template ? `${method} ${c.template}` : undefined,
        at: new Date().toISOString(),
      });
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'hang') {
      deps.hanging.add(res);
      res.once('close', () => deps.hanging.delete(res));
      return;
    }
    if (fault) {
      const retryMs = fault.retryAfterMs ?? (fault.retryAfterSeconds !== undefined ? fault.retryAfterSeconds * 1000 : ctx.clock.ms('pollIntervalMs'));
      const pacing = fault.status === 429 || fault.status === 503 || fault.retryAfterMs !== undefined || fault.retryAfterSeconds !== undefined;
      const headers = pacing ? retryAfterHeaders(retryMs) : {};
      if (fault.retryAfterSeconds !== undefined) headers['Retry-After'] = String(Math.ceil(fault.retryAfterSeconds));
      write({ status: fault.status, headers, body: { error: { code: fault.code, message: fault.message } } }, c);
      return;
    }
    let response: SandboxResponse;
    try {
      response = await route(method, url, segments, raw, req.headers, c);
    } catch (err) {
      response = errorResponse(err);
    }
    write(response, c);
  };
}
