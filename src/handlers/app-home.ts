// The App Home tab: on `app_home_opened` (Events API), read what the stores hold and publish the tab with
// views.publish. Nothing here calls Azure: endpoints come from the directory the workers keep fresh, jobs
// from the request store, approvals and locks from theirs. After a decision clicked on the tab, the tab is
// published again with a line saying what happened (a click there has no response_url to answer on).
import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { mayDecide } from '../domain/approval-policy';
import { buildHomeView } from '../slack/home/home-view';
import { subjectOfApproval } from '../queue/work-request';
import type { BotDeps } from './bot-deps';
import { userGroupIds } from './user-groups';
import { logRequestFailure } from './request-failure-log';
import { workspaceNamed } from './bot-workspaces';

/** How many of the user's requests the tab lists, and how far back it looks for them. */
const MY_REQUESTS = 10;
const RECENT_WINDOW = 200;

export async function publishHome(deps: BotDeps, client: Pick<WebClient, 'views'>, userId: string, notice?: string): Promise<void> {
  const now = deps.intake.now();
  const several = deps.workspaces.length > 1;
  const [perWorkspace, recent, pending, groups] = await Promise.all([
    Promise.all(deps.workspaces.map(async (w) => ({ workspace: w, endpoints: await w.endpoints.list(), locks: await w.locks.list() }))),
    deps.intake.requests.listRecent(RECENT_WINDOW),
    deps.intake.approvals.listPending(),
    deps.userGroups.groupsOf(userId, userGroupIds(deps.workspaces.map((w) => w.policy.approvers))),
  ]);
  // Each approval is decided by its own workspace's approvers (one named in none is nobody's to decide here).
  const decidable = pending.flatMap((a) => {
    const workspace = workspaceNamed(deps, a.requester.profile);
    if (!workspace) return [];
    const allowed = mayDecide(workspace.policy, { requesterId: a.requester.userId, createdAt: a.createdAt, expiresAt: a.expiresAt, status: a.status }, { userId, userGroups: groups }, now);
    return allowed.ok ? [{ approval: a, workspace }] : [];
  });
  const first = perWorkspace[0];
  const view = buildHomeView({
    endpoints: first?.endpoints ?? [],
    locks: first?.locks ?? [],
    ...(several ? { workspaces: perWorkspace.map((w) => ({ label: w.workspace.label ?? w.workspace.name, endpoints: w.endpoints, locks: w.locks })) } : {}),
    requests: recent.filter((r) => r.requester.userId === userId).slice(0, MY_REQUESTS),
    approvals: decidable.map(({ approval: a, workspace }) => ({
      id: a.id,
      requesterId: a.requester.userId,
      subject: subjectOfApproval(a.command),
      expiresAt: a.expiresAt,
      ...(workspace.label !== undefined ? { workspaceLabel: workspace.label } : {}),
    })),
    ...(notice ? { notice } : {}),
  });
  await client.views.publish({ user_id: userId, view });
}

export function registerAppHome(app: App, deps: BotDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    // The Messages tab opens the same event; only the Home tab is ours to draw.
    if (event.tab !== 'home') return;
    try {
      await publishHome(deps, client, event.user);
    } catch (err) {
      logRequestFailure(deps, deps.logger, err, 'could not publish the home tab', { user: event.user });
    }
  });
}
