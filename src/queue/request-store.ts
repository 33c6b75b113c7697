// What the bot knows about each request — its kind, who asked, where its thread lives, how it stands —
// and which request started a given batch scoring job, so `/batch-score status <job>` and the watch
// worker find the request's thread from the job name alone.
//
// Per request a hash `${prefix}:request:${id}`: the immutable part as JSON (`body`) and the changing
// part as fields (`status`, `summary`, `updatedAt`, `jobName`). Recent requests are listed from a
// sorted set by creation time; job names map to request ids with plain keys.
import type { RedisConnection } from './connection';
import { z } from 'zod';
import { requesterSchema, requestIdSchema } from './payloads';
import { redisKey } from './redis-keys';

export const requestKindSchema = z.enum(['deploy', 'run', 'ops']);
export type RequestKind = z.infer<typeof requestKindSchema>;

export const requestStatusSchema = z.enum([
  'awaiting-approval',
  'queued',
  'running',
  'succeeded',
  'failed',
  'canceled',
  'rejected',
  'expired',
  'denied',
  /** The requester took it back before an approver decided. */
  'withdrawn',
]);
export type RequestStatus = z.infer<typeof requestStatusSchema>;

/** Outcomes: once a request reaches one, a late or retried step cannot move it back. */
export const FINAL_REQUEST_STATUSES: readonly RequestStatus[] = ['succeeded', 'failed', 'canceled', 'rejected', 'expired', 'denied', 'withdrawn'];

export const requestRecordSchema = z.object({
  requestId: requestIdSchema,
  kind: requestKindSchema,
  requester: requesterSchema,
  /** The channel of the request's thread. */
  channel: z.string().min(1),
  createdAt: z.number(),
  status: requestStatusSchema,
  /** One line for lists and status answers, e.g. "deploy fraud-model v3 to fraud-ep/blue". */
  summary: z.string().max(500),
  updatedAt: z.number(),
  /** The batch scoring job's name once invoked (run requests). */
  jobName: z.string().optional(),
  /**
   * What was asked (a WorkRequest, src/queue/work-request.ts), for Re-run and Retry deploy. Kept as data:
   * whoever reads it parses it with workRequestSchema, so a record from an older bot is refused, not trusted.
   */
  work: z.unknown().optional(),
});
export type RequestRecord = z.infer<typeof requestRecordSchema>;

export const requestInputSchema = requestRecordSchema
  .pick({ requestId: true, kind: true, requester: true, channel: true, summary: true, work: true })
  .extend({ status: requestStatusSchema.default('queued') });
export type RequestInput = z.input<typeof requestInputSchema>;

export interface RequestUpdate {
  status?: RequestStatus;
  summary?: string;
}

export interface RequestStore {
  /** Records a new request; a second create with the same id keeps the first (a Slack retry). */
  create(input: RequestInput): Promise<RequestRecord>;
  get(requestId: string): Promise<RequestRecord | undefined>;
  /** Changes status and/or summary; a request that reached a final status keeps it. Undefined when unknown. */
  update(requestId: string, update: RequestUpdate): Promise<RequestRecord | undefined>;
  /** Remembers that `jobName` (a batch scoring job) belongs to the request. */
  linkJob(requestId: string, jobName: string): Promise<void>;
  findByJob(jobName: string): Promise<RequestRecord | undefined>;
  /** The request a job was linked to, even when that request's record has expired or was never written. */
  requestIdOfJob(jobName: string): Promise<string | undefined>;
  /** Newest first. */
  listRecent(count?: number): Promise<RequestRecord[]>;
}

export interface RequestStoreDeps {
  connection: RedisConnection;
  prefix: string;
  now?: () => number;
  /** How long a request is remembered after its last change; default 30 days. */
  retentionSeconds?: number;
}

const DEFAULT_RETENTION_SECONDS = 30 * 24 * 3600;
const RECENT_KEPT = 1_000;

const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'body', ARGV[1], 'status', ARGV[2], 'summary', ARGV[3], 'updatedAt', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[7]) + 1))
return 1
`;

// ARGV: status ('' = unchanged), summary ('' with ARGV[3]=='0' = unchanged), hasSummary, updatedAt,
// retention, then the final statuses.
const UPDATE = `
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return 0 end
local final = {}
for i = 6, #ARGV do final[ARGV[i]] = true end
if ARGV[1] ~= '' and not final[current] then redis.call('HSET', KEYS[1], 'status', ARGV[1]) end
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'summary', ARGV[2]) end
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
`;

const bodySchema = requestRecordSchema.pick({ requestId: true, kind: true, requester: true, channel: true, createdAt: true, work: true });

export function createRequestStore(deps: RequestStoreDeps): RequestStore {
  const { connection, prefix } = deps;
  const now = deps.now ?? Date.now;
  const retention = deps.retentionSeconds ?? DEFAULT_RETENTION_SECONDS;
  const keyOf = (requestId: string): string => redisKey(prefix, 'request', requestId);
  const recentKey = redisKey(prefix, 'requests', 'recent');
  const jobKey = (jobName: string): string => redisKey(prefix, 'request-by-job', jobName);

  async function get(requestId: string): Promise<RequestRecord | undefined> {
    const fields = await connection.hgetall(keyOf(requestId));
    if (!fields.body || !fields.status) return undefined;
    return requestRecordSchema.parse({
      ...bodySchema.parse(JSON.parse(fields.body)),
      status: fields.status,
      summary: fields.summary ?? '',
      updatedAt: Number(fields.updatedAt),
      ...(fields.jobName ? { jobName: fields.jobName } : {}),
    });
  }

  return {
    async create(raw) {
      const input = requestInputSchema.parse(raw);
      const at = now();
      const body = bodySchema.parse({ ...input, createdAt: at });
      await connection.eval(
        CREATE,
        2,
        keyOf(input.requestId),
        recentKey,
        JSON.stringify(body),
        input.status,
        input.summary,
        String(at),
        input.requestId,
        retention,
        RECENT_KEPT,
      );
      const record = await get(input.requestId);
      if (!record) throw new Error(`request ${input.requestId} vanished right after it was created`);
      return record;
    },

    get,

    async update(requestId, update) {
      const status = update.status === undefined ? '' : requestStatusSchema.parse(update.status);
      const summary = update.summary === undefined ? undefined : requestRecordSchema.shape.summary.parse(update.summary);
      const found = await connection.eval(
        UPDATE,
        1,
        keyOf(requestId),
        status,
        summary ?? '',
        summary === undefined ? '0' : '1',
        String(now()),
        retention,
        ...FINAL_REQUEST_STATUSES,
      );
      return Number(found) === 1 ? get(requestId) : undefined;
    },

    async linkJob(requestId, jobName) {
      // HSET only on a known request: on its own it would create a record with no body and no expiry.
      await connection.eval(
          `redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[3])
           if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'jobName', ARGV[2]) end
           return 0`,
          2,
          keyOf(requestId),
          jobKey(jobName),
          requestId,
          jobName,
          retention,
        );
    },

    async requestIdOfJob(jobName) {
      return (await connection.get(jobKey(jobName))) ?? undefined;
    },

    async findByJob(jobName) {
      const requestId = await connection.get(jobKey(jobName));
      return requestId ? get(requestId) : undefined;
    },

    async listRecent(count = 20) {
      const ids = await connection.zrevrange(recentKey, 0, Math.max(0, count - 1));
      const records = await Promise.all(ids.map(get));
      return records.filter((r): r is RequestRecord => r !== undefined);
    },
  };
}
