// Several workspaces, seen from Slack, through the real Bolt receiver: a bot configured with two profiles
// (dev and prod, each bound to its own channel) refuses commands from a channel bound to neither and a
// `--workspace` the channel may not use, labels what it says with the workspace, lets only each
// workspace's own approvers decide its changes and lift its locks, and keeps each workspace's locks
// apart. Both profiles point at the one Azure ML sandbox: the rules held here are the bot's, not Azure's.
import pino from 'pino';
import { waitFor } from '../../sandbox/slack/wait-for';
import { createSlackDriver, type SlackDriver } from '../../sandbox/slack/driver';
import { getFreePort } from '../../sandbox/stack/free-port';
import { APPROVER_GROUP, STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { startBot, type BotHandle } from '../../src/bot';
import { loadConfig } from '../../src/config';
import type { TokenCredential } from '../../src/azureml/credentials';
import { startWorkers, type WorkersHandle } from '../../src/worker';
import { createThreadReader, isTopLevel, textOf } from '../support/stack-probes';
import type { StoredMessage, StoredView } from '../../sandbox/slack';
import { JOB_ACTIONS } from '../../src/slack/blocks/job-buttons';
import { deployFields } from '../support/user-gestures';

const { requester, approver: prodApprover, bystander: devApprover } = STACK_USERS;
const DEV_CHANNEL = 'C0DEVML0001';
const PROD_CHANNEL = 'C0PRODML001';
/** Bound to both: its own is dev (listed first), prod only with `--workspace prod`. */
const SHARED_CHANNEL = 'C0SHAREDML1';
/** The stack's own channel: invited, but bound to neither workspace. */
const UNBOUND_CHANNEL = STACK_CHANNEL;
/** The Azure variables a profile reads under its WORKSPACE_<NAME>_ prefix (dev/embedded-stack.ts sets them unprefixed). */
const AZURE_VARIABLES = ['AZURE_CLOUD', 'AZURE_SUBSCRIPTION_ID', 'AZURE_RESOURCE_GROUP', 'AZUREML_WORKSPACE', 'AZURE_LOCATION', 'BATCH_SCORE_ARM_ENDPOINT', 'BATCH_SCORE_STORAGE_CONNECTION_STRING'];

let stack: EmbeddedStack;
let bot: BotHandle;
let workers: WorkersHandle;
let driver: SlackDriver;
let workspaceName: string;

const label = (profile: string): string => `:label: Workspace *${profile}* · \`${workspaceName}\` · Azure`;

async function slash(text: string, user: string, channel: string): Promise<{ answer: string }> {
  const res = await driver.slash(text, { user, channel });
  expect(res.status).toBe(200);
  return { answer: JSON.stringify(res.body ?? '') };
}

/** The user's ephemerals in a channel, as text, once one contains `needle`. */
async function ephemeralWith(channel: string, user: string, needle: string): Promise<string> {
  return waitFor(() => stack.slack.ephemerals(channel, user).map(textOf).find((t) => t.includes(needle)), { what: `an ephemeral to ${user} with ${needle}`, timeoutMs: 15_000 });
}

/** The form a slash command opens. */
async function openForm(text: string, channel: string): Promise<StoredView> {
  const before = new Set(stack.slack.views().map((v) => v.id));
  await slash(text, requester, channel);
  return waitFor(() => stack.slack.views().find((v) => !before.has(v.id) && v.open), { what: `the form of ${text}` });
}

/** `/batch-score deploy` in `channel`, the form filled and submitted; returns the approval request. */
async function requestDeploy(channel: string, endpoint: string, text = 'deploy') {
  const view = await openForm(text, channel);
  const submitted = await driver.fillAndSubmit(view.id, deployFields(endpoint), { user: requester });
  expect(submitted.outcome.kind).toBe('closed');
  return waitFor(() => createThreadReader(stack.slack, channel).parentWith(endpoint), { what: `the approval request for ${endpoint}`, timeoutMs: 15_000 });
}

beforeAll(async () => {
  const logger = pino({ level: 'silent' });
  // The stack's sandboxes, Redis and Slack stand-in; its own bot stays idle (no workers, its own prefix).
  stack = await startEmbeddedStack({ logger, workers: false, perChannelIntervalMs: 20, slackRateLimit: 'count' });
  for (const [id, name] of [[DEV_CHANNEL, 'ml-dev'], [PROD_CHANNEL, 'ml-prod'], [SHARED_CHANNEL, 'ml-shared']] as const) {
    stack.slack.addConversation({ id, name });
    stack.slack.invite(id);
  }
  workspaceName = stack.env.AZUREML_WORKSPACE as string;
  const port = await getFreePort();
  const profile = (name: string, extra: Record<string, string>): Record<string, string> => ({
    ...Object.fromEntries(AZURE_VARIABLES.map((v) => [`WORKSPACE_${name}_${v}`, stack.env[v] as string])),
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`WORKSPACE_${name}_${k}`, v])),
  });
  const env: Record<string, string> = {
    ...stack.env,
    PORT: String(port),
    BATCH_SCORE_QUEUE_PREFIX: 'bsbws',
    BATCH_SCORE_WORKSPACES: 'dev,prod',
    // dev's changes are approved by its own approver; prod's by BATCH_SCORE_APPROVERS (the approvers' group).
    ...profile('DEV', { CHANNELS: `${DEV_CHANNEL},${SHARED_CHANNEL}`, APPROVERS: devApprover }),
    ...profile('PROD', { CHANNELS: `${PROD_CHANNEL},${SHARED_CHANNEL}` }),
  };
  const config = loadConfig(env);
  bot = await startBot(config, { logger });
  workers = await startWorkers(config, { logger, credential: stack.azureml.credential as TokenCredential, handleSignals: false, expirySweepMs: 1_000, poll: { minIntervalMs: 20, maxIntervalMs: 1_000 } });
  driver = createSlackDriver({ botUrl: `http://127.0.0.1:${port}/slack/events`, signingSecret: env.SLACK_SIGNING_SECRET as string, standIn: stack.slack });
}, 120_000);

afterAll(async () => {
  await workers?.close();
  await bot?.stop();
  await stack?.stop();
});

it('refuses a command from a channel bound to no workspace, and answers help there', async () => {
  const { answer } = await slash('endpoints', requester, UNBOUND_CHANNEL);
  expect(answer).toContain('ephemeral');
  expect(answer).toContain("This channel is not bound to any of the bot's workspaces");
  expect(answer).toContain('WORKSPACE_DEV_CHANNELS');
  expect(answer).not.toContain('Looking that up');

  const help = await slash('help', requester, UNBOUND_CHANNEL);
  expect(help.answer).toContain('Batch scoring bot: commands');
  expect(help.answer).not.toContain('not bound');
});

it('refuses a --workspace the channel may not use, or one that does not exist, and starts nothing', async () => {
  const views = stack.slack.views().length;
  const notHere = await slash('deploy --workspace prod', requester, DEV_CHANNEL);
  expect(notHere.answer).toContain('Workspace `prod` is not bound to this channel');
  expect(notHere.answer).toContain('This channel uses `dev`');
  expect(stack.slack.views()).toHaveLength(views);

  const unknown = await slash('endpoints --workspace staging', requester, DEV_CHANNEL);
  expect(unknown.answer).toContain('There is no workspace `staging`');
  expect(unknown.answer).not.toContain('Looking that up');
});

it('names the workspace on the acknowledgement and on the answer the workers send', async () => {
  const { answer } = await slash('endpoints', requester, DEV_CHANNEL);
  expect(answer).toContain('Looking that up');
  expect(answer).toContain(label('dev'));
  const post = await waitFor(() => stack.slack.responseUrlPosts().find((p) => p.channel === DEV_CHANNEL && p.user === requester), {
    what: 'the endpoint listing',
    timeoutMs: 15_000,
  });
  expect(JSON.stringify(post.body)).toContain(label('dev'));
  expect(JSON.stringify(post.body)).not.toContain(label('prod'));

  // The same command may name the channel's own workspace explicitly.
  expect((await slash('endpoints --workspace dev', requester, DEV_CHANNEL)).answer).toContain(label('dev'));
});

it('asks each workspace’s own approvers, labels the approval, and refuses the other workspace’s approver', async () => {
  const prod = await requestDeploy(PROD_CHANNEL, 'prod-ep');
  expect(textOf(prod)).toContain(label('prod'));
  expect(textOf(prod)).toContain(`Approvers: <!subteam^${APPROVER_GROUP}>`);

  const dev = await requestDeploy(DEV_CHANNEL, 'dev-ep');
  expect(textOf(dev)).toContain(label('dev'));
  expect(textOf(dev)).toContain(`Approvers: <@${devApprover}>`);

  // dev's approver cannot approve prod's change, nor prod's approver dev's.
  await driver.clickButton({ channel: PROD_CHANNEL, ts: prod.ts }, 'approval-approve', { user: devApprover });
  expect(await ephemeralWith(PROD_CHANNEL, devApprover, ':no_entry:')).toContain(label('prod'));
  await driver.clickButton({ channel: DEV_CHANNEL, ts: dev.ts }, 'approval-approve', { user: prodApprover });
  await ephemeralWith(DEV_CHANNEL, prodApprover, ':no_entry:');
  expect(textOf(stack.slack.message(PROD_CHANNEL, prod.ts) ?? prod)).toContain('approval-approve');
  expect(textOf(stack.slack.message(DEV_CHANNEL, dev.ts) ?? dev)).toContain('approval-approve');

  // Each workspace's own approver can.
  await driver.clickButton({ channel: PROD_CHANNEL, ts: prod.ts }, 'approval-approve', { user: prodApprover });
  expect(await ephemeralWith(PROD_CHANNEL, prodApprover, 'Approved')).toContain(label('prod'));
  await driver.clickButton({ channel: DEV_CHANNEL, ts: dev.ts }, 'approval-approve', { user: devApprover });
  expect(await ephemeralWith(DEV_CHANNEL, devApprover, 'Approved')).toContain(label('dev'));
  await waitFor(() => /Approved by/i.test(textOf(stack.slack.message(PROD_CHANNEL, prod.ts) ?? prod)) || undefined, { what: 'the prod approval marked approved' });
});

it('takes a form opened with --workspace in a channel bound to both in that workspace, and the channel’s own without', async () => {
  const prodForm = await openForm('deploy --workspace prod', SHARED_CHANNEL);
  expect(JSON.parse(prodForm.private_metadata)).toMatchObject({ channelId: SHARED_CHANNEL, profile: 'prod' });
  expect(JSON.stringify(prodForm.blocks)).toContain(JSON.stringify(label('prod')).slice(1, -1));
  const submitted = await driver.fillAndSubmit(prodForm.id, deployFields('shared-prod-ep'), { user: requester });
  expect(submitted.outcome.kind).toBe('closed');
  const prod = await waitFor(() => createThreadReader(stack.slack, SHARED_CHANNEL).parentWith('shared-prod-ep'), { what: 'the prod approval request', timeoutMs: 15_000 });
  expect(textOf(prod)).toContain(label('prod'));
  expect(textOf(prod)).toContain(`Approvers: <!subteam^${APPROVER_GROUP}>`);

  const dev = await requestDeploy(SHARED_CHANNEL, 'shared-dev-ep');
  expect(textOf(dev)).toContain(label('dev'));
  expect(textOf(dev)).toContain(`Approvers: <@${devApprover}>`);
});

it('offers the run form the endpoints of its own workspace’s directory', async () => {
  // prod's directory learns prod-ep from a look-up in prod; dev's last listing was before prod-ep existed.
  await slash('show prod-ep', requester, PROD_CHANNEL);
  await waitFor(() => stack.slack.responseUrlPosts().find((p) => p.channel === PROD_CHANNEL && JSON.stringify(p.body).includes('prod-ep')), { what: 'prod-ep shown', timeoutMs: 15_000 });
  const prodForm = await openForm('run', PROD_CHANNEL);
  expect(JSON.parse(prodForm.private_metadata)).toMatchObject({ profile: 'prod' });
  expect(JSON.stringify(prodForm.blocks)).toContain('prod-ep');
  await driver.closeView(prodForm.id, { user: requester });
  const devForm = await openForm('run', DEV_CHANNEL);
  expect(JSON.parse(devForm.private_metadata)).toMatchObject({ profile: 'dev' });
  expect(JSON.stringify(devForm.blocks)).toContain(JSON.stringify(label('dev')).slice(1, -1));
  expect(JSON.stringify(devForm.blocks)).not.toContain('prod-ep');
  await driver.closeView(devForm.id, { user: requester });
});

it('reports a run in its workspace’s words, and Re-run acts in the workspace the run was for', async () => {
  const threads = createThreadReader(stack.slack, PROD_CHANNEL);
  // The deploy approved above, finished by prod's workers, says so in prod's words.
  const deploy = await waitFor(() => threads.parentWith('prod-ep'), { what: 'the prod deploy' });
  const deployed = await waitFor(() => threads.finalReplies(deploy)[0], { what: 'the prod deploy’s final reply', timeoutMs: 60_000 });
  expect(deployed.text).toMatch(/^:white_check_mark:/);
  expect(textOf(deployed)).toContain(label('prod'));

  for (let i = 0; i < 2; i++) await stack.azureml.admin.putDatastoreFile(`ws/in/${i}.png`, Buffer.from(`digit-${i}`));
  const runs = (): StoredMessage[] => stack.slack.messages(PROD_CHANNEL).filter((m) => isTopLevel(m) && /Run\* a batch scoring job on `prod-ep`/.test(m.text));
  await slash('run prod-ep azureml://datastores/workspaceblobstore/paths/ws/in', requester, PROD_CHANNEL);
  const run = await waitFor(() => runs()[0], { what: 'the run request', timeoutMs: 15_000 });
  expect(textOf(run)).toContain(label('prod'));
  const final = await waitFor(() => threads.finalReplies(run)[0], { what: 'the run’s final reply', timeoutMs: 60_000 });
  expect(textOf(final)).toContain(label('prod'));

  await driver.clickButton({ channel: PROD_CHANNEL, ts: final.ts }, JOB_ACTIONS.rerun, { user: requester });
  expect(await ephemeralWith(PROD_CHANNEL, requester, 'Checking request')).toContain(label('prod'));
  const again = await waitFor(() => runs().find((m) => m.ts !== run.ts), { what: 'the re-run request', timeoutMs: 15_000 });
  expect(textOf(again)).toContain(label('prod'));
  expect(textOf(again)).not.toContain(label('dev'));
});

it('keeps each workspace’s locks apart, and lets only that workspace’s approvers lift them', async () => {
  const devLock = await slash('lock shared-ep dev freeze', prodApprover, DEV_CHANNEL);
  expect(devLock.answer).toContain('in_channel');
  expect(devLock.answer).toContain(label('dev'));
  // The same endpoint name in prod is another endpoint: not locked by dev's lock.
  const prodLock = await slash('lock shared-ep prod freeze', prodApprover, PROD_CHANNEL);
  expect(prodLock.answer).toContain('in_channel');
  expect(prodLock.answer).not.toContain('already locked');

  // dev's approver may unlock in dev, not in prod.
  expect((await slash('unlock shared-ep', devApprover, PROD_CHANNEL)).answer).toContain('Only approvers can unlock');
  expect((await slash('unlock shared-ep', devApprover, DEV_CHANNEL)).answer).toContain(`<@${devApprover}> unlocked`);
  expect((await slash('unlock shared-ep', prodApprover, PROD_CHANNEL)).answer).toContain(`<@${prodApprover}> unlocked`);
});

it('shows each workspace’s endpoints under its label on the Home tab', async () => {
  const res = await driver.openAppHome({ user: requester });
  expect(res.status).toBe(200);
  const home = await waitFor(
    () => {
      const text = JSON.stringify(stack.slack.homeTab(requester)?.blocks ?? []);
      return text.includes('Workspace *dev*') ? text : undefined;
    },
    { what: 'the Home tab', timeoutMs: 15_000 },
  );
  expect(home).toContain(JSON.stringify(label('dev')).slice(1, -1));
  expect(home).toContain(JSON.stringify(label('prod')).slice(1, -1));

  // Each approver is offered the pending changes of their own workspace only (both wait in the shared channel).
  for (const [approver, own, other] of [
    [devApprover, 'shared-dev-ep', 'shared-prod-ep'],
    [prodApprover, 'shared-prod-ep', 'shared-dev-ep'],
  ] as const) {
    await driver.openAppHome({ user: approver });
    const tab = await waitFor(
      () => {
        const text = JSON.stringify(stack.slack.homeTab(approver)?.blocks ?? []);
        return text.includes(own) ? text : undefined;
      },
      { what: `${approver}'s Home tab`, timeoutMs: 15_000 },
    );
    expect(tab).not.toContain(other);
  }
});
