// Text a user typed is echoed in many places (parse errors, request summaries, approval requests, the
// deploy checklist, look-up answers, failure reports). Slack renders mrkdwn, so unescaped user text could
// ping the whole channel (<!channel>, <!here>), mention someone (<@U…>) or disguise a link
// (<https://evil|innocent>). Every message the bot posts must render such text harmless
// (slack-facts.md: & < > escaped), and the bot never asks Slack to turn plain "@channel" into a mention.
import { waitFor } from '../../sandbox/slack/wait-for';
import pino from 'pino';
import { STACK_CHANNEL, STACK_USERS, exampleDeploySpec, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { waitForQuiet } from '../support/quiet-queues';
import { createQueueInspector, createThreadReader, everythingTheBotSaid, type QueueInspector, type ThreadReader } from '../support/stack-probes';
import { deployApproved } from '../support/user-gestures';

let stack: EmbeddedStack;
let queues: QueueInspector;
let threads: ThreadReader;

const INJECTIONS = ['<!channel>', '<!here>', '<!everyone>', '<https://evil.example.com|innocent>', '@channel', '<@U0BOB00001>', '<!subteam^S0APPROVER1>', '<#C0GENERAL01>'];
const ALL = INJECTIONS.join(' ');

/** Live mrkdwn that could only have come from user text in these flows (bob and #general never take part). */
const LIVE = [/<!channel>/, /<!here>/, /<!everyone>/, /<https:\/\/evil\.example\.com\|/, /<@U0BOB00001>/, /<!subteam\^/, /<#C0GENERAL01>/];

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 20, slackRateLimit: 'count' });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
  threads = createThreadReader(stack.slack, STACK_CHANNEL);
}, 60_000);

afterAll(async () => {
  await queues?.close();
  await stack?.stop();
});

it('renders injected mrkdwn harmless in every message the bot posts', async () => {
  const { requester } = STACK_USERS;
  // A deploy whose free-text and echoed fields carry every injection; it fails at the image, so the
  // failure report echoes too.
  const parent = await deployApproved(stack, 'inject-ep', {
    description: `Quarterly model ${ALL}`,
    model_name: 'mnist',
    image: `mcr.microsoft.com/azureml/${'x'.repeat(3)}:latest`,
  });
  await waitFor(() => threads.finalReplies(parent)[0], { what: 'the deploy', timeoutMs: 30_000 });
  for (let i = 0; i < 3; i++) await stack.azureml.admin.putDatastoreFile(`inject/in/${i}.png`, Buffer.from(`digit-${i}`));

  const commands = [
    ALL, // not a command: the parse error quotes it
    `${INJECTIONS[0]} please`,
    `run ${INJECTIONS[1]} https://data.example.com/in/`,
    `run inject-ep https://data.example.com/in/${encodeURIComponent('<!here>')}/`,
    `run inject-ep https://data.example.com/in/ --output azureml://datastores/workspaceblobstore/paths/out/${INJECTIONS[0]}.csv`,
    `run inject-ep azureml://datastores/workspaceblobstore/paths/inject/in --deployment ${INJECTIONS[5]}`,
    `run inject-ep azureml://datastores/${INJECTIONS[3]}/paths/x`,
    `status ${INJECTIONS[1]}`,
    `status not-a-job-${'@channel'}`,
    `show ${INJECTIONS[5]}`,
    `cancel ${INJECTIONS[0]}`,
    `help ${INJECTIONS[3]}`,
    `delete ${INJECTIONS[6]}`,
    `jobs --endpoint ${INJECTIONS[2]}`,
    `run inject-ep azureml://datastores/workspaceblobstore/paths/inject/in`,
    // A lock's reason is echoed in the channel note and in every refusal.
    `lock inject-ep ${ALL}`,
    `lock inject-ep ${ALL} again`,
    `set-default inject-ep mnist-torch`,
    `delete inject-ep`,
    `unlock inject-ep`,
  ];
  for (const text of commands) {
    const res = await stack.driver.slash(text, { user: requester, channel: STACK_CHANNEL });
    expect(res.status).toBe(200);
  }
  expect((await stack.driver.slash('unlock inject-ep', { user: STACK_USERS.approver, channel: STACK_CHANNEL })).status).toBe(200);
  await waitFor(
    async () => {
      const ops = await queues.queue('ops').getJobs(['waiting', 'active', 'delayed']);
      return ops.every((j) => j.name !== 'ops') || undefined;
    },
    { what: 'the look-ups to be answered', timeoutMs: 30_000 },
  );
  await waitForQuiet(queues, { timeoutMs: 60_000 });

  const said = everythingTheBotSaid(stack.slack, [STACK_CHANNEL]);
  expect(said.length).toBeGreaterThan(commands.length);
  // The injections were echoed (so the test saw them), but only in escaped form.
  expect(said.some((t) => t.includes('&lt;!channel&gt;'))).toBe(true);
  expect(said.some((t) => t.includes('is refused') && t.includes('&lt;!channel&gt;'))).toBe(true);
  expect(said.some((t) => t.includes('locked `inject-ep`') && t.includes('&lt;!here&gt;'))).toBe(true);
  for (const text of said) {
    for (const live of LIVE) {
      if (live.test(text)) throw new Error(`live mrkdwn ${live} from user text in a bot message:\n${text.slice(0, 2000)}`);
    }
  }
  // No post asks Slack to link plain @channel / @here into mentions.
  for (const call of stack.slack.callLog) {
    expect([true, 'true', 1, '1']).not.toContain(call.args.link_names);
  }
}, 120_000);

it("renders injected mrkdwn harmless in a job's log lines and predictions", async () => {
  const { requester } = STACK_USERS;
  // Log lines and predictions are user content: the input's file names reach both (the traceback of a
  // failing run() names the file, the predictions list every file).
  await stack.workers!.azureml.runDeployPlan(exampleDeploySpec('inject-out', { errorThreshold: -1 }), { version: 1, steps: {} }, async () => undefined);
  await stack.azureml.admin.putDatastoreFile(`inject-out/in/${INJECTIONS.slice(0, 4).join(' ')}.png`, Buffer.from('digit'));
  await stack.azureml.admin.putDatastoreFile(`inject-out/in/${INJECTIONS.slice(4).join(' ')}.png`, Buffer.from('digit'));
  stack.azureml.admin.failNextJobs(1, undefined, 'run-error');
  for (let i = 0; i < 2; i++) {
    const res = await stack.driver.slash('run inject-out azureml://datastores/workspaceblobstore/paths/inject-out/in', { user: requester, channel: STACK_CHANNEL });
    expect(res.status).toBe(200);
  }
  const outcomes = await waitFor(
    () => {
      const said = everythingTheBotSaid(stack.slack, [STACK_CHANNEL]);
      const triage = said.find((t) => t.includes('cannot identify image file') && t.includes('inject-out'));
      const preview = said.find((t) => t.includes('First rows of the predictions') && t.includes('inject-out'));
      return triage && preview ? [triage, preview] : undefined;
    },
    { what: 'the triage and the preview', timeoutMs: 60_000 },
  );
  for (const text of outcomes) {
    expect(text).toContain('&lt;!channel&gt;');
    for (const live of LIVE) {
      if (live.test(text)) throw new Error(`live mrkdwn ${live} from a log line or a prediction:\n${text.slice(0, 2000)}`);
    }
  }
}, 120_000);
