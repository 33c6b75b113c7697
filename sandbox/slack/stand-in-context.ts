// The stand-in's shared state and the one way the bot's words enter it, so the Web API methods,
// response_url posts and acknowledgement bodies all store and announce messages the same way.
import { createHomeTabStore, type HomeTabStore } from './home-tabs';
import { assignBlockIds } from './block-ids';
import { createConversationStore, type ConversationStore, type StoredMessage } from './conversation-store';
import { createMessageClock } from './message-timestamps';
import { createTriggerIds, type TriggerIds } from './trigger-ids';
import { createViewStore, type StoredView, type ViewStore } from './view-store';
import type { Workspace } from './workspace';

/** Slack truncates message text past 40,000 characters (chat.postMessage, "Truncating content"). */
export const MAX_TEXT_LENGTH = 40_000;

export interface ResponseUrlPost {
  responseUrlId: string;
  at: number;
  channel: string;
  user: string;
  body: Record<string, unknown>;
  outcome: 'posted' | 'replaced' | 'deleted' | 'rejected';
  /** Why it was rejected (expired_url, used_url, no_text, invalid_blocks). */
  error?: string;
  message?: StoredMessage;
}

export type StandInEvent =
  | { type: 'message_posted' | 'message_updated' | 'message_deleted'; message: StoredMessage }
  | { type: 'view_opened' | 'view_pushed' | 'view_updated' | 'view_closed' | 'view_errors'; view: StoredView }
  | { type: 'response_url_post'; post: ResponseUrlPost };

export interface BotMessageFields {
  channel: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  reply_broadcast?: boolean;
  ephemeralTo?: string;
  via: StoredMessage['via'];
  responseType?: StoredMessage['responseType'];
}

export interface StandInContext {
  workspace: Workspace;
  now: () => number;
  nextTs: () => string;
  conversations: ConversationStore;
  views: ViewStore;
  /** App Home tabs published with views.publish, one per user. */
  homeTabs: HomeTabStore;
  triggers: TriggerIds;
  emit(event: StandInEvent): void;
  onEvent(listener: (event: StandInEvent) => void): () => void;
  postAsBot(fields: BotMessageFields): StoredMessage;
  replaceContent(message: StoredMessage, content: { text: string; blocks?: unknown[] }): StoredMessage;
  remove(message: StoredMessage): void;
}

export function createStandInContext(workspace: Workspace, now: () => number): StandInContext {
  const listeners = new Set<(event: StandInEvent) => void>();
  const nextTs = createMessageClock(now);
  const conversations = createConversationStore();
  const emit = (event: StandInEvent) => {
    for (const listener of listeners) listener(event);
  };
  return {
    workspace,
    now,
    nextTs,
    conversations,
    views: createViewStore({ teamId: workspace.teamId, appId: workspace.appId, botId: workspace.botId }, now),
    homeTabs: createHomeTabStore({ teamId: workspace.teamId, appId: workspace.appId, botId: workspace.botId, isUser: (id) => workspace.users.has(id) }, now),
    triggers: createTriggerIds(now),
    emit,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    postAsBot(fields) {
      const message: StoredMessage = {
        type: 'message',
        channel: fields.channel,
        ts: nextTs(),
        user: workspace.botUserId,
        bot_id: workspace.botId,
        app_id: workspace.appId,
        team: workspace.teamId,
        text: fields.text.slice(0, MAX_TEXT_LENGTH),
        deleted: false,
        via: fields.via,
        ...(fields.blocks !== undefined ? { blocks: assignBlockIds(fields.blocks) } : {}),
        ...(fields.thread_ts !== undefined ? { thread_ts: fields.thread_ts } : {}),
        ...(fields.reply_broadcast ? { reply_broadcast: true } : {}),
        ...(fields.ephemeralTo !== undefined ? { ephemeralTo: fields.ephemeralTo } : {}),
        ...(fields.responseType !== undefined ? { responseType: fields.responseType } : {}),
      };
      emit({ type: 'message_posted', message: conversations.add(message) });
      return message;
    },
    replaceContent(message, content) {
      message.text = content.text.slice(0, MAX_TEXT_LENGTH);
      // chat.update: "If you don't include this field [blocks], the message's previous blocks will be
      // retained. To remove previous blocks, include an empty array" (Slack's chat.update reference;
      // the spec's `blocks` argument says the same). An empty array removes them.
      if (content.blocks !== undefined) {
        if (content.blocks.length > 0) message.blocks = assignBlockIds(content.blocks);
        else delete message.blocks;
      }
      message.edited = { user: workspace.botUserId, ts: nextTs() };
      emit({ type: 'message_updated', message });
      return message;
    },
    remove(message) {
      message.deleted = true;
      emit({ type: 'message_deleted', message });
    },
  };
}
