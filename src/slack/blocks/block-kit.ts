// The few Block Kit pieces our messages are made of, each built so it cannot exceed Slack's limits
// (Block Kit reference: 50 blocks per message, 100 per modal; section text 3,000 characters, a section
// field 2,000 and at most 10 fields; header 150; button text 75 and value 2,000; action_id/block_id 255;
// context at most 10 elements; message text truncated past 40,000). Slack rejects the whole message with
// invalid_blocks when one limit is broken, so a long job name must shorten a line, never lose the message.
//
// Text given to these builders is mrkdwn the caller already escaped (see ../mrkdwn.ts); plain_text is
// never parsed for mentions or links, so it is only shortened.
import type {
  ActionsBlock,
  Button,
  ContextBlock,
  DividerBlock,
  HeaderBlock,
  KnownBlock,
  MrkdwnElement,
  SectionBlock,
} from '@slack/types';
import { truncate, truncateEscaped } from '../mrkdwn';

export const SLACK_LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  sectionText: 3000,
  sectionField: 2000,
  sectionFields: 10,
  headerText: 150,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  contextElements: 10,
  messageText: 40_000,
  privateMetadata: 3000,
  viewTitle: 24,
  inputLabel: 2000,
  optionText: 75,
  optionValue: 150,
  selectOptions: 100,
  placeholder: 150,
  hint: 2000,
} as const;

/** A chat message: blocks plus the notification text Slack shows where blocks cannot be (mrkdwn too). */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

function id(value: string | undefined): { block_id?: string } {
  return value === undefined ? {} : { block_id: value.slice(0, SLACK_LIMITS.blockId) };
}

export function mrkdwnText(escaped: string, max: number): MrkdwnElement {
  return { type: 'mrkdwn', text: truncateEscaped(escaped, max) || ' ', verbatim: true };
}

export function section(escaped: string, blockId?: string): SectionBlock {
  return { type: 'section', ...id(blockId), text: mrkdwnText(escaped, SLACK_LIMITS.sectionText) };
}

/** Label/value pairs as section fields, ten per section as Slack allows. */
export function fieldSections(fields: readonly { label: string; value: string }[]): SectionBlock[] {
  const sections: SectionBlock[] = [];
  for (let i = 0; i < fields.length; i += SLACK_LIMITS.sectionFields) {
    const chunk = fields.slice(i, i + SLACK_LIMITS.sectionFields);
    sections.push({
      type: 'section',
      fields: chunk.map((f) => mrkdwnText(`*${f.label}*\n${f.value}`, SLACK_LIMITS.sectionField)),
    });
  }
  return sections;
}

export function header(plain: string): HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: truncate(plain, SLACK_LIMITS.headerText) || ' ', emoji: true } };
}

export function context(escaped: readonly string[]): ContextBlock {
  return {
    type: 'context',
    elements: escaped.slice(0, SLACK_LIMITS.contextElements).map((t) => mrkdwnText(t, SLACK_LIMITS.sectionText)),
  };
}

export function divider(): DividerBlock {
  return { type: 'divider' };
}

export function button(opts: {
  text: string;
  actionId: string;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: { title: string; text: string; confirm: string; deny: string };
}): Button {
  return {
    type: 'button',
    text: { type: 'plain_text', text: truncate(opts.text, SLACK_LIMITS.buttonText), emoji: true },
    action_id: opts.actionId.slice(0, SLACK_LIMITS.actionId),
    value: opts.value.slice(0, SLACK_LIMITS.buttonValue),
    ...(opts.style ? { style: opts.style } : {}),
    ...(opts.confirm
      ? {
          confirm: {
            title: { type: 'plain_text', text: truncate(opts.confirm.title, 100) },
            text: { type: 'plain_text', text: truncate(opts.confirm.text, 300) },
            confirm: { type: 'plain_text', text: truncate(opts.confirm.confirm, 30) },
            deny: { type: 'plain_text', text: truncate(opts.confirm.deny, 30) },
          },
        }
      : {}),
  };
}

export function actions(blockId: string, buttons: Button[]): ActionsBlock {
  return { type: 'actions', ...id(blockId), elements: buttons.slice(0, 25) };
}

/**
 * Packs lines into as few sections as fit (3,000 characters each) and at most `maxBlocks` of them;
 * lines that do not fit are counted in a closing "…and N more" line.
 */
export function linesToSections(lines: readonly string[], maxBlocks: number): SectionBlock[] {
  const sections: string[] = [];
  let current = '';
  let shown = 0;
  const limit = SLACK_LIMITS.sectionText - 40; // room for the "…and N more" line
  for (const raw of lines) {
    const line = truncateEscaped(raw, limit);
    if (current !== '' && current.length + 1 + line.length > limit) {
      if (sections.length + 1 >= maxBlocks) break;
      sections.push(current);
      current = '';
    }
    current = current === '' ? line : `${current}\n${line}`;
    shown += 1;
  }
  const hidden = lines.length - shown;
  if (hidden > 0) current += `\n_…and ${hidden} more_`;
  if (current !== '') sections.push(current);
  return sections.map((text) => section(text));
}

/** The final guard: at most 50 blocks (the last one says how many were left out) and a bounded text. */
export function message(text: string, blocks: KnownBlock[]): SlackMessage {
  const max = SLACK_LIMITS.messageBlocks;
  const fitted =
    blocks.length <= max
      ? blocks
      : [...blocks.slice(0, max - 1), context([`_…${blocks.length - (max - 1)} more blocks not shown_`])];
  // The text is a notification summary; 3,000 characters is plenty and well under Slack's 40,000.
  return { text: truncateEscaped(text, SLACK_LIMITS.sectionText), blocks: fitted };
}
