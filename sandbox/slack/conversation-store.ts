// What has been said where: channel messages, thread replies and ephemerals, as Slack would show them
// in a channel's history. Messages are kept in posting order; a thread is its parent plus replies,
// as conversations.replies returns it.

export interface StoredMessage {
  type: 'message';
  channel: string;
  ts: string;
  /** Set on replies (the parent's ts) and on a parent once it has replies. */
  thread_ts?: string;
  /** Author: the bot's user id for everything the bot posts. */
  user: string;
  bot_id?: string;
  app_id?: string;
  team: string;
  text: string;
  blocks?: unknown[];
  /** Set for an ephemeral message: the only user who sees it. */
  ephemeralTo?: string;
  /** How it arrived: Web API, a response_url, or the body of an interaction's acknowledgement. */
  via: 'web_api' | 'response_url' | 'ack';
  /** in_channel / ephemeral, for response_url and ack messages. */
  responseType?: 'in_channel' | 'ephemeral';
  edited?: { user: string; ts: string };
  deleted: boolean;
  reply_count?: number;
  reply_broadcast?: boolean;
}

export interface ConversationStore {
  add(message: StoredMessage): StoredMessage;
  find(channel: string, ts: string): StoredMessage | undefined;
  findEphemeral(ts: string): StoredMessage | undefined;
  /** Top-level messages of a channel (and replies broadcast to it), without deleted ones. */
  history(channel: string): StoredMessage[];
  /** Parent then replies, without deleted ones. */
  thread(channel: string, threadTs: string): StoredMessage[];
  ephemerals(channel?: string, user?: string): StoredMessage[];
}

export function createConversationStore(): ConversationStore {
  const byChannel = new Map<string, StoredMessage[]>();
  const ephemerals: StoredMessage[] = [];
  const channelMessages = (channel: string): StoredMessage[] => {
    let list = byChannel.get(channel);
    if (!list) {
      list = [];
      byChannel.set(channel, list);
    }
    return list;
  };
  const find = (channel: string, ts: string) => byChannel.get(channel)?.find((m) => m.ts === ts && !m.deleted);
  return {
    add(message) {
      if (message.ephemeralTo !== undefined) {
        ephemerals.push(message);
        return message;
      }
      channelMessages(message.channel).push(message);
      if (message.thread_ts !== undefined && message.thread_ts !== message.ts) {
        const parent = find(message.channel, message.thread_ts);
        if (parent) {
          parent.thread_ts = parent.ts;
          parent.reply_count = (parent.reply_count ?? 0) + 1;
        }
      }
      return message;
    },
    find,
    findEphemeral: (ts) => ephemerals.find((m) => m.ts === ts && !m.deleted),
    history: (channel) =>
      channelMessages(channel).filter(
        (m) => !m.deleted && (m.thread_ts === undefined || m.thread_ts === m.ts || m.reply_broadcast === true),
      ),
    thread: (channel, threadTs) =>
      channelMessages(channel).filter((m) => !m.deleted && (m.ts === threadTs || m.thread_ts === threadTs)),
    ephemerals: (channel, user) =>
      ephemerals.filter(
        (m) => !m.deleted && (channel === undefined || m.channel === channel) && (user === undefined || m.ephemeralTo === user),
      ),
  };
}
