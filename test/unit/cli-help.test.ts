// What `batch-score help` tells a new user must match what the CLI does: every command it takes (the
// CLI's own `download` too) and every exit code it returns (3 for a job that completed with failed items).
import { runCli } from '../../src/cli';
import { cliHelpText } from '../../src/cli/cli-usage';
import { EXIT_CODES } from '../../src/cli/exit-codes';

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env: {},
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readFile: () => Promise.reject(Object.assign(new Error('no files in this test'), { code: 'ENOENT' })),
  });
  return { code, stdout, stderr };
}

it('lists download among the commands', () => {
  expect(cliHelpText()).toMatch(/^ {2}batch-score download <job> \[--to <dir>\]\n {6}Download a completed job's predictions file/m);
});

it('explains download with `help download` and `download --help`', async () => {
  for (const argv of [['help', 'download'], ['download', '--help']]) {
    const { code, stdout, stderr } = await run(argv);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('usage: batch-score download <job> [--to <dir>]');
    expect(stdout).toContain('never overwrites');
  }
});

it('documents every exit code the CLI returns', () => {
  const help = cliHelpText().replace(/\n\s+/g, ' ');
  for (const code of Object.values(EXIT_CODES)) expect(help).toMatch(new RegExp(`Exit codes:.*\\b${code} [a-z]`));
  expect(help).toContain('3 a job Completed but some of its items failed');
});
