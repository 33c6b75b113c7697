// The answer to `help` (and to an empty command): every verb's usage and what it does, or one verb
// in detail with an example. Texts come from the command grammar, so help cannot drift from the parser.
import { VERBS, verbHelp, WORKSPACE_OPTION, type Verb } from '../../domain/command-grammar';
import { code, escapeMrkdwn } from '../mrkdwn';
import { context, header, message, section, type SlackMessage } from './block-kit';

/** The slash command as installed ("/batch"); anything that is not a slash command name is ignored. */
function prefix(commandName: string | undefined): string {
  return commandName && /^\/[a-z0-9_-]{1,31}$/i.test(commandName) ? `${commandName} ` : '';
}

/** With several workspaces: every one the bot serves, and those this channel may use (its own first). */
export interface HelpWorkspaces {
  all: readonly string[];
  here: readonly string[];
}

/** How to pick a workspace and which ones this channel uses; nothing with one workspace. */
function workspaceLine(p: string, w: HelpWorkspaces | undefined): string[] {
  if (!w || w.all.length < 2) return [];
  const names = (list: readonly string[]) => list.map((n) => code(n)).join(', ');
  const here = w.here.length > 0 ? `This channel uses ${names(w.here)}${w.here.length > 1 ? ` (${code(w.here[0] as string)} unless you name another)` : ''}.` : 'This channel is bound to no workspace.';
  return [`Workspaces: ${names(w.all)}. ${here} Add ${code(`${p}… ${WORKSPACE_OPTION}`)} to any command to pick one.`];
}

export function buildHelpMessage(opts: { topic?: Verb; commandName?: string; workspaces?: HelpWorkspaces } = {}): SlackMessage {
  const p = prefix(opts.commandName);
  if (opts.topic) {
    const h = verbHelp(opts.topic);
    return message(`${p}${h.usage}: ${h.summary}`, [
      section(`${code(`${p}${h.usage}`)}\n${escapeMrkdwn(h.summary)}`),
      context([`Example: ${code(`${p}${h.example}`)}`, ...workspaceLine(p, opts.workspaces)]),
    ]);
  }
  const lines = VERBS.map((verb) => {
    const h = verbHelp(verb);
    return section(`${code(`${p}${h.usage}`)}\n${escapeMrkdwn(h.summary)}`);
  });
  return message('Batch scoring bot: commands', [
    header('Batch scoring bot'),
    ...lines,
    context([`${code(`${p}help <command>`)} shows details and an example.`, ...workspaceLine(p, opts.workspaces)]),
  ]);
}
