// Where the bot can post, decided from Slack's answer to conversations.info with the bot token. A
// slash command reaches the bot from any conversation, but chat.postMessage works only where the bot is
// a member: a public channel it was not invited to answers not_in_channel, and a private channel, a
// DM between people or a group DM without it does not exist for the bot (conversations.info and
// chat.postMessage both answer channel_not_found; slackapi/bolt-js#365, slack-ruby-client#227). An
// archived channel takes no posts (is_archived). Pure: the look-up itself lives in
// src/handlers/conversation-access.ts.
import { TOKEN_REFUSED_ERRORS } from './bot-token-check';

export type PostingAccess =
  | { ok: true; kind: 'channel' | 'im' | 'mpim' }
  | { ok: false; reason: 'not-member' | 'not-visible' | 'archived' | 'token-refused' | 'unknown' };

/** The fields of Slack's conversation object this decision reads. */
export interface ConversationFacts {
  is_member?: boolean;
  is_im?: boolean;
  is_mpim?: boolean;
  is_archived?: boolean;
}

export function accessFromConversation(channel: ConversationFacts): PostingAccess {
  if (channel.is_archived === true) return { ok: false, reason: 'archived' };
  // A DM the bot can see is its own DM with the user (the app's Messages tab); Slack sends no is_member for DMs.
  if (channel.is_im === true) return { ok: true, kind: 'im' };
  if (channel.is_member !== true) return { ok: false, reason: 'not-member' };
  return { ok: true, kind: channel.is_mpim === true ? 'mpim' : 'channel' };
}

/** conversations.info's error codes that mean "the bot cannot see this conversation". */
export type PostingRefused = Exclude<PostingAccess, { ok: true }>;

export function accessFromError(code: string | undefined): PostingRefused {
  if (code === 'channel_not_found') return { ok: false, reason: 'not-visible' };
  // The bot token was revoked or the app deactivated: nothing could be reported anywhere.
  if (code !== undefined && TOKEN_REFUSED_ERRORS.has(code)) return { ok: false, reason: 'token-refused' };
  return { ok: false, reason: 'unknown' };
}

/** What the requester is told, in the acknowledgement, when the bot cannot report where they asked. */
export function postingRefusal(access: PostingRefused, botHandle: string): string {
  const nothing = 'Nothing was started.';
  switch (access.reason) {
    case 'not-member':
      return `:no_entry_sign: I am not in this channel, so I could not report progress here. ${nothing} Invite me with \`/invite @${botHandle}\` and send the command again, or use a channel I am in.`;
    case 'not-visible':
      return `:no_entry_sign: I cannot post in this conversation (a private channel I am not in, or a direct message between people). ${nothing} Add me to the private channel with \`/invite @${botHandle}\`, or send the command from a channel I am in.`;
    case 'archived':
      return `:no_entry_sign: This channel is archived, so I cannot post here. ${nothing} Send the command from a channel I am in.`;
    case 'token-refused':
      return `:no_entry_sign: Slack no longer accepts my token (the app was uninstalled or its token revoked), so I could not report anything. ${nothing} Ask a workspace admin to reinstall the app.`;
    case 'unknown':
      return `:warning: I could not check whether I can post in this conversation (Slack did not answer in time). ${nothing} Please try again in a minute.`;
  }
}

/** A gated request's approval message goes to the conversation; in a DM no approver would see it. */
export function approvalRefusal(): string {
  return ':no_entry_sign: This request needs an approver, and approvers cannot see this direct message. Nothing was started. Send the command from a channel I am in.';
}
