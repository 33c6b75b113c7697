// `npm run demo [-- --time-scale 0.03]`: the whole product on this machine (embedded stack: redis-server,
// Azurite, the Azure ML sandbox, the Slack stand-in, the bot and its workers), the recipe played through
// Slack (demo-scenario.ts), the channel printed live as people would read it, a summary line, exit 0.
// On a failure it says which step failed and why, and exits 1. Whatever happens — success, failure,
// Ctrl-C — it stops everything it started (the stack's stop(); sandbox/stack/processes.ts kills any
// child still running when the process exits).
import { STACK_CHANNEL, type EmbeddedStack } from '../embedded-stack';
import { startChannelTranscript } from './channel-transcript';
import { DemoStepError, runDemoScenario, type DemoResult } from './demo-scenario';
import { readTimeScale, startLocalStack } from './local-stack-startup';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export function summaryLine(result: DemoResult): string {
  const took = (name: string): number => result.steps.filter((s) => s.step === name).reduce((sum, s) => sum + s.durationMs, 0);
  return (
    `✔ demo finished in ${seconds(result.totalMs)}: deployed ${result.deploymentName} to ${result.endpointName} ` +
    `(${seconds(took('deploy') + took('approve-deploy'))} with approval), scored ${result.filesScored} images in job ${result.jobName} ` +
    `(${seconds(took('run'))}, the reply previewing its predictions), a failing job's reply quoted its logs and the fix, deleted the endpoint after approval (${seconds(took('delete'))}); ${result.steps.length} steps, no failures`
  );
}

async function main(): Promise<number> {
  const timeScale = readTimeScale();
  if (timeScale === undefined) return 2;
  const out = (text: string): void => void process.stdout.write(`${text}\n`);

  out(`Starting the local stack (redis-server, Azurite, Azure ML sandbox at time scale ${timeScale}, Slack stand-in, bot, workers)…`);
  let stack: EmbeddedStack;
  try {
    stack = await startLocalStack(timeScale, '\ninterrupted: stopping everything the demo started (Ctrl-C again exits at once)…\n');
  } catch (err) {
    process.stderr.write(`✘ demo failed: the local stack did not start: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }

  const transcript = startChannelTranscript({ slack: stack.slack, write: out });
  out(`Slack workspace: #ml-ops with alice (asks), bob, and carol (in the @ml-approvers group).`);
  try {
    const result = await runDemoScenario(stack, {
      observer: {
        note: (text) => transcript.note(text),
        detail: (text) => transcript.detail(text),
        action: (user, text, on) => transcript.action(user, on ? `${text} on [${transcript.numberOf(on)}]` : text),
      },
    });
    transcript.stop();
    out(`\n== The channel as Slack shows it now\n${transcript.snapshot(STACK_CHANNEL)}\n`);
    out(summaryLine(result));
    return 0;
  } catch (err) {
    transcript.stop();
    out(`\n== The channel when the demo stopped\n${transcript.snapshot(STACK_CHANNEL)}\n`);
    const reason = err instanceof DemoStepError ? err.message : `unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
    process.stderr.write(`✘ demo failed: ${reason}\n`);
    return 1;
  } finally {
    await stack.stop();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`✘ demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
