// The notify path's one conversation with Slack: posting, editing, ephemeral messages, response_url
// hooks and auth.test, and what Slack's answer means for the message (wait, retry, repost, move, give
// up). A failed call throws SlackDeliveryError carrying that meaning, so the caller branches on a kind,
// never on Slack's error text. The client's own retries are off (slack-client.ts): retrying is the
// caller's, which re-schedules a job instead of holding a worker.
import axios, { isAxiosError } from 'axios';
import { ErrorCode, type ChatPostMessageArguments, type WebClient } from '@slack/web-api';
import { retryAfterMs } from '../domain/retry-after';
import { TOKEN_REFUSED_ERRORS } from './bot-token-check';

export type SlackFailure =
  | { kind: 'rate-limited'; retryAfterMs: number }
  | { kind: 'token-refused'; reason: string }
  | { kind: 'conversation-gone'; reason: string }
  | { kind: 'transient'; reason: string }
  | { kind: 'target-gone'; reason: string }
  | { kind: 'permanent'; reason: string };

export class SlackDeliveryError extends Error {
  override readonly name = 'SlackDeliveryError';
  constructor(
    readonly failure: SlackFailure,
    options?: { cause?: unknown },
  ) {
    super(`Slack delivery failed (${failure.kind}: ${'reason' in failure ? failure.reason : `retry after ${failure.retryAfterMs} ms`})`, options);
  }
}

// Platform errors (HTTP 200, ok:false) that mean "try again later" (chat.postMessage's documented
// errors: internal_error, fatal_error, service_unavailable, request_timeout, ratelimited).
const TRANSIENT_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited', 'team_added_to_org']);
// chat.update's errors when the message to update no longer exists or can no longer be edited.
const TARGET_GONE_ERRORS = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed']);
// The conversation no longer takes the bot's posts (chat.postMessage's errors): archived, or the bot was
// removed (not_in_channel for a public channel, channel_not_found for a private one).
const CONVERSATION_GONE_ERRORS = new Set(['is_archived', 'not_in_channel', 'channel_not_found']);

/** A 429's wait: the answer's Retry-After, else a second (Slack's own pace per channel). */
function rateLimited(hintMs: number | undefined): SlackFailure {
  return { kind: 'rate-limited', retryAfterMs: hintMs !== undefined && hintMs > 0 ? hintMs : 1000 };
}

export function classifySlackFailure(err: unknown): SlackFailure {
  const code = (err as { code?: unknown } | null)?.code;
  // @slack/web-api hands over the answer's Retry-After as a number of seconds.
  if (code === ErrorCode.RateLimitedError) return rateLimited(retryAfterMs({ 'retry-after': (err as { retryAfter?: unknown }).retryAfter }));
  if (code === ErrorCode.HTTPError) {
    const status = Number((err as { statusCode?: unknown }).statusCode);
    if (status === 408 || status === 409 || status >= 500) return { kind: 'transient', reason: `http ${status}` };
    return { kind: 'permanent', reason: `http ${status}` };
  }
  if (code === ErrorCode.RequestError) return { kind: 'transient', reason: 'request failed' };
  if (code === ErrorCode.PlatformError) {
    const error = String((err as { data?: { error?: unknown } }).data?.error ?? 'unknown_error');
    if (TRANSIENT_PLATFORM_ERRORS.has(error)) return { kind: 'transient', reason: error };
    if (TARGET_GONE_ERRORS.has(error)) return { kind: 'target-gone', reason: error };
    if (TOKEN_REFUSED_ERRORS.has(error)) return { kind: 'token-refused', reason: error };
    if (CONVERSATION_GONE_ERRORS.has(error)) return { kind: 'conversation-gone', reason: error };
    return { kind: 'permanent', reason: error };
  }
  return { kind: 'transient', reason: err instanceof Error ? err.message : String(err) };
}

/** A response_url answers like any webhook: 404/410 once it expired (30 minutes, 5 uses). */
export function classifyResponseUrlFailure(err: unknown): SlackFailure {
  if (!isAxiosError(err)) return { kind: 'transient', reason: err instanceof Error ? err.message : String(err) };
  const status = err.response?.status;
  if (status === undefined) return { kind: 'transient', reason: err.code ?? 'request failed' };
  if (status === 429) return rateLimited(retryAfterMs(err.response?.headers));
  if (status === 408 || status === 409 || status >= 500) return { kind: 'transient', reason: `http ${status}` };
  return { kind: 'permanent', reason: `http ${status}` };
}

/** What a message says: the text (also the notification fallback) and Block Kit blocks as built JSON. */
export interface SlackMessageContent {
  text: string;
  blocks?: readonly unknown[];
}

/** Block Kit blocks as @slack/web-api types them. */
type SlackBlocks = Extract<ChatPostMessageArguments, { blocks: unknown }>['blocks'];

function withBlocks(content: SlackMessageContent): { text: string; blocks?: SlackBlocks } {
  return { text: content.text, ...(content.blocks ? { blocks: content.blocks as SlackBlocks } : {}) };
}

export interface SlackDelivery {
  /** chat.postMessage, in a thread when threadTs is given; answers the message's ts and channel. */
  post(message: SlackMessageContent & { channel: string; threadTs?: string; replyBroadcast?: boolean }): Promise<{ ts?: string; channel?: string }>;
  /**
   * chat.update. Slack keeps a message's previous blocks when none are sent (chat.update's reference),
   * which would leave old blocks (an approval's buttons, say) above new text: an edit always says what
   * the blocks become, an empty array when the new content has none.
   */
  update(message: SlackMessageContent & { channel: string; ts: string }): Promise<void>;
  /** chat.postEphemeral: seen by `user` only; answers the message_ts. */
  postEphemeral(message: SlackMessageContent & { channel: string; user: string }): Promise<{ ts?: string }>;
  /** POST to a slash command's or interaction's response_url. */
  postToResponseUrl(
    responseUrl: string,
    message: SlackMessageContent & { responseType?: 'ephemeral' | 'in_channel'; replaceOriginal?: boolean },
  ): Promise<void>;
  /** auth.test: whether Slack takes the bot token now. */
  tokenWorks(): Promise<boolean>;
}

export function createSlackDelivery(slack: WebClient, opts: { httpTimeoutMs?: number } = {}): SlackDelivery {
  const httpTimeoutMs = opts.httpTimeoutMs ?? 10_000;

  async function call<T>(run: () => Promise<T>, classify: (err: unknown) => SlackFailure = classifySlackFailure): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw new SlackDeliveryError(classify(err), { cause: err });
    }
  }

  return {
    post: ({ channel, threadTs, replyBroadcast, ...content }) =>
      call(async () => {
        const res =
          threadTs === undefined
            ? await slack.chat.postMessage({ channel, ...withBlocks(content) })
            : await slack.chat.postMessage({ channel, thread_ts: threadTs, ...withBlocks(content), reply_broadcast: replyBroadcast === true });
        return { ts: res.ts, channel: res.channel };
      }),

    update: ({ channel, ts, ...content }) =>
      call(async () => {
        await slack.chat.update({ channel, ts, text: content.text, blocks: withBlocks(content).blocks ?? [] });
      }),

    postEphemeral: ({ channel, user, ...content }) =>
      call(async () => {
        const res = await slack.chat.postEphemeral({ channel, user, ...withBlocks(content) });
        return { ts: res.message_ts };
      }),

    postToResponseUrl: (responseUrl, { text, blocks, responseType, replaceOriginal }) =>
      call(async () => {
        await axios.post(
          responseUrl,
          {
            text,
            ...(blocks ? { blocks } : {}),
            response_type: responseType ?? 'ephemeral',
            ...(replaceOriginal !== undefined ? { replace_original: replaceOriginal } : {}),
          },
          { timeout: httpTimeoutMs, maxRedirects: 0 },
        );
      }, classifyResponseUrlFailure),

    async tokenWorks() {
      try {
        await slack.auth.test();
        return true;
      } catch {
        return false;
      }
    },
  };
}
