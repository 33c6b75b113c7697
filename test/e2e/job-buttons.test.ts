// Buttons on job messages (issue 15 item 4), through the Slack stand-in's signed driver on the real
// stack (Bolt over HTTP, BullMQ on redis, the Azure ML sandbox over HTTP): Cancel on a running job's
// status line (the cancel rules of the typed command), Re-run on a finished job's reply (a new output,
// the normal run path), Retry deploy after a failed deploy (the form again, filled in). A button's value
// is a request id looked up in the store; forged or misplaced values are refused and start nothing.
import pino from 'pino';
import type { StoredMessage } from '../../sandbox/slack';
import { waitFor } from '../../sandbox/slack/wait-for';
import { exampleDeploySpec, STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { EXPIRE_APPROVALS_JOB } from '../../src/queue/ops-worker';
import { JOB_ACTIONS } from '../../src/slack/blocks/job-buttons';
import { signedButtonClick } from '../support/button-click';
import { createQueueInspector, createThreadReader, isTopLevel, textOf, type QueueInspector, type ThreadReader } from '../support/stack-probes';
import { requestDeploy } from '../support/user-gestures';

const { requester: alice, bystander: bob, approver: carol } = STACK_USERS;
/** Values the buttons carried, for the forged-click tests at the end. */
const seen: { runRequestId?: string; deployRequestId?: string } = {};
const valueOf = (m: StoredMessage, actionId: string): string =>
  (m.blocks ?? []).flatMap((b) => (b as { elements?: Array<{ action_id?: string; value?: string }> }).elements ?? []).find((e) => e.action_id === actionId)?.value ?? '';
const ENDPOINT = 'buttons-ep';
const DATA = (folder: string) => `azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/${folder}`;
let stack: EmbeddedStack;
let threads: ThreadReader;
let queues: QueueInspector;

beforeAll(async () => {
  // Slow enough that a job is still running when a click reaches it.
  // Cancels wait for an approval here, so the Cancel button is seen going through the approval rules.
  stack = await startEmbeddedStack({
    logger: pino({ level: 'silent' }),
    perChannelIntervalMs: 20,
    slackRateLimit: 'count',
    timeScale: 0.02,
    env: { BATCH_SCORE_APPROVAL_REQUIRED_FOR: 'deploy,set-default,delete,cancel' },
  });
  threads = createThreadReader(stack.slack, STACK_CHANNEL);
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
  await stack.workers!.azureml.runDeployPlan(exampleDeploySpec(ENDPOINT), { version: 1, steps: {} }, async () => undefined);
  for (let i = 0; i < 3; i++) await stack.azureml.admin.putDatastoreFile(`${ENDPOINT}/few/${i}.png`, Buffer.from(`digit-${i}`));
  for (let i = 0; i < 80; i++) await stack.azureml.admin.putDatastoreFile(`${ENDPOINT}/many/${i}.png`, Buffer.from(`digit-${i}`));
}, 120_000);

afterAll(async () => {
  await queues?.close();
  await stack?.stop();
});

const buttonsOf = (m: StoredMessage): string[] =>
  (m.blocks ?? []).flatMap((b) => ((b as { elements?: Array<{ action_id?: string }> }).elements ?? []).map((e) => e.action_id ?? ''));
const ephemeralTo = (user: string, pattern: RegExp) =>
  waitFor(() => stack.slack.ephemerals(STACK_CHANNEL, user).find((m) => pattern.test(textOf(m))), { what: `a private answer to ${user} matching ${pattern}`, timeoutMs: 20_000 });
const workJobs = async () => {
  const ops = await queues.queue('ops').getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
  return (await queues.total(['deploy', 'run'])) + ops.filter((j) => j.name !== EXPIRE_APPROVALS_JOB).length;
};
const jobFinal = (run: StoredMessage) =>
  waitFor(() => threads.replies(run).find((r) => /^:(white_check_mark|x|no_entry_sign|warning): <@/.test(r.text) && !r.text.includes('`cancel`')), {
    what: "the job's final reply",
    timeoutMs: 40_000,
  });

async function runAs(user: string, text: string): Promise<StoredMessage> {
  const before = new Set(stack.slack.messages(STACK_CHANNEL).map((m) => m.ts));
  await stack.driver.slash(text, { user, channel: STACK_CHANNEL });
  return waitFor(() => stack.slack.messages(STACK_CHANNEL).find((m) => !before.has(m.ts) && isTopLevel(m) && textOf(m).includes(ENDPOINT)), { what: `the request of "${text}"` });
}

/** The run's in-place status line once it shows a Cancel button. */
const statusWithCancel = (run: StoredMessage) =>
  waitFor(() => threads.replies(run).map((r) => threads.current(r)).find((r) => buttonsOf(r).includes(JOB_ACTIONS.cancel)), { what: 'a status line with Cancel', timeoutMs: 30_000 });

describe('Cancel on a running job', () => {
  it('refuses someone who may not cancel; the requester\'s cancel is approved in the job\'s thread, the button goes when the job ends', async () => {
    const run = await runAs(alice, `run ${ENDPOINT} ${DATA('many')}`);
    const status = await statusWithCancel(run);

    const before = await workJobs();
    await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: status.ts }, JOB_ACTIONS.cancel, { user: bob });
    await ephemeralTo(bob, /Only the person who started it or an approver may cancel this job/);
    expect(await workJobs()).toBe(before);

    const topLevel = stack.slack.messages(STACK_CHANNEL).filter(isTopLevel).length;
    await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: status.ts }, JOB_ACTIONS.cancel, { user: alice });
    // The approval is asked in the job's own thread, not in a new message of the channel.
    const asked = await waitFor(() => threads.replies(run).map((r) => threads.current(r)).find((r) => buttonsOf(r).includes('approval-approve')), {
      what: "the cancel's approval in the job's thread",
      timeoutMs: 20_000,
    });
    expect(stack.slack.messages(STACK_CHANNEL).filter(isTopLevel).length).toBe(topLevel);
    await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: asked.ts }, 'approval-approve', { user: carol });
    const final = await jobFinal(run);
    expect(final.text).toMatch(/^:no_entry_sign:.*was canceled/);
    await waitFor(() => threads.replies(run).find((r) => r.text.includes('Cancel requested for job')), { what: "the cancel's confirmation in the job's thread" });
    await waitFor(() => !buttonsOf(threads.current(status)).includes(JOB_ACTIONS.cancel), { what: 'the Cancel button to go' });
    // The finished job offers Re-run instead.
    expect(buttonsOf(final)).toContain(JOB_ACTIONS.rerun);
  }, 90_000);
});

describe('Re-run on a finished job', () => {
  it('runs the same endpoint and input again through the normal run path, writing to a new output file', async () => {
    const output = `${DATA('out')}/predictions.csv`;
    const run = await runAs(alice, `run ${ENDPOINT} ${DATA('few')} --output ${output}`);
    const first = await jobFinal(run);
    expect(first.text).toContain('completed');

    seen.runRequestId = valueOf(first, JOB_ACTIONS.rerun);
    const before = new Set(stack.slack.messages(STACK_CHANNEL).map((m) => m.ts));
    await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: first.ts }, JOB_ACTIONS.rerun, { user: alice });
    await ephemeralTo(alice, /Checking request/);
    const again = await waitFor(() => stack.slack.messages(STACK_CHANNEL).find((m) => !before.has(m.ts) && isTopLevel(m) && textOf(m).includes(ENDPOINT)), {
      what: 'the re-run request',
    });
    const second = await jobFinal(again);
    expect(second.text).toContain('completed');
    const newOutput = /predictions-rerun-[a-zA-Z0-9]+\.csv/.exec(textOf(second))?.[0];
    expect(newOutput).toBeDefined();
    // Both outputs exist: the first was not reused, let alone overwritten.
    expect(await stack.azureml.admin.readDatastoreFile(`${ENDPOINT}/out/predictions.csv`)).toBeDefined();
    expect(await stack.azureml.admin.readDatastoreFile(`${ENDPOINT}/out/${newOutput}`)).toBeDefined();
  }, 90_000);
});

describe('Retry deploy after a failed deploy', () => {
  it('reopens the deploy form filled in with the values of the failed request, for a new submission', async () => {
    stack.azureml.admin.failDeploymentProvisioning('retry-ep', 'mnist-torch', { code: 'ImageBuildFailure', message: 'conda solve failed' });
    const parent = await requestDeploy(stack, 'retry-ep', { overrides: { mini_batch_size: '7', description: 'first try' } });
    await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-approve', { user: carol });
    const failed = await waitFor(() => threads.replies(parent).find((r) => r.text.startsWith(':x:')), { what: 'the failed deploy', timeoutMs: 60_000 });
    expect(buttonsOf(failed)).toContain(JOB_ACTIONS.retryDeploy);
    seen.deployRequestId = valueOf(failed, JOB_ACTIONS.retryDeploy);

    const views = new Set(stack.slack.views().map((v) => v.id));
    await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: failed.ts }, JOB_ACTIONS.retryDeploy, { user: alice });
    const view = await waitFor(() => stack.slack.views().find((v) => !views.has(v.id) && v.open), { what: 'the deploy form again' });
    const initial = (blockId: string) => {
      const block = (view.blocks as Array<{ block_id?: string; element?: { initial_value?: string } }>).find((b) => b.block_id === blockId);
      return block?.element?.initial_value;
    };
    expect(initial('endpoint')).toBe('retry-ep');
    expect(initial('deployment')).toBe('mnist-torch');
    expect(initial('mini_batch_size')).toBe('7');
    expect(initial('description')).toBe('first try');
    expect(initial('model')).toBe('models/mnist');
    // The form is Alice's own: submitted as it is, it is a new deploy request, asked for approval like any other.
    const before = new Set(stack.slack.messages(STACK_CHANNEL).map((m) => m.ts));
    const submitted = await stack.driver.fillAndSubmit(view.id, {}, { user: alice });
    expect(submitted.outcome.kind).toBe('closed');
    const asked = await waitFor(() => stack.slack.messages(STACK_CHANNEL).find((m) => !before.has(m.ts) && isTopLevel(m) && textOf(m).includes('retry-ep')), { what: 'the new deploy request' });
    expect(buttonsOf(asked)).toContain('approval-approve');
  }, 90_000);
});

describe('forged or misplaced button values', () => {
  const CASES: Array<[string, string, () => string, string?]> = [
    ['a value naming no request', JOB_ACTIONS.rerun, () => 'rNoSuchRequest0001'],
    ['a value that is not a request id at all', JOB_ACTIONS.cancel, () => 'a:b c'],
    ['a deploy request on a Re-run button', JOB_ACTIONS.rerun, () => seen.deployRequestId!],
    ['a run request on a Retry deploy button', JOB_ACTIONS.retryDeploy, () => seen.runRequestId!],
    ["a real run's Re-run clicked from another channel", JOB_ACTIONS.rerun, () => seen.runRequestId!, 'C0GENERAL01'],
  ];
  it.each(CASES)('refuses %s and starts nothing', async (_what, actionId, value, channel = STACK_CHANNEL) => {
    const anchor = stack.slack.messages(STACK_CHANNEL).find(isTopLevel)!;
    const before = await workJobs();
    const views = stack.slack.views().length;
    const refusals = () => stack.slack.ephemerals(channel, carol).filter((m) => /no longer leads anywhere/.test(m.text)).length;
    const seenBefore = refusals();
    const click = signedButtonClick(stack.slack, stack.driver, { channel, ts: anchor.ts, actionId, value: value(), user: { id: carol, name: 'carol' } });
    expect((await stack.driver.postRaw(click.body, click.headers)).status).toBe(200);
    await waitFor(() => refusals() > seenBefore, { what: 'the refusal of the forged value' });
    expect(await workJobs()).toBe(before);
    expect(stack.slack.views().length).toBe(views);
  });
});
