// The answer to `help` (and to an empty command): every verb's usage and what it does, or one verb
// in detail with an example. Texts come from the command grammar, so help cannot drift from the parser.
import { VERBS, verbHelp, type Verb } from '../../domain/command-grammar';
import { code, escapeMrkdwn } from '../mrkdwn';
import { context, header, message, section, type SlackMessage } from './block-kit';

/** The slash command as installed ("/batch"); anything that is not a slash command name is ignored. */
function prefix(commandName: string | undefined): string {
  return commandName && /^\/[a-z0-9_-]{1,31}$/i.test(commandName) ? `${commandName} ` : '';
}

export function buildHelpMessage(opts: { topic?: Verb; commandName?: string } = {}): SlackMessage {
  const p = prefix(opts.commandName);
  if (opts.topic) {
    const h = verbHelp(opts.topic);
    return message(`${p}${h.usage}: ${h.summary}`, [
      section(`${code(`${p}${h.usage}`)}\n${escapeMrkdwn(h.summary)}`),
      context([`Example: ${code(`${p}${h.example}`)}`]),
    ]);
  }
  const lines = VERBS.map((verb) => {
    const h = verbHelp(verb);
    return section(`${code(`${p}${h.usage}`)}\n${escapeMrkdwn(h.summary)}`);
  });
  return message('Batch scoring bot: commands', [
    header('Batch scoring bot'),
    ...lines,
    context([`${code(`${p}help <command>`)} shows details and an example.`]),
  ]);
}
