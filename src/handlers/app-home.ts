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

/** How many of the user's requests the tab lists, and how far back it looks for them. */
const MY_REQUESTS = 10;
const RECENT_WINDOW = 200;

export async function publishHome(deps: BotDeps, client: Pick<WebClient, 'views'>, userId: string, notice?: string): Promise<void> {
  const now = deps.intake.now();
  const [endpoints, locks, recent, pending, groups] = await Promise.all([
    deps.endpoints.list(),
    deps.locks.list(),
    deps.intake.requests.listRecent(RECENT_WINDOW),
    deps.intake.approvals.listPending(),
    deps.userGroups.groupsOf(userId, userGroupIds([deps.policy.approvers])),
  ]);
  const decidable = pending.filter(
    (a) => mayDecide(deps.policy, { requesterId: a.requester.userId, createdAt: a.createdAt, expiresAt: a.expiresAt, status: a.status }, { userId, userGroups: groups }, now).ok,
  );
  const view = buildHomeView({
    endpoints,
    locks,
    requests: recent.filter((r) => r.requester.userId === userId).slice(0, MY_REQUESTS),
    approvals: decidable.map((a) => ({ id: a.id, requesterId: a.requester.userId, subject: subjectOfApproval(a.command), expiresAt: a.expiresAt })),
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
