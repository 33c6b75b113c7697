// The one grammar behind the slash command and the CLI: text in, a typed Command (which the queue can
// carry) or an error that says what was wrong, the verb's usage and, for a typo, a suggestion.
//
// Slash command text arrives as Slack formats it: with link unfurling/escaping on, URLs are wrapped as
// <https://x|x> or <https://x>, and "&", "<", ">" are sent as &amp; &lt; &gt; (Slack's "Formatting text
// for app surfaces": escaping). Desktop clients also "smart"-replace quotes and "--". All of that is
// undone here, so the same words typed in Slack and in a terminal parse the same.
import { z } from 'zod';
import { assetNameSchema, assetVersionSchema, deploymentNameSchema, endpointNameSchema, jobNameSchema } from './naming-rules';
import { dataReferenceUriSchema, jobInputKindSchema, runSpecSchema } from './run-spec';
import { lockReasonSchema } from './endpoint-lock';
import { parseDataReference } from './data-reference';

export const VERBS = [
  'help',
  'deploy',
  'run',
  'status',
  'jobs',
  'cancel',
  'endpoints',
  'show',
  'set-default',
  'delete',
  'data-register',
  'lock',
  'unlock',
] as const;
export const verbSchema = z.enum(VERBS);
export type Verb = z.infer<typeof verbSchema>;

/** Longest text accepted; Slack's own slash command text is far shorter, so more is a paste gone wrong. */
export const MAX_COMMAND_LENGTH = 4000;

const specFileSchema = z
  .string()
  .min(1, 'give the path of a deploy spec JSON file')
  .max(1024, 'the spec file path is longer than 1024 characters')
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'the spec file path contains control characters');

const dataRegisterUriSchema = dataReferenceUriSchema.refine((uri) => parseDataReference(uri).kind !== 'data-asset', {
  message: 'register data from a datastore path or a public https URL; this already is a data asset',
});

export const commandSchema = z.discriminatedUnion('verb', [
  z.object({ verb: z.literal('help'), topic: verbSchema.optional() }),
  /** Opens the deploy modal; the CLI passes a spec file instead. */
  z.object({ verb: z.literal('deploy'), specFile: specFileSchema.optional() }),
  /** Without a spec, opens the run modal. */
  z.object({ verb: z.literal('run'), spec: runSpecSchema.optional() }),
  z.object({ verb: z.literal('status'), jobName: jobNameSchema }),
  z.object({ verb: z.literal('jobs'), endpointName: endpointNameSchema.optional() }),
  z.object({ verb: z.literal('cancel'), jobName: jobNameSchema }),
  z.object({ verb: z.literal('endpoints') }),
  z.object({ verb: z.literal('show'), endpointName: endpointNameSchema }),
  z.object({ verb: z.literal('set-default'), endpointName: endpointNameSchema, deploymentName: deploymentNameSchema }),
  z.object({ verb: z.literal('delete'), endpointName: endpointNameSchema }),
  z.object({
    verb: z.literal('data-register'),
    name: assetNameSchema,
    /** As DataVersionBase.dataType: uri_folder / uri_file; named like JobInputType for one vocabulary. */
    kind: jobInputKindSchema,
    uri: dataRegisterUriSchema,
    /** Omitted: the worker picks the next version. */
    version: assetVersionSchema.optional(),
  }),
  /** Freezes deploy, set-default and delete on the endpoint until an approver unlocks it. */
  z.object({ verb: z.literal('lock'), endpointName: endpointNameSchema, reason: lockReasonSchema.optional() }),
  z.object({ verb: z.literal('unlock'), endpointName: endpointNameSchema }),
]);
export type Command = z.output<typeof commandSchema>;
export type CommandInput = z.input<typeof commandSchema>;

export const parseErrorSchema = z.object({
  message: z.string(),
  usage: z.string(),
  suggestion: z.string().optional(),
});
export type ParseError = z.infer<typeof parseErrorSchema>;
export type ParseResult = { ok: true; command: Command } | { ok: false; error: ParseError };

interface FlagGrammar {
  /** Placeholder of the flag's value; absent for a switch. */
  value?: string;
  /** Which field of the command a bad value belongs to, for error messages. */
  describes: string;
}

interface VerbGrammar {
  words: string;
  /** `rest`: the last argument takes every remaining word (a free-text reason). */
  args: readonly { name: string; optional?: boolean; rest?: boolean }[];
  flags: Readonly<Record<string, FlagGrammar>>;
  /** All arguments may be left out together (run: then the modal opens). */
  allOrNothing?: boolean;
  summary: string;
  example: string;
}

const GRAMMAR: Readonly<Record<Verb, VerbGrammar>> = {
  help: {
    words: 'help',
    args: [{ name: '<command>', optional: true }],
    flags: {},
    summary: 'Show the commands, or how to use one of them.',
    example: 'help run',
  },
  deploy: {
    words: 'deploy',
    args: [],
    flags: { spec: { value: '<file.json>', describes: 'the spec file' } },
    summary: 'Deploy a model to a batch endpoint (opens a form; the CLI reads --spec).',
    example: 'deploy',
  },
  run: {
    words: 'run',
    args: [{ name: '<endpoint>' }, { name: '<input-uri>' }],
    flags: {
      file: { describes: 'the input kind' },
      output: { value: '<datastore-file-uri>', describes: 'the output file' },
      deployment: { value: '<deployment>', describes: 'the deployment' },
      // Per-job overrides of the deployment's settings (src/domain/run-settings.ts).
      'mini-batch-size': { value: '<n>', describes: 'the mini-batch size' },
      'instance-count': { value: '<n>', describes: 'the instance count' },
      'error-threshold': { value: '<n>', describes: 'the error threshold' },
      'max-retries': { value: '<n>', describes: 'the max retries' },
      'retry-timeout': { value: '<duration>', describes: 'the retry timeout' },
      'output-file-name': { value: '<name>', describes: 'the output file name' },
    },
    allOrNothing: true,
    summary: 'Run a batch scoring job on a folder (or, with --file, one file); no arguments opens a form.',
    example:
      'run mnist-batch azureml://datastores/workspaceblobstore/paths/mnist/ --output azureml://datastores/workspaceblobstore/paths/out/predictions.csv',
  },
  status: {
    words: 'status',
    args: [{ name: '<job>' }],
    flags: {},
    summary: 'Show the status of a batch scoring job.',
    example: 'status 3d5f1c2e-0b7a-4d4e-9b1f-2f7c9d1e8a00',
  },
  jobs: {
    words: 'jobs',
    args: [{ name: '<endpoint>', optional: true }],
    flags: {},
    summary: 'List recent batch scoring jobs, of one endpoint or all.',
    example: 'jobs mnist-batch',
  },
  cancel: {
    words: 'cancel',
    args: [{ name: '<job>' }],
    flags: {},
    summary: 'Cancel a running batch scoring job.',
    example: 'cancel 3d5f1c2e-0b7a-4d4e-9b1f-2f7c9d1e8a00',
  },
  endpoints: {
    words: 'endpoints',
    args: [],
    flags: {},
    summary: 'List the batch endpoints of the workspace.',
    example: 'endpoints',
  },
  show: {
    words: 'show',
    args: [{ name: '<endpoint>' }],
    flags: {},
    summary: 'Show a batch endpoint: its deployments, the default one and its scoring URI.',
    example: 'show mnist-batch',
  },
  'set-default': {
    words: 'set-default',
    args: [{ name: '<endpoint>' }, { name: '<deployment>' }],
    flags: {},
    summary: "Make a deployment the endpoint's default.",
    example: 'set-default mnist-batch mnist-torch',
  },
  delete: {
    words: 'delete',
    args: [{ name: '<endpoint>' }],
    flags: {},
    summary: 'Delete a batch endpoint and its deployments.',
    example: 'delete mnist-batch',
  },
  'data-register': {
    words: 'data register',
    args: [{ name: '<name>' }, { name: '<uri>' }],
    flags: { file: { describes: 'the data kind' }, version: { value: '<version>', describes: 'the version' } },
    summary: 'Register a folder (or, with --file, a file) as a data asset.',
    example: 'data register mnist-sample https://pipelinedata.blob.core.windows.net/sampledata/mnist --version 1',
  },
  lock: {
    words: 'lock',
    args: [{ name: '<endpoint>' }, { name: '<reason…>', optional: true, rest: true }],
    flags: {},
    summary: 'Freeze deploys, default changes and deletions of an endpoint, with a reason shown on every refusal.',
    example: 'lock fraud-ep release freeze until Monday',
  },
  unlock: {
    words: 'unlock',
    args: [{ name: '<endpoint>' }],
    flags: {},
    summary: 'Lift the lock on an endpoint (approvers only).',
    example: 'unlock fraud-ep',
  },
};

function renderUsage(g: VerbGrammar): string {
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

/** Plain text help (backticks for code, readable in a terminal and in Slack mrkdwn). */
export function helpText(topic?: Verb): string {
  if (topic) {
    const h = verbHelp(topic);
    return `\`${h.usage}\`\n${h.summary}\nExample: \`${h.example}\``;
  }
  const lines = VERBS.map((verb) => `\`${USAGE[verb]}\` - ${GRAMMAR[verb].summary}`);
  return ['Commands:', ...lines, 'Use `help <command>` for details and an example.'].join('\n');
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
  if (first === 'data') {
    const sub = tokens[1]?.text.toLowerCase();
    if (sub === 'register') return { verb: 'data-register', rest: tokens.slice(2) };
    const hint = sub !== undefined && closest(sub, ['register']) ? 'Did you mean `data register`?' : undefined;
    return {
      message: sub === undefined ? '`data` needs a subcommand: `data register`.' : `\`data ${shown(sub)}\` is not a command.`,
      usage: USAGE['data-register'],
      ...(hint ? { suggestion: hint } : {}),
    };
  }
  if (first === 'data-register') return { verb: 'data-register', rest: tokens.slice(1) };
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

function rawCommand(verb: Verb, { positionals: p, flags }: SplitArgs): Record<string, unknown> | ParseError {
  const flag = (name: string): string | undefined => {
    const v = flags.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  switch (verb) {
    case 'help': {
      if (p[0] === undefined) return { verb };
      const topic = p.join(' ').toLowerCase();
      const known = VERBS.find((v) => v === topic || GRAMMAR[v].words === topic);
      if (known) return { verb, topic: known };
      const suggestion = suggestVerb(topic);
      return {
        message: `There is no command \`${shown(topic)}\` to explain.`,
        usage: USAGE.help,
        ...(suggestion ? { suggestion: `Did you mean \`help ${suggestion}\`?` } : {}),
      };
    }
    case 'deploy':
      return { verb, ...(flag('spec') !== undefined ? { specFile: flag('spec') } : {}) };
    case 'run': {
      if (p.length === 0 && flags.size === 0) return { verb };
      return {
        verb,
        spec: {
          endpointName: p[0],
          ...(flag('deployment') !== undefined ? { deploymentName: flag('deployment') } : {}),
          input: { kind: flags.has('file') ? 'UriFile' : 'UriFolder', uri: p[1] },
          ...(flag('output') !== undefined ? { output: { uri: flag('output') } } : {}),
          ...runSettingsOf(flag),
        },
      };
    }
    case 'status':
    case 'cancel':
      return { verb, jobName: p[0] };
    case 'jobs':
      return { verb, ...(p[0] !== undefined ? { endpointName: p[0] } : {}) };
    case 'endpoints':
      return { verb };
    case 'show':
    case 'delete':
      return { verb, endpointName: p[0] };
    case 'set-default':
      return { verb, endpointName: p[0], deploymentName: p[1] };
    case 'lock':
      return { verb, endpointName: p[0], ...(p.length > 1 ? { reason: p.slice(1).join(' ') } : {}) };
    case 'unlock':
      return { verb, endpointName: p[0] };
    case 'data-register':
      return {
        verb,
        name: p[0],
        uri: p[1],
        kind: flags.has('file') ? 'UriFile' : 'UriFolder',
        ...(flag('version') !== undefined ? { version: flag('version') } : {}),
      };
  }
}

/** The run flags that override the deployment's settings, as RunSpec.settings (absent when none is given). */
function runSettingsOf(flag: (name: string) => string | undefined): { settings?: Record<string, unknown> } {
  const retrySettings = {
    ...(flag('max-retries') !== undefined ? { maxRetries: flag('max-retries') } : {}),
    ...(flag('retry-timeout') !== undefined ? { timeout: flag('retry-timeout') } : {}),
  };
  const settings = {
    ...(flag('instance-count') !== undefined ? { instanceCount: flag('instance-count') } : {}),
    ...(flag('mini-batch-size') !== undefined ? { miniBatchSize: flag('mini-batch-size') } : {}),
    ...(flag('error-threshold') !== undefined ? { errorThreshold: flag('error-threshold') } : {}),
    ...(flag('output-file-name') !== undefined ? { outputFileName: flag('output-file-name') } : {}),
    ...(Object.keys(retrySettings).length > 0 ? { retrySettings } : {}),
  };
  return Object.keys(settings).length > 0 ? { settings } : {};
}

/** Which part of the typed command a schema path refers to, in the words of the usage line. */
const FIELD_LABELS: Readonly<Record<string, string>> = {
  'spec.endpointName': '<endpoint>',
  'spec.deploymentName': '--deployment',
  'spec.input.uri': '<input-uri>',
  'spec.input.kind': '--file',
  'spec.output.uri': '--output',
  'spec.settings.instanceCount': '--instance-count',
  'spec.settings.miniBatchSize': '--mini-batch-size',
  'spec.settings.errorThreshold': '--error-threshold',
  'spec.settings.outputFileName': '--output-file-name',
  'spec.settings.retrySettings.maxRetries': '--max-retries',
  'spec.settings.retrySettings.timeout': '--retry-timeout',
  endpointName: '<endpoint>',
  deploymentName: '<deployment>',
  jobName: '<job>',
  specFile: '--spec',
  name: '<name>',
  uri: '<uri>',
  version: '--version',
  reason: '<reason…>',
};

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
  const tokens = tokenize(decoded);
  if (!Array.isArray(tokens)) return fail(tokens);
  if (tokens.length === 0) return { ok: true, command: { verb: 'help' } };

  const head = verbOf(tokens);
  if (isParseError(head)) return fail(head);
  // "help data register" names a two-word verb: read it as one topic.
  if (head.verb === 'help' && head.rest.length === 2 && head.rest.every((t, i) => t.text.toLowerCase() === ['data', 'register'][i])) {
    head.rest = [{ text: 'data register', quoted: true }];
  }
  const args = splitArgs(head.verb, head.rest);
  if (isParseError(args)) return fail(args);
  const arity = checkArity(head.verb, args);
  if (arity) return fail(arity);
  const raw = rawCommand(head.verb, args);
  if (isParseError(raw)) return fail(raw);

  const parsed = commandSchema.safeParse(raw);
  if (parsed.success) return { ok: true, command: parsed.data };
  const issue = parsed.error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  const label = Object.hasOwn(FIELD_LABELS, path) ? FIELD_LABELS[path] : undefined;
  return fail({
    message: `${label ? `${label}: ` : ''}${issue?.message ?? 'the command is not valid'}`,
    usage: USAGE[head.verb],
  });
}

// ---------------------------------------------------------------------------------------------------
// Command → text

/** Quotes a token so parseCommand reads it back unchanged. */
function quoteToken(token: string): string {
  // Entity-looking text and angle brackets would be decoded as Slack formatting on the way back in.
  const safe = token.replace(/&(?=(amp|lt|gt);)/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  // A value that looks like a flag ("--x") is read as a value only when quoted.
  if (safe !== '' && !/[\s"'“”„‘’\\]/.test(safe) && !/^([—–]|--)/.test(safe)) return safe;
  return `"${safe.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The canonical text of a command (for audit lines and the CLI); parseCommand(formatCommand(c)) gives c. */
export function formatCommand(command: Command): string {
  const words: string[] = [GRAMMAR[command.verb].words];
  const push = (...tokens: string[]): void => {
    words.push(...tokens.map(quoteToken));
  };
  /** A flag's name goes out as is; its value is quoted like any other token. */
  const pushFlag = (name: string, value?: string): void => {
    words.push(name);
    if (value !== undefined) push(value);
  };
  switch (command.verb) {
    case 'help':
      if (command.topic) words.push(GRAMMAR[command.topic].words);
      break;
    case 'deploy':
      if (command.specFile !== undefined) pushFlag('--spec', command.specFile);
      break;
    case 'run': {
      const spec = command.spec;
      if (!spec) break;
      push(spec.endpointName, spec.input.uri);
      if (spec.input.kind === 'UriFile') pushFlag('--file');
      if (spec.output) pushFlag('--output', spec.output.uri);
      if (spec.deploymentName !== undefined) pushFlag('--deployment', spec.deploymentName);
      const settings = spec.settings;
      if (settings?.miniBatchSize !== undefined) pushFlag('--mini-batch-size', String(settings.miniBatchSize));
      if (settings?.instanceCount !== undefined) pushFlag('--instance-count', String(settings.instanceCount));
      if (settings?.errorThreshold !== undefined) pushFlag('--error-threshold', String(settings.errorThreshold));
      if (settings?.retrySettings?.maxRetries !== undefined) pushFlag('--max-retries', String(settings.retrySettings.maxRetries));
      if (settings?.retrySettings?.timeout !== undefined) pushFlag('--retry-timeout', settings.retrySettings.timeout);
      if (settings?.outputFileName !== undefined) pushFlag('--output-file-name', settings.outputFileName);
      break;
    }
    case 'status':
    case 'cancel':
      push(command.jobName);
      break;
    case 'jobs':
      if (command.endpointName !== undefined) push(command.endpointName);
      break;
    case 'endpoints':
      break;
    case 'show':
    case 'delete':
      push(command.endpointName);
      break;
    case 'set-default':
      push(command.endpointName, command.deploymentName);
      break;
    case 'lock':
      push(command.endpointName);
      if (command.reason !== undefined) push(command.reason);
      break;
    case 'unlock':
      push(command.endpointName);
      break;
    case 'data-register':
      push(command.name, command.uri);
      if (command.kind === 'UriFile') pushFlag('--file');
      if (command.version !== undefined) pushFlag('--version', command.version);
      break;
  }
  return words.join(' ');
}
