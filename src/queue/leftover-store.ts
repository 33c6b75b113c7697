// What a failed deploy created and left behind, kept by the worker that saw it fail so that a click on
// "Remove what this created" (whose button carries only the request id) reads the list from here, never
// from the click. One JSON string per request, `${prefix}:leftovers:${requestId}`, kept 30 days.
import { z } from 'zod';
import { createdResourceSchema } from '../domain/deploy-leftovers';
import type { RedisConnection } from './connection';
import { requesterSchema, requestIdSchema } from './payloads';
import { redisKey } from './redis-keys';

export const leftoversSchema = z.object({
  requestId: requestIdSchema,
  requester: requesterSchema,
  endpointName: z.string().min(1),
  deploymentName: z.string().min(1),
  resources: z.array(createdResourceSchema).min(1).max(20),
  recordedAt: z.number(),
  /** The cleanup request that removed them, once one did. */
  removedBy: z.string().optional(),
});
export type Leftovers = z.infer<typeof leftoversSchema>;

export interface LeftoverStore {
  put(leftovers: Leftovers): Promise<void>;
  get(requestId: string): Promise<Leftovers | undefined>;
  markRemoved(requestId: string, by: string): Promise<void>;
}

const RETENTION_SECONDS = 30 * 24 * 3600;

export function createLeftoverStore(deps: { connection: RedisConnection; prefix: string }): LeftoverStore {
  const keyOf = (requestId: string): string => redisKey(deps.prefix, 'leftovers', requestId);
  const get = async (requestId: string): Promise<Leftovers | undefined> => {
    const raw = await deps.connection.get(keyOf(requestId));
    if (!raw) return undefined;
    const parsed = leftoversSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  };
  return {
    async put(leftovers) {
      await deps.connection.set(keyOf(leftovers.requestId), JSON.stringify(leftoversSchema.parse(leftovers)), 'EX', RETENTION_SECONDS);
    },
    get,
    async markRemoved(requestId, by) {
      const current = await get(requestId);
      if (!current) return;
      await deps.connection.set(keyOf(requestId), JSON.stringify({ ...current, removedBy: by }), 'EX', RETENTION_SECONDS);
    },
  };
}
