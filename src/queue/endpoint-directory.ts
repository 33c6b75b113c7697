// The workspace's batch endpoints as the workers last saw them, kept in Redis so the bot can offer them
// in the run modal without calling Azure inside Slack's 3-second window. Workers refresh it whenever they
// list, create or delete endpoints; it is a convenience for pickers, never a source of truth.
import type { RedisConnection } from './connection';
import { z } from 'zod';
import type { EndpointSummary } from '../usecases/endpoint-summary';
import { workspaceKey } from './redis-keys';

export const endpointEntrySchema = z.object({
  name: z.string(),
  defaultDeployment: z.string().optional(),
  deployments: z.array(z.string()).default([]),
  scoringUri: z.string().optional(),
});
export type EndpointEntry = z.infer<typeof endpointEntrySchema>;

/** The directory's entry for an endpoint, from its summary. */
export function endpointEntryOf(endpoint: Pick<EndpointSummary, 'name' | 'defaultDeployment' | 'scoringUri'>, deployments: string[] = []): EndpointEntry {
  return {
    name: endpoint.name,
    deployments,
    ...(endpoint.defaultDeployment ? { defaultDeployment: endpoint.defaultDeployment } : {}),
    ...(endpoint.scoringUri ? { scoringUri: endpoint.scoringUri } : {}),
  };
}

export interface EndpointDirectory {
  list(): Promise<EndpointEntry[]>;
  /** Replaces the whole directory with a fresh listing. */
  replace(entries: EndpointEntry[]): Promise<void>;
  upsert(entry: EndpointEntry): Promise<void>;
  remove(name: string): Promise<void>;
}

export function createEndpointDirectory(deps: { connection: RedisConnection; prefix: string; profile?: string }): EndpointDirectory {
  const key = workspaceKey(deps.prefix, 'endpoints', deps.profile);
  return {
    async list() {
      const all = await deps.connection.hgetall(key);
      return Object.values(all)
        .map((raw) => endpointEntrySchema.safeParse(JSON.parse(raw)))
        .flatMap((r) => (r.success ? [r.data] : []))
        .sort((a, b) => a.name.localeCompare(b.name));
    },
    async replace(entries) {
      const multi = deps.connection.multi().del(key);
      for (const e of entries) multi.hset(key, e.name, JSON.stringify(endpointEntrySchema.parse(e)));
      await multi.exec();
    },
    async upsert(entry) {
      await deps.connection.hset(key, entry.name, JSON.stringify(endpointEntrySchema.parse(entry)));
    },
    async remove(name) {
      await deps.connection.hdel(key, name);
    },
  };
}
