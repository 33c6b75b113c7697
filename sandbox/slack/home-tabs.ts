// App Home tabs, as Slack keeps them: one published view per user (views.publish), and the requests Slack
// sends when a user opens the tab or clicks in it. From Slack's Web API spec (views.publish: user_id and a
// JSON view, optional hash; "Requires scope: none"; the answer carries the view with id, hash, type
// "home"; bad user → invalid_arguments "invalid `user_id`") and its docs (app_home_opened arrives as an
// Events API `event_callback` with event {type, user, channel, tab: "home"|"messages", event_ts, view?};
// a click on the tab is block_actions with container {type: "view", view_id} and the view, no response_url).
import crypto from 'node:crypto';
import { z } from 'zod';
import { buttonAction } from './interaction-payloads';

const HomeViewSchema = z.object({
  type: z.literal('home'),
  blocks: z.array(z.record(z.string(), z.unknown())).max(100, 'a home tab holds at most 100 blocks'),
  callback_id: z.string().max(255).optional(),
  private_metadata: z.string().max(3000).optional(),
  external_id: z.string().max(255).optional(),
});

export interface PublishedHome {
  id: string;
  team_id: string;
  app_id: string;
  bot_id: string;
  type: 'home';
  blocks: Record<string, unknown>[];
  callback_id: string;
  private_metadata: string;
  external_id: string;
  hash: string;
  state: { values: Record<string, unknown> };
  /** Who sees it. */
  user: string;
  publishedAt: number;
}

export class HomeTabRejected extends Error {
  constructor(
    readonly code: string,
    readonly messages: string[] = [],
  ) {
    super(code);
  }
}

export interface HomeTabStore {
  publish(user: string, rawView: unknown, hash?: string): PublishedHome;
  get(user: string): PublishedHome | undefined;
}

export function createHomeTabStore(ids: { teamId: string; appId: string; botId: string; isUser: (id: string) => boolean }, now: () => number): HomeTabStore {
  const tabs = new Map<string, PublishedHome>();
  return {
    publish(user, rawView, hash) {
      if (!ids.isUser(user)) throw new HomeTabRejected('invalid_arguments', ['invalid `user_id`']);
      const parsed = HomeViewSchema.safeParse(rawView);
      if (!parsed.success) throw new HomeTabRejected('invalid_arguments', parsed.error.issues.map((i) => `[ERROR] ${i.message} [json-pointer:/view/${i.path.join('/')}]`));
      const current = tabs.get(user);
      // The hash guards against a stale update: it must be the one of the view now published.
      if (hash !== undefined && current && current.hash !== hash) throw new HomeTabRejected('hash_conflict');
      const v = parsed.data;
      const tab: PublishedHome = {
        id: current?.id ?? `V${crypto.randomBytes(5).toString('hex').toUpperCase()}`,
        team_id: ids.teamId,
        app_id: ids.appId,
        bot_id: ids.botId,
        type: 'home',
        blocks: v.blocks,
        callback_id: v.callback_id ?? '',
        private_metadata: v.private_metadata ?? '',
        external_id: v.external_id ?? '',
        hash: `${Math.floor(now() / 1000)}.${crypto.randomBytes(4).toString('hex')}`,
        state: { values: {} },
        user,
        publishedAt: now(),
      };
      tabs.set(user, tab);
      return tab;
    },
    get: (user) => tabs.get(user),
  };
}

/** The Events API envelope Slack posts when `user` opens the app's Home tab. */
export function appHomeOpenedEnvelope(f: { teamId: string; apiAppId: string; user: string; channel: string; view?: PublishedHome; at: number }): object {
  const eventTs = `${Math.floor(f.at / 1000)}.${String((f.at % 1000) * 1000).padStart(6, '0')}`;
  return {
    token: 'sandbox-verification-token',
    team_id: f.teamId,
    api_app_id: f.apiAppId,
    event: {
      type: 'app_home_opened',
      user: f.user,
      channel: f.channel,
      tab: 'home',
      event_ts: eventTs,
      ...(f.view ? { view: viewObject(f.view) } : {}),
    },
    type: 'event_callback',
    event_id: `Ev${crypto.randomBytes(5).toString('hex').toUpperCase()}`,
    event_time: Math.floor(f.at / 1000),
    authorizations: [{ team_id: f.teamId, user_id: f.user, is_bot: false, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  };
}

function viewObject(v: PublishedHome): object {
  const { user: _user, publishedAt: _at, ...rest } = v;
  return { ...rest, root_view_id: v.id, previous_view_id: null, close: null, submit: null, clear_on_close: false, notify_on_close: false };
}

/** block_actions for a button on the Home tab: container type "view", the view itself, no response_url. */
export function homeBlockActionsPayload(f: {
  teamId: string;
  teamDomain: string;
  apiAppId: string;
  user: { id: string; name: string };
  view: PublishedHome;
  blockId: string;
  button: { action_id: string; text: unknown; value?: string; style?: string };
  triggerId: string;
  at: number;
}): object {
  return {
    type: 'block_actions',
    user: { id: f.user.id, username: f.user.name, name: f.user.name, team_id: f.teamId },
    api_app_id: f.apiAppId,
    token: 'sandbox-verification-token',
    container: { type: 'view', view_id: f.view.id },
    trigger_id: f.triggerId,
    team: { id: f.teamId, domain: f.teamDomain },
    is_enterprise_install: false,
    view: viewObject(f.view),
    actions: [buttonAction(f.button, f.blockId, `${Math.floor(f.at / 1000)}.${String((f.at % 1000) * 1000).padStart(6, '0')}`)],
  };
}
