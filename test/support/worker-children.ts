// Worker processes for fault tests: the production entry point, `src/main.ts worker`, as a real child
// process on the stack's environment. It authenticates through the sandbox's managed identity
// (DefaultAzureCredential, nothing injected) and takes its pacing from the same variables production
// uses: a short BullMQ lock (BATCH_SCORE_JOB_LOCK_DURATION) so a SIGKILLed worker's job is taken over in
// seconds, and a short per-channel gap for Slack (the stand-in only counts breaches).
import type { AzureMlSandbox } from '../../sandbox/azureml';
import { startWorkerProcess, type TsxChild } from './worker-process';

export interface WorkerChildOptions {
  /** BullMQ lockDuration and stalledInterval; default 2000 ms. */
  lockDurationMs?: number;
  /** Gap between two messages to one channel; default 50 ms. */
  perChannelIntervalMs?: number;
  /** Extra or overriding environment (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
}

/** Starts `src/main.ts worker` and resolves once it says it started. */
export async function startWorkerChild(
  stackEnv: Record<string, string>,
  azureml: Pick<AzureMlSandbox, 'identityEndpoint' | 'identityHeader'>,
  opts: WorkerChildOptions = {},
): Promise<TsxChild> {
  const child = startWorkerProcess(stackEnv, azureml, {
    BATCH_SCORE_JOB_LOCK_DURATION: `${opts.lockDurationMs ?? 2_000}ms`,
    BATCH_SCORE_SLACK_CHANNEL_INTERVAL: `${opts.perChannelIntervalMs ?? 50}ms`,
    ...opts.env,
  });
  try {
    // main.ts logs this once the bot and/or the workers are running (pino JSON on stdout).
    await child.waitForOutput(/batch-score-bot started/, 30_000);
  } catch (err) {
    await child.stop('SIGKILL');
    throw err;
  }
  return child;
}
