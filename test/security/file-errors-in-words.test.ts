// File-system errors never reach Slack raw (issue 12, item 10): a model path with a name too long for the
// worker's disk failed with "ENAMETOOLONG … realpath '/tmp/…'", showing the worker's paths. The thread now
// says what is wrong in our words; the error's own message stays in the worker's log.
import { Writable } from 'node:stream';
import pino from 'pino';
import { waitFor } from '../../sandbox/slack/wait-for';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { everythingTheBotSaid } from '../support/stack-probes';
import { deployFields, openDeployModal } from '../support/user-gestures';

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

it('tells the requester a name is too long, without the worker paths', async () => {
  // The pre-flight check reads the folders before anything is queued, and answers the requester privately.
  const viewId = await openDeployModal(stack);
  await stack.driver.fillAndSubmit(viewId, deployFields('fs-words', { model: `models/${'a'.repeat(300)}` }), { user: STACK_USERS.requester });
  await waitFor(() => everythingTheBotSaid(stack.slack, [STACK_CHANNEL]).find((t) => /too long/i.test(t)), { what: 'the refusal', timeoutMs: 30_000 });
  const said = everythingTheBotSaid(stack.slack, [STACK_CHANNEL]).join('\n');
  expect(said).not.toContain(stack.artifactsRoot);
  expect(said).not.toMatch(/realpath|\/tmp\//);
});
