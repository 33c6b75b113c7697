// Which of the policy's user groups (S… ids) a Slack user belongs to. Approver and deployer lists may
// name user groups; Slack only says who is in a group (usergroups.users.list, scope usergroups:read), so
// memberships are fetched per group and cached briefly: a click must be acknowledged within 3 seconds.
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';

export interface UserGroupResolver {
  /** The groups among `candidates` that `userId` is a member of. */
  groupsOf(userId: string, candidates: readonly string[]): Promise<string[]>;
}

export function userGroupIds(lists: ReadonlyArray<readonly string[] | undefined>): string[] {
  return [...new Set(lists.flatMap((l) => l ?? []).filter((id) => /^S[A-Z0-9]+$/.test(id)))];
}

export function createUserGroupResolver(deps: { client: WebClient; logger: Logger; ttlMs?: number; now?: () => number }): UserGroupResolver {
  const ttlMs = deps.ttlMs ?? 60_000;
  const now = deps.now ?? Date.now;
  const cache = new Map<string, { members: Set<string>; at: number }>();

  async function members(group: string): Promise<Set<string>> {
    const hit = cache.get(group);
    if (hit && now() - hit.at < ttlMs) return hit.members;
    try {
      const res = await deps.client.usergroups.users.list({ usergroup: group });
      const set = new Set(res.users ?? []);
      cache.set(group, { members: set, at: now() });
      return set;
    } catch (err) {
      // Fail closed: an unreadable group admits nobody (and the user is told they are not on the list).
      deps.logger.warn({ err, group }, 'could not read user group members');
      return hit?.members ?? new Set();
    }
  }

  return {
    async groupsOf(userId, candidates) {
      const groups = candidates.filter((id) => /^S[A-Z0-9]+$/.test(id));
      const found = await Promise.all(groups.map(async (g) => ((await members(g)).has(userId) ? g : undefined)));
      return found.filter((g): g is string => g !== undefined);
    },
  };
}
