// Whether the bot can post where a request came from, asked of Slack (conversations.info; scopes
// channels:read, groups:read, im:read, mpim:read) while the request is still being acknowledged, so the
// requester hears at once instead of the request running with nobody told. Answers the bot can post are
// cached (conversations.info is Tier 3, and the ack has 3 s); refusals are not, so a channel works as soon
// as someone invites the bot. A look-up that fails or takes too long is an answer too ("could not check"):
// the request is refused with that message rather than taken on a guess.
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { needsApproval, type Action, type ApprovalPolicy } from '../domain/approval-policy';
import { accessFromConversation, accessFromError, approvalRefusal, postingRefusal, type PostingAccess } from '../slack/posting-access';

/** The bot's handle for `/invite @…`: manifest.yml's features.bot_user.display_name. */
export const BOT_HANDLE = 'batch-score';

export interface ConversationAccess {
  postingAccess(channelId: string): Promise<PostingAccess>;
}

export function createConversationAccess(deps: {
  client: Pick<WebClient, 'conversations'>;
  logger: Logger;
  /** How long an answer that the bot can post is trusted (default 60 s). */
  ttlMs?: number;
  /** The look-up's own deadline inside the acknowledgement (default 1.5 s). */
  timeoutMs?: number;
  now?: () => number;
}): ConversationAccess {
  const ttlMs = deps.ttlMs ?? 60_000;
  const timeoutMs = deps.timeoutMs ?? 1_500;
  const now = deps.now ?? Date.now;
  const cache = new Map<string, { access: PostingAccess; at: number }>();

  return {
    async postingAccess(channelId) {
      const hit = cache.get(channelId);
      if (hit && now() - hit.at < ttlMs) return hit.access;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`conversations.info took over ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        const res = await Promise.race([deps.client.conversations.info({ channel: channelId }), deadline]);
        const access = res.channel ? accessFromConversation(res.channel) : accessFromError(res.error);
        if (access.ok) cache.set(channelId, { access, at: now() });
        else cache.delete(channelId);
        return access;
      } catch (err) {
        const code = (err as { data?: { error?: string } }).data?.error;
        const access = accessFromError(code);
        cache.delete(channelId);
        if (access.reason === 'unknown') deps.logger.warn({ err, channel: channelId }, 'could not check whether the bot can post in the conversation');
        return access;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Why a request that reports in its conversation (a thread, an approval message) cannot be taken from
 * `channelId`, as the requester is told; undefined when the bot can report there.
 */
export async function refusalToReport(
  deps: { whereToPost: ConversationAccess; policy: ApprovalPolicy },
  channelId: string,
  action: Action,
): Promise<string | undefined> {
  const access = await deps.whereToPost.postingAccess(channelId);
  if (!access.ok) return postingRefusal(access, BOT_HANDLE);
  if (access.kind === 'im' && needsApproval(deps.policy, action)) return approvalRefusal();
  return undefined;
}
