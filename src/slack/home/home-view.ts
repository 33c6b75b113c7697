// The bot's App Home tab: a pure function of what the stores hold (no Azure call in Slack's path). It shows
// the workspace's endpoints with their default deployments (as the workers last listed them), the locks,
// the viewer's recent requests and running jobs, and the approvals the viewer may decide, with the same
// Approve / Reject buttons as the channel message. All user text is escaped.
import type { HomeView, KnownBlock } from '@slack/types';
import type { EndpointLock } from '../../domain/endpoint-lock';
import { APPROVAL_ACTIONS } from '../blocks/approval-request-message';
import { actions, button, context, divider, header, linesToSections, section, SLACK_LIMITS } from '../blocks/block-kit';
import { lockedByText } from '../blocks/lock-messages';
import type { RequestSubject } from '../../domain/request-subject';
import { subjectTitle } from '../blocks/request-subject';
import { slackDate } from '../blocks/time-text';
import { code, escapeMrkdwn } from '../mrkdwn';

export const HOME_CALLBACK_ID = 'batch-score-home';
/** At most this many approvals get their own buttons; more are counted. */
export const MAX_HOME_APPROVALS = 10;

export interface HomeState {
  endpoints: readonly { name: string; defaultDeployment?: string; deployments: readonly string[] }[];
  locks: readonly EndpointLock[];
  /** The viewer's own requests, newest first. */
  requests: readonly { requestId: string; kind: string; status: string; summary: string; updatedAt: number; jobName?: string }[];
  /** Pending approvals the viewer may decide (the policy has already said so); `workspaceLabel`: several workspaces. */
  approvals: readonly { id: string; requesterId: string; subject: RequestSubject; expiresAt: number; workspaceLabel?: string }[];
  /**
   * With several workspaces: each one's endpoints and locks under its label, shown instead of `endpoints`
   * and `locks` (an endpoint name means nothing without its workspace).
   */
  workspaces?: readonly WorkspaceHome[];
  /** A line at the top after an action on the tab (already escaped mrkdwn). */
  notice?: string;
}

/** One workspace's part of the tab when the bot serves several. */
export interface WorkspaceHome {
  /** The workspace's label (src/slack/blocks/workspace-label.ts), trusted mrkdwn. */
  label: string;
  endpoints: HomeState['endpoints'];
  locks: HomeState['locks'];
}

const STATUS_EMOJI: Readonly<Record<string, string>> = {
  'awaiting-approval': ':hourglass_flowing_sand:',
  approved: ':white_check_mark:',
  queued: ':inbox_tray:',
  running: ':gear:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  canceled: ':octagonal_sign:',
  rejected: ':no_entry:',
  expired: ':hourglass:',
  denied: ':no_entry:',
};

function endpointLines(state: Pick<HomeState, 'endpoints' | 'locks'>): string[] {
  const locked = new Map(state.locks.map((l) => [l.endpointName.toLowerCase(), l]));
  return state.endpoints.map((e) => {
    const lock = locked.get(e.name.toLowerCase());
    const dflt = e.defaultDeployment ? `default ${code(e.defaultDeployment)}` : '_no default deployment_';
    const others = e.deployments.filter((d) => d !== e.defaultDeployment);
    return `${lock ? ':lock: ' : ''}${code(e.name)} · ${dflt}${others.length > 0 ? ` · also ${others.map(code).join(', ')}` : ''}`;
  });
}

function lockLines(locks: HomeState['locks']): string[] {
  return locks.map((l) => `:lock: ${code(l.endpointName)} ${lockedByText(l)}${l.reason ? `: ${escapeMrkdwn(l.reason.replace(/\s+/g, ' '))}` : ''}`);
}

/** Endpoints and locks, each workspace's under its label. */
function workspaceBlocks(workspaces: readonly WorkspaceHome[]): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  const endpointCount = workspaces.reduce((n, w) => n + w.endpoints.length, 0);
  blocks.push(divider(), section(`*Endpoints* (${endpointCount})`));
  for (const w of workspaces) {
    blocks.push(context([w.label]));
    blocks.push(...(w.endpoints.length > 0 ? linesToSections(endpointLines(w), 3) : [context(['No batch endpoints known yet; `/batch-score endpoints` lists them.'])]));
  }
  const locked = workspaces.filter((w) => w.locks.length > 0);
  blocks.push(divider(), section(`*Locks* (${locked.reduce((n, w) => n + w.locks.length, 0)})`));
  if (locked.length === 0) blocks.push(context(['No endpoint is locked.']));
  for (const w of locked) blocks.push(context([w.label]), ...linesToSections(lockLines(w.locks), 3));
  return blocks;
}

function requestLines(state: HomeState): string[] {
  return state.requests.map((r) => {
    const job = r.jobName ? ` · job ${code(r.jobName)}` : '';
    return `${STATUS_EMOJI[r.status] ?? ':grey_question:'} ${escapeMrkdwn(r.summary)} · *${escapeMrkdwn(r.status)}*${job} · ${slackDate(r.updatedAt)}`;
  });
}

export function buildHomeView(state: HomeState): HomeView {
  const blocks: KnownBlock[] = [header('Batch Score')];
  if (state.notice) blocks.push(context([state.notice]));

  const running = state.requests.filter((r) => r.status === 'running' && r.jobName);
  blocks.push(divider(), section(`*Waiting for your decision* (${state.approvals.length})`));
  if (state.approvals.length === 0) blocks.push(context(['Nothing to approve.']));
  state.approvals.slice(0, MAX_HOME_APPROVALS).forEach((a, i) => {
    const where = a.workspaceLabel !== undefined ? `\n${a.workspaceLabel}` : '';
    blocks.push(section(`${subjectTitle(a.subject)}\nRequested by <@${a.requesterId}> · expires ${slackDate(a.expiresAt)}${where}`));
    // Block ids are unique within a view; the buttons' action ids are the channel message's, so one handler serves both.
    blocks.push(
      actions(`${APPROVAL_ACTIONS.blockId}-home-${i}`, [
        button({ text: 'Approve', actionId: APPROVAL_ACTIONS.approve, value: a.id, style: 'primary' }),
        button({ text: 'Reject', actionId: APPROVAL_ACTIONS.reject, value: a.id, style: 'danger' }),
      ]),
    );
  });
  if (state.approvals.length > MAX_HOME_APPROVALS) blocks.push(context([`…and ${state.approvals.length - MAX_HOME_APPROVALS} more in the channels`]));

  blocks.push(divider(), section(`*Your running jobs* (${running.length}) and *recent requests*`));
  blocks.push(...(state.requests.length > 0 ? linesToSections(requestLines(state), 3) : [context(['You have not asked for anything yet. Try `/batch-score help`.'])]));

  if (state.workspaces) {
    blocks.push(...workspaceBlocks(state.workspaces));
  } else {
    blocks.push(divider(), section(`*Endpoints* (${state.endpoints.length})`));
    blocks.push(...(state.endpoints.length > 0 ? linesToSections(endpointLines(state), 3) : [context(['No batch endpoints known yet; `/batch-score endpoints` lists them.'])]));

    blocks.push(divider(), section(`*Locks* (${state.locks.length})`));
    if (state.locks.length === 0) blocks.push(context(['No endpoint is locked.']));
    else blocks.push(...linesToSections(lockLines(state.locks), 3));
  }
  return { type: 'home', callback_id: HOME_CALLBACK_ID, blocks: blocks.slice(0, SLACK_LIMITS.viewBlocks) };
}
