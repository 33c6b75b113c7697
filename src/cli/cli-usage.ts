// What `batch-score help` prints, and the usage error the CLI raises for its own flags. The commands and
// their usage come from the one grammar (src/domain/command-grammar.ts), so the CLI and the slash command
// never drift apart; only the global flags and the deploy spec file are the CLI's own.
import { USAGE, VERBS, WORKSPACE_OPTION, verbHelp, type Verb } from '../domain/command-grammar';
import { EXIT_CODES } from './exit-codes';

export const CLI_NAME = 'batch-score';

/** The usage line the CLI shows for a verb; deploy and run need their arguments here (Slack opens a form instead). */
export function cliUsage(verb: Verb): string {
  if (verb === 'deploy') return 'deploy --spec <file.json>';
  // The grammar brackets run's arguments as all-or-nothing (none opens the form); the CLI has no form.
  if (verb === 'run') return verbHelp(verb).usage.replace(/^run \[(.*)\]$/, 'run $1');
  return verbHelp(verb).usage;
}

/** The parser's usage text (one or more of its USAGE lines) in the CLI's own forms. */
export function cliUsageOf(grammarUsage: string): string {
  return grammarUsage
    .split('\n')
    .map((line) => {
      const verb = VERBS.find((v) => USAGE[v] === line);
      return verb ? cliUsage(verb) : line;
    })
    .join('\n');
}

/** The CLI's own words where the grammar's summary speaks of Slack's forms. */
const CLI_SUMMARIES: Partial<Record<Verb, string>> = {
  deploy: 'Deploy a model to a batch endpoint as the spec file describes, waiting until it is ready.',
  run: 'Run a batch scoring job on a folder (or, with --file, one file).',
};

export function cliSummary(verb: Verb): string {
  return CLI_SUMMARIES[verb] ?? verbHelp(verb).summary;
}

const GLOBAL_FLAGS: readonly [string, string][] = [
  ['--json', 'print one JSON document on stdout (errors included) instead of tables'],
  ['--wait', "follow a job (run, status, cancel) to its end, printing status changes and a running job's progress on stderr"],
  ['--quiet', 'no progress lines on stderr (errors are still printed)'],
  ['--plan', 'deploy, set-default and delete: show what would be created, changed, moved or removed against what exists now, and change nothing'],
  ['--sandbox [<file>]', 'use a local sandbox: <file> holds the JSON line `npm run sandbox:azureml` prints (BATCH_SCORE_SANDBOX_FILE names it too, and alone selects the sandbox)'],
  ['--poll-interval <duration>', 'first wait between status checks while following a job, e.g. 2s or 500ms (default 5s, growing to 1m)'],
  [WORKSPACE_OPTION, 'act on this one of the configured workspaces (BATCH_SCORE_WORKSPACES); default the first. With several, stderr and the JSON document name the one acted on'],
  ['--help', 'this text; `batch-score help <command>` explains one command'],
];

/** Turns the grammar's `code` spans into quotes, which read better in a terminal than backticks. */
export function terminalText(text: string): string {
  return text.replace(/`([^`]*)`/g, "'$1'");
}

/** The example deploy spec shipped with the repository (every field, the recipe's mnist values). */
export const EXAMPLE_DEPLOY_SPEC = 'examples/deploy-spec.json';
/** An MLflow model from a registry, deployed without scoring code or environment. */
export const EXAMPLE_MLFLOW_DEPLOY_SPEC = 'examples/deploy-spec-mlflow.json';

/** `download`: the CLI's own command (Slack has nothing to download into), so not in the shared grammar. */
export const DOWNLOAD_USAGE = `${CLI_NAME} download <job> [--to <dir>]`;
const DOWNLOAD_HELP = [
  `usage: ${DOWNLOAD_USAGE}`,
  "Download a completed job's predictions file into a folder (default: the current one); never overwrites a file.",
  `example: ${CLI_NAME} download batchjob-1a2b3c4d-0000-4000-8000-000000000000 --to results`,
];

/** The topics `help <topic>` explains: the grammar's verbs and the CLI's own commands. */
export type CliHelpTopic = Verb | 'download';

export function cliHelpText(topic?: CliHelpTopic): string {
  if (topic === 'download') return DOWNLOAD_HELP.join('\n');
  if (topic) {
    const h = verbHelp(topic);
    const lines = [`usage: ${CLI_NAME} ${cliUsage(topic)}`, terminalText(cliSummary(topic)), `example: ${CLI_NAME} ${topic === 'deploy' ? `deploy --spec ${EXAMPLE_DEPLOY_SPEC}` : h.example}`];
    if (topic === 'deploy') {
      lines.push(
        'The spec file is a JSON DeploySpecInput (src/domain/deploy-spec.ts); model and code folders to upload are',
        'relative to BATCH_SCORE_ARTIFACTS_ROOT (default ./artifacts). The deploy runs to its end in this process.',
        `A complete example to copy: ${EXAMPLE_DEPLOY_SPEC} in the repository.`,
        'model and environment may also name what exists: "name:3", "name@latest", "azureml://registries/<r>/models/<name>/labels/latest";',
        `an MLflow model needs no code, scoringScript or environment (${EXAMPLE_MLFLOW_DEPLOY_SPEC}).`,
      );
    }
    return lines.join('\n');
  }
  const flagWidth = Math.max(...GLOBAL_FLAGS.map(([f]) => f.length));
  return [
    `usage: ${CLI_NAME} [--json] [--wait] [--quiet] [--plan] [--sandbox [<file>]] [${WORKSPACE_OPTION}] <command> [arguments]`,
    '',
    'Commands:',
    // Usage on one line, what it does indented below: the run usage alone is wider than most terminals' half.
    ...VERBS.flatMap((v) => [`  ${CLI_NAME} ${cliUsage(v)}`, `      ${terminalText(cliSummary(v))}`]),
    `  ${DOWNLOAD_USAGE}`,
    `      ${DOWNLOAD_HELP[1]}`,
    '',
    'Global flags:',
    ...GLOBAL_FLAGS.map(([f, what]) => `  ${f.padEnd(flagWidth)}  ${terminalText(what)}`),
    '',
    `Exit codes: ${EXIT_CODES.ok} success, ${EXIT_CODES.failed} the operation failed (Azure error, job Failed or Canceled), ${EXIT_CODES.usage} usage or configuration error,`,
    `  ${EXIT_CODES.completedWithFailedItems} a job Completed but some of its items failed (run --wait, status).`,
    'Configuration: AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, AZUREML_WORKSPACE, AZURE_LOCATION (and AZURE_CLOUD, …);',
    'several workspaces: BATCH_SCORE_WORKSPACES=dev,prod and the same variables prefixed WORKSPACE_DEV_, WORKSPACE_PROD_.',
  ].join('\n');
}

/** The command line is wrong: exit 2 with the message, the usage and, when there is one, a suggestion. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
  readonly code = 'InvalidUsage';
  constructor(
    message: string,
    readonly usage: string,
    readonly suggestion?: string,
  ) {
    super(message);
  }
}
