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
import { createThreadReader, textOf } from '../support/stack-probes';
import { deployFields } from '../support/user-gestures';

const { requester, approver: prodApprover, bystander: devApprover } = STACK_USERS;
const DEV_CHANNEL = 'C0DEVML0001';
const PROD_CHANNEL = 'C0PRODML001';
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

/** `/batch-score deploy` in `channel`, the form filled and submitted; returns the approval request. */
async function requestDeploy(channel: string, endpoint: string) {
  const before = new Set(stack.slack.views().map((v) => v.id));
  await slash('deploy', requester, channel);
  const view = await waitFor(() => stack.slack.views().find((v) => !before.has(v.id) && v.open), { what: 'the deploy form' });
  const submitted = await driver.fillAndSubmit(view.id, deployFields(endpoint), { user: requester });
  expect(submitted.outcome.kind).toBe('closed');
  return waitFor(() => createThreadReader(stack.slack, channel).parentWith(endpoint), { what: `the approval request for ${endpoint}`, timeoutMs: 15_000 });
}

beforeAll(async () => {
  const logger = pino({ level: 'silent' });
  // The stack's sandboxes, Redis and Slack stand-in; its own bot stays idle (no workers, its own prefix).
  stack = await startEmbeddedStack({ logger, workers: false, perChannelIntervalMs: 20, slackRateLimit: 'count' });
  for (const [id, name] of [[DEV_CHANNEL, 'ml-dev'], [PROD_CHANNEL, 'ml-prod']] as const) {
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
    ...profile('DEV', { CHANNELS: DEV_CHANNEL, APPROVERS: devApprover }),
    ...profile('PROD', { CHANNELS: PROD_CHANNEL }),
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
});
