// `npm run sandbox` with its input piped: the console starts the stack, runs the lines in order as a
// person would type them (a slash command, a look-up, a refusal, a console mistake), prints what the
// bot answers, and on `exit` stops everything it started.
import path from 'node:path';
import { REPO_ROOT, spawnTsx } from '../support/worker-process';

const CONSOLE_ENTRY = path.join(REPO_ROOT, 'dev', 'demo', 'console-main.ts');

it('runs piped commands in order, shows the answers, and stops its stack on exit', async () => {
  const script = ['help', '/batch-score help run', 'endpoints', 'wait No batch endpoints', 'as dave', 'press Approve', '/other-command', 'exit', 'endpoints'].join('\n');
  const child = spawnTsx(CONSOLE_ENTRY, ['--time-scale', '0.002'], { env: {}, stdin: `${script}\n` });
  const exit = await child.exited;
  const out = child.stdout();
  expect({ exit, stderr: child.stderr() }).toEqual({ exit: { code: 0, signal: null }, stderr: '' });

  expect(out).toContain('press Approve on 2'); // the console's help
  expect(out).toContain('alice ▸ /batch-score help run');
  expect(out).toMatch(/\(only visible to alice\):\n\s+`\/batch-score run/);
  expect(out).toMatch(/No batch endpoints in this workspace yet/);
  expect(out).toMatch(/\(found in \[\d+\] after/);
  expect(out).toContain('?? no user "dave"');
  expect(out).toContain('?? no message shows a [Approve] button');
  expect(out).toContain('?? only /batch-score is installed');
  // Nothing runs after exit, and the stack is gone: its sandbox no longer answers.
  expect(out.match(/alice> endpoints/g)).toHaveLength(1);
  const sandboxUrl = /Azure ML sandbox: (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  expect(sandboxUrl).toBeDefined();
  await expect(fetch(`${sandboxUrl}/_admin/counters`)).rejects.toThrow();
});

it('waits for the answers still on their way before exiting (the README piped example)', async () => {
  const child = spawnTsx(CONSOLE_ENTRY, ['--time-scale', '0.002'], { env: {}, stdin: 'endpoints\nexit\n' });
  const exit = await child.exited;
  expect({ exit, stderr: child.stderr() }).toEqual({ exit: { code: 0, signal: null }, stderr: '' });
  expect(child.stdout()).toMatch(/No batch endpoints in this workspace yet/);
});

it('waits for the answers on their way when the input simply ends', async () => {
  const child = spawnTsx(CONSOLE_ENTRY, ['--time-scale', '0.002'], { env: {}, stdin: 'endpoints\n' });
  const exit = await child.exited;
  expect(exit).toEqual({ code: 0, signal: null });
  expect(child.stdout()).toMatch(/No batch endpoints in this workspace yet/);
});

it('shows the deploy form as filled with set, lists the folders it can use, and sends "show <endpoint>" to the bot', async () => {
  const script = ['deploy', 'set endpoint mnist-zz', 'set nosuchfield x', 'modal', 'show nosuch', 'exit'].join('\n');
  const child = spawnTsx(CONSOLE_ENTRY, ['--time-scale', '0.002'], { env: {}, stdin: `${script}\n` });
  const exit = await child.exited;
  const out = child.stdout();
  expect(exit).toEqual({ code: 0, signal: null });
  expect(out).toMatch(/: mnist-zz \(endpoint\)/);
  expect(out).toContain('?? set but not a field of this form: nosuchfield');
  expect(out).toMatch(/folders the Model and Scoring code fields can use.*: code\/mnist, models\/mnist/);
  expect(out).toContain('alice ▸ /batch-score show nosuch');
  expect(out).toMatch(/There is no [^\n]*nosuch/);
});
