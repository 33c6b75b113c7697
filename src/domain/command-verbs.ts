// One declaration per command verb: how it is typed (words, arguments, options), what it means (the
// command's fields), how its words become fields and back, its help line, and who may ask for it (which
// decides approval and the configuration that gates it). The grammar (command-grammar.ts), the approval
// policy (approval-policy.ts), BATCH_SCORE_APPROVAL_REQUIRED_FOR (config.ts) and the help texts are derived
// from this table; each surface that acts on a verb (the slash command, the CLI, the ops worker) keeps a
// table or switch keyed by `Verb`, so a verb added here without a handler there fails to compile.
import { z } from 'zod';
import { assetNameSchema, assetVersionSchema, deploymentNameSchema, endpointNameSchema, jobNameSchema } from './naming-rules';
import { dataReferenceUriSchema, jobInputKindSchema, runSpecSchema } from './run-spec';
import { lockReasonSchema } from './endpoint-lock';
import { parseDataReference } from './data-reference';

/** The verbs, in the order help lists them. A name here without a row in VERB_DECLARATIONS does not compile. */
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

export const parseErrorSchema = z.object({
  message: z.string(),
  usage: z.string(),
  suggestion: z.string().optional(),
});
export type ParseError = z.infer<typeof parseErrorSchema>;

/**
 * Who may ask for a verb, which also decides whether it can be put behind an approval:
 * - `read-anywhere` / `read`: anyone (in the allowed channels; `read-anywhere` in any channel), never approval;
 * - `deployers` / `runners`: people on BATCH_SCORE_DEPLOYERS / BATCH_SCORE_RUNNERS (empty: everyone), and an
 *   approval when BATCH_SCORE_APPROVAL_REQUIRED_FOR names the verb;
 * - `own-rule`: the verb checks who may use it itself (locks: src/domain/endpoint-lock.ts), never approval.
 */
export type VerbAccess = 'read-anywhere' | 'read' | 'deployers' | 'runners' | 'own-rule';

export interface ArgGrammar {
  /** Placeholder in the usage line. */
  name: string;
  optional?: boolean;
  /** The last argument takes every remaining word (a free-text reason). */
  rest?: boolean;
  /** The command field (dotted path) a bad value belongs to; errors then name the argument. */
  field?: string;
}

export interface FlagGrammar {
  /** Placeholder of the flag's value; absent for a switch. */
  value?: string;
  /** Which part of the command the flag sets, in words. */
  describes: string;
  /** The command field (dotted path) a bad value belongs to; errors then name the flag. */
  field?: string;
}

/** The words after the verb, split by the grammar. */
export interface VerbWords {
  positionals: readonly string[];
  /** A flag's value (undefined for a switch or when absent). */
  flag(name: string): string | undefined;
  /** Whether a flag or switch was given. */
  has(name: string): boolean;
  anyFlag: boolean;
  /** Reads a verb named in words ("run", "data register") as a help topic, or says why it is none. */
  topic(words: string): { topic: Verb } | ParseError;
}

/** Collects the words after the verb; values are quoted so the grammar reads them back unchanged. */
export interface WordWriter {
  words(...values: string[]): void;
  /** A flag's name goes out as is, its value (if any) quoted like any other word. */
  flag(name: string, value?: string): void;
  /** The words that name a verb (for help's topic). */
  verb(verb: Verb): void;
}

export type VerbFields<Fields extends z.ZodRawShape> = z.output<z.ZodObject<Fields>>;

export interface VerbDeclaration<Fields extends z.ZodRawShape> {
  /** How the verb is typed: one word, or two ("data register"). */
  words: string;
  args: readonly ArgGrammar[];
  flags: Readonly<Record<string, FlagGrammar>>;
  /** All arguments may be left out together (run: then the modal opens). */
  allOrNothing?: boolean;
  summary: string;
  example: string;
  access: VerbAccess;
  /** The command's fields besides `verb`: what the queue carries and the handlers read. */
  fields: Fields;
  /** Words → the command's fields (validated against `fields` afterwards), or why they make none. */
  read(words: VerbWords): Record<string, unknown> | ParseError;
  /** The command → the words after the verb, so that read gives the command back. */
  write(command: VerbFields<Fields>, out: WordWriter): void;
}

/** Infers a row's field types, so its `write` sees the command it declares. */
function declareVerb<Fields extends z.ZodRawShape>(declaration: VerbDeclaration<Fields>): VerbDeclaration<Fields> {
  return declaration;
}

const specFileSchema = z
  .string()
  .min(1, 'give the path of a deploy spec JSON file')
  .max(1024, 'the spec file path is longer than 1024 characters')
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'the spec file path contains control characters');

const dataRegisterUriSchema = dataReferenceUriSchema.refine((uri) => parseDataReference(uri).kind !== 'data-asset', {
  message: 'register data from a datastore path or a public https URL; this already is a data asset',
});

const ENDPOINT_ARG: ArgGrammar = { name: '<endpoint>', field: 'endpointName' };
const JOB_ARG: ArgGrammar = { name: '<job>', field: 'jobName' };

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

/** A present optional value as a field, an absent one as nothing (so the queue's JSON stays minimal). */
function optionalField<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value !== undefined ? ({ [key]: value } as Record<K, string>) : {};
}

export const VERB_DECLARATIONS = {
  help: declareVerb({
    words: 'help',
    args: [{ name: '<command>', optional: true }],
    flags: {},
    summary: 'Show the commands, or how to use one of them.',
    example: 'help run',
    access: 'read-anywhere',
    fields: { topic: verbSchema.optional() },
    read: ({ positionals, topic }) => (positionals[0] === undefined ? {} : topic(positionals.join(' '))),
    write: (c, out) => {
      if (c.topic) out.verb(c.topic);
    },
  }),
  deploy: declareVerb({
    words: 'deploy',
    args: [],
    flags: { spec: { value: '<file.json>', describes: 'the spec file', field: 'specFile' } },
    summary: 'Deploy a model to a batch endpoint (opens a form; the CLI reads --spec).',
    example: 'deploy',
    access: 'deployers',
    /** Without a spec file the deploy modal opens; the CLI passes one. */
    fields: { specFile: specFileSchema.optional() },
    read: ({ flag }) => optionalField('specFile', flag('spec')),
    write: (c, out) => {
      if (c.specFile !== undefined) out.flag('--spec', c.specFile);
    },
  }),
  run: declareVerb({
    words: 'run',
    args: [
      { name: '<endpoint>', field: 'spec.endpointName' },
      { name: '<input-uri>', field: 'spec.input.uri' },
    ],
    flags: {
      file: { describes: 'the input kind', field: 'spec.input.kind' },
      output: { value: '<datastore-file-uri>', describes: 'the output file', field: 'spec.output.uri' },
      deployment: { value: '<deployment>', describes: 'the deployment', field: 'spec.deploymentName' },
      // Per-job overrides of the deployment's settings (src/domain/run-settings.ts).
      'mini-batch-size': { value: '<n>', describes: 'the mini-batch size', field: 'spec.settings.miniBatchSize' },
      'instance-count': { value: '<n>', describes: 'the instance count', field: 'spec.settings.instanceCount' },
      'error-threshold': { value: '<n>', describes: 'the error threshold', field: 'spec.settings.errorThreshold' },
      'max-retries': { value: '<n>', describes: 'the max retries', field: 'spec.settings.retrySettings.maxRetries' },
      'retry-timeout': { value: '<duration>', describes: 'the retry timeout', field: 'spec.settings.retrySettings.timeout' },
      'output-file-name': { value: '<name>', describes: 'the output file name', field: 'spec.settings.outputFileName' },
    },
    allOrNothing: true,
    summary: 'Run a batch scoring job on a folder (or, with --file, one file); no arguments opens a form.',
    example:
      'run mnist-batch azureml://datastores/workspaceblobstore/paths/mnist/ --output azureml://datastores/workspaceblobstore/paths/out/predictions.csv',
    access: 'runners',
    /** Without a spec, the run modal opens. */
    fields: { spec: runSpecSchema.optional() },
    read: ({ positionals: p, flag, has, anyFlag }) => {
      if (p.length === 0 && !anyFlag) return {};
      return {
        spec: {
          endpointName: p[0],
          ...optionalField('deploymentName', flag('deployment')),
          input: { kind: has('file') ? 'UriFile' : 'UriFolder', uri: p[1] },
          ...(flag('output') !== undefined ? { output: { uri: flag('output') } } : {}),
          ...runSettingsOf(flag),
        },
      };
    },
    write: ({ spec }, out) => {
      if (!spec) return;
      out.words(spec.endpointName, spec.input.uri);
      if (spec.input.kind === 'UriFile') out.flag('--file');
      if (spec.output) out.flag('--output', spec.output.uri);
      if (spec.deploymentName !== undefined) out.flag('--deployment', spec.deploymentName);
      const settings = spec.settings;
      if (settings?.miniBatchSize !== undefined) out.flag('--mini-batch-size', String(settings.miniBatchSize));
      if (settings?.instanceCount !== undefined) out.flag('--instance-count', String(settings.instanceCount));
      if (settings?.errorThreshold !== undefined) out.flag('--error-threshold', String(settings.errorThreshold));
      if (settings?.retrySettings?.maxRetries !== undefined) out.flag('--max-retries', String(settings.retrySettings.maxRetries));
      if (settings?.retrySettings?.timeout !== undefined) out.flag('--retry-timeout', settings.retrySettings.timeout);
      if (settings?.outputFileName !== undefined) out.flag('--output-file-name', settings.outputFileName);
    },
  }),
  status: declareVerb({
    words: 'status',
    args: [JOB_ARG],
    flags: {},
    summary: 'Show the status of a batch scoring job.',
    example: 'status 3d5f1c2e-0b7a-4d4e-9b1f-2f7c9d1e8a00',
    access: 'read',
    fields: { jobName: jobNameSchema },
    read: ({ positionals: p }) => ({ jobName: p[0] }),
    write: (c, out) => out.words(c.jobName),
  }),
  jobs: declareVerb({
    words: 'jobs',
    args: [{ ...ENDPOINT_ARG, optional: true }],
    flags: {},
    summary: 'List recent batch scoring jobs, of one endpoint or all.',
    example: 'jobs mnist-batch',
    access: 'read',
    fields: { endpointName: endpointNameSchema.optional() },
    read: ({ positionals: p }) => optionalField('endpointName', p[0]),
    write: (c, out) => {
      if (c.endpointName !== undefined) out.words(c.endpointName);
    },
  }),
  cancel: declareVerb({
    words: 'cancel',
    args: [JOB_ARG],
    flags: {},
    summary: 'Cancel a running batch scoring job.',
    example: 'cancel 3d5f1c2e-0b7a-4d4e-9b1f-2f7c9d1e8a00',
    access: 'runners',
    fields: { jobName: jobNameSchema },
    read: ({ positionals: p }) => ({ jobName: p[0] }),
    write: (c, out) => out.words(c.jobName),
  }),
  endpoints: declareVerb({
    words: 'endpoints',
    args: [],
    flags: {},
    summary: 'List the batch endpoints of the workspace.',
    example: 'endpoints',
    access: 'read',
    fields: {},
    read: () => ({}),
    write: () => undefined,
  }),
  show: declareVerb({
    words: 'show',
    args: [ENDPOINT_ARG],
    flags: {},
    summary: 'Show a batch endpoint: its deployments, the default one and its scoring URI.',
    example: 'show mnist-batch',
    access: 'read',
    fields: { endpointName: endpointNameSchema },
    read: ({ positionals: p }) => ({ endpointName: p[0] }),
    write: (c, out) => out.words(c.endpointName),
  }),
  'set-default': declareVerb({
    words: 'set-default',
    args: [ENDPOINT_ARG, { name: '<deployment>', field: 'deploymentName' }],
    flags: {},
    summary: "Make a deployment the endpoint's default.",
    example: 'set-default mnist-batch mnist-torch',
    access: 'deployers',
    fields: { endpointName: endpointNameSchema, deploymentName: deploymentNameSchema },
    read: ({ positionals: p }) => ({ endpointName: p[0], deploymentName: p[1] }),
    write: (c, out) => out.words(c.endpointName, c.deploymentName),
  }),
  delete: declareVerb({
    words: 'delete',
    args: [ENDPOINT_ARG],
    flags: {},
    summary: 'Delete a batch endpoint and its deployments.',
    example: 'delete mnist-batch',
    access: 'deployers',
    fields: { endpointName: endpointNameSchema },
    read: ({ positionals: p }) => ({ endpointName: p[0] }),
    write: (c, out) => out.words(c.endpointName),
  }),
  'data-register': declareVerb({
    words: 'data register',
    args: [
      { name: '<name>', field: 'name' },
      { name: '<uri>', field: 'uri' },
    ],
    flags: { file: { describes: 'the data kind' }, version: { value: '<version>', describes: 'the version', field: 'version' } },
    summary: 'Register a folder (or, with --file, a file) as a data asset.',
    example: 'data register mnist-sample https://pipelinedata.blob.core.windows.net/sampledata/mnist --version 1',
    access: 'runners',
    fields: {
      name: assetNameSchema,
      /** As DataVersionBase.dataType: uri_folder / uri_file; named like JobInputType for one vocabulary. */
      kind: jobInputKindSchema,
      uri: dataRegisterUriSchema,
      /** Omitted: the worker picks the next version. */
      version: assetVersionSchema.optional(),
    },
    read: ({ positionals: p, flag, has }) => ({
      name: p[0],
      uri: p[1],
      kind: has('file') ? 'UriFile' : 'UriFolder',
      ...optionalField('version', flag('version')),
    }),
    write: (c, out) => {
      out.words(c.name, c.uri);
      if (c.kind === 'UriFile') out.flag('--file');
      if (c.version !== undefined) out.flag('--version', c.version);
    },
  }),
  /** Freezes deploy, set-default and delete on the endpoint until an approver unlocks it. */
  lock: declareVerb({
    words: 'lock',
    args: [ENDPOINT_ARG, { name: '<reason…>', optional: true, rest: true, field: 'reason' }],
    flags: {},
    summary: 'Freeze deploys, default changes and deletions of an endpoint, with a reason shown on every refusal.',
    example: 'lock fraud-ep release freeze until Monday',
    access: 'own-rule',
    fields: { endpointName: endpointNameSchema, reason: lockReasonSchema.optional() },
    read: ({ positionals: p }) => ({ endpointName: p[0], ...(p.length > 1 ? { reason: p.slice(1).join(' ') } : {}) }),
    write: (c, out) => {
      out.words(c.endpointName);
      if (c.reason !== undefined) out.words(c.reason);
    },
  }),
  unlock: declareVerb({
    words: 'unlock',
    args: [ENDPOINT_ARG],
    flags: {},
    summary: 'Lift the lock on an endpoint (approvers only).',
    example: 'unlock fraud-ep',
    access: 'own-rule',
    fields: { endpointName: endpointNameSchema },
    read: ({ positionals: p }) => ({ endpointName: p[0] }),
    write: (c, out) => out.words(c.endpointName),
  }),
} satisfies { readonly [V in Verb]: VerbDeclaration<z.ZodRawShape> };

type Declarations = typeof VERB_DECLARATIONS;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The command a verb makes (for a union of verbs, the union of their commands). */
export type CommandOf<V extends Verb> = V extends Verb ? Simplify<{ verb: V } & VerbFields<Declarations[V]['fields']>> : never;
/** A parsed command, as the queue carries it: one variant per verb. */
export type Command = CommandOf<Verb>;
type CommandInputOf<V extends Verb> = V extends Verb ? Simplify<{ verb: V } & z.input<z.ZodObject<Declarations[V]['fields']>>> : never;
export type CommandInput = CommandInputOf<Verb>;

/** The declaration of one verb, seen without its field types (for code that handles every verb alike). */
export function declarationOf(verb: Verb): VerbDeclaration<z.ZodRawShape> {
  return VERB_DECLARATIONS[verb];
}

/** Every command, validated: one variant per verb, told apart by `verb`. */
export const commandSchema = z.discriminatedUnion(
  'verb',
  VERBS.map((verb) => z.object({ verb: z.literal(verb), ...declarationOf(verb).fields })) as unknown as [
    z.ZodObject<{ verb: z.ZodLiteral<Verb> }>,
  ],
) as unknown as z.ZodType<Command, CommandInput>;

/** Verbs whose access is `access`, in VERBS order. */
export function verbsWithAccess(...access: readonly VerbAccess[]): Verb[] {
  return VERBS.filter((verb) => access.includes(VERB_DECLARATIONS[verb].access));
}

/** Verbs that can be put behind an approval (BATCH_SCORE_APPROVAL_REQUIRED_FOR): deployers' verbs, then runners'. */
export const APPROVABLE_VERBS: readonly Verb[] = [...verbsWithAccess('deployers'), ...verbsWithAccess('runners')];
