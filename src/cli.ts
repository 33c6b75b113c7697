// The `batch-score` command: the slash command's grammar, run straight against the configured Azure ML
// workspace (one of several with --workspace; or, with --sandbox, the local sandbox) for scripts, CI
// pipelines and operators. This file
// only wires: flags and grammar in, config and clients built once, the command run by
// src/cli/command-runner.ts, the outcome printed. Exit codes: src/cli/exit-codes.ts.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createAzureMlFromConfig } from './azureml-from-config';
import { AZURE_CLOUDS } from './azureml/clouds';
import type { RevokedTokenReplacement, TokenCredential } from './azureml/credentials';
import { loadAzureConfig, loadWorkspaceProfiles, type AzureConfig, type WorkspaceProfileConfig } from './config';
import { parseCommand, verbSchema, type ParseResult } from './domain/command-grammar';
import { CliUsageError, cliHelpText, cliUsageOf } from './cli/cli-usage';
import { renderOutcome, type CliOutcome } from './cli/cli-outcome';
import { runCommand } from './cli/command-runner';
import { commandTextOf } from './cli/command-text';
import { reportError } from './cli/error-report';
import { parseDownloadArgs, runDownload } from './cli/download-command';
import { EXIT_CODES } from './cli/exit-codes';
import { splitGlobalFlags, type GlobalFlags } from './cli/global-flags';
import { askedWorkspace, chooseCliWorkspace, workspaceNotice } from './cli/cli-workspace';
import { credentialOfProfile } from './workspace-profiles';
import { workspaceLinksOf } from './usecases/studio-links';
import { createSandboxCredential, parseSandboxConnection, SandboxConnectionError, sandboxEnvironment } from './cli/sandbox-connection';

/** Following a job: first look after this, growing to the ceiling (src/domain/watch-pacing.ts). */
const DEFAULT_POLL_INTERVAL_MS = 5_000;
const MAX_POLL_INTERVAL_MS = 60_000;
/** Conventional exit status of a process stopped by Ctrl-C (128 + SIGINT). */
const INTERRUPTED = 130;

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readFile: (file: string) => Promise<string>;
  signal?: AbortSignal;
}

function commandOf(words: readonly string[]): Extract<ParseResult, { ok: true }> {
  const parsed = parseCommand(commandTextOf(words));
  if (!parsed.ok) throw new CliUsageError(parsed.error.message, cliUsageOf(parsed.error.usage), parsed.error.suggestion);
  return parsed;
}

/** `--help` anywhere: the help of the command it follows, if it names one. */
function helpOutcome(words: readonly string[]): CliOutcome {
  const first = words[0]?.toLowerCase();
  const named = first === 'data' ? 'data-register' : first;
  const topic = verbSchema.safeParse(named);
  const text = cliHelpText(first === 'download' ? 'download' : topic.success ? topic.data : undefined);
  return { command: 'help', exitCode: EXIT_CODES.ok, result: { help: text }, text };
}

/** The sandbox file's text; a file that cannot be read is a usage problem (exit 2), said in one sentence. */
async function readSandboxFile(io: CliIo, file: string): Promise<string> {
  try {
    return await io.readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code ?? 'unknown error'})`;
    throw new SandboxConnectionError(`the sandbox file ${file} ${why}; write the line \`npm run sandbox:azureml\` prints into it and pass that file to --sandbox`);
  }
}

interface CliSettings {
  config: AzureConfig;
  /** The sandbox's credential; absent: the profile's own (`makeCredential`). */
  credential?: TokenCredential;
  makeCredential?: (replacing?: RevokedTokenReplacement) => TokenCredential;
  /** The profile acted on, when there are several to tell apart. */
  profile?: WorkspaceProfileConfig;
}

async function settingsFor(flags: GlobalFlags, asked: string | undefined, io: CliIo): Promise<CliSettings> {
  const sandboxFile = flags.sandbox?.file ?? io.env.BATCH_SCORE_SANDBOX_FILE;
  if (flags.sandbox && !sandboxFile) {
    throw new CliUsageError('--sandbox needs the file holding the sandbox line: --sandbox <file>, or set BATCH_SCORE_SANDBOX_FILE.', '--sandbox <file> <command>');
  }
  if (!sandboxFile) {
    const profiles = loadWorkspaceProfiles(io.env);
    const profile = chooseCliWorkspace(profiles, asked);
    return { config: profile.azure, makeCredential: (replacing) => credentialOfProfile(profile, replacing), ...(profiles.length > 1 ? { profile } : {}) };
  }
  // The sandbox is one workspace: configured profiles do not apply, and naming one would be a lie.
  if (asked !== undefined) {
    throw new CliUsageError('--workspace picks one of the configured workspaces, but the sandbox (--sandbox, BATCH_SCORE_SANDBOX_FILE) is a workspace of its own; give one or the other.', '--sandbox <file> <command>');
  }
  const conn = parseSandboxConnection(await readSandboxFile(io, sandboxFile), sandboxFile);
  // BATCH_SCORE_WORKSPACES blanked (blank counts as unset): the sandbox's unprefixed variables are the workspace.
  return { config: loadAzureConfig({ ...io.env, ...sandboxEnvironment(conn), BATCH_SCORE_WORKSPACES: '' }), credential: createSandboxCredential(conn) };
}

function createClients(settings: CliSettings, env: NodeJS.ProcessEnv) {
  const { config } = settings;
  const cloud = AZURE_CLOUDS[config.cloud];
  // loadAzureConfig has no worker section; the artifacts root is read here with the worker's default.
  const artifactsRoot = path.resolve(env.BATCH_SCORE_ARTIFACTS_ROOT?.trim() || './artifacts');
  const azureml = createAzureMlFromConfig(config, {
    ...(settings.credential ? { credential: settings.credential } : {}),
    ...(settings.makeCredential ? { makeCredential: settings.makeCredential } : {}),
    artifactsRoot,
  });
  return { azureml, links: workspaceLinksOf(cloud, azureml.workspace) };
}

async function outcomeOf(argv: readonly string[], io: CliIo): Promise<{ outcome: CliOutcome; json: boolean }> {
  let json = argv.includes('--json');
  let command = 'batch-score';
  let workspace: string | undefined;
  // Once chosen, the workspace is in the document whatever the outcome, errors included.
  const named = (outcome: CliOutcome): CliOutcome => (workspace === undefined ? outcome : { ...outcome, workspace });
  /** The workspace's settings, announced (one stderr line) when there are several to tell apart. */
  const settingsOf = async (flags: GlobalFlags, asked: string | undefined): Promise<CliSettings> => {
    const settings = await settingsFor(flags, asked, io);
    if (settings.profile) {
      workspace = settings.profile.name;
      if (!flags.quiet) io.stderr(`${workspaceNotice(settings.profile)}\n`);
    }
    return settings;
  };
  try {
    const { flags, words } = splitGlobalFlags(argv);
    json = flags.json;
    if (flags.help) return { outcome: helpOutcome(words), json };
    // `help download`: the CLI's own command, which the shared grammar's help does not know.
    if (words[0]?.toLowerCase() === 'help' && words[1]?.toLowerCase() === 'download' && words.length === 2) return { outcome: helpOutcome(['download']), json };
    if (words[0]?.toLowerCase() === 'download') {
      command = 'download';
      const args = parseDownloadArgs(words);
      const { azureml } = createClients(await settingsOf(flags, flags.workspace), io.env);
      const outcome = await runDownload(args, {
        azureml,
        exists: (file) => fs.access(file).then(() => true, () => false),
        mkdir: async (dir) => void (await fs.mkdir(dir, { recursive: true })),
        progress: (line) => {
          if (!flags.quiet) io.stderr(`${line}\n`);
        },
      });
      return { outcome: named(outcome), json };
    }
    const { command: parsed, workspace: fromGrammar } = commandOf(words);
    command = parsed.verb;
    const asked = askedWorkspace(flags.workspace, fromGrammar);
    if (parsed.verb === 'help') {
      const text = cliHelpText(parsed.topic);
      return { outcome: { command, exitCode: EXIT_CODES.ok, result: { help: text }, text }, json };
    }
    const settings = await settingsOf(flags, asked);
    const { config } = settings;
    const { azureml, links } = createClients(settings, io.env);
    const minIntervalMs = flags.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const outcome = await runCommand(parsed, {
      azureml,
      workspace: config.workspace,
      wait: flags.wait,
      progress: (line) => {
        if (!flags.quiet) io.stderr(`${line}\n`);
      },
      readSpecFile: (file) => io.readFile(file),
      links,
      pacing: { minIntervalMs, maxIntervalMs: Math.max(minIntervalMs, MAX_POLL_INTERVAL_MS) },
      sleep: (ms, signal) => delay(ms, undefined, signal ? { signal } : undefined),
      now: Date.now,
      ...(io.signal ? { signal: io.signal } : {}),
      ...(flags.plan ? { planOnly: azureml } : {}),
    });
    return { outcome: named(outcome), json };
  } catch (err) {
    const { exitCode, error } = reportError(err);
    return { outcome: named({ command, exitCode, error }), json };
  }
}

/** Runs one command line and prints its outcome; resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const { outcome, json } = await outcomeOf(argv, io);
  if (io.signal?.aborted) {
    io.stderr('interrupted: anything already submitted keeps running in Azure ML; follow a job with `batch-score status <job> --wait`.\n');
    return INTERRUPTED;
  }
  const rendered = renderOutcome(outcome, json);
  if (rendered.stdout) io.stdout(rendered.stdout);
  if (rendered.stderr) io.stderr(rendered.stderr);
  return outcome.exitCode;
}

const written = (stream: NodeJS.WriteStream, text: string): Promise<void> => new Promise((resolve) => stream.write(text, () => resolve()));

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const interrupt = new AbortController();
  // First Ctrl-C stops following (the job itself keeps running); a second one exits at once.
  process.once('SIGINT', () => {
    interrupt.abort();
    process.once('SIGINT', () => process.exit(INTERRUPTED));
  });
  const pending: Promise<void>[] = [];
  const code = await runCli(argv, {
    env: process.env,
    stdout: (t) => void pending.push(written(process.stdout, t)),
    stderr: (t) => void pending.push(written(process.stderr, t)),
    readFile: (file) => fs.readFile(file, 'utf8'),
    signal: interrupt.signal,
  });
  await Promise.all(pending);
  // Exit explicitly: credential caches and keep-alive sockets must not hold a finished command open.
  process.exit(code);
}

if (require.main === module) void main();
