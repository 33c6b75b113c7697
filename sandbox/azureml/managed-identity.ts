// Azure App Service's managed-identity endpoint, so child processes (extra worker replicas, restarted
// workers, the CLI) authenticate to the sandbox exactly as production authenticates to Azure: through
// DefaultAzureCredential, with nothing injected. The contract is the one MSAL's `AppService` source
// speaks (node_modules/@azure/msal-node, class AppService; Azure docs "How to use managed identities for
// App Service", REST protocol 2019-08-01):
//   GET {IDENTITY_ENDPOINT}?resource=<audience>&api-version=2019-08-01   header X-IDENTITY-HEADER: <secret>
//   → 200 {access_token, expires_on: "<unix seconds>", resource, token_type: "Bearer", client_id}
// Tokens come from the sandbox's own authority, so they carry the same audiences, lifetime and
// revocation (admin.expireAllTokens) as every other sandbox token. Not counted in the request log:
// like the real endpoint, it is not part of the ARM surface that tests count.
import crypto from 'node:crypto';
import type http from 'node:http';
import { audienceOfScope } from './clouds';
import type { TokenAuthority } from './tokens';

export const MANAGED_IDENTITY_PATH = '/msi/token';
export const MANAGED_IDENTITY_API_VERSION = '2019-08-01';
/** The header App Service checks; MSAL sends it as `X-IDENTITY-HEADER` (HTTP header names are case-insensitive). */
const SECRET_HEADER = 'x-identity-header';

export interface ManagedIdentityEndpoint {
  /** The value for IDENTITY_ENDPOINT. */
  identityEndpoint: string;
  /** The value for IDENTITY_HEADER (a per-sandbox secret). */
  identityHeader: string;
  /** Answers the request if it is for the identity endpoint; false lets the caller route it. */
  serve(req: http.IncomingMessage, res: http.ServerResponse): boolean;
}

export interface ManagedIdentityEndpointOptions {
  baseUrl: string;
  tokens: TokenAuthority;
  /** Client id reported for the system-assigned identity. */
  clientId?: string;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

export function createManagedIdentityEndpoint(opts: ManagedIdentityEndpointOptions): ManagedIdentityEndpoint {
  const identityHeader = crypto.randomBytes(24).toString('hex');
  const systemClientId = opts.clientId ?? crypto.randomUUID();

  const answer = (res: http.ServerResponse, status: number, body: Record<string, unknown>): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) });
    res.end(text);
  };
  // App Service's error body; MSAL reads `error` (code) and `message` (description). 400 and 401 are not in
  // MSAL's retry list, so a misconfigured child fails at once instead of retrying.
  const refuse = (res: http.ServerResponse, status: 400 | 401 | 405, error: string, message: string): void =>
    answer(res, status, { statusCode: status, error, message, correlationId: crypto.randomUUID() });

  return {
    identityEndpoint: `${opts.baseUrl}${MANAGED_IDENTITY_PATH}`,
    identityHeader,
    serve(req, res) {
      const url = new URL(req.url ?? '/', opts.baseUrl);
      if (url.pathname !== MANAGED_IDENTITY_PATH) return false;
      // Drain any body so keep-alive connections stay usable.
      req.resume();
      if ((req.method ?? 'GET').toUpperCase() !== 'GET') {
        refuse(res, 405, 'method_not_allowed', 'The managed identity endpoint answers GET only.');
        return true;
      }
      const secret = req.headers[SECRET_HEADER];
      if (typeof secret !== 'string' || !sameSecret(secret, identityHeader)) {
        refuse(res, 401, 'unauthorized', 'The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.');
        return true;
      }
      const apiVersion = url.searchParams.get('api-version');
      if (apiVersion !== MANAGED_IDENTITY_API_VERSION) {
        refuse(res, 400, 'invalid_request', `api-version must be ${MANAGED_IDENTITY_API_VERSION}, got '${apiVersion ?? ''}'.`);
        return true;
      }
      const resource = url.searchParams.get('resource');
      if (!resource) {
        refuse(res, 400, 'invalid_request', "The 'resource' query parameter is required, e.g. resource=https://management.azure.com/.");
        return true;
      }
      // A user-assigned identity is chosen by client_id, mi_res_id or principal_id; the sandbox has one
      // principal and echoes the requested client id back, as the response's client_id does.
      const clientId = url.searchParams.get('client_id') ?? systemClientId;
      const token = opts.tokens.issue(audienceOfScope(resource));
      answer(res, 200, {
        access_token: token.token,
        expires_on: String(Math.floor(token.expiresOnTimestamp / 1000)),
        resource,
        token_type: 'Bearer',
        client_id: clientId,
      });
      return true;
    },
  };
}
