// The stand-in's workspace: who and what exists. Ids follow the patterns in Slack's OpenAPI spec
// (defs_user_id ^[UW][A-Z0-9]{2,}$, defs_channel ^[CGD][A-Z0-9]{8,}$, defs_team ^T[A-Z0-9]{2,}$,
// defs_bot_id ^B[A-Z0-9]{8,}$) so responses validate against ../shared/slack/slack_web_openapi_v2.json.
import { z } from 'zod';

export const SlackUserSchema = z.object({
  id: z.string().regex(/^[UW][A-Z0-9]{2,}$/),
  name: z.string().min(1),
  realName: z.string().optional(),
  isAdmin: z.boolean().default(false),
  isBot: z.boolean().default(false),
  tz: z.string().default('Europe/London'),
});
export type SlackUser = z.input<typeof SlackUserSchema>;
export type WorkspaceUser = z.infer<typeof SlackUserSchema>;

/**
 * The kinds of conversation a slash command can come from (the `types` of conversations.list). A
 * private channel's id starts with G (older) or C (newer); DMs with D; group DMs with G.
 */
export const CONVERSATION_TYPES = ['public_channel', 'private_channel', 'im', 'mpim'] as const;
export type ConversationType = (typeof CONVERSATION_TYPES)[number];

export const SlackChannelSchema = z
  .object({
    id: z.string().regex(/^[CGD][A-Z0-9]{8,}$/),
    name: z.string().min(1),
    /** Absent: a public channel, or a private one when isPrivate is set. */
    type: z.enum(CONVERSATION_TYPES).optional(),
    isPrivate: z.boolean().default(false),
    // Users who are members; an ephemeral message to anyone else fails with user_not_in_channel.
    // Undefined means "everyone in the workspace".
    members: z.array(z.string()).optional(),
    // In Slack an app is in no conversation until someone invites it (/invite @app, or adds it in the
    // channel's settings); posting elsewhere fails (not_in_channel / channel_not_found). A DM or group
    // DM has the bot only when the bot is one of its members.
    botIsMember: z.boolean().default(false),
    isArchived: z.boolean().default(false),
  })
  .transform((c) => {
    const type: ConversationType = c.type ?? (c.isPrivate ? 'private_channel' : 'public_channel');
    return { ...c, type, isPrivate: type !== 'public_channel' };
  });
export type SlackChannel = z.input<typeof SlackChannelSchema>;
export type WorkspaceChannel = z.infer<typeof SlackChannelSchema>;

export const SlackUsergroupSchema = z.object({
  id: z.string().regex(/^S[A-Z0-9]{2,}$/),
  handle: z.string().min(1),
  users: z.array(z.string()),
});
export type SlackUsergroup = z.infer<typeof SlackUsergroupSchema>;

export const DEFAULT_USERS: SlackUser[] = [
  { id: 'U0ALICE001', name: 'alice', realName: 'Alice Analyst' },
  { id: 'U0BOB00001', name: 'bob', realName: 'Bob Builder' },
  { id: 'U0CAROL001', name: 'carol', realName: 'Carol Approver', isAdmin: true },
];

export const DEFAULT_CHANNELS: SlackChannel[] = [
  { id: 'C0MLOPS0001', name: 'ml-ops' },
  { id: 'C0GENERAL01', name: 'general' },
];

export const DEFAULT_USERGROUPS: SlackUsergroup[] = [{ id: 'S0APPROVER1', handle: 'ml-approvers', users: ['U0CAROL001'] }];

export interface Workspace {
  teamId: string;
  teamDomain: string;
  botUserId: string;
  botId: string;
  appId: string;
  users: Map<string, WorkspaceUser>;
  channels: Map<string, WorkspaceChannel>;
  usergroups: Map<string, SlackUsergroup>;
}

export function createWorkspace(opts: {
  teamId: string;
  users?: SlackUser[];
  channels?: SlackChannel[];
  usergroups?: SlackUsergroup[];
}): Workspace {
  const botUserId = 'U0BATCHBOT1';
  const users = (opts.users ?? DEFAULT_USERS).map((u) => SlackUserSchema.parse(u));
  users.push(SlackUserSchema.parse({ id: botUserId, name: 'batch-score-bot', realName: 'Batch Score Bot', isBot: true }));
  return {
    teamId: opts.teamId,
    teamDomain: 'sandbox',
    botUserId,
    botId: 'B0BATCHBOT1',
    appId: 'A0BATCHAPP1',
    users: new Map(users.map((u) => [u.id, u])),
    channels: new Map((opts.channels ?? DEFAULT_CHANNELS).map((c) => SlackChannelSchema.parse(c)).map((c) => [c.id, c])),
    usergroups: new Map((opts.usergroups ?? DEFAULT_USERGROUPS).map((g) => SlackUsergroupSchema.parse(g)).map((g) => [g.id, g])),
  };
}

/** Whether the bot may see and post in the conversation (what conversations.info's is_member says for channels). */
export function botCanPost(channel: WorkspaceChannel, botUserId: string): boolean {
  if (channel.type === 'im' || channel.type === 'mpim') return channel.botIsMember || (channel.members ?? []).includes(botUserId);
  return channel.botIsMember;
}

/** The channel_name a slash command carries: Slack sends `directmessage` for a DM. */
export function slashChannelName(channel: WorkspaceChannel): string {
  return channel.type === 'im' ? 'directmessage' : channel.name;
}

export function isChannelMember(channel: WorkspaceChannel, userId: string): boolean {
  return channel.members === undefined || channel.members.includes(userId);
}
