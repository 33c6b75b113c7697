// The bot's view of each workspace profile it serves, and which one a Slack request is for. A request that
// names its profile (a slash command, by `--workspace` or by its channel's binding) is taken entirely in
// that profile: its approvers, its endpoint directory and locks, its data-reference scope, and an outbox
// that labels every message with the workspace. A click or a form acts in the profile stored with what it
// acts on (the request, the approval, the form's metadata), never in the clicking channel's: a channel
// bound to dev cannot turn a prod approval into a dev one.
import type { RespondArguments } from '@slack/bolt';
import type { ApprovalPolicy } from '../domain/approval-policy';
import { chooseWorkspace, workspaceByName, type WorkspaceChoice } from '../domain/workspace-binding';
import { withWorkspaceLabel } from '../slack/blocks/workspace-label';
import type { EndpointDirectory } from '../queue/endpoint-directory';
import type { LockStore } from '../queue/lock-store';
import type { Requester } from '../queue/payloads';
import type { BotDeps } from './bot-deps';
import type { IntakeDeps } from './request-intake';

/** One workspace profile as the bot's listeners use it; built by the bot entry point. */
export interface BotWorkspace {
  /** The profile's name (BATCH_SCORE_WORKSPACES; `default` without it). */
  name: string;
  /** Channels bound to it (WORKSPACE_<NAME>_CHANNELS). */
  channels: readonly string[];
  /** The label its messages carry; absent with one profile (nothing to tell apart). */
  label?: string;
  /** The shared policy with this profile's approvers. */
  policy: ApprovalPolicy;
  /** The intake with this profile's policy, scope, directory and a labelling outbox. */
  intake: IntakeDeps;
  endpoints: EndpointDirectory;
  locks: LockStore;
}

export type WorkspaceOfRequest = { ok: true; workspace: BotWorkspace } | Extract<WorkspaceChoice, { ok: false }>;

/** The profile a stored request or approval names; absent (before profiles existed): the first. */
export function workspaceNamed(deps: Pick<BotDeps, 'workspaces'>, profile: string | undefined): BotWorkspace | undefined {
  return workspaceByName(deps.workspaces, profile);
}

/** The profile a request from `channelId` is for: the one it asks for if bound here, else the channel's own. */
export function workspaceForChannel(deps: Pick<BotDeps, 'workspaces'>, input: { channelId: string; asked?: string }): WorkspaceOfRequest {
  const choice = chooseWorkspace(deps.workspaces, input);
  if (!choice.ok) return choice;
  const workspace = workspaceNamed(deps, choice.name);
  // chooseWorkspace only answers names of the profiles it was given.
  if (!workspace) throw new Error(`chooseWorkspace answered '${choice.name}', which is not a profile`);
  return { ok: true, workspace };
}

/** The listeners' dependencies as seen from one profile: its policy, intake, directory and locks. */
export function depsInWorkspace(deps: BotDeps, workspace: BotWorkspace): BotDeps {
  return { ...deps, policy: workspace.policy, intake: workspace.intake, endpoints: workspace.endpoints, locks: workspace.locks };
}

/**
 * The requester with the profile the request is for. With one profile it is left out: absent means the
 * first, and payloads stay exactly as they were before profiles existed.
 */
export function requesterIn(deps: Pick<BotDeps, 'workspaces'>, requester: Requester, workspace: BotWorkspace): Requester {
  return deps.workspaces.length > 1 ? { ...requester, profile: workspace.name } : requester;
}

/** What a form's metadata carries of the requester's profile: the profile, when the requester names one. */
export function profileOf(requester: Requester): { profile?: string } {
  return requester.profile !== undefined ? { profile: requester.profile } : {};
}

/** A form's label option: the workspace's label, when there is one to show. */
export function labelOf(workspace: Pick<BotWorkspace, 'label'> | undefined): { workspaceLabel?: string } {
  return workspace?.label !== undefined ? { workspaceLabel: workspace.label } : {};
}

/** A plain mrkdwn answer with the workspace named under it, when there is a label. */
export function labelledText(text: string, workspace: Pick<BotWorkspace, 'label'> | undefined): string {
  return workspace?.label === undefined ? text : withWorkspaceLabel({ text }, workspace.label).text;
}

/** A slash command's or click's answer with the workspace label; an empty acknowledgement stays empty. */
export function labelledResponse<R extends string | RespondArguments | undefined>(response: R, workspace: Pick<BotWorkspace, 'label'> | undefined): R {
  const label = workspace?.label;
  if (label === undefined || response === undefined) return response;
  if (typeof response === 'string') return labelledText(response, workspace) as R;
  const args = response as RespondArguments;
  if (typeof args.text !== 'string') return response;
  return withWorkspaceLabel({ ...args, text: args.text }, label) as R;
}
