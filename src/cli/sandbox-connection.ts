// `--sandbox`: run against the local Azure ML sandbox instead of Azure. `npm run sandbox:azureml` prints
// one JSON line (sandbox/azureml/main.ts); the CLI reads it from a file and turns it into the same Azure
// settings an operator would export (so config.ts still validates them) plus a credential.
//
// The credential: the sandbox checks token audiences like Azure (docs/architecture.md, "Tokens"): ARM
// routes want the resource-manager audience, scoring routes the ML audience. Only the sandbox process
// can mint tokens, so this credential hands out the two ready tokens the JSON line carries — `token`
// (ARM) and `scoringToken` (ML) — by the scope asked for. They expire with the sandbox's token lifetime
// (1 hour by default); restart the sandbox for fresh ones. A line without `scoringToken` can list and
// deploy but not invoke (the sandbox answers 401 InvalidAuthenticationTokenAudience).
import type { AccessToken, TokenCredential } from '@azure/identity';
import { z } from 'zod';
import { AZURE_CLOUDS, cloudNameSchema } from '../azureml/clouds';

export const sandboxConnectionSchema = z.looseObject({
  baseUrl: z.url(),
  subscriptionId: z.string().min(1),
  resourceGroup: z.string().min(1),
  workspace: z.string().min(1),
  location: z.string().min(1),
  cloud: cloudNameSchema.default('AzureCloud'),
  /** A bearer token for the cloud's resource-manager audience. */
  token: z.string().min(1),
  /** A bearer token for the cloud's ML (scoring) audience. */
  scoringToken: z.string().min(1).optional(),
  storageConnectionString: z.string().min(1),
  publicBaseUrl: z.string().optional(),
});
export type SandboxConnection = z.infer<typeof sandboxConnectionSchema>;

export class SandboxConnectionError extends Error {
  override readonly name = 'SandboxConnectionError';
  readonly code = 'InvalidSandboxFile';
}

/** Reads the JSON line out of the file's text (the first line that is a JSON object; log lines are skipped). */
export function parseSandboxConnection(text: string, source: string): SandboxConnection {
  const line = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l.startsWith('{'));
  if (line === undefined) {
    throw new SandboxConnectionError(`${source} holds no JSON line; write the line \`npm run sandbox:azureml\` prints into it`);
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new SandboxConnectionError(`${source}: the sandbox line is not valid JSON`);
  }
  const parsed = sandboxConnectionSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(line)'}: ${i.message}`).join('; ');
    throw new SandboxConnectionError(`${source}: the sandbox line is incomplete (${problems})`);
  }
  return parsed.data;
}

/** The environment variables (config.ts names) that point the CLI at the sandbox; layered over the real env. */
export function sandboxEnvironment(conn: SandboxConnection): Record<string, string> {
  return {
    AZURE_CLOUD: conn.cloud,
    AZURE_SUBSCRIPTION_ID: conn.subscriptionId,
    AZURE_RESOURCE_GROUP: conn.resourceGroup,
    AZUREML_WORKSPACE: conn.workspace,
    AZURE_LOCATION: conn.location,
    BATCH_SCORE_ARM_ENDPOINT: conn.baseUrl,
    BATCH_SCORE_STORAGE_CONNECTION_STRING: conn.storageConnectionString,
  };
}

/** Expiry from the JWT's `exp` claim; an unreadable token is assumed good for an hour. */
function expiryOf(token: string, now: number): number {
  const payload = token.split('.')[1];
  try {
    const exp: unknown = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')).exp;
    if (typeof exp === 'number') return exp * 1000;
  } catch {
    // not a JWT: fall through
  }
  return now + 60 * 60 * 1000;
}

export function createSandboxCredential(conn: SandboxConnection, now: () => number = Date.now): TokenCredential {
  const cloud = AZURE_CLOUDS[conn.cloud];
  const mlAudience = cloud.mlAudience.replace(/\/+$/, '');
  return {
    async getToken(scopes): Promise<AccessToken> {
      const scope = (Array.isArray(scopes) ? scopes[0] : scopes) ?? '';
      const wantsMl = scope.replace(/\/\.default$/, '').replace(/\/+$/, '') === mlAudience;
      const token = wantsMl && conn.scoringToken ? conn.scoringToken : conn.token;
      return { token, expiresOnTimestamp: expiryOf(token, now()) };
    },
  };
}
