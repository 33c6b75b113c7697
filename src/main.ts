// The production entry point: `tsx src/main.ts [all|bot|worker]` (npm start, start:bot, start:worker).
// It reads the environment once (config.ts), builds the one logger, and starts the Slack-facing bot, the
// queue workers, or both in one process (a small team's single container). Any number of bot replicas
// (behind a load balancer) and worker replicas can share one Redis. A bad environment is reported in
// full — every variable, what is wrong and how to set it — and exits 2 (a usage error, so supervisors
// do not restart-loop on it as they would on a crash). SIGTERM/SIGINT stop the bot first (no new
// requests), then let the workers finish their current step, and exit 0; a second signal exits at once
// (active jobs are then taken over by another worker once their locks expire, as with a crash).
import type { Logger } from 'pino';
import { startBot, type BotHandle } from './bot';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { createRedisErrorLog } from './queue/redis-error-log';
import { startWorkers, type WorkersHandle } from './worker';
import { checkBotToken, SlackTokenRejectedError } from './slack/bot-token-check';
import { createSlackClient } from './slack/slack-client';

export const RUN_MODES = ['all', 'bot', 'worker'] as const;
export type RunMode = (typeof RUN_MODES)[number];

/** Exit codes: 0 clean stop, 1 crash or failed start, 2 bad usage or configuration. */
export const EXIT_CODES = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

export const USAGE = `usage: tsx src/main.ts [all|bot|worker]
  all     the bot and the workers in one process (default)
  bot     only the Slack-facing HTTP (or Socket Mode) receiver: validates, acknowledges, enqueues
  worker  only the queue workers that call Azure ML and post to Slack
Configuration comes from environment variables; see README.md, "Configuration".`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'InvalidUsage';
}

export function parseRunMode(args: readonly string[]): RunMode {
  const positional = args.filter((a) => a !== '--');
  if (positional.length > 1) throw new UsageError(`expected at most one run mode, got: ${positional.join(' ')}`);
  const mode = positional[0] ?? 'all';
  if (!(RUN_MODES as readonly string[]).includes(mode)) throw new UsageError(`unknown run mode '${mode}'`);
  return mode as RunMode;
}

/** What a ConfigError looks like on stderr: every problem, one per line, with how to fix it. */
export function describeConfigError(err: ConfigError): string {
  return [
    `batch-score-bot cannot start: ${err.problems.length} environment variable${err.problems.length === 1 ? ' needs' : 's need'} fixing.`,
    ...err.problems.map((p) => `  - ${p.message}`),
    'Set them (or fix them) in the environment and start again; README.md, "Configuration", lists every variable.',
  ].join('\n');
}

export interface RunningProcess {
  mode: RunMode;
  logger: Logger;
  bot?: BotHandle;
  workers?: WorkersHandle;
  /** Stops the bot (no new Slack requests), then the workers (current steps finish). */
  stop(): Promise<void>;
}

/** Starts what `mode` asks for from an already-loaded environment. */
export async function startProcess(mode: RunMode, env: NodeJS.ProcessEnv, logger?: Logger): Promise<RunningProcess> {
  const config = loadConfig(env);
  const log = logger ?? createLogger({ level: config.worker.logLevel });
  let bot: BotHandle | undefined;
  let workers: WorkersHandle | undefined;
  const stop = async (): Promise<void> => {
    if (bot) await bot.stop();
    if (workers) await workers.close();
  };
  // A token Slack refuses is a configuration problem: refuse to start (exit 2) before anything runs.
  const tokenCheck = await checkBotToken(
    createSlackClient({ token: config.slack.botToken, ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}), logger: log, timeoutMs: 5_000 }),
  );
  if (!tokenCheck.ok) log.warn({ slack: tokenCheck.unreachable }, 'Slack did not answer auth.test at start; starting anyway (/readyz reports 503 until it does)');
  try {
    // One Redis error log for the process: while Redis is away, one line per cause, not one per part.
    const redisErrors = createRedisErrorLog({ logger: log });
    if (mode === 'all' || mode === 'bot') bot = await startBot(config, { logger: log, redisErrors });
    // Signals are handled here, once, for both halves (the worker host's own handler is off).
    if (mode === 'all' || mode === 'worker') workers = await startWorkers(config, { logger: log, handleSignals: false, redisErrors });
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  log.info({ mode, port: bot?.port }, 'batch-score-bot started');
  return { mode, logger: log, bot, workers, stop };
}

async function main(): Promise<void> {
  let mode: RunMode;
  try {
    mode = parseRunMode(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(EXIT_CODES.usage);
  }

  let running: RunningProcess;
  try {
    running = await startProcess(mode, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${describeConfigError(err)}\n`);
      process.exit(EXIT_CODES.usage);
    }
    if (err instanceof SlackTokenRejectedError) {
      process.stderr.write(`batch-score-bot cannot start: ${err.message}\n`);
      process.exit(EXIT_CODES.usage);
    }
    process.stderr.write(`batch-score-bot failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(EXIT_CODES.failed);
  }

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      running.logger.warn({ signal }, 'second signal: exiting now; active jobs resume on another worker when their locks expire');
      process.exit(EXIT_CODES.interrupted);
    }
    stopping = true;
    running.logger.info({ signal, mode: running.mode }, 'stopping');
    running.stop().then(
      () => process.exit(EXIT_CODES.ok),
      (err: unknown) => {
        running.logger.error({ err }, 'shutdown failed');
        process.exit(EXIT_CODES.failed);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

if (require.main === module) void main();
