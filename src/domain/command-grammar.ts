// The one grammar behind the slash command and the CLI: text in, a typed Command (which the queue can
// carry) or an error that says what was wrong, the verb's usage and, for a typo, a suggestion.
//
// Slash command text arrives as Slack formats it: with link unfurling/escaping on, URLs are wrapped as
// <https://x|x> or <https://x>, and "&", "<", ">" are sent as &amp; &lt; &gt; (Slack's "Formatting text
// for app surfaces": escaping). Desktop clients also "smart"-replace quotes and "--". All of that is
// undone here, so the same words typed in Slack and in a terminal parse the same.
import type { z } from 'zod';
import {
  commandSchema,
  VERB_DECLARATIONS,
  VERBS,
  verbSchema,
  type Command,
  type ParseError,
  type VerbDeclaration,
  type VerbWords,
  type Verb,
} from './command-verbs';

export { commandSchema, parseErrorSchema, VERBS, verbSchema } from './command-verbs';
export type { Command, CommandInput, CommandOf, ParseError, Verb } from './command-verbs';

/** Longest text accepted; Slack's own slash command text is far shorter, so more is a paste gone wrong. */
export const MAX_COMMAND_LENGTH = 4000;

/** `workspace`: the profile named by `--workspace <name>` (any verb), lower-cased; absent when none was named. */
export type ParseResult = { ok: true; command: Command; workspace?: string } | { ok: false; error: ParseError };

/** A workspace profile's name as configured (BATCH_SCORE_WORKSPACES). */
export const WORKSPACE_PROFILE_NAME = /^[a-z][a-z0-9-]{0,23}$/;
/** Every verb takes it: which of the bot's workspaces the command is for. */
export const WORKSPACE_OPTION = '--workspace <name>';

/** The table seen row by row without field types: the grammar treats every verb alike. */
const GRAMMAR: Readonly<Record<Verb, VerbDeclaration<z.ZodRawShape>>> = VERB_DECLARATIONS;

function renderUsage(g: VerbDeclaration<z.ZodRawShape>): string {
  const args = g.args.map((a) => (a.optional ? `[${a.name}]` : a.name));
  const flags = Object.entries(g.flags).map(([name, f]) => `[--${name}${f.value ? ` ${f.value}` : ''}]`);
  const tail = [...args, ...flags].join(' ');
  if (tail === '') return g.words;
  return g.allOrNothing ? `${g.words} [${tail}]` : `${g.words} ${tail}`;
}

/** One usage line per verb, without the slash command's name (it is configured per install). */
export const USAGE: Readonly<Record<Verb, string>> = Object.fromEntries(
  VERBS.map((verb) => [verb, renderUsage(GRAMMAR[verb])]),
) as Record<Verb, string>;

/** What a verb does and an example, for help messages. */
export function verbHelp(verb: Verb): { usage: string; summary: string; example: string } {
  const g = GRAMMAR[verb];
  return { usage: USAGE[verb], summary: g.summary, example: g.example };
}

const GENERAL_USAGE = VERBS.map((verb) => USAGE[verb]).join('\n');

// ---------------------------------------------------------------------------------------------------
// Text → tokens

const FORBIDDEN_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** Invisible characters some clients insert (and our own mrkdwn escaping uses); they carry no meaning. */
const INVISIBLE = /[\u200b-\u200d\u2060\ufeff]/g;
/** Slack's link markup: <url> or <url|label>, for any scheme-prefixed target (https:, mailto:, ...). */
const SLACK_LINK = /<([a-zA-Z][a-zA-Z0-9+.-]*:[^<>|]*)(?:\|[^<>]*)?>/g;
const QUOTE_PAIRS: Readonly<Record<string, string>> = { '"': '"', "'": "'", '“': '”', '”': '”', '„': '“', '‘': '’', '’': '’' };

function decodeSlackText(text: string): string {
  return text
    .replace(SLACK_LINK, (_all, url: string) => url)
    .replace(/&(amp|lt|gt);/g, (_all, name: string) => ({ amp: '&', lt: '<', gt: '>' })[name] ?? '');
}

type Token = { text: string; quoted: boolean };

function tokenize(text: string): Token[] | ParseError {
  const tokens: Token[] = [];
  let current: Token | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (/\s/.test(ch)) {
      if (current) tokens.push(current);
      current = undefined;
      continue;
    }
    current ??= { text: '', quoted: false };
    const close = Object.hasOwn(QUOTE_PAIRS, ch) ? QUOTE_PAIRS[ch] : undefined;
    if (close === undefined) {
      current.text += ch;
      continue;
    }
    current.quoted = true;
    let j = i + 1;
    for (; j < text.length; j++) {
      const c = text.charAt(j);
      if (c === close || (ch === '“' && c === '“')) break;
      // Inside straight double quotes, \" and \\ escape as in a shell.
      if (ch === '"' && c === '\\' && (text.charAt(j + 1) === '"' || text.charAt(j + 1) === '\\')) {
        current.text += text.charAt(j + 1);
        j++;
        continue;
      }
      current.text += c;
    }
    if (j >= text.length) {
      return { message: `A quote (${ch}) is not closed.`, usage: GENERAL_USAGE };
    }
    i = j;
  }
  if (current) tokens.push(current);
  // macOS and iOS turn "--" into an em or en dash; undo that on unquoted flags.
  return tokens.map((t) => (t.quoted ? t : { ...t, text: t.text.replace(/^[—–](?=[a-zA-Z])/, '--') }));
}

// ---------------------------------------------------------------------------------------------------
// Suggestions

// A Map, not an object: a typed word such as "__proto__" must not find Object.prototype.
const ALIASES: ReadonlyMap<string, Verb> = new Map(Object.entries({
  invoke: 'run',
  score: 'run',
  start: 'run',
  submit: 'run',
  stop: 'cancel',
  kill: 'cancel',
  abort: 'cancel',
  remove: 'delete',
  rm: 'delete',
  del: 'delete',
  list: 'endpoints',
  ls: 'endpoints',
  describe: 'show',
  get: 'show',
  info: 'show',
  default: 'set-default',
  register: 'data-register',
  '?': 'help',
  usage: 'help',
  job: 'status',
  freeze: 'lock',
  unfreeze: 'unlock',
}) as [string, Verb][]);

/**
 * Edit distance counting a swap of two neighbours as one edit (optimal string alignment), since "stauts"
 * and "fiel" are the typos people make. Callers cap the word length, so a huge token costs nothing.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 0; j <= b.length; j++) (d[0] as number[])[j] = j;
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.MAX_SAFE_INTEGER;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charAt(i - 1) === b.charAt(j - 1) ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a.charAt(i - 1) === b.charAt(j - 2) && a.charAt(i - 2) === b.charAt(j - 1)) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  if (word.length === 0 || word.length > 32) return undefined;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    const allowed = Math.max(1, Math.floor(candidate.length / 3));
    if (distance <= allowed && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

function suggestVerb(word: string): string | undefined {
  const lower = word.toLowerCase();
  const alias = ALIASES.get(lower);
  if (alias) return GRAMMAR[alias].words;
  const spoken = VERBS.map((v) => GRAMMAR[v].words);
  return closest(lower.replace(/-/g, ' '), spoken) ?? closest(lower, spoken);
}

/** A user's text inside a message: short, single line, visible. The renderer escapes it for Slack. */
function shown(text: string): string {
  // Backticks removed: the text is shown inside `code` and must not close it.
  const flat = text.replace(/\s+/g, ' ').replace(/`/g, '');
  return flat.length > 40 ? `${flat.slice(0, 39)}…` : flat;
}

// ---------------------------------------------------------------------------------------------------
// Tokens → command

function verbOf(tokens: Token[]): { verb: Verb; rest: Token[] } | ParseError {
  const first = tokens[0]?.text.toLowerCase() ?? '';
  // A verb typed in two words ("data register"): the first word names a group of subcommands.
  const group = VERBS.filter((v) => GRAMMAR[v].words.startsWith(`${first} `));
  if (group.length > 0) {
    const sub = tokens[1]?.text.toLowerCase();
    const found = group.find((v) => GRAMMAR[v].words === `${first} ${sub}`);
    if (found) return { verb: found, rest: tokens.slice(2) };
    const spoken = group.map((v) => GRAMMAR[v].words);
    const near = sub === undefined ? undefined : closest(sub, spoken.map((w) => w.slice(first.length + 1)));
    return {
      message:
        sub === undefined
          ? `\`${first}\` needs a subcommand: ${spoken.map((w) => `\`${w}\``).join(', ')}.`
          : `\`${first} ${shown(sub)}\` is not a command.`,
      usage: group.map((v) => USAGE[v]).join('\n'),
      ...(near ? { suggestion: `Did you mean \`${first} ${near}\`?` } : {}),
    };
  }
  const verb = verbSchema.safeParse(first);
  if (verb.success) return { verb: verb.data, rest: tokens.slice(1) };
  const suggestion = suggestVerb(first);
  return {
    message: `\`${shown(tokens[0]?.text ?? '')}\` is not a command.`,
    usage: GENERAL_USAGE,
    ...(suggestion ? { suggestion: `Did you mean \`${suggestion}\`?` } : {}),
  };
}

type SplitArgs = { positionals: string[]; flags: Map<string, string | true> };

function splitArgs(verb: Verb, tokens: Token[]): SplitArgs | ParseError {
  const g = GRAMMAR[verb];
  const usage = USAGE[verb];
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (token.quoted || !token.text.startsWith('--') || token.text === '--') {
      positionals.push(token.text);
      continue;
    }
    const eq = token.text.indexOf('=');
    const name = (eq === -1 ? token.text.slice(2) : token.text.slice(2, eq)).toLowerCase();
    const flag = Object.hasOwn(g.flags, name) ? g.flags[name] : undefined;
    if (!flag) {
      const known = Object.keys(g.flags);
      const near = closest(name, known);
      return {
        message:
          known.length === 0
            ? `\`${g.words}\` takes no options, but got \`--${shown(name)}\`.`
            : `\`--${shown(name)}\` is not an option of \`${g.words}\`.`,
        usage,
        ...(near ? { suggestion: `Did you mean \`--${near}\`?` } : {}),
      };
    }
    if (flags.has(name)) return { message: `\`--${name}\` is given more than once.`, usage };
    if (!flag.value) {
      if (eq !== -1) return { message: `\`--${name}\` is a switch and takes no value.`, usage };
      flags.set(name, true);
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = token.text.slice(eq + 1);
    else {
      const next = tokens[i + 1];
      if (next && (next.quoted || !next.text.startsWith('--'))) {
        value = next.text;
        i++;
      }
    }
    if (value === undefined || value === '') {
      return { message: `\`--${name}\` needs a value, as in \`--${name} ${flag.value}\`.`, usage };
    }
    flags.set(name, value);
  }
  return { positionals, flags };
}

function checkArity(verb: Verb, { positionals, flags }: SplitArgs): ParseError | undefined {
  const g = GRAMMAR[verb];
  const usage = USAGE[verb];
  if (g.allOrNothing && positionals.length === 0 && flags.size === 0) return undefined;
  const required = g.args.filter((a) => !a.optional);
  if (positionals.length < required.length) {
    const missing = required.slice(positionals.length).map((a) => a.name);
    return { message: `\`${g.words}\` needs ${missing.join(' and ')}.`, usage };
  }
  if (positionals.length > g.args.length && !g.args[g.args.length - 1]?.rest) {
    const extra = positionals[g.args.length] ?? '';
    const takes = g.args.length === 0 ? 'no arguments' : `${g.args.length} argument${g.args.length === 1 ? '' : 's'}`;
    return { message: `\`${g.words}\` takes ${takes}, but got an extra \`${shown(extra)}\`.`, usage };
  }
  return undefined;
}

/** The verb's words → its raw fields (validated by commandSchema next), through the verb's own reader. */
function rawCommand(verb: Verb, { positionals, flags }: SplitArgs): Record<string, unknown> | ParseError {
  const words: VerbWords = {
    positionals,
    flag: (name) => {
      const v = flags.get(name);
      return typeof v === 'string' ? v : undefined;
    },
    has: (name) => flags.has(name),
    anyFlag: flags.size > 0,
    topic: helpTopic,
  };
  const fields = GRAMMAR[verb].read(words);
  return isParseError(fields) ? fields : { verb, ...fields };
}

function helpTopic(words: string): { topic: Verb } | ParseError {
  const topic = words.toLowerCase();
  const known = VERBS.find((v) => v === topic || GRAMMAR[v].words === topic);
  if (known) return { topic: known };
  const suggestion = suggestVerb(topic);
  return {
    message: `There is no command \`${shown(topic)}\` to explain.`,
    usage: USAGE.help,
    ...(suggestion ? { suggestion: `Did you mean \`help ${suggestion}\`?` } : {}),
  };
}

/** Which argument or flag a schema path refers to, in the words of the usage line (from the declarations). */
function fieldLabels(g: VerbDeclaration<z.ZodRawShape>): ReadonlyMap<string, string> {
  const labels = new Map<string, string>();
  for (const arg of g.args) if (arg.field) labels.set(arg.field, arg.name);
  for (const [name, flag] of Object.entries(g.flags)) if (flag.field) labels.set(flag.field, `--${name}`);
  return labels;
}

function isParseError(value: unknown): value is ParseError {
  return typeof value === 'object' && value !== null && 'message' in value && 'usage' in value;
}

/** Parses slash command text (as Slack sends it) or CLI arguments joined by spaces. Never throws. */
export function parseCommand(text: string): ParseResult {
  const fail = (error: ParseError): ParseResult => ({ ok: false, error });
  if (typeof text !== 'string') return fail({ message: 'The command is missing.', usage: GENERAL_USAGE });
  if (text.length > MAX_COMMAND_LENGTH) {
    return fail({ message: `The command is longer than ${MAX_COMMAND_LENGTH} characters.`, usage: GENERAL_USAGE });
  }
  const decoded = decodeSlackText(text).replace(INVISIBLE, '');
  if (FORBIDDEN_CHARACTERS.test(decoded)) {
    return fail({ message: 'The command contains control characters; retype it.', usage: GENERAL_USAGE });
  }
  const all = tokenize(decoded);
  if (!Array.isArray(all)) return fail(all);
  const picked = takeWorkspaceOption(all);
  if (isParseError(picked)) return fail(picked);
  const { tokens, workspace } = picked;
  const withWorkspace = (result: ParseResult): ParseResult => (result.ok && workspace !== undefined ? { ...result, workspace } : result);
  if (tokens.length === 0) return withWorkspace({ ok: true, command: { verb: 'help' } });

  const head = verbOf(tokens);
  if (isParseError(head)) return fail(head);
  // "help data register" names a two-word verb: read it as one topic.
  const spoken = head.rest.map((t) => t.text.toLowerCase()).join(' ');
  if (head.verb === 'help' && head.rest.length > 1 && VERBS.some((v) => GRAMMAR[v].words === spoken)) {
    head.rest = [{ text: spoken, quoted: true }];
  }
  const args = splitArgs(head.verb, head.rest);
  if (isParseError(args)) return fail(args);
  const arity = checkArity(head.verb, args);
  if (arity) return fail(arity);
  const raw = rawCommand(head.verb, args);
  if (isParseError(raw)) return fail(raw);

  const parsed = commandSchema.safeParse(raw);
  if (parsed.success) return withWorkspace({ ok: true, command: parsed.data });
  const issue = parsed.error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  const label = fieldLabels(GRAMMAR[head.verb]).get(path);
  return fail({
    message: `${label ? `${label}: ` : ''}${issue?.message ?? 'the command is not valid'}`,
    usage: USAGE[head.verb],
  });
}

/** Takes `--workspace <name>` (or `--workspace=<name>`, anywhere, once) out of the words; the verb never sees it. */
function takeWorkspaceOption(tokens: Token[]): { tokens: Token[]; workspace?: string } | ParseError {
  const rest: Token[] = [];
  let workspace: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    const lower = token.text.toLowerCase();
    const inline = lower.startsWith('--workspace=');
    if (token.quoted || (lower !== '--workspace' && !inline)) {
      rest.push(token);
      continue;
    }
    if (workspace !== undefined) return { message: '`--workspace` is given more than once.', usage: WORKSPACE_OPTION };
    const next = tokens[i + 1];
    const value = inline ? token.text.slice('--workspace='.length) : next && !next.text.startsWith('--') ? next.text : undefined;
    if (!inline && value !== undefined) i++;
    if (value === undefined || value === '') return { message: '`--workspace` needs the name of a workspace, as in `--workspace prod`.', usage: WORKSPACE_OPTION };
    if (!WORKSPACE_PROFILE_NAME.test(value.toLowerCase())) {
      return { message: `\`${shown(value)}\` is not a workspace name (a letter, then letters, digits or "-").`, usage: WORKSPACE_OPTION };
    }
    workspace = value.toLowerCase();
  }
  return workspace === undefined ? { tokens: rest } : { tokens: rest, workspace };
}

// ---------------------------------------------------------------------------------------------------
// Command → text

/** Quotes a token so parseCommand reads it back unchanged (formatCommand, and the CLI's shell words). */
export function quoteToken(token: string): string {
  // Entity-looking text and angle brackets would be decoded as Slack formatting on the way back in.
  const safe = token.replace(/&(?=(amp|lt|gt);)/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  // A value that looks like a flag ("--x") is read as a value only when quoted.
  if (safe !== '' && !/[\s"'“”„‘’\\]/.test(safe) && !/^([—–]|--)/.test(safe)) return safe;
  return `"${safe.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The canonical text of a command (for audit lines and the CLI); parseCommand(formatCommand(c)) gives c. */
export function formatCommand(command: Command): string {
  const words: string[] = [GRAMMAR[command.verb].words];
  GRAMMAR[command.verb].write(command, {
    words: (...values) => words.push(...values.map(quoteToken)),
    flag: (name, value) => {
      words.push(name);
      if (value !== undefined) words.push(quoteToken(value));
    },
    verb: (verb) => words.push(GRAMMAR[verb].words),
  });
  return words.join(' ');
}
