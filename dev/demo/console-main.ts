// `npm run sandbox [-- --time-scale 0.03]`: the embedded stack, staying up as an interactive console.
// Type slash commands, press buttons, fill modals, switch users (console-commands.ts); the channel's
// messages print as they arrive. Lines are run one at a time, in order, so a script can be piped in
// (`printf 'help\nendpoints\nexit\n' | npm run sandbox`). `exit`, end of input, Ctrl-C or SIGTERM stop
// everything the console started; `exit` and the end of input first wait (up to 15 s) for the bot's
// answers to what was sent last, so a piped script's last answer is printed.
import readline from 'node:readline';
import type { EmbeddedStack } from '../embedded-stack';
import { startChannelTranscript } from './channel-transcript';
import { CONSOLE_HELP } from './console-commands';
import { exampleFolders } from './example-folders';
import { readTimeScale, startLocalStack } from './local-stack-startup';
import { createSandboxConsole } from './sandbox-console';

async function main(): Promise<number> {
  const timeScale = readTimeScale();
  if (timeScale === undefined) return 2;
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  process.stdout.write(`Starting the local stack (Azure ML sandbox at time scale ${timeScale})…\n`);
  let stack: EmbeddedStack;
  try {
    stack = await startLocalStack(timeScale);
  } catch (err) {
    process.stderr.write(`the local stack did not start: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }

  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: interactive });
  // Messages arrive while the user types: print above the prompt, then redraw it.
  const write = (text: string): void => {
    if (interactive) {
      readline.clearLine(process.stdout, 0);
      readline.cursorTo(process.stdout, 0);
    }
    process.stdout.write(`${text}\n`);
    if (interactive) rl.prompt(true);
  };
  const transcript = startChannelTranscript({ slack: stack.slack, write });
  const sandboxConsole = createSandboxConsole({ stack, transcript, write });

  process.stdout.write(
    [
      `Ready. Workspace #ml-ops; users alice (asks), bob, carol (approver). Azure ML sandbox: ${stack.azureml.baseUrl}`,
      `  (workspace ${stack.azureml.workspace}, resource group ${stack.azureml.resourceGroup}; its deployments start empty)`,
      CONSOLE_HELP,
      `Folders the deploy form can upload (under the artifacts root ${stack.artifactsRoot}): ${exampleFolders(stack.artifactsRoot).join(', ')}`,
      'Try: deploy → set endpoint mnist-batch … → submit → as carol → press Approve → as alice → upload mnist/in → run mnist-batch azureml://datastores/workspaceblobstore/paths/mnist/in',
      '',
    ].join('\n'),
  );

  // One line at a time, in order: a piped script behaves like a person waiting for each answer.
  let chain = Promise.resolve<'continue' | 'exit'>('continue');
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  rl.setPrompt(sandboxConsole.prompt());
  rl.on('line', (line) => {
    chain = chain.then(async (state) => {
      if (state === 'exit') return 'exit';
      if (!interactive && line.trim()) process.stdout.write(`${sandboxConsole.prompt()}${line}\n`);
      const next = await sandboxConsole.execute(line);
      if (next === 'exit') {
        finished();
        return 'exit';
      }
      rl.setPrompt(sandboxConsole.prompt());
      if (interactive) rl.prompt();
      return 'continue';
    });
  });
  // `exit` or the end of the input waits (bounded) for answers still on their way; Ctrl-C does not.
  let interrupted = false;
  rl.on('close', () => void chain.then(() => finished()));
  rl.on('SIGINT', () => {
    interrupted = true;
    finished();
  });
  if (interactive) rl.prompt();

  await done;
  rl.close();
  if (!interrupted) await sandboxConsole.settle();
  transcript.stop();
  process.stdout.write('Stopping the local stack…\n');
  await stack.stop();
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`sandbox console failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
