// Which of the policy's user groups (S… ids) a Slack user belongs to. Approver and deployer lists may
// name user groups; Slack only says who is in a group (usergroups.users.list, scope usergroups:read, Tier 2),
// so memberships are fetched per group and cached briefly: a click must be acknowledged within 3 seconds.
//
// Fail closed, promptly, and say so: a look-up has its own deadline, and when it fails the last answer is
// used only while it is younger than `maxStaleMs` (so a removed approver cannot keep approving through a
// Slack outage); past that, or with nothing cached, the look-up throws UserGroupLookupFailed and the
// person is told that nothing was decided, rather than being told they are not on the list.
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';

export type UserGroupFailure = 'unavailable' | 'no-user-groups';

/** The groups could not be read, and no answer recent enough is cached. */
export class UserGroupLookupFailed extends Error {
  constructor(
    readonly reason: UserGroupFailure,
    readonly group: string,
  ) {
    super(`could not read the members of user group ${group} (${reason})`);
    this.name = 'UserGroupLookupFailed';
  }
}

export interface UserGroupResolver {
  /** The groups among `candidates` that `userId` is a member of; throws UserGroupLookupFailed. */
  groupsOf(userId: string, candidates: readonly string[]): Promise<string[]>;
}

export function userGroupIds(lists: ReadonlyArray<readonly string[] | undefined>): string[] {
  return [...new Set(lists.flatMap((l) => l ?? []).filter((id) => /^S[A-Z0-9]+$/.test(id)))];
}

/** Slack's answer for a workspace whose plan has no user groups (free plan). */
const NO_USER_GROUPS = new Set(['plan_upgrade_required', 'paid_teams_only', 'feature_not_enabled']);

export function createUserGroupResolver(deps: {
  client: Pick<WebClient, 'usergroups'>;
  logger: Logger;
  /** How long a membership list is used without asking again (default 60 s). */
  ttlMs?: number;
  /** How old a list may be and still be used while Slack cannot be asked (default 5 min). */
  maxStaleMs?: number;
  /** The look-up's own deadline inside an acknowledgement (default 1.5 s). */
  timeoutMs?: number;
  now?: () => number;
}): UserGroupResolver {
  const ttlMs = deps.ttlMs ?? 60_000;
  const maxStaleMs = Math.max(ttlMs, deps.maxStaleMs ?? 5 * 60_000);
  const timeoutMs = deps.timeoutMs ?? 1_500;
  const now = deps.now ?? Date.now;
  const cache = new Map<string, { members: Set<string>; at: number }>();

  async function fetchMembers(group: string): Promise<Set<string>> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`usergroups.users.list took over ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const res = await Promise.race([deps.client.usergroups.users.list({ usergroup: group }), deadline]);
      return new Set(res.users ?? []);
    } finally {
      clearTimeout(timer);
    }
  }

  async function members(group: string): Promise<Set<string>> {
    const hit = cache.get(group);
    if (hit && now() - hit.at < ttlMs) return hit.members;
    try {
      const set = await fetchMembers(group);
      cache.set(group, { members: set, at: now() });
      return set;
    } catch (err) {
      const code = (err as { data?: { error?: string } }).data?.error;
      // A group that no longer exists has no members: that is an answer, not a failure.
      if (code === 'no_such_subteam') {
        cache.set(group, { members: new Set(), at: now() });
        return new Set();
      }
      if (code !== undefined && NO_USER_GROUPS.has(code)) {
        deps.logger.error({ group, code }, 'this Slack workspace has no user groups; name approvers and requesters by user id (U…) instead');
        throw new UserGroupLookupFailed('no-user-groups', group);
      }
      if (hit && now() - hit.at < maxStaleMs) {
        deps.logger.warn({ err, group, ageMs: now() - hit.at }, 'could not read user group members; using the last list, still within its staleness bound');
        return hit.members;
      }
      deps.logger.warn({ err, group }, 'could not read user group members, and no recent list is cached: refusing');
      throw new UserGroupLookupFailed('unavailable', group);
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
