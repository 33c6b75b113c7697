// The bot token, checked once at start with auth.test: a token Slack refuses (a typo, a user token, a
// revoked or rotated token) makes every later call fail, so the process refuses to start with one
// sentence instead of crashing later with a stack trace. Slack being unreachable is not the token's
// fault: that is logged and the process starts (its /readyz says 503 until Slack answers).
// Error codes: Slack's auth.test reference (invalid_auth, not_authed, account_inactive, token_revoked,
// token_expired, no_permission, missing_scope…); @slack/web-api puts them in error.data.error.
import type { WebClient } from '@slack/web-api';

/** auth.test answers that mean "this token will never work", as opposed to "Slack is unreachable". */
const TOKEN_REJECTED = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'not_allowed_token_type', 'no_permission']);

/**
 * The errors any Web API method answers when the token itself is refused, mid-flight as at start: revoked
 * (token_revoked), the app or its bot user deactivated (account_inactive), expired, or not a token at all.
 */
export const TOKEN_REFUSED_ERRORS: ReadonlySet<string> = new Set(['token_revoked', 'account_inactive', 'invalid_auth', 'not_authed', 'token_expired']);

export class SlackTokenRejectedError extends Error {
  override readonly name = 'SlackTokenRejectedError';
  constructor(readonly slackError: string) {
    super(
      `Slack refused SLACK_BOT_TOKEN (auth.test answered ${slackError}): set it to the app's Bot User OAuth Token (xoxb-…) from "OAuth & Permissions", reinstall the app if it was revoked, and start again.`,
    );
  }
}

export type BotTokenCheck = { ok: true; botUserId?: string; teamId?: string } | { ok: false; unreachable: string };

export async function checkBotToken(client: Pick<WebClient, 'auth'>): Promise<BotTokenCheck> {
  try {
    const res = await client.auth.test();
    return { ok: true, ...(res.user_id ? { botUserId: res.user_id } : {}), ...(res.team_id ? { teamId: res.team_id } : {}) };
  } catch (err) {
    const slackError = (err as { data?: { error?: unknown } }).data?.error;
    if (typeof slackError === 'string' && TOKEN_REJECTED.has(slackError)) throw new SlackTokenRejectedError(slackError);
    return { ok: false, unreachable: typeof slackError === 'string' ? slackError : ((err as { code?: string }).code ?? (err as Error).message ?? 'unknown error') };
  }
}
