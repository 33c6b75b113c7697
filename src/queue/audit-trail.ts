// Who asked for what, who approved it, and how it ended — every request, decision and outcome,
// appended to Redis streams (XADD) so the record survives bot restarts and is ordered by Redis'
// stream ids. One stream for everything (capped, newest kept) and one per request, so "what happened
// to this request" reads only that request's events.
import type { RedisConnection } from './connection';
import { z } from 'zod';
import { redisKey } from './redis-keys';

export const auditEventTypeSchema = z.enum([
  'requested',
  'approval-requested',
  'approved',
  'rejected',
  'expired',
  'withdrawn',
  'denied',
  'started',
  'succeeded',
  'failed',
  'canceled',
  'locked',
  'unlocked',
]);
export type AuditEventType = z.infer<typeof auditEventTypeSchema>;

export const auditEventInputSchema = z.object({
  type: auditEventTypeSchema,
  requestId: z.string().min(1),
  /** The Slack user who acted (requester, approver), or omitted for the bot itself. */
  actor: z.string().optional(),
  action: z.string().optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
export type AuditEventInput = z.infer<typeof auditEventInputSchema>;

export const auditEventSchema = auditEventInputSchema.extend({
  /** The Redis stream id: orders events, and its first part is the server's ms timestamp. */
  id: z.string(),
  at: z.number(),
});
export type AuditEvent = z.infer<typeof auditEventSchema>;

export interface AuditTrail {
  record(event: AuditEventInput): Promise<void>;
  /** Oldest first: a request's events, or the latest `count` events of all requests. */
  list(opts?: { requestId?: string; count?: number }): Promise<AuditEvent[]>;
}

export interface AuditTrailDeps {
  connection: RedisConnection;
  prefix: string;
  now?: () => number;
  /** Approximate cap of the all-requests stream (XADD MAXLEN ~). */
  maxEvents?: number;
}

const PER_REQUEST_MAX_EVENTS = 1_000;
const PER_REQUEST_RETENTION_SECONDS = 180 * 24 * 3600;
const DEFAULT_LIST_COUNT = 100;

// Keys whose values are credentials or bearer capabilities (a response_url lets anyone post as the
// app; a SAS URL reads the data). The audit trail is a log, and secrets are never logged.
const SECRET_KEY = /token|secret|password|passwd|authorization|signature|credential|api[-_]?key|sas|response[-_]?url|connection[-_]?string/i;
const REDACTED = '[redacted]';

/** A copy of `value` with every secret-looking field replaced, at any depth. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 20) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? REDACTED : redactSecrets(v, depth + 1)]),
    );
  }
  if (typeof value === 'string') return redactSecretsInText(value);
  return value;
}

/**
 * Secrets inside free text: a SAS signature (`sig=`) and the user info of a URL
 * (`https://user:token@host`, as in a conda file's `--extra-index-url`), wherever they appear.
 */
export function redactSecretsInText(text: string): string {
  return text
    .replace(/([?&]sig=)[^&\s"']*/gi, `$1${REDACTED}`)
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@"'<>]+@/gi, `$1${REDACTED}@`);
}

export function createAuditTrail(deps: AuditTrailDeps): AuditTrail {
  const { connection, prefix } = deps;
  const now = deps.now ?? Date.now;
  const maxEvents = deps.maxEvents ?? 100_000;
  const allKey = redisKey(prefix, 'audit');
  const requestKey = (requestId: string): string => redisKey(prefix, 'audit', 'request', requestId);

  return {
    async record(raw) {
      const event = auditEventInputSchema.parse(raw);
      const fields: string[] = ['type', event.type, 'requestId', event.requestId, 'at', String(now())];
      if (event.actor) fields.push('actor', event.actor);
      if (event.action) fields.push('action', event.action);
      if (event.detail) fields.push('detail', JSON.stringify(redactSecrets(event.detail)));
      // A refusal before a request was taken ('denied' with no stream yet) goes only to the capped
      // all-requests stream: NOMKSTREAM keeps a flood of refused asks from leaving one 180-day stream each.
      const noNewStream: string[] = event.type === 'denied' ? ['NOMKSTREAM'] : [];
      await connection
        .multi()
        .xadd(allKey, 'MAXLEN', '~', maxEvents, '*', ...fields)
        .call('XADD', requestKey(event.requestId), ...noNewStream, 'MAXLEN', '~', String(PER_REQUEST_MAX_EVENTS), '*', ...fields)
        .expire(requestKey(event.requestId), PER_REQUEST_RETENTION_SECONDS)
        .exec();
    },

    async list(opts = {}) {
      const count = opts.count ?? DEFAULT_LIST_COUNT;
      const entries = opts.requestId
        ? await connection.xrange(requestKey(opts.requestId), '-', '+', 'COUNT', count)
        : (await connection.xrevrange(allKey, '+', '-', 'COUNT', count)).reverse();
      return entries.map(([id, fields]) => toEvent(id, fields));
    },
  };
}

function toEvent(id: string, flat: string[]): AuditEvent {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string);
  const detail = fields.get('detail');
  return auditEventSchema.parse({
    id,
    at: Number(fields.get('at')),
    type: fields.get('type'),
    requestId: fields.get('requestId'),
    ...(fields.has('actor') ? { actor: fields.get('actor') } : {}),
    ...(fields.has('action') ? { action: fields.get('action') } : {}),
    ...(detail ? { detail: JSON.parse(detail) } : {}),
  });
}
