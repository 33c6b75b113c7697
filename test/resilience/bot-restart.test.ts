// The bot process (`src/main.ts bot`, a real child process) is SIGKILLed while approvals are pending and
// started again: the approvals live in Redis, not in the process, so approving afterwards still works —
// and works once: a second click is refused and nothing is deployed twice.
import { waitFor } from '../../sandbox/slack/wait-for';
import pino from 'pino';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { approveButtonValue, signedApprovalClick } from '../support/approval-click';
import { waitForQuiet } from '../support/quiet-queues';
import { createQueueInspector, createThreadReader, type QueueInspector, type ThreadReader } from '../support/stack-probes';
import { requestDeploy } from '../support/user-gestures';
import { MAIN_ENTRY, spawnTsx, type TsxChild } from '../support/worker-process';

let stack: EmbeddedStack;
let queues: QueueInspector;
let threads: ThreadReader;
let bot: TsxChild | undefined;

async function startBotProcess(): Promise<TsxChild> {
  const child = spawnTsx(MAIN_ENTRY, ['bot'], { env: { ...stack.env, LOG_LEVEL: 'info' } });
  await child.waitForOutput(/batch-score-bot started/, 30_000);
  return child;
}

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 50, slackRateLimit: 'count' });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
  threads = createThreadReader(stack.slack, STACK_CHANNEL);
  // The stack's in-process bot makes way for a bot process on the same port.
  await stack.bot.stop();
  bot = await startBotProcess();
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  await queues?.close();
  await stack?.stop();
});

it('approves pending requests once after the bot process was killed and restarted', async () => {
  const first = await requestDeploy(stack, 'after-restart-a');
  const second = await requestDeploy(stack, 'after-restart-b');
  // The button's value (the approval id), kept to replay a click once the message has lost its buttons.
  const firstApprovalId = approveButtonValue(first.blocks ?? []);
  expect(await queues.total(['deploy'])).toBe(0);

  const exit = await bot!.stop('SIGKILL');
  expect(exit.signal).toBe('SIGKILL');
  bot = await startBotProcess();

  for (const parent of [first, second]) {
    const res = await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-approve', { user: STACK_USERS.approver });
    expect(res.status).toBe(200);
  }
  await waitFor(() => [first, second].every((p) => threads.finalReplies(p).length > 0), { what: 'both deploys', timeoutMs: 60_000 });

  // A second click on a decided request (the button is gone, but an old client or a replay can send it).
  const click = signedApprovalClick(stack.slack, stack.driver, { channel: STACK_CHANNEL, ts: first.ts, approvalId: firstApprovalId, user: { id: STACK_USERS.approver, name: 'carol' } });
  const replay = await stack.driver.postRaw(click.body, click.headers);
  expect(replay.status).toBe(200);
  await waitFor(
    () => stack.slack.ephemerals(STACK_CHANNEL, STACK_USERS.approver).find((m) => /already approved/.test(m.text)),
    { what: 'the refusal of the second approval' },
  );
  await waitForQuiet(queues);

  for (const [parent, endpoint] of [[first, 'after-restart-a'], [second, 'after-restart-b']] as const) {
    expect(threads.finalReplies(parent)).toHaveLength(1);
    expect(threads.finalReplies(parent)[0]!.text).toContain('deployed');
    expect(stack.azureml.admin.requestCount({ method: 'PUT', path: new RegExp(`/batchendpoints/${endpoint}/deployments/mnist-torch$`) })).toBe(1);
  }
  expect(await queues.total(['deploy'])).toBe(2);
});
