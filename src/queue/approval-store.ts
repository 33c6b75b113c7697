// Pending approvals, kept in Redis so a restart of the bot does not forget who is waiting for what,
// and decided atomically in a Lua script: when two approvers click at once, or Slack retries an
// interaction it thinks went unanswered, exactly one decision wins and the others are told who won.
//
// Per approval, a hash `${prefix}:approval:${id}` holds the immutable request as JSON (`body`) and the
// mutable state as plain fields (`status`, `decidedBy`, `decidedAt`), so the script never
// re-encodes the user's command (Redis' cjson would turn [] into {} and round large numbers).
// `${prefix}:approvals:pending` is a sorted set of pending ids by expiry.
import { randomUUID } from 'node:crypto';
import type { RedisConnection } from './connection';
import { z } from 'zod';
import { requesterSchema } from './payloads';
import { redisKey } from './redis-keys';

/** `withdrawn`: the requester took the request back before anyone decided. */
export const approvalStatusSchema = z.enum(['pending', 'approved', 'rejected', 'expired', 'withdrawn']);

export const approvalRequestSchema = z.object({
  id: z.string().min(1),
  /** What would run if approved, e.g. 'deploy' or 'delete-endpoint' (the approval policy's action name). */
  action: z.string().min(1),
  requester: requesterSchema,
  /** The parsed Command to enqueue once approved. */
  command: z.unknown(),
  /** The request this approval belongs to, when it has one (ties the approval to its thread and audit). */
  requestId: z.string().optional(),
  createdAt: z.number(),
  expiresAt: z.number(),
  status: approvalStatusSchema,
  decidedBy: z.string().optional(),
  decidedAt: z.number().optional(),
});
export type ApprovalRequest = z.infer<typeof approvalRequestSchema>;

export const approvalInputSchema = z.object({
  id: z.string().min(1).max(128).optional(),
  action: z.string().min(1),
  requester: requesterSchema,
  command: z.unknown(),
  requestId: z.string().optional(),
  /** How long approvers have; default one hour. Ignored when expiresAt is given. */
  ttlMs: z.number().int().positive().optional(),
  expiresAt: z.number().optional(),
});
export type ApprovalInput = z.input<typeof approvalInputSchema>;

export interface ApprovalDecision {
  approve: boolean;
  /** The Slack user who clicked. */
  userId: string;
  /** When they clicked (ms since epoch); compared with expiresAt. */
  at: number;
}

export type DecideResult =
  | { ok: true; request: ApprovalRequest }
  | { ok: false; reason: 'not-found' | 'already-decided' | 'expired'; request?: ApprovalRequest };

export interface ApprovalStore {
  create(input: ApprovalInput): Promise<ApprovalRequest>;
  get(id: string): Promise<ApprovalRequest | undefined>;
  /** Exactly one caller wins, even for two clicks at once or a Slack retry; the rest learn why not. */
  decide(id: string, decision: ApprovalDecision): Promise<DecideResult>;
  /**
   * The requester takes a pending request back. The same atomic transition as decide, so a Withdraw
   * racing an Approve or Reject has exactly one winner; who may withdraw is checked by the caller.
   */
  withdraw(id: string, by: { userId: string; at: number }): Promise<DecideResult>;
  /** Pending approvals not yet past their expiry, oldest expiry first. */
  listPending(): Promise<ApprovalRequest[]>;
  /** Marks every pending approval past its expiry as expired and returns them (to update their messages and audit). */
  expireDue(): Promise<ApprovalRequest[]>;
}

export interface ApprovalStoreDeps {
  connection: RedisConnection;
  prefix: string;
  now?: () => number;
}

export class ApprovalExistsError extends Error {
  readonly code = 'approval_exists';
  constructor(readonly id: string) {
    super(`an approval with id ${id} already exists`);
    this.name = 'ApprovalExistsError';
  }
}

const DEFAULT_TTL_MS = 60 * 60_000;
/** Decided approvals stay readable this long (a late click still learns who decided). */
const DECIDED_RETENTION_SECONDS = 30 * 24 * 3600;

// One script, so an approval is never half-written; refuses an existing id, because a second create
// must not reset an approval that was already decided.
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'body', ARGV[2], 'status', 'pending', 'expiresAt', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
`;

// KEYS[1] approval hash, KEYS[2] pending zset; ARGV: id, status ('approved'|'rejected'|'withdrawn'), userId, at, retention.
// Returns {outcome}: 'ok' | 'not-found' | 'already-decided' | 'expired'.
const DECIDE = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'not-found' end
if status ~= 'pending' then return 'already-decided' end
local expiresAt = tonumber(redis.call('HGET', KEYS[1], 'expiresAt'))
if tonumber(ARGV[4]) >= expiresAt then
  redis.call('HSET', KEYS[1], 'status', 'expired')
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  return 'expired'
end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'decidedBy', ARGV[3], 'decidedAt', ARGV[4])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 'ok'
`;

// Expires one approval if it is still pending; returns 1 when this call expired it.
const EXPIRE_IF_PENDING = `
if redis.call('HGET', KEYS[1], 'status') ~= 'pending' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
redis.call('HSET', KEYS[1], 'status', 'expired')
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
`;

const bodySchema = approvalRequestSchema.pick({
  id: true,
  action: true,
  requester: true,
  command: true,
  requestId: true,
  createdAt: true,
  expiresAt: true,
});

export function createApprovalStore(deps: ApprovalStoreDeps): ApprovalStore {
  const { connection, prefix } = deps;
  const now = deps.now ?? Date.now;
  const keyOf = (id: string): string => redisKey(prefix, 'approval', id);
  const pendingKey = redisKey(prefix, 'approvals', 'pending');

  async function get(id: string): Promise<ApprovalRequest | undefined> {
    const fields = await connection.hgetall(keyOf(id));
    if (!fields.body || !fields.status) return undefined;
    const body = bodySchema.parse(JSON.parse(fields.body));
    return approvalRequestSchema.parse({
      ...body,
      status: fields.status,
      ...(fields.decidedBy ? { decidedBy: fields.decidedBy } : {}),
      ...(fields.decidedAt ? { decidedAt: Number(fields.decidedAt) } : {}),
    });
  }

  async function getMany(ids: string[]): Promise<ApprovalRequest[]> {
    const found = await Promise.all(ids.map(get));
    return found.filter((r): r is ApprovalRequest => r !== undefined);
  }

  async function transition(id: string, status: 'approved' | 'rejected' | 'withdrawn', userId: string, at: number): Promise<DecideResult> {
    const outcome = (await connection.eval(DECIDE, 2, keyOf(id), pendingKey, id, status, userId, String(at), DECIDED_RETENTION_SECONDS)) as
      | 'ok'
      | 'not-found'
      | 'already-decided'
      | 'expired';
    if (outcome === 'not-found') return { ok: false, reason: 'not-found' };
    const request = await get(id);
    if (!request) return { ok: false, reason: 'not-found' };
    if (outcome === 'ok') return { ok: true, request };
    return { ok: false, reason: outcome, request };
  }

  return {
    async create(raw) {
      const input = approvalInputSchema.parse(raw);
      const createdAt = now();
      const body = bodySchema.parse({
        id: input.id ?? randomUUID(),
        action: input.action,
        requester: input.requester,
        command: input.command,
        ...(input.requestId ? { requestId: input.requestId } : {}),
        createdAt,
        expiresAt: input.expiresAt ?? createdAt + (input.ttlMs ?? DEFAULT_TTL_MS),
      });
      const retentionMs = Math.max(0, body.expiresAt - createdAt) + DECIDED_RETENTION_SECONDS * 1000;
      const created = await connection.eval(CREATE, 2, keyOf(body.id), pendingKey, body.id, JSON.stringify(body), String(body.expiresAt), retentionMs);
      if (Number(created) === 0) throw new ApprovalExistsError(body.id);
      return { ...body, status: 'pending' };
    },

    get,

    decide: (id, decision) => transition(id, decision.approve ? 'approved' : 'rejected', decision.userId, decision.at),

    withdraw: (id, by) => transition(id, 'withdrawn', by.userId, by.at),

    async listPending() {
      const ids = await connection.zrangebyscore(pendingKey, `(${now()}`, '+inf');
      return (await getMany(ids)).filter((r) => r.status === 'pending');
    },

    async expireDue() {
      const ids = await connection.zrangebyscore(pendingKey, '-inf', now());
      const expired: string[] = [];
      for (const id of ids) {
        const changed = await connection.eval(EXPIRE_IF_PENDING, 2, keyOf(id), pendingKey, id, DECIDED_RETENTION_SECONDS);
        if (Number(changed) === 1) expired.push(id);
      }
      return getMany(expired);
    },
  };
}
