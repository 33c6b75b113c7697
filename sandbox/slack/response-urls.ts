// response_url: each interaction carries one; it accepts up to 5 messages within 30 minutes
// (Slack, "Handling user interaction" / slash commands: "use the response_url up to 5 times within
// 30 minutes"). Body fields: text, blocks, response_type (ephemeral by default, or in_channel),
// replace_original, delete_original; a thread_ts is accepted and ignored, as Slack does. After an
// interaction on a message, replace/delete act on that message; after a slash command, replace acts on the previous response sent through it.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { findBlockProblems } from './block-kit-limits';
import type { StoredMessage } from './conversation-store';
import type { ResponseUrlPost, StandInContext } from './stand-in-context';

export const RESPONSE_URL_MAX_USES = 5;
export const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;

export const ResponseUrlBodySchema = z.object({
  text: z.string().optional(),
  blocks: z.array(z.unknown()).optional(),
  response_type: z.enum(['ephemeral', 'in_channel']).optional(),
  replace_original: z.boolean().optional(),
  delete_original: z.boolean().optional(),
  thread_ts: z.string().optional(),
});

export interface ResponseUrlSource {
  channel: string;
  ts: string;
  ephemeral?: boolean;
}

interface Entry {
  id: string;
  channel: string;
  user: string;
  source?: ResponseUrlSource;
  issuedAt: number;
  uses: number;
  lastResponse?: StoredMessage;
}

export interface ResponseUrlAnswer {
  status: number;
  body: string;
}

export interface ResponseUrls {
  issue(channel: string, user: string, source?: ResponseUrlSource): string;
  post(id: string, rawBody: unknown): ResponseUrlAnswer;
  /** The message in an interaction's acknowledgement body, which Slack shows like a response_url message. */
  deliverAck(channel: string, user: string, rawBody: unknown): StoredMessage | undefined;
  posts(): ResponseUrlPost[];
}

export function createResponseUrls(ctx: StandInContext, baseUrl: () => string): ResponseUrls {
  const entries = new Map<string, Entry>();
  const posts: ResponseUrlPost[] = [];

  const record = (entry: Entry, body: Record<string, unknown>, outcome: ResponseUrlPost['outcome'], extra: Partial<ResponseUrlPost> = {}) => {
    const post: ResponseUrlPost = { responseUrlId: entry.id, at: ctx.now(), channel: entry.channel, user: entry.user, body, outcome, ...extra };
    posts.push(post);
    ctx.emit({ type: 'response_url_post', post });
    return post;
  };

  const findSource = (source: ResponseUrlSource | undefined) =>
    source === undefined ? undefined : source.ephemeral ? ctx.conversations.findEphemeral(source.ts) : ctx.conversations.find(source.channel, source.ts);

  // The message-writing half, shared by response_url posts and acknowledgement bodies.
  const apply = (
    entry: Entry,
    body: z.infer<typeof ResponseUrlBodySchema>,
    via: 'response_url' | 'ack',
  ): { outcome: ResponseUrlPost['outcome']; message?: StoredMessage; error?: string } => {
    const original = findSource(entry.source) ?? entry.lastResponse;
    if (body.delete_original) {
      if (!original) return { outcome: 'rejected', error: 'message_not_found' };
      ctx.remove(original);
      return { outcome: 'deleted', message: original };
    }
    if (body.text === undefined && body.blocks === undefined) return { outcome: 'rejected', error: 'no_text' };
    if (body.blocks !== undefined && findBlockProblems(body.blocks, 'message').length) return { outcome: 'rejected', error: 'invalid_blocks' };
    const content = { text: body.text ?? '', ...(body.blocks !== undefined ? { blocks: body.blocks } : {}) };
    // A response_url replacement is a whole new message (guess: Slack documents no "keep the blocks" rule
    // here, unlike chat.update), so absent blocks remove the old ones.
    if (body.replace_original && original) return { outcome: 'replaced', message: ctx.replaceContent(original, { ...content, blocks: body.blocks ?? [] }) };
    const inChannel = body.response_type === 'in_channel';
    // A response_url message never goes into a thread: Slack ignores `thread_ts` there and posts a click's
    // or a shortcut's answer from a threaded message in the channel itself (slackapi/bolt-js#963, #2170;
    // bolt-python#842: respond() takes no thread_ts). Only chat.postMessage posts into threads.
    const message = ctx.postAsBot({
      channel: entry.channel,
      ...content,
      ...(inChannel ? {} : { ephemeralTo: entry.user }),
      via,
      responseType: inChannel ? 'in_channel' : 'ephemeral',
    });
    entry.lastResponse = message;
    return { outcome: 'posted', message };
  };

  return {
    issue(channel, user, source) {
      const id = randomBytes(12).toString('hex');
      entries.set(id, { id, channel, user, issuedAt: ctx.now(), uses: 0, ...(source ? { source } : {}) });
      return `${baseUrl()}/response/${id}`;
    },
    post(id, rawBody) {
      const entry = entries.get(id);
      if (!entry) return { status: 404, body: 'expired_url' };
      const bodyRecord = (typeof rawBody === 'object' && rawBody !== null ? rawBody : {}) as Record<string, unknown>;
      if (ctx.now() - entry.issuedAt > RESPONSE_URL_TTL_MS) {
        record(entry, bodyRecord, 'rejected', { error: 'expired_url' });
        return { status: 404, body: 'expired_url' };
      }
      if (entry.uses >= RESPONSE_URL_MAX_USES) {
        record(entry, bodyRecord, 'rejected', { error: 'used_url' });
        return { status: 404, body: 'used_url' };
      }
      const parsed = ResponseUrlBodySchema.safeParse(rawBody);
      if (!parsed.success) {
        record(entry, bodyRecord, 'rejected', { error: 'invalid_payload' });
        return { status: 400, body: 'invalid_payload' };
      }
      entry.uses += 1;
      const result = apply(entry, parsed.data, 'response_url');
      record(entry, bodyRecord, result.outcome, {
        ...(result.error ? { error: result.error } : {}),
        ...(result.message ? { message: result.message } : {}),
      });
      return result.error ? { status: 400, body: result.error } : { status: 200, body: 'ok' };
    },
    deliverAck(channel, user, rawBody) {
      const parsed = ResponseUrlBodySchema.safeParse(typeof rawBody === 'string' ? { text: rawBody } : rawBody);
      if (!parsed.success || (parsed.data.text === undefined && parsed.data.blocks === undefined)) return undefined;
      const entry: Entry = { id: 'ack', channel, user, issuedAt: ctx.now(), uses: 0 };
      return apply(entry, parsed.data, 'ack').message;
    },
    posts: () => [...posts],
  };
}
