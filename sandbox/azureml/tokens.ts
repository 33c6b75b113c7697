// Bearer tokens the sandbox issues and checks: HS256-signed JWTs with the claims Azure AD puts in an
// access token (aud, iss, iat, nbf, exp, tid, oid, appid). The secret is random per sandbox, so a
// token from one sandbox never works on another. Failures map to ARM's 401 codes
// (AuthenticationFailed, InvalidAuthenticationToken, InvalidAuthenticationTokenAudience,
// ExpiredAuthenticationToken) in arm-errors.ts.
import crypto from 'node:crypto';
import { audienceOfScope, normalizeAudience } from './clouds';

/** `@azure/core-auth`'s TokenCredential, structurally. */
export interface AccessToken {
  token: string;
  expiresOnTimestamp: number;
}
export interface TokenCredential {
  getToken(scopes: string | string[], options?: unknown): Promise<AccessToken | null>;
}

export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: 'missing' | 'malformed' | 'bad-signature' | 'expired' | 'wrong-audience'; detail: string };

export interface TokenClaims {
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  tid: string;
  oid: string;
  appid: string;
}

const b64url = (buf: Buffer | string): string => Buffer.from(buf).toString('base64url');

export interface TokenAuthority {
  issue(audience: string, lifetimeMs?: number): AccessToken;
  credential: TokenCredential;
  /** Checks an `Authorization` header value against the accepted audiences. */
  verify(authorization: string | undefined, acceptedAudiences: readonly string[]): TokenCheck;
  /** Every token issued so far is treated as expired (a fault: "tokens expired early"). */
  expireAll(): void;
  setLifetimeMs(ms: number): void;
  tenantId: string;
}

export function createTokenAuthority(opts: { authorityHost: string; lifetimeMs?: number; now?: () => number }): TokenAuthority {
  const secret = crypto.randomBytes(32);
  const tenantId = crypto.randomUUID();
  const principalId = crypto.randomUUID();
  const now = opts.now ?? Date.now;
  let lifetimeMs = opts.lifetimeMs ?? 60 * 60 * 1000;
  /** Tokens carry a signed issue sequence number; those below this mark count as expired (expireAll). */
  let nextSequence = 1;
  let revokedBelow = 0;
  let revokedAtMs = 0;

  const sign = (input: string): string => crypto.createHmac('sha256', secret).update(input).digest('base64url');

  const issue = (audience: string, lifetime = lifetimeMs): AccessToken => {
    const nowMs = now();
    const claims: TokenClaims & { jti: string; xms_sandbox_seq: number } = {
      aud: normalizeAudience(audience),
      iss: `${opts.authorityHost.replace(/\/+$/, '')}/${tenantId}/`,
      iat: Math.floor(nowMs / 1000),
      nbf: Math.floor(nowMs / 1000) - 60,
      exp: Math.floor((nowMs + lifetime) / 1000),
      tid: tenantId,
      oid: principalId,
      appid: principalId,
      jti: crypto.randomUUID(),
      xms_sandbox_seq: nextSequence++,
    };
    const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const body = b64url(JSON.stringify(claims));
    const token = `${head}.${body}.${sign(`${head}.${body}`)}`;
    return { token, expiresOnTimestamp: claims.exp * 1000 };
  };

  const verify = (authorization: string | undefined, accepted: readonly string[]): TokenCheck => {
    if (!authorization) return { ok: false, reason: 'missing', detail: "The 'Authorization' header is missing." };
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match?.[1]) {
      return { ok: false, reason: 'malformed', detail: "The 'Authorization' header is not a Bearer token." };
    }
    const parts = match[1].split('.');
    if (parts.length !== 3) return { ok: false, reason: 'malformed', detail: 'The access token is not a JWT.' };
    const [head, body, signature] = parts as [string, string, string];
    const expected = Buffer.from(sign(`${head}.${body}`));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) {
      return { ok: false, reason: 'bad-signature', detail: 'The access token signature is invalid.' };
    }
    let claims: TokenClaims & { xms_sandbox_seq?: number };
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenClaims & { xms_sandbox_seq?: number };
    } catch {
      return { ok: false, reason: 'malformed', detail: 'The access token payload is not JSON.' };
    }
    const nowMs = now();
    const revoked = (claims.xms_sandbox_seq ?? 0) < revokedBelow;
    if (claims.exp * 1000 <= nowMs || revoked) {
      const expiry = new Date(revoked ? Math.min(claims.exp * 1000, revokedAtMs) : claims.exp * 1000);
      return {
        ok: false,
        reason: 'expired',
        detail: `The access token expiry UTC time '${expiry.toUTCString()}' is earlier than current UTC time '${new Date(nowMs).toUTCString()}'.`,
      };
    }
    const aud = normalizeAudience(String(claims.aud));
    if (!accepted.some((a) => normalizeAudience(a) === aud)) {
      return {
        ok: false,
        reason: 'wrong-audience',
        detail:
          `The access token has been obtained for wrong audience or resource '${claims.aud}'. ` +
          `It should exactly match with one of the allowed audiences ${accepted.map((a) => `'${a}/'`).join(',')}.`,
      };
    }
    return { ok: true, claims };
  };

  return {
    issue,
    verify,
    tenantId,
    credential: {
      async getToken(scopes) {
        const list = Array.isArray(scopes) ? scopes : [scopes];
        const scope = list[0];
        if (!scope) throw new Error('getToken needs a scope, e.g. https://management.azure.com/.default');
        return issue(audienceOfScope(scope));
      },
    },
    expireAll() {
      revokedBelow = nextSequence;
      revokedAtMs = now();
    },
    setLifetimeMs(ms) {
      lifetimeMs = ms;
    },
  };
}
