// The bodies Slack sends to an app's request URL, built as pure functions. Field lists follow
// @slack/bolt's types (types/command SlashCommand, types/actions/block-action BlockAction +
// ButtonAction, types/view ViewSubmitAction / ViewClosedAction); each builder `satisfies` its type.
// Slash commands are form-encoded fields; interactions are form-encoded `payload=<JSON>`.
import type { BlockAction, ButtonAction, SlashCommand, ViewClosedAction, ViewOutput, ViewSubmitAction } from '@slack/bolt';
import type { StoredMessage } from './conversation-store';
import type { SlackViewObject } from './view-store';
import type { StateValues } from './view-state-values';

export interface Actor {
  teamId: string;
  teamDomain: string;
  apiAppId: string;
  /** The deprecated verification token Slack still sends; Bolt ignores it in favour of signatures. */
  verificationToken: string;
  user: { id: string; name: string };
}

/** Field order as Slack sends them (Slack's slash command docs). */
export function slashCommandBody(
  actor: Actor,
  f: { command: string; text: string; channel: { id: string; name: string }; responseUrl: string; triggerId: string },
): string {
  const fields = {
    token: actor.verificationToken,
    team_id: actor.teamId,
    team_domain: actor.teamDomain,
    channel_id: f.channel.id,
    channel_name: f.channel.name,
    user_id: actor.user.id,
    user_name: actor.user.name,
    command: f.command,
    text: f.text,
    api_app_id: actor.apiAppId,
    is_enterprise_install: 'false',
    response_url: f.responseUrl,
    trigger_id: f.triggerId,
  } satisfies SlashCommand;
  return new URLSearchParams(fields).toString();
}

export function interactionBody(payload: object): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface ButtonElement {
  type: 'button';
  action_id: string;
  text: { type: 'plain_text'; text: string; emoji?: boolean };
  value?: string;
  url?: string;
  style?: string;
}

/** One clicked button as a block_actions payload lists it in `actions` (messages and Home tabs alike). */
export function buttonAction<Text>(button: Omit<ButtonElement, 'type' | 'text'> & { text: Text }, blockId: string, actionTs: string) {
  return {
    type: 'button' as const,
    action_id: button.action_id,
    block_id: blockId,
    text: button.text,
    ...(button.value !== undefined ? { value: button.value } : {}),
    ...(button.url !== undefined ? { url: button.url } : {}),
    ...(button.style !== undefined ? { style: button.style } : {}),
    action_ts: actionTs,
  };
}

/** The message as a block_actions payload carries it (what Slack shows the app of its own message). */
function payloadMessage(m: StoredMessage) {
  return {
    type: 'message' as const,
    ts: m.ts,
    text: m.text,
    user: m.user,
    team: m.team,
    ...(m.bot_id !== undefined ? { bot_id: m.bot_id } : {}),
    ...(m.app_id !== undefined ? { app_id: m.app_id } : {}),
    ...(m.blocks !== undefined ? { blocks: m.blocks } : {}),
    ...(m.thread_ts !== undefined ? { thread_ts: m.thread_ts } : {}),
    ...(m.edited ? { edited: m.edited } : {}),
  };
}

export function blockActionsPayload(
  actor: Actor,
  f: {
    message: StoredMessage;
    channel: { id: string; name: string };
    blockId: string;
    button: ButtonElement;
    actionTs: string;
    responseUrl: string;
    triggerId: string;
  },
): BlockAction<ButtonAction> {
  const ephemeral = f.message.ephemeralTo !== undefined;
  return {
    type: 'block_actions',
    user: { id: actor.user.id, username: actor.user.name, name: actor.user.name, team_id: actor.teamId },
    api_app_id: actor.apiAppId,
    token: actor.verificationToken,
    container: {
      type: 'message',
      message_ts: f.message.ts,
      channel_id: f.channel.id,
      is_ephemeral: ephemeral,
      ...(f.message.thread_ts !== undefined ? { thread_ts: f.message.thread_ts } : {}),
    },
    trigger_id: f.triggerId,
    team: { id: actor.teamId, domain: actor.teamDomain },
    is_enterprise_install: false,
    channel: f.channel,
    // Slack leaves the message out of payloads from ephemeral messages.
    ...(ephemeral ? {} : { message: payloadMessage(f.message) }),
    state: { values: {} },
    response_url: f.responseUrl,
    actions: [buttonAction(f.button, f.blockId, f.actionTs)],
  } satisfies BlockAction<ButtonAction>;
}

function viewOutput(view: SlackViewObject, values: StateValues): ViewOutput {
  return { ...view, blocks: view.blocks as ViewOutput['blocks'], state: { values } } satisfies ViewOutput;
}

/**
 * The user of a view payload. Slack sends `username` beside `name` (bolt-python's and java-slack-sdk's
 * samples, test/fixtures/slack-payloads); @slack/bolt's ViewSubmitAction type leaves it out.
 */
function viewUser(actor: Actor): ViewSubmitAction['user'] {
  const user = { id: actor.user.id, username: actor.user.name, name: actor.user.name, team_id: actor.teamId };
  return user;
}

export function viewSubmissionPayload(
  actor: Actor,
  f: { view: SlackViewObject; values: StateValues; triggerId: string },
): ViewSubmitAction {
  return {
    type: 'view_submission',
    team: { id: actor.teamId, domain: actor.teamDomain },
    user: viewUser(actor),
    api_app_id: actor.apiAppId,
    token: actor.verificationToken,
    trigger_id: f.triggerId,
    view: viewOutput(f.view, f.values),
    response_urls: [],
    is_enterprise_install: false,
  } satisfies ViewSubmitAction;
}

export function viewClosedPayload(actor: Actor, f: { view: SlackViewObject; values: StateValues; isCleared: boolean }): ViewClosedAction {
  return {
    type: 'view_closed',
    team: { id: actor.teamId, domain: actor.teamDomain },
    user: viewUser(actor),
    api_app_id: actor.apiAppId,
    token: actor.verificationToken,
    view: viewOutput(f.view, f.values),
    is_cleared: f.isCleared,
    is_enterprise_install: false,
  } satisfies ViewClosedAction;
}
