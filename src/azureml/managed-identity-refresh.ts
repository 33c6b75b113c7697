// A fresh token for a managed identity after Azure revoked the one in use. The ARM client answers a 401
// ExpiredAuthenticationToken / InvalidAuthenticationToken by asking a NEW credential for one token (a new
// instance has an empty cache). That does not hold for a managed identity: MSAL Node keeps its tokens in one
// cache per process (ManagedIdentityApplication's static storage), and @azure/identity 4.13.1's
// ManagedIdentityCredential asks MSAL without `forceRefresh`, so every new DefaultAzureCredential hands back
// the revoked token until it expires. Here the replacement credential's first token per scope is preceded by
// one MSAL managed-identity request with `forceRefresh: true`, for the same identity @azure/identity would
// use; MSAL writes that answer into the shared cache, replacing the revoked token (acquireTokenWithManagedIdentity
// → ResponseHandler.handleServerTokenResponse → saveAccessToken, which drops the cached token of the same
// identity and scope), and the replacement credential then reads it from there as usual.
// @azure/msal-node is pinned to the version @azure/identity resolves to: the cache is static per module
// instance, so only the same copy shares it.
import { ManagedIdentityApplication } from '@azure/msal-node';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';

/** The managed identity DefaultAzureCredential would use: user-assigned by client id, or system-assigned. */
export interface ManagedIdentityChoice {
  clientId?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const given = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/**
 * Whether DefaultAzureCredential (as @azure/identity 4.13.1 builds its chain, defaultAzureCredential.js)
 * would reach its managed identity, read from the variables it reads; undefined when an earlier credential
 * answers first (a service principal in AZURE_CLIENT_SECRET / _CERTIFICATE_PATH / AZURE_USERNAME, workload
 * identity's AZURE_FEDERATED_TOKEN_FILE, whose managed-identity path is a token exchange without MSAL's
 * cache) or AZURE_TOKEN_CREDENTIALS leaves it out. Without a managed-identity endpoint in the environment it
 * means IMDS, which DefaultAzureCredential uses only if it answers: the forced request is then a try.
 */
export function managedIdentityOfEnvironment(env: Env, opts: { managedIdentityClientId?: string } = {}): ManagedIdentityChoice | undefined {
  const only = env.AZURE_TOKEN_CREDENTIALS?.trim().toLowerCase();
  if (only && only !== 'prod' && only !== 'managedidentitycredential') return undefined;
  const clientId = opts.managedIdentityClientId ?? (given(env.AZURE_CLIENT_ID) ? env.AZURE_CLIENT_ID : undefined);
  if (given(env.AZURE_FEDERATED_TOKEN_FILE) && clientId) return undefined;
  if (only !== 'managedidentitycredential' && given(env.AZURE_TENANT_ID) && given(env.AZURE_CLIENT_ID)) {
    if (given(env.AZURE_CLIENT_SECRET) || given(env.AZURE_CLIENT_CERTIFICATE_PATH) || (given(env.AZURE_USERNAME) && given(env.AZURE_PASSWORD))) return undefined;
  }
  return clientId ? { clientId } : {};
}

/** The resource a managed identity is asked for: the scope without '/.default' (identity's mapScopesToResource). */
export function resourceOfScope(scope: string): string {
  return scope.endsWith('/.default') ? scope.slice(0, -'/.default'.length) : scope;
}

/** One managed-identity request past MSAL's cache; MSAL stores the answer in its process-wide cache. */
export function msalForceRefresh(identity: ManagedIdentityChoice): (resource: string) => Promise<void> {
  // The identity's parameters exactly as ManagedIdentityCredential passes them (its cache key is the client
  // id, or MSAL's system-assigned id). The network client does not matter: MSAL keeps the managed-identity
  // source, with the network client of whichever application asked first, in a static too.
  const app = new ManagedIdentityApplication({
    managedIdentityIdParams: { userAssignedClientId: identity.clientId, userAssignedResourceId: undefined, userAssignedObjectId: undefined },
  });
  return async (resource) => {
    await app.acquireToken({ resource, forceRefresh: true });
  };
}

export interface ManagedIdentityRefreshOptions {
  /** The forced request; default MSAL's (msalForceRefresh). Injected by tests. */
  forceRefresh: (resource: string) => Promise<void>;
  /**
   * How long the forced request may take before the credential goes on without it (an IMDS that does not
   * answer: DefaultAzureCredential then authenticates otherwise). Default 10 s.
   */
  timeoutMs?: number;
  /** Told when the forced request failed or timed out; the credential then answers as it would have. */
  onRefreshFailed?: (err: unknown, scope: string) => void;
}

/**
 * `credential`, but its first token for each scope comes after one forced managed-identity request for that
 * scope's resource, so MSAL's shared cache no longer holds the revoked token.
 */
export function withManagedIdentityRefresh(credential: TokenCredential, opts: ManagedIdentityRefreshOptions): TokenCredential {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const refreshed = new Map<string, Promise<void>>();

  function refreshOnce(scope: string): Promise<void> {
    let pending = refreshed.get(scope);
    if (!pending) {
      pending = withTimeout(opts.forceRefresh(resourceOfScope(scope)), timeoutMs).catch((err: unknown) => opts.onRefreshFailed?.(err, scope));
      refreshed.set(scope, pending);
    }
    return pending;
  }

  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      const list = ([] as string[]).concat(scopes);
      // Several scopes cannot be a managed-identity request (identity refuses them too): asked as is.
      if (list.length === 1) await refreshOnce(list[0]!);
      return credential.getToken(scopes, options);
    },
  };
}

function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the managed identity did not answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
