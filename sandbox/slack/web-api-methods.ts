// The Web API methods the bot uses, answering as Slack does. Shapes follow the typed responses in
// @slack/web-api (dist/types/response/*: each builder below `satisfies` its type) and Slack's OpenAPI
// spec (../shared/slack/slack_web_openapi_v2.json); error codes are ones Slack documents for the
// method (the contract test checks every emitted code against the spec, plus the few Slack added
// after the spec's 2021 snapshot).
import { HomeTabRejected } from './home-tabs';
import type {
  AuthTestResponse,
  ChatDeleteResponse,
  ChatGetPermalinkResponse,
  ChatPostEphemeralResponse,
  ChatPostMessageResponse,
  ChatUpdateResponse,
  ConversationsInfoResponse,
  UsergroupsUsersListResponse,
  UsersInfoResponse,
  ViewsOpenResponse,
} from '@slack/web-api';
import { findBlockProblems, formatProblems } from './block-kit-limits';
import type { StoredMessage } from './conversation-store';
import type { ChannelRateLimiter } from './rate-limiter';
import type { StandInContext } from './stand-in-context';
import { parseModalView, toViewObject, ViewRejected, type StoredView } from './view-store';
import { botCanPost, isChannelMember, type WorkspaceChannel } from './workspace';

/** A Slack-level failure: HTTP 200 with `{ ok: false, error }` (and `response_metadata.messages` when Slack explains). */
export class SlackApiError extends Error {
  constructor(
    readonly code: string,
    readonly messages: string[] = [],
  ) {
    super(code);
    this.name = 'SlackApiError';
  }
}

/** Throttled: HTTP 429 with Retry-After (Slack's rate-limit docs). */
export class RateLimited extends Error {
  constructor(readonly retryAfterSec: number) {
    super(`rate limited, retry after ${retryAfterSec}s`);
    this.name = 'RateLimited';
  }
}

export type MethodArgs = Record<string, unknown>;
export type MethodHandler = (args: MethodArgs) => Record<string, unknown>;

type Blocks<T> = NonNullable<T>;
type PostMessageBlocks = Blocks<NonNullable<ChatPostMessageResponse['message']>['blocks']>;
type UpdateBlocks = Blocks<NonNullable<ChatUpdateResponse['message']>['blocks']>;
type ViewResponse = NonNullable<ViewsOpenResponse['view']>;

// @slack/web-api encodes non-scalar arguments as JSON strings in a form body; a JSON body carries them
// as they are. Accept both, as Slack does.
function jsonArg(value: unknown, onInvalid: () => never): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return onInvalid();
  }
}

const stringArg = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : typeof value === 'number' ? String(value) : undefined;

const boolArg = (value: unknown): boolean => value === true || value === 'true' || value === '1' || value === 1;

interface Content {
  text: string;
  blocks?: unknown[];
}

/** text and blocks as chat.postMessage/update/postEphemeral check them. */
function messageContent(args: MethodArgs): Content {
  const blocks =
    args.blocks === undefined
      ? undefined
      : jsonArg(args.blocks, () => {
          throw new SlackApiError('invalid_blocks_format');
        });
  if (blocks !== undefined && !Array.isArray(blocks)) throw new SlackApiError('invalid_blocks_format');
  const text = typeof args.text === 'string' ? args.text : '';
  const hasAttachments = args.attachments !== undefined && args.attachments !== '[]';
  if (text.trim() === '' && (blocks === undefined || blocks.length === 0) && !hasAttachments) throw new SlackApiError('no_text');
  if (blocks !== undefined) {
    const problems = findBlockProblems(blocks, 'message');
    if (problems.length) throw new SlackApiError('invalid_blocks', formatProblems(problems));
  }
  return { text, ...(blocks !== undefined ? { blocks } : {}) };
}

function messageObject(m: StoredMessage) {
  return {
    type: m.type,
    text: m.text,
    ts: m.ts,
    user: m.user,
    team: m.team,
    ...(m.bot_id !== undefined ? { bot_id: m.bot_id } : {}),
    ...(m.app_id !== undefined ? { app_id: m.app_id } : {}),
    ...(m.thread_ts !== undefined ? { thread_ts: m.thread_ts } : {}),
    ...(m.blocks !== undefined ? { blocks: m.blocks as PostMessageBlocks } : {}),
  };
}

function withoutBlocks<T extends { blocks?: unknown }>(m: T): Omit<T, 'blocks'> {
  const { blocks: _blocks, ...rest } = m;
  return rest;
}

function viewResponse(v: StoredView): ViewResponse {
  const o = toViewObject(v);
  // Slack sends `close`, `submit` and `previous_view_id` as null when absent (bolt's ViewOutput);
  // the generated response type only knows them as optional, and types `type: 'plain_text'` as an
  // enum, hence the casts on those fields (the rest is checked).
  return {
    ...o,
    title: o.title as ViewResponse['title'],
    blocks: o.blocks as NonNullable<ViewResponse['blocks']>,
    close: o.close as ViewResponse['close'],
    submit: o.submit as ViewResponse['submit'],
    previous_view_id: o.previous_view_id as ViewResponse['previous_view_id'],
    state: o.state as ViewResponse['state'],
  } satisfies ViewResponse;
}

export function createWebApiMethods(
  ctx: StandInContext,
  rateLimiter: ChannelRateLimiter,
  opts: { plan: 'free' | 'paid' } = { plan: 'paid' },
): Record<string, MethodHandler> {
  const { workspace } = ctx;

  // Channel ids, names (with or without '#'), or a user id for a DM, as chat.postMessage accepts.
  // A private conversation the bot is not in does not exist for it: Slack answers channel_not_found
  // for private channels, DMs and group DMs alike (slackapi/bolt-js#365, slack-ruby-client#227).
  const resolveChannel = (value: unknown): WorkspaceChannel => {
    const ref = stringArg(value);
    if (ref === undefined) throw new SlackApiError('channel_not_found');
    const name = ref.replace(/^#/, '');
    const found = workspace.channels.get(ref) ?? [...workspace.channels.values()].find((c) => c.type !== 'im' && c.name === name);
    if (found) {
      if (found.type !== 'public_channel' && !botCanPost(found, workspace.botUserId)) throw new SlackApiError('channel_not_found');
      return found;
    }
    const user = workspace.users.get(ref);
    if (user && !user.isBot) {
      // A user id posts into the app's own DM with that user (its Messages tab), opened on first use.
      const dmId = `D${user.id}`;
      const dm =
        workspace.channels.get(dmId) ??
        ({ id: dmId, name: user.id, type: 'im', isPrivate: true, members: [user.id, workspace.botUserId], botIsMember: true, isArchived: false } satisfies WorkspaceChannel);
      workspace.channels.set(dm.id, dm);
      return dm;
    }
    throw new SlackApiError('channel_not_found');
  };

  // chat.postMessage's errors: is_archived, then not_in_channel for a public channel the bot was not
  // invited to (private ones were already channel_not_found above).
  const postable = (value: unknown): WorkspaceChannel => {
    const channel = resolveChannel(value);
    if (channel.isArchived) throw new SlackApiError('is_archived');
    if (!botCanPost(channel, workspace.botUserId)) throw new SlackApiError('not_in_channel');
    return channel;
  };

  const existingMessage = (channel: WorkspaceChannel, ts: unknown): StoredMessage => {
    const t = stringArg(ts);
    const message = t === undefined ? undefined : ctx.conversations.find(channel.id, t);
    if (!message) throw new SlackApiError('message_not_found');
    return message;
  };

  const viewArg = (args: MethodArgs) =>
    parseModalView(
      jsonArg(args.view, () => {
        throw new SlackApiError('invalid_arguments', ['[ERROR] view must be a JSON object [json-pointer:/view]']);
      }),
    );

  const viewCall = <T>(run: () => T): T => {
    try {
      return run();
    } catch (error) {
      if (error instanceof ViewRejected) throw new SlackApiError(error.code, error.messages);
      throw error;
    }
  };

  const exchangeTrigger = (args: MethodArgs): string => {
    const triggerId = stringArg(args.trigger_id) ?? stringArg(args.interactivity_pointer);
    if (triggerId === undefined) throw new SlackApiError('invalid_trigger_id');
    const exchanged = ctx.triggers.exchange(triggerId);
    if (!exchanged.ok) throw new SlackApiError(exchanged.error);
    return exchanged.user;
  };

  return {
    'auth.test': () =>
      ({
        ok: true,
        url: `https://${workspace.teamDomain}.slack.com/`,
        team: 'Sandbox',
        user: workspace.users.get(workspace.botUserId)?.name ?? 'bot',
        team_id: workspace.teamId,
        user_id: workspace.botUserId,
        bot_id: workspace.botId,
        is_enterprise_install: false,
      }) satisfies AuthTestResponse,

    'chat.postMessage': (args) => {
      const channel = postable(args.channel);
      const content = messageContent(args);
      const decision = rateLimiter.take(channel.id);
      if (!decision.allowed) throw new RateLimited(decision.retryAfterSec);
      const threadTs = stringArg(args.thread_ts);
      // A reply to a reply belongs to the parent's thread.
      const root = threadTs === undefined ? undefined : (ctx.conversations.find(channel.id, threadTs)?.thread_ts ?? threadTs);
      const message = ctx.postAsBot({
        channel: channel.id,
        ...content,
        ...(root !== undefined ? { thread_ts: root } : {}),
        ...(root !== undefined && boolArg(args.reply_broadcast) ? { reply_broadcast: true } : {}),
        via: 'web_api',
      });
      return { ok: true, channel: channel.id, ts: message.ts, message: messageObject(message) } satisfies ChatPostMessageResponse;
    },

    'chat.update': (args) => {
      const channel = resolveChannel(args.channel);
      const message = existingMessage(channel, args.ts);
      if (message.user !== workspace.botUserId) throw new SlackApiError('cant_update_message');
      const updated = ctx.replaceContent(message, messageContent(args));
      return {
        ok: true,
        channel: channel.id,
        ts: updated.ts,
        text: updated.text,
        message: {
          ...withoutBlocks(messageObject(updated)),
          ...(updated.blocks !== undefined ? { blocks: updated.blocks as UpdateBlocks } : {}),
          ...(updated.edited ? { edited: updated.edited } : {}),
        },
      } satisfies ChatUpdateResponse;
    },

    'chat.postEphemeral': (args) => {
      const channel = postable(args.channel);
      const user = stringArg(args.user);
      if (user === undefined || !workspace.users.has(user) || !isChannelMember(channel, user)) {
        throw new SlackApiError('user_not_in_channel');
      }
      const content = messageContent(args);
      const threadTs = stringArg(args.thread_ts);
      const message = ctx.postAsBot({
        channel: channel.id,
        ...content,
        ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
        ephemeralTo: user,
        via: 'web_api',
      });
      return { ok: true, message_ts: message.ts } satisfies ChatPostEphemeralResponse;
    },

    'chat.delete': (args) => {
      const channel = resolveChannel(args.channel);
      const message = existingMessage(channel, args.ts);
      if (message.user !== workspace.botUserId) throw new SlackApiError('cant_delete_message');
      ctx.remove(message);
      return { ok: true, channel: channel.id, ts: message.ts } satisfies ChatDeleteResponse;
    },

    'chat.getPermalink': (args) => {
      const channel = resolveChannel(args.channel);
      const message = existingMessage(channel, args.message_ts);
      const base = `https://${workspace.teamDomain}.slack.com/archives/${channel.id}/p${message.ts.replace('.', '')}`;
      const permalink =
        message.thread_ts !== undefined && message.thread_ts !== message.ts
          ? `${base}?thread_ts=${message.thread_ts}&cid=${channel.id}`
          : base;
      return { ok: true, channel: channel.id, permalink } satisfies ChatGetPermalinkResponse;
    },

    'views.open': (args) =>
      viewCall(() => {
        const view = viewArg(args);
        const user = exchangeTrigger(args);
        const stored = ctx.views.open(view, user);
        ctx.emit({ type: 'view_opened', view: stored });
        return { ok: true, view: viewResponse(stored) } satisfies ViewsOpenResponse;
      }),

    'views.push': (args) =>
      viewCall(() => {
        const view = viewArg(args);
        const user = exchangeTrigger(args);
        const stored = ctx.views.push(view, user);
        ctx.emit({ type: 'view_pushed', view: stored });
        return { ok: true, view: viewResponse(stored) } satisfies ViewsOpenResponse;
      }),

    'views.update': (args) =>
      viewCall(() => {
        const viewId = stringArg(args.view_id);
        const externalId = stringArg(args.external_id);
        if (viewId === undefined && externalId === undefined) {
          throw new SlackApiError('invalid_arguments', ['[ERROR] either view_id or external_id is required']);
        }
        const view = viewArg(args);
        const hash = stringArg(args.hash);
        const stored = ctx.views.update(
          { ...(viewId !== undefined ? { viewId } : {}), ...(externalId !== undefined ? { externalId } : {}), ...(hash !== undefined ? { hash } : {}) },
          view,
        );
        ctx.emit({ type: 'view_updated', view: stored });
        return { ok: true, view: viewResponse(stored) } satisfies ViewsOpenResponse;
      }),

    // The App Home tab (sandbox/slack/home-tabs.ts); no trigger_id and no scope needed.
    'views.publish': (args) => {
      try {
        const view = jsonArg(args.view, () => {
          throw new SlackApiError('invalid_arguments', ['[ERROR] view must be a JSON object [json-pointer:/view]']);
        });
        const stored = ctx.homeTabs.publish(stringArg(args.user_id) ?? '', view, stringArg(args.hash));
        const { user: _user, publishedAt: _at, ...published } = stored;
        return { ok: true, view: published };
      } catch (error) {
        if (error instanceof HomeTabRejected) throw new SlackApiError(error.code, error.messages);
        throw error;
      }
    },

    // Slack's conversation object as a bot token sees it: channels and groups carry is_member, a DM
    // (is_im) carries the other party in `user` and no is_member (docs.slack.dev conversations.info,
    // "conversation object").
    'conversations.info': (args) => {
      const channel = resolveChannel(args.channel);
      const isIm = channel.type === 'im';
      const isMpim = channel.type === 'mpim';
      const creator = [...workspace.users.values()].find((u) => !u.isBot)?.id ?? workspace.botUserId;
      if (isIm) {
        const other = (channel.members ?? []).find((m) => m !== workspace.botUserId) ?? channel.name;
        const im = { id: channel.id, created: 1700000000, is_archived: channel.isArchived, is_im: true, is_org_shared: false } satisfies ConversationsInfoResponse['channel'];
        // `user` (the other party) is in Slack's IM object and the spec, not in @slack/web-api's Channel type.
        return { ok: true, channel: { ...im, user: other, is_user_deleted: false, priority: 0 } };
      }
      return {
        ok: true,
        channel: {
          id: channel.id,
          name: channel.name,
          name_normalized: channel.name,
          is_channel: channel.type === 'public_channel',
          is_group: channel.type === 'private_channel' || isMpim,
          is_im: false,
          is_mpim: isMpim,
          is_private: channel.isPrivate,
          is_archived: channel.isArchived,
          is_general: channel.name === 'general',
          is_shared: false,
          is_org_shared: false,
          is_ext_shared: false,
          is_pending_ext_shared: false,
          is_member: botCanPost(channel, workspace.botUserId),
          created: 1700000000,
          creator,
          unlinked: 0,
          ...(channel.members !== undefined ? { num_members: channel.members.length } : {}),
        },
      } satisfies ConversationsInfoResponse;
    },

    'users.info': (args) => {
      const user = workspace.users.get(stringArg(args.user) ?? '');
      if (!user) throw new SlackApiError('user_not_found');
      const realName = user.realName ?? user.name;
      return {
        ok: true,
        user: {
          id: user.id,
          team_id: workspace.teamId,
          name: user.name,
          real_name: realName,
          deleted: false,
          is_bot: user.isBot,
          is_app_user: false,
          is_admin: user.isAdmin,
          is_owner: false,
          is_primary_owner: false,
          is_restricted: false,
          is_ultra_restricted: false,
          tz: user.tz,
          updated: 1700000000,
          profile: { real_name: realName, display_name: user.name, real_name_normalized: realName, display_name_normalized: user.name, team: workspace.teamId },
        },
      } satisfies UsersInfoResponse;
    },

    'usergroups.users.list': (args) => {
      if (opts.plan === 'free') throw new SlackApiError('plan_upgrade_required');
      const group = workspace.usergroups.get(stringArg(args.usergroup) ?? '');
      if (!group) throw new SlackApiError('no_such_subteam');
      return { ok: true, users: [...group.users] } satisfies UsergroupsUsersListResponse;
    },
  };
}

/** Every method the stand-in answers. */
export const STAND_IN_METHODS = [
  'auth.test', 'chat.postMessage', 'chat.update', 'chat.postEphemeral', 'chat.delete', 'chat.getPermalink',
  'views.open', 'views.push', 'views.update', 'views.publish', 'conversations.info', 'users.info', 'usergroups.users.list',
] as const;
