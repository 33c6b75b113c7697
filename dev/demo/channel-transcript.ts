// The Slack channel as a person reads it, in a terminal: every message the bot posts, updates or deletes
// (the stand-in's onEvent), every modal it opens, and what the people typed or clicked, rendered with
// sandbox/slack/render-text.ts. Messages get a number on first sight ([3]) that the console's `press`
// refers to; an update prints the message again marked "(edited)", a thread reply is indented under
// its parent's number. Used live by the demo and the interactive console, and for the final snapshot.
import { DEFAULT_CHANNELS, DEFAULT_USERS, type SlackStandIn, type StandInEvent, type StoredMessage } from '../../sandbox/slack';
import { renderMessage, renderView, type RenderOptions } from '../../sandbox/slack/render-text';

export interface ChannelTranscript {
  /** A person's action, in the same stream: "alice ▸ /batch-score deploy". */
  action(userId: string, text: string): void;
  /** A line from the narrator (the demo's step titles). */
  note(text: string): void;
  /** A fact the narrator adds under a step (not something said in Slack). */
  detail(text: string): void;
  /** The number shown for a message, assigning one if it has none yet. */
  numberOf(message: Pick<StoredMessage, 'channel' | 'ts'>): number;
  /** The message shown as [n]. */
  messageNumbered(n: number): { channel: string; ts: string } | undefined;
  /** The channel now, parents in order with their thread replies indented (what the Slack client shows). */
  snapshot(channel: string): string;
  renderOptions: RenderOptions;
  stop(): void;
}

export interface ChannelTranscriptOptions {
  slack: SlackStandIn;
  write: (text: string) => void;
  /** Only messages of these channels (default: all). */
  channels?: readonly string[];
}

const indent = (text: string, prefix: string): string =>
  text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');

/** "label author (edited):" on one line, the message's lines indented under it. */
function block(label: string, rendered: string, bodyIndent: string): string {
  const [heading = '', ...body] = rendered.split('\n');
  return [`${label} ${heading}`, ...body.map((line) => `${bodyIndent}${line}`)].join('\n');
}

/**
 * What an update changed, for the live stream: the lines that are new since the last rendering (a
 * checklist ticking a step shows that step, not the whole list again). A rewrite of most lines is shown whole.
 */
export function changedLines(before: readonly string[], after: readonly string[]): string[] | 'whole' {
  const remaining = new Map<string, number>();
  for (const line of before) remaining.set(line, (remaining.get(line) ?? 0) + 1);
  const changed: string[] = [];
  for (const line of after) {
    const left = remaining.get(line) ?? 0;
    if (left > 0) remaining.set(line, left - 1);
    else changed.push(line);
  }
  return changed.length > Math.max(2, after.length / 2) ? 'whole' : changed;
}

export function displayNames(slack: Pick<SlackStandIn, 'botUserId'>): RenderOptions {
  const users: Record<string, string> = Object.fromEntries(DEFAULT_USERS.map((u) => [u.id, u.name]));
  users[slack.botUserId] = 'batch-score-bot';
  const channels: Record<string, string> = Object.fromEntries(DEFAULT_CHANNELS.map((c) => [c.id, c.name]));
  return { users, channels };
}

export function startChannelTranscript(opts: ChannelTranscriptOptions): ChannelTranscript {
  const { slack, write } = opts;
  const renderOptions = displayNames(slack);
  const name = (id: string): string => renderOptions.users?.[id] ?? id;
  const numbers = new Map<string, number>();
  const byNumber: Array<{ channel: string; ts: string }> = [];
  const keyOf = (m: Pick<StoredMessage, 'channel' | 'ts'>): string => `${m.channel}/${m.ts}`;
  const numberOf = (m: Pick<StoredMessage, 'channel' | 'ts'>): number => {
    let n = numbers.get(keyOf(m));
    if (n === undefined) {
      byNumber.push({ channel: m.channel, ts: m.ts });
      n = byNumber.length;
      numbers.set(keyOf(m), n);
    }
    return n;
  };
  const watched = (channel: string): boolean => !opts.channels || opts.channels.includes(channel);
  const isReply = (m: StoredMessage): boolean => m.thread_ts !== undefined && m.thread_ts !== m.ts;

  /** The body lines last shown for each message, to print only what an update changed. */
  const shown = new Map<string, string[]>();
  const show = (m: StoredMessage, how: 'posted' | 'updated' | 'deleted'): void => {
    const n = numberOf(m);
    const reply = isReply(m);
    const where = reply ? `  ↳ [${n}] in thread [${numberOf({ channel: m.channel, ts: m.thread_ts as string })}]` : `[${n}] #${renderOptions.channels?.[m.channel] ?? m.channel}`;
    const bodyIndent = reply ? '        ' : '    ';
    if (how === 'deleted') {
      write(`${where} (deleted)`);
      shown.delete(keyOf(m));
      return;
    }
    const rendered = renderMessage({ ...m, edited: how === 'updated' ? true : undefined }, renderOptions);
    const [heading = '', ...body] = rendered.split('\n');
    const before = shown.get(keyOf(m));
    shown.set(keyOf(m), body);
    if (how === 'updated' && before) {
      const changed = changedLines(before, body);
      if (changed !== 'whole') {
        // An edit that changes nothing a person can see (e.g. a timestamp the renderer drops) is not news.
        if (changed.length > 0) write(block(where, [heading, ...changed].join('\n'), bodyIndent));
        return;
      }
    }
    write(block(where, rendered, bodyIndent));
  };

  const onEvent = (event: StandInEvent): void => {
    switch (event.type) {
      case 'message_posted':
        if (watched(event.message.channel)) show(event.message, 'posted');
        break;
      case 'message_updated':
        if (watched(event.message.channel)) show(event.message, 'updated');
        break;
      case 'message_deleted':
        if (watched(event.message.channel)) show(event.message, 'deleted');
        break;
      case 'view_opened':
      case 'view_pushed':
      case 'view_updated':
      case 'view_errors':
        write(indent(`modal ${event.type.replace('view_', '')} for ${name(event.view.user)} (${event.view.id}):\n${renderView(event.view, renderOptions)}`, '    '));
        break;
      case 'view_closed':
        write(`    modal ${event.view.id} closed`);
        break;
      case 'response_url_post':
        // Accepted posts arrive as message_posted/updated too; only a refusal is news.
        if (event.post.outcome === 'rejected') write(`    (Slack refused a response_url post: ${event.post.error ?? 'unknown error'})`);
        break;
    }
  };
  const unsubscribe = slack.onEvent(onEvent);

  return {
    renderOptions,
    numberOf,
    messageNumbered: (n) => byNumber[n - 1],
    action(userId, text) {
      write(`${name(userId)} ▸ ${text}`);
    },
    note(text) {
      write(`\n== ${text}`);
    },
    detail(text) {
      write(`   · ${text}`);
    },
    snapshot(channel) {
      const out: string[] = [`#${renderOptions.channels?.[channel] ?? channel}`];
      for (const parent of slack.messages(channel)) {
        if (parent.deleted || isReply(parent)) continue;
        out.push(indent(block(`[${numberOf(parent)}]`, renderMessage(parent, renderOptions), '    '), '  '));
        for (const reply of slack.thread(channel, parent.ts).slice(1)) {
          if (reply.deleted) continue;
          out.push(indent(block(`↳ [${numberOf(reply)}]`, renderMessage(reply, renderOptions), '    '), '      '));
        }
      }
      return out.join('\n');
    },
    stop: unsubscribe,
  };
}
