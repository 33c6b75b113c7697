// A deploy that still fails half-way (issue 13) says in its thread what it created — only what this
// request created, never what existed — and offers "Remove what this created", taken like `delete` (an
// approver is asked when delete needs approval; a lock on the endpoint stops it). The real stack: Bolt
// over HTTP, BullMQ on redis, the Azure ML sandbox over HTTP with a fault injected at the deployment step
// (after the cluster, the uploads, the environment and the endpoint were made).
import pino from 'pino';
import type { StoredMessage } from '../../sandbox/slack';
import { waitFor } from '../../sandbox/slack/wait-for';
import { exampleDeploySpec, STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { LEFTOVER_ACTIONS } from '../../src/slack/blocks/deploy-leftovers-message';
import { createThreadReader, FINAL_REPLY, isTopLevel, textOf, type ThreadReader } from '../support/stack-probes';
import { deployApproved } from '../support/user-gestures';
import { getCodeVersion, getEnvironmentVersion, getModelVersion } from '../../src/azureml/assets';

const { requester, bystander, approver } = STACK_USERS;
let stack: EmbeddedStack;
let threads: ThreadReader;

beforeAll(async () => {
  stack = await startEmbeddedStack({
    logger: pino({ level: 'silent' }),
    perChannelIntervalMs: 20,
    slackRateLimit: 'count',
    env: { BATCH_SCORE_APPROVAL_REQUIRED_FOR: 'deploy,set-default,delete', BATCH_SCORE_DEPLOYERS: `${requester},${approver}` },
  });
  threads = createThreadReader(stack.slack, STACK_CHANNEL);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const replies = (parent: StoredMessage): StoredMessage[] => stack.slack.thread(STACK_CHANNEL, parent.ts).slice(1);
const finalReply = (parent: StoredMessage, pattern: RegExp = FINAL_REPLY): Promise<StoredMessage> =>
  waitFor(() => replies(parent).find((r) => pattern.test(r.text)), { what: 'the final reply', timeoutMs: 30_000 });
const ephemeralTo = (user: string, pattern: RegExp): Promise<StoredMessage> =>
  waitFor(() => stack.slack.ephemerals(STACK_CHANNEL, user).find((m) => pattern.test(textOf(m))), { what: `a private answer matching ${pattern}` });

/** What the workspace holds now, by the names the example deploy uses. */
async function present(endpoint: string, cluster: string, versions: { code: string; model: string; environment: string }) {
  const az = stack.workers!.azureml;
  const has = (p: Promise<unknown>) => p.then(() => true).catch(() => false);
  return {
    endpoint: (await az.endpoints.find(endpoint)) !== undefined,
    cluster: (await az.computes.find(cluster)) !== undefined,
    code: await has(getCodeVersion(az, { name: 'score-mnist', version: versions.code })),
    model: await has(getModelVersion(az, { name: 'mnist', version: versions.model })),
    environment: await has(getEnvironmentVersion(az, { name: 'mnist-env', version: versions.environment })),
  };
}

/** The versions a list line names, e.g. "model version `mnist:3f2a…`". */
function versionIn(text: string, what: string, name: string): string {
  const m = new RegExp(`${what} version \`${name}:([^\`]+)\``).exec(text);
  if (!m) throw new Error(`no ${what} version of ${name} in: ${text}`);
  return m[1]!;
}

it('lists everything a first deploy created when it fails at the deployment, and removes it after approval', async () => {
  stack.azureml.admin.failDeploymentProvisioning('left-ep', 'mnist-torch', { message: 'the image build failed (injected)' });
  const parent = await deployApproved(stack, 'left-ep', { compute_mode: 'create', compute_name: 'left-cluster' });
  const final = await finalReply(parent);
  const text = textOf(final);
  expect(text).toContain('image build failed');
  expect(text).toContain('This request created, and left behind');
  for (const line of ['deployment `left-ep/mnist-torch`', 'batch endpoint `left-ep`', 'compute cluster `left-cluster`', 'code version `score-mnist:', 'model version `mnist:', 'environment version `mnist-env:']) {
    expect(text).toContain(line);
  }
  const versions = { code: versionIn(text, 'code', 'score-mnist'), model: versionIn(text, 'model', 'mnist'), environment: versionIn(text, 'environment', 'mnist-env') };
  expect(await present('left-ep', 'left-cluster', versions)).toEqual({ endpoint: true, cluster: true, code: true, model: true, environment: true });

  // Someone who may not delete is refused, privately; nothing is asked.
  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: final.ts }, LEFTOVER_ACTIONS.remove, { user: bystander });
  await ephemeralTo(bystander, /list of people who may delete/);

  // The requester asks; delete needs approval, so an approver is asked in the channel, with the list.
  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: final.ts }, LEFTOVER_ACTIONS.remove, { user: requester });
  await ephemeralTo(requester, /needs approval/);
  const removal = await waitFor(() => threads.parentWith(/Remove.* what the failed deploy of `mnist-torch` to `left-ep` created/), { what: 'the removal request' });
  expect(textOf(removal)).toContain('compute cluster `left-cluster`');
  expect(await present('left-ep', 'left-cluster', versions)).toMatchObject({ endpoint: true, cluster: true });
  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: removal.ts }, 'approval-approve', { user: approver });

  const removed = await finalReply(removal, /removed what request/);
  expect(textOf(removed)).not.toContain('not removed');
  expect(await present('left-ep', 'left-cluster', versions)).toEqual({ endpoint: false, cluster: false, code: false, model: false, environment: false });
  // The failed deploy's thread hears it too; a second click finds nothing left to remove.
  await waitFor(() => replies(parent).find((r) => /removed what request/.test(r.text)), { what: 'the note in the deploy thread' });
  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: final.ts }, LEFTOVER_ACTIONS.remove, { user: requester });
  await ephemeralTo(requester, /already removed/);
}, 120_000);

it('lists only what this request created: a cluster and asset versions that existed are neither listed nor removed', async () => {
  // A first deploy that works makes the cluster and the content-derived code, model and environment versions.
  const spec = exampleDeploySpec('kept-ep', { compute: { kind: 'create', name: 'kept-cluster' } });
  const done = await stack.workers!.azureml.runDeployPlan(spec, { version: 1, steps: {} }, async () => undefined);
  const versions = { code: done.steps.code!.outputs.version!, model: done.steps.model!.outputs.version!, environment: done.steps.environment!.outputs.version! };

  stack.azureml.admin.failDeploymentProvisioning('second-ep', 'mnist-torch');
  const parent = await deployApproved(stack, 'second-ep', { compute_mode: 'create', compute_name: 'kept-cluster' });
  const final = await finalReply(parent);
  const text = textOf(final);
  expect(text).toContain('deployment `second-ep/mnist-torch`');
  expect(text).toContain('batch endpoint `second-ep`');
  expect(text).not.toMatch(/compute cluster|code version|model version|environment version/);

  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: final.ts }, LEFTOVER_ACTIONS.remove, { user: requester });
  const removal = await waitFor(() => threads.parentWith(/Remove.* what the failed deploy of `mnist-torch` to `second-ep` created/), { what: 'the removal request' });
  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: removal.ts }, 'approval-approve', { user: approver });
  await finalReply(removal, /removed what request/);
  expect(await stack.workers!.azureml.endpoints.find('second-ep')).toBeUndefined();
  expect(await present('kept-ep', 'kept-cluster', versions)).toEqual({ endpoint: true, cluster: true, code: true, model: true, environment: true });
}, 120_000);

it('a lock on the endpoint stops the removal: at the click, and in the worker when set while the removal waited for approval', async () => {
  stack.azureml.admin.failDeploymentProvisioning('locked-left-ep', 'mnist-torch');
  const parent = await deployApproved(stack, 'locked-left-ep', { compute_mode: 'create', compute_name: 'lk-left-cluster' });
  const final = await finalReply(parent);
  // The asset versions existed (earlier tests made the same content); the endpoint and the cluster are this request's.
  expect(textOf(final)).toContain('compute cluster `lk-left-cluster`');
  const left = async () => ({ endpoint: (await stack.workers!.azureml.endpoints.find('locked-left-ep')) !== undefined, cluster: (await stack.workers!.azureml.computes.find('lk-left-cluster')) !== undefined });
  const slash = (text: string, user: string) => stack.driver.slash(text, { user, channel: STACK_CHANNEL });

  // Locked: the click is refused privately with the lock's reason, and no removal request is made.
  await slash('lock locked-left-ep incident 4711', approver);
  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: final.ts }, LEFTOVER_ACTIONS.remove, { user: requester });
  const refused = await ephemeralTo(requester, /Deleting `locked-left-ep` is refused/);
  expect(textOf(refused)).toContain('incident 4711');
  expect(threads.parentWith(/Remove.* what the failed deploy of `mnist-torch` to `locked-left-ep` created/)).toBeUndefined();

  // Unlocked, asked, then locked again while the approver decides: the worker refuses and removes nothing.
  await slash('unlock locked-left-ep', approver);
  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: final.ts }, LEFTOVER_ACTIONS.remove, { user: requester });
  const removal = await waitFor(() => threads.parentWith(/Remove.* what the failed deploy of `mnist-torch` to `locked-left-ep` created/), { what: 'the removal request' });
  await slash('lock locked-left-ep incident 4712', approver);
  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: removal.ts }, 'approval-approve', { user: approver });
  const stopped = await finalReply(removal);
  expect(stopped.text).toMatch(/^:x: <@[A-Z0-9]+> :lock: Deleting `locked-left-ep` is refused/);
  expect(textOf(stopped)).toContain('incident 4712');
  expect(await left()).toEqual({ endpoint: true, cluster: true });

  // Once unlocked, the same button removes it all.
  await slash('unlock locked-left-ep', approver);
  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: final.ts }, LEFTOVER_ACTIONS.remove, { user: requester });
  const again = await waitFor(
    () => stack.slack.messages(STACK_CHANNEL).find((m) => isTopLevel(m) && m.ts !== removal.ts && /Remove.* what the failed deploy of `mnist-torch` to `locked-left-ep` created/.test(textOf(m))),
    { what: 'the second removal request' },
  );
  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: again.ts }, 'approval-approve', { user: approver });
  await finalReply(again, /removed what request/);
  expect(await left()).toEqual({ endpoint: false, cluster: false });
}, 120_000);
