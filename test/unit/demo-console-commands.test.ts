import { changedLines } from '../../dev/demo/channel-transcript';
import { CONSOLE_HELP, parseConsoleLine } from '../../dev/demo/console-commands';

describe('the sandbox console language', () => {
  it('treats anything that is not a console word as a slash command, with or without /batch-score', () => {
    expect(parseConsoleLine('/batch-score run ep azureml://x')).toEqual({ kind: 'slash', text: 'run ep azureml://x' });
    expect(parseConsoleLine('run ep azureml://x')).toEqual({ kind: 'slash', text: 'run ep azureml://x' });
    expect(parseConsoleLine('help run')).toEqual({ kind: 'slash', text: 'help run' });
    expect(parseConsoleLine('/deploy-bot run')).toMatchObject({ kind: 'invalid' });
  });

  it('reads presses by message number, by label, and by label on a message', () => {
    expect(parseConsoleLine('press 3')).toEqual({ kind: 'press', message: 3 });
    expect(parseConsoleLine('press Approve')).toEqual({ kind: 'press', label: 'Approve' });
    expect(parseConsoleLine('press [Reject] on [12]')).toEqual({ kind: 'press', label: 'Reject', message: 12 });
    expect(parseConsoleLine('press')).toMatchObject({ kind: 'invalid' });
  });

  it('keeps the rest of a set line as the value, with \\n as a newline', () => {
    expect(parseConsoleLine('set description digits  of MNIST')).toEqual({ kind: 'set', field: 'description', value: 'digits  of MNIST' });
    expect(parseConsoleLine('set conda_file name: x\\ndependencies: []')).toEqual({ kind: 'set', field: 'conda_file', value: 'name: x\ndependencies: []' });
    expect(parseConsoleLine('set endpoint')).toMatchObject({ kind: 'invalid' });
  });

  it('reads users, uploads, waits, and ignores blank lines and comments', () => {
    expect(parseConsoleLine('as @Carol')).toEqual({ kind: 'as', user: 'carol' });
    expect(parseConsoleLine('upload /mnist/in/')).toEqual({ kind: 'upload', folder: 'mnist/in', count: 10 });
    expect(parseConsoleLine('upload mnist 0')).toMatchObject({ kind: 'invalid' });
    expect(parseConsoleLine('wait completed in')).toEqual({ kind: 'wait', text: 'completed in' });
    expect(parseConsoleLine('   ')).toEqual({ kind: 'nothing' });
    expect(parseConsoleLine('# a comment')).toEqual({ kind: 'nothing' });
    expect(parseConsoleLine('exit')).toEqual({ kind: 'exit' });
  });
});

describe('what an edited message shows in the live transcript', () => {
  it('shows only the lines an update changed', () => {
    const before = ['## Deploy', ':hourglass: Compute', ':white_circle: Endpoint', 'step 1/2'];
    const after = ['## Deploy', ':white_check_mark: Compute', ':white_circle: Endpoint', 'step 1/2'];
    expect(changedLines(before, after)).toEqual([':white_check_mark: Compute']);
    expect(changedLines(before, before)).toEqual([]);
  });

  it('shows a rewrite of most lines whole', () => {
    expect(changedLines(['a', 'b', 'c', 'd'], ['w', 'x', 'y', 'z'])).toBe('whole');
  });
});

describe('console words the bot also knows', () => {
  it('are the console\'s only alone; with an argument the line goes to the bot, as its hints write it', () => {
    expect(parseConsoleLine('cancel')).toEqual({ kind: 'cancel' });
    expect(parseConsoleLine('show')).toEqual({ kind: 'show' });
    expect(parseConsoleLine('submit')).toEqual({ kind: 'submit' });
    expect(parseConsoleLine('cancel job-123')).toEqual({ kind: 'slash', text: 'cancel job-123' });
    expect(parseConsoleLine('show mnist-batch')).toEqual({ kind: 'slash', text: 'show mnist-batch' });
    expect(parseConsoleLine('close job-123')).toEqual({ kind: 'slash', text: 'close job-123' });
    expect(parseConsoleLine('submit mnist-batch azureml://x')).toEqual({ kind: 'slash', text: 'submit mnist-batch azureml://x' });
  });

  it('are explained in the help', () => {
    expect(CONSOLE_HELP).toMatch(/"cancel <job>", "show <endpoint>".*go to the bot/s);
  });
});
