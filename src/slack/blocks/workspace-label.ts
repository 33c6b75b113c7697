// When the bot serves several Azure ML workspaces, every message it sends for a request says which one,
// so nobody reads a production result as a dev one: "Workspace *prod* · `ml-prod` · Azure China". With
// one workspace there is nothing to tell apart and messages stay as they were.
import { cloudDisplayName } from '../../domain/cloud-names';
import { SLACK_LIMITS, context } from './block-kit';

/** A profile as its label shows it; every part is a validated name (config), so safe in mrkdwn. */
export interface LabelledWorkspace {
  /** The profile's name, what users type after --workspace. */
  name: string;
  /** The Azure ML workspace's own name. */
  workspace: string;
  cloud: string;
}

export function workspaceLabelText(w: LabelledWorkspace): string {
  return `:label: Workspace *${w.name}* · \`${w.workspace}\` · ${cloudDisplayName(w.cloud)}`;
}

/**
 * The same message with the label: a context block after its blocks, or a last line for a text-only one
 * (its text is what Slack shows). A message already at Slack's block limit keeps it in its text only.
 */
export function withWorkspaceLabel<M extends { text: string; blocks?: unknown[] | undefined }>(message: M, label: string): M {
  const blocks = message.blocks;
  if (blocks && blocks.length > 0) {
    if (blocks.length >= SLACK_LIMITS.messageBlocks) return { ...message, text: `${message.text}\n${label}` };
    return { ...message, blocks: [...blocks, context([label])] };
  }
  return { ...message, text: `${message.text}\n${label}` };
}
