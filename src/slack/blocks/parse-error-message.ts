// The reply to a command that did not parse: what was wrong, the usage, and the suggested fix.
// The message can echo what the user typed, so all of it is escaped.
import type { ParseError } from '../../domain/command-grammar';
import { escapeMrkdwn } from '../mrkdwn';
import { context, message, section, SLACK_LIMITS, type SlackMessage } from './block-kit';

function codeBlock(text: string): string {
  // A code block ends at the next ```; usage lines are ours, but be safe with whatever they hold.
  return `\`\`\`${escapeMrkdwn(text.replace(/```/g, "'''"))}\`\`\``;
}

export function buildParseErrorMessage(error: ParseError, opts: { commandName?: string } = {}): SlackMessage {
  const usage = opts.commandName && /^\/[a-z0-9_-]{1,31}$/i.test(opts.commandName)
    ? error.usage.split('\n').map((line) => `${opts.commandName} ${line}`).join('\n')
    : error.usage;
  const blocks = [
    section(`:warning: ${escapeMrkdwn(error.message)}`),
    ...(error.suggestion ? [section(`:bulb: ${escapeMrkdwn(error.suggestion)}`)] : []),
    section(`*Usage*\n${codeBlock(usage.slice(0, SLACK_LIMITS.sectionText - 100))}`),
    context(['Type `help` for all commands.']),
  ];
  return message(escapeMrkdwn(error.message), blocks);
}
