// File-system errors never reach Slack raw (issue 12, item 10): a model path with a name too long for the
// worker's disk failed with "ENAMETOOLONG … realpath '/tmp/…'", showing the worker's paths. The thread now
// says what is wrong in our words; the error's own message stays in the worker's log.
import { Writable } from 'node:stream';
import pino from 'pino';
import { waitFor } from '../../sandbox/slack/wait-for';
import { STACK_CHANNEL, startEmbeddedStack, type EmbeddedStack } from '../../src/embedded-stack';
import { createThreadReader, everythingTheBotSaid, textOf } from '../support/stack-probes';
import { deployApproved } from '../support/user-gestures';

let stack: EmbeddedStack;
const logLines: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  stack = await startEmbeddedStack({ logger: pino({ level: 'warn' }, sink), perChannelIntervalMs: 20, slackRateLimit: 'count' });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

it('tells the requester a name is too long, without the worker paths, and logs the detail', async () => {
  const threads = createThreadReader(stack.slack, STACK_CHANNEL);
  const parent = await deployApproved(stack, 'fs-words', { model: `models/${'a'.repeat(300)}` });
  const final = await waitFor(() => threads.finalReplies(parent)[0], { what: 'the failure reply', timeoutMs: 30_000 });
  expect(textOf(final)).toMatch(/name in the path is too long/);
  const said = everythingTheBotSaid(stack.slack, [STACK_CHANNEL]).join('\n');
  expect(said).not.toContain(stack.artifactsRoot);
  expect(said).not.toMatch(/realpath|\/tmp\//);
  await waitFor(() => logLines.find((l) => l.includes('ENAMETOOLONG') && l.includes('realpath')), { what: 'the detail in the log' });
});
