// Splits the CLI's own flags (valid before or after the command) from the words the command grammar
// reads. Everything else is left, in order, for src/domain/command-grammar.ts, so `run`, `data register`
// and the rest parse exactly as the slash command does.
import { parseDurationMs } from '../config';
import { VERBS, WORKSPACE_OPTION, WORKSPACE_PROFILE_NAME, verbHelp } from '../domain/command-grammar';
import { CLI_NAME, CliUsageError } from './cli-usage';

export interface GlobalFlags {
  json: boolean;
  wait: boolean;
  quiet: boolean;
  help: boolean;
  /** --plan: deploy, set-default and delete show what they would do against what exists now, and change nothing. */
  plan: boolean;
  /** Present when --sandbox was given; `file` when it named one (else BATCH_SCORE_SANDBOX_FILE is used). */
  sandbox?: { file?: string };
  /** --poll-interval, in milliseconds. */
  pollIntervalMs?: number;
  /** --workspace: the profile (BATCH_SCORE_WORKSPACES) to act on, lower-cased; absent: the first. */
  workspace?: string;
}

export interface SplitArguments {
  flags: GlobalFlags;
  /** The command's own words, for the grammar. */
  words: string[];
}

const GLOBAL_USAGE = `${CLI_NAME} [--json] [--wait] [--quiet] [--plan] [--sandbox [<file>]] [--poll-interval <duration>] [${WORKSPACE_OPTION}] <command>`;

/** Words that start a command: `--sandbox endpoints` means the sandbox from the environment, then `endpoints`. */
const COMMAND_WORDS: ReadonlySet<string> = new Set([...VERBS, ...VERBS.map((v) => verbHelp(v).usage.split(' ')[0] as string)]);

function pollInterval(value: string | undefined): number {
  const ms = value === undefined ? undefined : parseDurationMs(value);
  if (ms === undefined || ms <= 0) {
    throw new CliUsageError(
      value === undefined ? '--poll-interval needs a duration.' : `--poll-interval: '${value}' is not a duration.`,
      GLOBAL_USAGE,
      'Give a duration such as 2s, 500ms or 1m.',
    );
  }
  return ms;
}

/**
 * The profile name after --workspace, as the grammar reads it (same name rule, lower-cased). Taken here,
 * not by the grammar, so that `download` (which the grammar does not parse) honours it too.
 */
function workspaceName(value: string | undefined, already: string | undefined): string {
  const usage = `${CLI_NAME} ${WORKSPACE_OPTION} <command>`;
  if (already !== undefined) throw new CliUsageError('--workspace is given more than once.', usage);
  if (value === undefined || value === '' || value.startsWith('-')) {
    throw new CliUsageError('--workspace needs the name of a workspace, as in --workspace prod.', usage);
  }
  const name = value.toLowerCase();
  if (!WORKSPACE_PROFILE_NAME.test(name)) {
    throw new CliUsageError(`--workspace: '${value}' is not a workspace name (a letter, then letters, digits or "-").`, usage);
  }
  return name;
}

export function splitGlobalFlags(argv: readonly string[]): SplitArguments {
  const flags: GlobalFlags = { json: false, wait: false, quiet: false, help: false, plan: false };
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      // Conventional end of options: the rest goes to the grammar untouched.
      words.push(...argv.slice(i + 1));
      break;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq !== -1 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq !== -1 ? arg.slice(eq + 1) : undefined;
    switch (name) {
      case '--json':
      case '--wait':
      case '--quiet':
      case '--plan':
        if (inline !== undefined) throw new CliUsageError(`${name} is a switch and takes no value.`, GLOBAL_USAGE);
        flags[name.slice(2) as 'json' | 'wait' | 'quiet' | 'plan'] = true;
        break;
      case '-q':
        flags.quiet = true;
        break;
      case '--help':
      case '-h':
        flags.help = true;
        break;
      case '--sandbox': {
        if (inline !== undefined) {
          if (inline === '') throw new CliUsageError('--sandbox= needs a file name.', GLOBAL_USAGE);
          flags.sandbox = { file: inline };
          break;
        }
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith('-') && !COMMAND_WORDS.has(next.toLowerCase())) {
          flags.sandbox = { file: next };
          i++;
        } else {
          flags.sandbox = {};
        }
        break;
      }
      case '--poll-interval': {
        if (inline !== undefined) {
          flags.pollIntervalMs = pollInterval(inline);
        } else {
          flags.pollIntervalMs = pollInterval(argv[i + 1]);
          i++;
        }
        break;
      }
      case '--workspace': {
        if (inline !== undefined) {
          flags.workspace = workspaceName(inline, flags.workspace);
        } else {
          flags.workspace = workspaceName(argv[i + 1], flags.workspace);
          i++;
        }
        break;
      }
      default:
        words.push(arg);
    }
  }
  return { flags, words };
}
