// Secrets never reach the logs or Slack: the Slack bot token, the signing secret, the Azure tokens the
// sandbox issued (through the managed identity the worker process uses), the managed identity's header
// secret, and the storage account key and connection string. The whole flow — deploy with approval, a
// run that completes, one that fails, look-ups — runs with every logger at debug: the bot's in this
// process (the production logger, writing to a capture stream), the worker's in a child process (its
// stdout). Then the logs, every message the stand-in holds and its whole call log are searched.
import { waitFor } from '../../sandbox/slack/wait-for';
import { Writable } from 'node:stream';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { createLogger } from '../../src/logger';
import { waitForQuiet } from '../support/quiet-queues';
import { createQueueInspector, createThreadReader, everythingTheBotSaid, type QueueInspector, type ThreadReader } from '../support/stack-probes';
import { deployApproved } from '../support/user-gestures';
import { startWorkerChild } from '../support/worker-children';
import type { TsxChild } from '../support/worker-process';

let stack: EmbeddedStack;
let queues: QueueInspector;
let threads: ThreadReader;
let worker: TsxChild | undefined;
const botLog: string[] = [];

/** Any JSON Web Token (the sandbox's tokens are HS256 JWTs, as Entra's are RS256 ones). */
const JWT = /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/;

beforeAll(async () => {
  const capture = new Writable({
    write(chunk: Buffer, _enc, done) {
      botLog.push(chunk.toString('utf8'));
      done();
    },
  });
  stack = await startEmbeddedStack({ logger: createLogger({ level: 'debug', destination: capture }), workers: false, perChannelIntervalMs: 20, slackRateLimit: 'count' });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
  threads = createThreadReader(stack.slack, STACK_CHANNEL);
  worker = await startWorkerChild(stack.env, stack.azureml, { env: { LOG_LEVEL: 'debug' } });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await queues?.close();
  await stack?.stop();
});

it('keeps every secret out of the logs and out of Slack through a full deploy and run', async () => {
  const parent = await deployApproved(stack, 'secrets-ep');
  const deployed = await waitFor(() => threads.finalReplies(parent)[0], { what: 'the deploy', timeoutMs: 30_000 });
  expect(deployed.text).toContain('deployed');
  for (let i = 0; i < 3; i++) await stack.azureml.admin.putDatastoreFile(`secrets/in/${i}.png`, Buffer.from(`digit-${i}`));
  const { requester } = STACK_USERS;
  await stack.driver.slash('run secrets-ep azureml://datastores/workspaceblobstore/paths/secrets/in', { user: requester, channel: STACK_CHANNEL });
  stack.azureml.admin.failNextJobs(1, 'UserError: the scoring script raised');
  await stack.driver.slash('run secrets-ep azureml://datastores/workspaceblobstore/paths/secrets/in --output azureml://datastores/workspaceblobstore/paths/secrets/out/p.csv', { user: requester, channel: STACK_CHANNEL });
  await stack.driver.slash('endpoints', { user: requester, channel: STACK_CHANNEL });
  await stack.driver.slash('show secrets-ep', { user: requester, channel: STACK_CHANNEL });
  await waitFor(
    () => stack.slack.messages(STACK_CHANNEL).filter((m) => /^:(white_check_mark|x): .*job/.test(m.text)).length >= 2 || undefined,
    { what: 'both runs to end', timeoutMs: 60_000 },
  );
  await waitFor(() => stack.slack.responseUrlPosts().length >= 2 || undefined, { what: 'both look-ups', timeoutMs: 30_000 });
  await waitForQuiet(queues);

  const connectionString = stack.azureml.storageConnectionString;
  const accountKey = /AccountKey=([^;]+)/.exec(connectionString)?.[1];
  expect(accountKey).toBeDefined();
  const secrets: Record<string, string> = {
    'Slack bot token': stack.config.slack.botToken,
    'Slack signing secret': stack.config.slack.signingSecret,
    'storage account key': accountKey!,
    'storage connection string': connectionString,
    'managed identity header': stack.azureml.identityHeader,
    'an ARM token': stack.azureml.token,
    'a scoring token': stack.azureml.scoringToken,
  };

  const workerLog = worker!.stdout() + worker!.stderr();
  const places: Record<string, string> = {
    'the bot log': botLog.join(''),
    'the worker log': workerLog,
    'Slack messages': everythingTheBotSaid(stack.slack, [STACK_CHANNEL, 'C0GENERAL01']).join('\n'),
    "the stand-in's call log": JSON.stringify(stack.slack.callLog),
  };
  // The logs are real: the flow was logged at debug, Azure calls included.
  expect(places['the bot log']!.length).toBeGreaterThan(1_000);
  expect(workerLog).toMatch(/azure request/);

  for (const [place, text] of Object.entries(places)) {
    for (const [what, secret] of Object.entries(secrets)) {
      if (text.includes(secret)) throw new Error(`${what} appears in ${place}`);
    }
    const token = JWT.exec(text);
    if (token) throw new Error(`a bearer token appears in ${place}: …${text.slice(Math.max(0, token.index - 200), token.index + 40)}…`);
  }
}, 120_000);
