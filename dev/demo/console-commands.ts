// The interactive sandbox console's own little language, parsed purely. Anything that is not one of
// its words is a slash command for the bot: "/batch-score run …" or just "run …".
//   press 3 | press Approve | press Approve on 2     click a button (message numbers as printed: [2])
//   set <field> <value…> | submit | cancel           fill the open modal by field name, submit or close it
//   as <user>                                        act as alice, bob or carol
//   upload <datastore-folder> [count]                put MNIST-like images on the workspace datastore
//   wait <text>                                      wait until a message containing <text> arrives
//   show | modal | help | exit
// The words that take nothing (submit, cancel, close, show, channel, modal, exit, quit, help) are the
// console's only when alone: with an argument the line is the bot's ("cancel <job>", "show <endpoint>",
// "submit <endpoint> …" as run's alias, "help run"), as the bot's own hints write them.
export type ConsoleCommand =
  | { kind: 'slash'; text: string }
  | { kind: 'press'; label?: string; message?: number }
  | { kind: 'set'; field: string; value: string }
  | { kind: 'submit' }
  | { kind: 'cancel' }
  | { kind: 'as'; user: string }
  | { kind: 'upload'; folder: string; count: number }
  | { kind: 'wait'; text: string }
  | { kind: 'show' }
  | { kind: 'modal' }
  | { kind: 'help' }
  | { kind: 'exit' }
  | { kind: 'nothing' }
  | { kind: 'invalid'; message: string };

export const CONSOLE_HELP = `Type what you would type in Slack, and act on what the bot shows:
  /batch-score help        any slash command (the "/batch-score" is optional: "run mnist-batch azureml://…")
  press 3                  click the only button of message [3]
  press Approve on 2       click a button by its label (without "on N": the newest message with it)
  set endpoint mnist-batch fill a field of the open modal by its name (shown in parentheses); "\\n" is a newline
  submit | cancel          submit or close the open modal
  as carol                 act as another user: alice (asks), bob, carol (approver)
  upload mnist/in 10       put 10 MNIST-like PNGs in azureml://datastores/workspaceblobstore/paths/mnist/in
  wait completed           wait (up to 60 s) for a message containing "completed"
  show                     the channel as Slack shows it now; "modal" shows the open modal as filled so far
  help | exit
Words the bot also knows are the console's only when typed alone: "cancel", "show", "submit" act here,
"cancel <job>", "show <endpoint>", "help run" go to the bot (as "/batch-score …" always does).`;

const MAX_UPLOAD = 1000;

/** Console words that take no argument: followed by one, the line is a command for the bot. */
const ALONE_WORDS: ReadonlySet<string> = new Set(['submit', 'cancel', 'close', 'show', 'channel', 'modal', 'exit', 'quit', 'help', '?']);

/** `\n` in a `set` value becomes a newline (a conda file on one line); `\\n` stays literal. */
function unescapeValue(value: string): string {
  return value.replace(/\\\\|\\n/g, (m) => (m === '\\n' ? '\n' : '\\'));
}

export function parseConsoleLine(line: string, slashCommand = '/batch-score'): ConsoleCommand {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return { kind: 'nothing' };
  if (trimmed.startsWith('/')) {
    const [command = '', ...rest] = trimmed.split(/\s+/);
    if (command !== slashCommand) return { kind: 'invalid', message: `only ${slashCommand} is installed in this workspace` };
    return { kind: 'slash', text: rest.join(' ') };
  }
  const [word = '', ...args] = trimmed.split(/\s+/);
  const rest = trimmed.slice(word.length).trim();
  if (args.length > 0 && ALONE_WORDS.has(word.toLowerCase())) return { kind: 'slash', text: trimmed };
  switch (word.toLowerCase()) {
    case 'press':
    case 'click': {
      if (args.length === 0) return { kind: 'invalid', message: 'press what? e.g. "press 3" or "press Approve on 2"' };
      if (args.length === 1 && /^\d+$/.test(args[0] as string)) return { kind: 'press', message: Number(args[0]) };
      const on = /^(.*?)\s+on\s+\[?(\d+)\]?$/i.exec(rest);
      if (on) return { kind: 'press', label: (on[1] as string).replace(/^\[|\]$/g, ''), message: Number(on[2]) };
      return { kind: 'press', label: rest.replace(/^\[|\]$/g, '') };
    }
    case 'set': {
      const [field, ...value] = args;
      if (!field || value.length === 0) return { kind: 'invalid', message: 'set <field> <value>, e.g. "set endpoint mnist-batch"' };
      return { kind: 'set', field, value: unescapeValue(rest.slice(field.length).trim()) };
    }
    case 'submit':
      return { kind: 'submit' };
    case 'cancel':
    case 'close':
      return { kind: 'cancel' };
    case 'as':
      if (args.length !== 1) return { kind: 'invalid', message: 'as <user>, e.g. "as carol"' };
      return { kind: 'as', user: (args[0] as string).replace(/^@/, '').toLowerCase() };
    case 'upload': {
      const [folder, count] = args;
      if (!folder || args.length > 2 || (count !== undefined && !/^\d+$/.test(count))) {
        return { kind: 'invalid', message: 'upload <datastore-folder> [count], e.g. "upload mnist/in 10"' };
      }
      const n = count === undefined ? 10 : Number(count);
      if (n < 1 || n > MAX_UPLOAD) return { kind: 'invalid', message: `count must be 1-${MAX_UPLOAD}` };
      return { kind: 'upload', folder: folder.replace(/^\/+|\/+$/g, ''), count: n };
    }
    case 'wait':
      if (!rest) return { kind: 'invalid', message: 'wait <text>, e.g. "wait completed"' };
      return { kind: 'wait', text: rest };
    case 'show':
    case 'channel':
      return { kind: 'show' };
    case 'modal':
      return { kind: 'modal' };
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'exit':
    case 'quit':
      return { kind: 'exit' };
    default:
      return { kind: 'slash', text: trimmed };
  }
}
