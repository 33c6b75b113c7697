// The Slack stand-in and driver against the real clients: @slack/web-api's WebClient calls the
// stand-in, a real Bolt App behind its HTTPReceiver receives the driver's signed requests, and every
// response is checked against Slack's OpenAPI spec (../shared/slack/slack_web_openapi_v2.json).
import path from 'node:path';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { ErrorCode, WebClient, type Logger, type WebAPIPlatformError } from '@slack/web-api';
import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { startSlackStandIn, type SlackStandIn } from '../../sandbox/slack';
import { createSlackDriver, SlackDriverError, type SlackDriver } from '../../sandbox/slack/driver';
import { renderMessage, renderView } from '../../sandbox/slack/render-text';
import { getFreePort } from '../../sandbox/stack/free-port';

const OPS = 'C0MLOPS0001';
const LOCKED = 'C0LOCKED001';
const PACING = 'C0PACING001';
const BURST = 20;
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const SIGNING_SECRET = 'sandbox-signing-secret';

// ---- Slack's own contract -------------------------------------------------------------------------
interface SpecOperation {
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, { schema?: { properties?: { error?: { enum?: string[] } } } }>;
}
const spec = JSON.parse(readFileSync(path.resolve(__dirname, '../../../shared/slack/slack_web_openapi_v2.json'), 'utf8')) as {
  paths: Record<string, Record<string, SpecOperation>>;
  definitions: Record<string, unknown>;
};
const operation = (method: string): SpecOperation => {
  const path = spec.paths[`/${method}`];
  const op = path && Object.values(path)[0];
  if (!op) throw new Error(`the spec has no operation ${method}`);
  return op;
};
const ajv = new Ajv({ schemaId: 'auto', unknownFormats: 'ignore', allErrors: true });
ajv.addSchema({ definitions: spec.definitions }, 'slack-spec');
const withSpecRefs = (schema: unknown) => JSON.parse(JSON.stringify(schema).replace(/"#\/definitions\//g, '"slack-spec#/definitions/'));
// Fields Slack sends today that the 2021 spec's closed schemas predate; @slack/web-api's response types
// (ChatPostMessageResponseMessage.app_id, …) have them, and the README says to prefer the types.
const NEWER_THAN_SPEC = new Set(['app_id']);
function expectSpecValid(method: string, result: unknown): void {
  // WebClient adds response_metadata.scopes from the x-oauth-scopes header; it is not in Slack's body.
  const { response_metadata: _added, ...body } = result as Record<string, unknown>;
  const validate = ajv.compile(withSpecRefs(operation(method).responses['200']?.schema));
  validate(body);
  const errors = (validate.errors ?? []).filter(
    (e) => !(e.keyword === 'additionalProperties' && NEWER_THAN_SPEC.has((e.params as { additionalProperty: string }).additionalProperty)),
  );
  expect({ method, errors }).toEqual({ method, errors: [] });
}
// Errors Slack documents for these methods (docs.slack.dev/reference/methods/<method>, "Errors") that
// the spec's 2021 snapshot does not list. Kept short on purpose: anything else must come from the spec.
const DOCUMENTED_AFTER_SPEC: Record<string, string[]> = {
  'chat.postMessage': ['invalid_blocks', 'invalid_blocks_format'],
  'chat.update': ['invalid_blocks', 'invalid_blocks_format'],
  'chat.postEphemeral': ['invalid_blocks', 'invalid_blocks_format'],
  'usergroups.users.list': ['no_such_subteam'],
  // views.*: the spec only has a generic error template; these are the documented codes.
  'views.open': ['invalid_arguments', 'expired_trigger_id', 'exchanged_trigger_id', 'invalid_trigger_id', 'view_too_large', 'duplicate_external_id', 'invalid_auth', 'not_authed'],
  'views.push': ['invalid_arguments', 'expired_trigger_id', 'exchanged_trigger_id', 'invalid_trigger_id', 'push_limit_reached', 'not_found', 'invalid_auth', 'not_authed'],
  'views.update': ['invalid_arguments', 'not_found', 'hash_conflict', 'invalid_auth', 'not_authed'],
};
const allowedErrors = (method: string) => [
  ...(operation(method).responses.default?.schema?.properties?.error?.enum ?? []),
  ...(DOCUMENTED_AFTER_SPEC[method] ?? []),
];

// WebClient logs Slack's response_metadata messages at error level; the rejections here are expected.
const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

// ---- the stack under test ---------------------------------------------------------------------------
let clock = 0; // added to the real time: lets a test jump past trigger_id and response_url lifetimes
let standIn: SlackStandIn;
let client: WebClient;
let app: App;
let driver: SlackDriver;
const seen: { commands: unknown[]; actions: unknown[]; submissions: unknown[]; closed: unknown[] } = {
  commands: [],
  actions: [],
  submissions: [],
  closed: [],
};

const deployModal = (metadata = 'req-1') => ({
  type: 'modal' as const,
  callback_id: 'deploy_modal',
  private_metadata: metadata,
  notify_on_close: true,
  title: { type: 'plain_text' as const, text: 'Deploy a model' },
  submit: { type: 'plain_text' as const, text: 'Deploy' },
  blocks: [
    {
      type: 'input',
      block_id: 'endpoint',
      label: { type: 'plain_text', text: 'Endpoint name' },
      element: { type: 'plain_text_input', action_id: 'value' },
    },
    {
      type: 'input',
      block_id: 'compute',
      label: { type: 'plain_text', text: 'Compute' },
      element: {
        type: 'static_select',
        action_id: 'choice',
        options: [
          { text: { type: 'plain_text', text: 'CPU cluster' }, value: 'cpu-cluster' },
          { text: { type: 'plain_text', text: 'GPU cluster' }, value: 'gpu-cluster' },
        ],
      },
    },
    {
      type: 'input',
      block_id: 'notify',
      optional: true,
      label: { type: 'plain_text', text: 'Notify me' },
      element: { type: 'checkboxes', action_id: 'on', options: [{ text: { type: 'plain_text', text: 'yes' }, value: 'yes' }] },
    },
  ],
});

const approvalBlocks = [
  { type: 'header', text: { type: 'plain_text', text: 'Deployment request' } },
  { type: 'section', text: { type: 'mrkdwn', text: '<@U0ALICE001> wants to deploy `fraud-model:3` &amp; run a job' } },
  {
    type: 'actions',
    block_id: 'decide',
    elements: [
      { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, value: 'req-42', style: 'primary' },
      { type: 'button', action_id: 'reject', text: { type: 'plain_text', text: 'Reject' }, value: 'req-42', style: 'danger' },
    ],
  },
];

function platformError(error: unknown): { code: string; messages?: string[] } {
  const e = error as WebAPIPlatformError;
  expect(e.code).toBe(ErrorCode.PlatformError);
  return { code: e.data.error, messages: e.data.response_metadata?.messages };
}

beforeAll(async () => {
  standIn = await startSlackStandIn({
    now: () => Date.now() + clock,
    channels: [
      { id: OPS, name: 'ml-ops', members: [ALICE, BOB, 'U0CAROL001'], botIsMember: true },
      { id: 'C0GENERAL01', name: 'general', botIsMember: true },
      { id: LOCKED, name: 'locked' },
      { id: PACING, name: 'pacing', botIsMember: true },
    ],
    rateLimit: { mode: 'enforce', perSecond: 1, burst: BURST },
  });
  client = new WebClient(standIn.botToken, {
    slackApiUrl: standIn.apiUrl,
    logger: quiet,
    retryConfig: { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 20 },
  });

  const port = await getFreePort();
  const receiver = new HTTPReceiver({ signingSecret: SIGNING_SECRET, endpoints: '/slack/events' });
  app = new App({ token: standIn.botToken, receiver, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: standIn.apiUrl } });
  app.command('/batch-score', async ({ ack, command, client: c }) => {
    seen.commands.push(command);
    if (command.text.startsWith('deploy')) {
      await ack();
      await c.views.open({ trigger_id: command.trigger_id, view: deployModal() });
    } else {
      await ack({ response_type: 'ephemeral', text: `Usage: /batch-score deploy | run (you said "${command.text}")` });
    }
  });
  app.action('approve', async ({ ack, body, respond }) => {
    seen.actions.push(body);
    await ack();
    await respond({ replace_original: true, text: 'Approved by <@U0BOB00001>' });
  });
  app.view('deploy_modal', async ({ ack, view, body }) => {
    seen.submissions.push(body);
    const endpoint = view.state.values.endpoint?.value?.value ?? '';
    if (!/^[a-z][a-z0-9-]{2,31}$/.test(endpoint)) {
      await ack({ response_action: 'errors', errors: { endpoint: 'Use 3-32 lowercase letters, digits and dashes.' } });
      return;
    }
    await ack();
  });
  app.view({ callback_id: 'deploy_modal', type: 'view_closed' }, async ({ ack, body }) => {
    seen.closed.push(body);
    await ack();
  });
  await app.start(port);
  driver = createSlackDriver({
    botUrl: `http://127.0.0.1:${port}/slack/events`,
    signingSecret: SIGNING_SECRET,
    standIn,
    now: () => Date.now(),
  });
});

afterAll(async () => {
  await app?.stop();
  await standIn?.stop();
});

beforeEach(() => standIn.faults.clear());

// ---- Web API through the real WebClient ------------------------------------------------------------
describe('the Web API stand-in, called by @slack/web-api', () => {
  test('auth.test names the bot and its team, as the spec shapes it', async () => {
    const res = await client.auth.test();
    expect(res).toMatchObject({ ok: true, user_id: standIn.botUserId, team_id: standIn.teamId, bot_id: standIn.botId });
    expectSpecValid('auth.test', res);
  });

  test('posts a message with Block Kit, ts unique and increasing, spec-shaped response', async () => {
    const a = await client.chat.postMessage({ channel: 'C0GENERAL01', text: 'first', blocks: approvalBlocks });
    const b = await client.chat.postMessage({ channel: 'C0GENERAL01', text: 'second' });
    expect(a.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(b.ts)).toBeGreaterThan(Number(a.ts));
    expectSpecValid('chat.postMessage', a);
    const stored = standIn.messages('C0GENERAL01').map((m) => m.text);
    expect(stored.slice(-2)).toEqual(['first', 'second']);
    // blocks arrive form-encoded as JSON, exactly as WebClient sends them, and come back as given
    expect(standIn.message('C0GENERAL01', a.ts ?? '')?.blocks?.[2]).toMatchObject({ block_id: 'decide' });
  });

  test('replies in a thread; a reply to a reply joins the parent thread', async () => {
    const parent = await client.chat.postMessage({ channel: 'C0GENERAL01', text: 'Run job-1 started' });
    const reply = await client.chat.postMessage({ channel: 'C0GENERAL01', text: 'step 1 done', thread_ts: parent.ts });
    await client.chat.postMessage({ channel: 'C0GENERAL01', text: 'step 2 done', thread_ts: reply.ts });
    expect(standIn.thread('C0GENERAL01', parent.ts ?? '').map((m) => m.text)).toEqual(['Run job-1 started', 'step 1 done', 'step 2 done']);
    expect(standIn.messages('C0GENERAL01').map((m) => m.text)).not.toContain('step 1 done');
    expect(reply.message?.thread_ts).toBe(parent.ts);
  });

  test('updates a message in place and refuses one that does not exist', async () => {
    const posted = await client.chat.postMessage({ channel: 'C0GENERAL01', text: 'Deploying…' });
    const updated = await client.chat.update({ channel: 'C0GENERAL01', ts: posted.ts ?? '', text: 'Deployed' });
    expect(updated).toMatchObject({ ok: true, ts: posted.ts, text: 'Deployed' });
    expectSpecValid('chat.update', updated);
    expect(standIn.message('C0GENERAL01', posted.ts ?? '')).toMatchObject({ text: 'Deployed', edited: expect.anything() });
    await expect(client.chat.update({ channel: 'C0GENERAL01', ts: '1111111111.000001', text: 'x' }).catch(platformError)).resolves.toEqual(
      expect.objectContaining({ code: 'message_not_found' }),
    );
  });

  test('posts ephemerals only to channel members, deletes, and gives permalinks', async () => {
    const eph = await client.chat.postEphemeral({ channel: OPS, user: ALICE, text: 'only you' });
    expectSpecValid('chat.postEphemeral', { ok: eph.ok, message_ts: eph.message_ts });
    expect(standIn.ephemerals(OPS, ALICE).map((m) => m.text)).toContain('only you');
    await expect(client.chat.postEphemeral({ channel: OPS, user: 'U0NOBODY01', text: 'x' }).catch(platformError)).resolves.toMatchObject({
      code: 'user_not_in_channel',
    });
    const posted = await client.chat.postMessage({ channel: 'C0GENERAL01', text: 'temporary' });
    const link = await client.chat.getPermalink({ channel: 'C0GENERAL01', message_ts: posted.ts ?? '' });
    expectSpecValid('chat.getPermalink', { ok: link.ok, channel: link.channel, permalink: link.permalink });
    const deleted = await client.chat.delete({ channel: 'C0GENERAL01', ts: posted.ts ?? '' });
    expectSpecValid('chat.delete', { ok: deleted.ok, channel: deleted.channel, ts: deleted.ts });
    expect(standIn.messages('C0GENERAL01').map((m) => m.ts)).not.toContain(posted.ts);
  });

  test('looks up conversations, users and user groups', async () => {
    const info = await client.conversations.info({ channel: OPS });
    expect(info.channel).toMatchObject({ id: OPS, name: 'ml-ops', is_channel: true });
    expectSpecValid('conversations.info', { ok: info.ok, channel: info.channel });
    const user = await client.users.info({ user: ALICE });
    expect(user.user).toMatchObject({ id: ALICE, name: 'alice' });
    expectSpecValid('users.info', { ok: user.ok, user: user.user });
    const group = await client.usergroups.users.list({ usergroup: 'S0APPROVER1' });
    expect(group.users).toEqual(['U0CAROL001']);
    expectSpecValid('usergroups.users.list', { ok: group.ok, users: group.users });
    await expect(client.users.info({ user: 'U0NOBODY01' }).catch(platformError)).resolves.toMatchObject({ code: 'user_not_found' });
    await expect(client.usergroups.users.list({ usergroup: 'S0NOGROUP1' }).catch(platformError)).resolves.toMatchObject({ code: 'no_such_subteam' });
  });

  test('chat.update without blocks keeps the previous blocks; an empty array removes them', async () => {
    const posted = await client.chat.postMessage({ channel: 'C0GENERAL01', text: 'Approve?', blocks: approvalBlocks });
    await client.chat.update({ channel: 'C0GENERAL01', ts: posted.ts ?? '', text: 'Approved' });
    expect(standIn.message('C0GENERAL01', posted.ts ?? '')).toMatchObject({ text: 'Approved', blocks: expect.arrayContaining([expect.objectContaining({ block_id: 'decide' })]) });
    await client.chat.update({ channel: 'C0GENERAL01', ts: posted.ts ?? '', text: 'Approved', blocks: [] });
    expect(standIn.message('C0GENERAL01', posted.ts ?? '')?.blocks).toBeUndefined();
  });

  test('answers from the bot’s point of view where it is not a member, as Slack does', async () => {
    const people = [ALICE, BOB];
    standIn.addConversation({ id: 'G0PRIVATE01', name: 'secret', type: 'private_channel', members: people });
    standIn.addConversation({ id: 'D0ALICEBOB1', name: 'alice-bob', type: 'im', members: people });
    standIn.addConversation({ id: 'G0MPDMAB001', name: 'mpdm-alice--bob-1', type: 'mpim', members: people });
    standIn.addConversation({ id: 'D0ALICEBOT1', name: 'alice-bot', type: 'im', members: [ALICE, standIn.botUserId] });
    standIn.addConversation({ id: 'C0ARCHIVE01', name: 'old', botIsMember: true, isArchived: true });
    const post = (channel: string) => client.chat.postMessage({ channel, text: 'x' }).catch(platformError);
    const info = (channel: string) => client.conversations.info({ channel }).catch(platformError);
    // Public channel without the bot: visible, is_member false, posting refused with not_in_channel.
    await expect(post(LOCKED)).resolves.toMatchObject({ code: 'not_in_channel' });
    const locked = await client.conversations.info({ channel: LOCKED });
    expect(locked.channel).toMatchObject({ is_channel: true, is_member: false });
    expectSpecValid('conversations.info', { ok: locked.ok, channel: locked.channel });
    // Private conversations without the bot do not exist for it.
    for (const hidden of ['G0PRIVATE01', 'D0ALICEBOB1', 'G0MPDMAB001']) {
      await expect(post(hidden)).resolves.toMatchObject({ code: 'channel_not_found' });
      await expect(info(hidden)).resolves.toMatchObject({ code: 'channel_not_found' });
    }
    await expect(post('C0ARCHIVE01')).resolves.toMatchObject({ code: 'is_archived' });
    expect((await client.conversations.info({ channel: 'C0ARCHIVE01' })).channel).toMatchObject({ is_archived: true });
    // The bot's own DM with a person: an IM object (the other party in `user`, no is_member), postable.
    const dm = await client.conversations.info({ channel: 'D0ALICEBOT1' });
    expect(dm.channel).toMatchObject({ id: 'D0ALICEBOT1', is_im: true, user: ALICE });
    expect(dm.channel).not.toHaveProperty('is_member');
    expectSpecValid('conversations.info', { ok: dm.ok, channel: dm.channel });
    await expect(client.chat.postMessage({ channel: 'D0ALICEBOT1', text: 'hi' })).resolves.toMatchObject({ ok: true });
    // After /invite the private channel exists for the bot.
    standIn.invite('G0PRIVATE01');
    await expect(client.chat.postMessage({ channel: 'G0PRIVATE01', text: 'hello' })).resolves.toMatchObject({ ok: true });
    expect((await client.conversations.info({ channel: 'G0PRIVATE01' })).channel).toMatchObject({ is_group: true, is_private: true, is_member: true });
    standIn.removeBot('G0PRIVATE01');
    await expect(post('G0PRIVATE01')).resolves.toMatchObject({ code: 'channel_not_found' });
  });

  test('sends a slash command from any conversation, with the channel_name Slack sends', async () => {
    standIn.addConversation({ id: 'D0ALICEBOB2', name: 'alice-bob-2', type: 'im', members: [ALICE, BOB] });
    await driver.slash('status', { user: ALICE, channel: 'D0ALICEBOB2' });
    expect(seen.commands.at(-1)).toMatchObject({ channel_id: 'D0ALICEBOB2', channel_name: 'directmessage' });
    standIn.addConversation({ id: 'G0MPDMAB002', name: 'mpdm-alice--bob-2', type: 'mpim', members: [ALICE, BOB] });
    await driver.slash('status', { user: ALICE, channel: 'G0MPDMAB002' });
    expect(seen.commands.at(-1)).toMatchObject({ channel_id: 'G0MPDMAB002', channel_name: 'mpdm-alice--bob-2' });
  });

  test('rejects what Slack rejects', async () => {
    const attempt = (args: Parameters<WebClient['chat']['postMessage']>[0]) => client.chat.postMessage(args).catch(platformError);
    const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
    const divider = { type: 'divider' };
    await expect(attempt({ channel: 'C0NOSUCH001', text: 'x' })).resolves.toMatchObject({ code: 'channel_not_found' });
    await expect(attempt({ channel: LOCKED, text: 'x' })).resolves.toMatchObject({ code: 'not_in_channel' });
    await expect(attempt({ channel: OPS, text: '' })).resolves.toMatchObject({ code: 'no_text' });
    await expect(attempt({ channel: OPS, text: 'x', blocks: Array.from({ length: 51 }, () => divider) })).resolves.toMatchObject({
      code: 'invalid_blocks',
    });
    const long = await attempt({ channel: OPS, text: 'x', blocks: [section('a'.repeat(3001))] });
    expect(long).toMatchObject({ code: 'invalid_blocks', messages: ['[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]'] });
    await expect(attempt({ channel: OPS, text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] })).resolves.toMatchObject({
      code: 'invalid_blocks',
    });
    const longButton = [{ type: 'actions', elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'b'.repeat(76) } }] }];
    await expect(attempt({ channel: OPS, text: 'x', blocks: longButton })).resolves.toMatchObject({ code: 'invalid_blocks' });
    // 50 blocks and exactly-at-limit texts are fine
    await expect(client.chat.postMessage({ channel: 'C0GENERAL01', text: 'x', blocks: [section('a'.repeat(3000)), ...Array.from({ length: 49 }, () => divider)] })).resolves.toMatchObject({ ok: true });
  });

  test('refuses a missing or wrong token', async () => {
    const wrong = new WebClient('xoxb-not-the-token', { slackApiUrl: standIn.apiUrl, logLevel: LogLevel.ERROR });
    await expect(wrong.chat.postMessage({ channel: OPS, text: 'x' }).catch(platformError)).resolves.toMatchObject({ code: 'invalid_auth' });
    const none = new WebClient(undefined, { slackApiUrl: standIn.apiUrl, logLevel: LogLevel.ERROR });
    await expect(none.auth.test().catch(platformError)).resolves.toMatchObject({ code: 'not_authed' });
    // Slack also takes JSON bodies with a bearer token, and a form `token` argument
    const json = await fetch(`${standIn.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${standIn.botToken}` },
      body: JSON.stringify({ channel: 'C0GENERAL01', text: 'as JSON', blocks: [{ type: 'divider' }] }),
    });
    expect(await json.json()).toMatchObject({ ok: true, message: { text: 'as JSON' } });
    const form = await fetch(`${standIn.apiUrl}auth.test`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: standIn.botToken }).toString(),
    });
    expect(await form.json()).toMatchObject({ ok: true });
    const jsonToken = await fetch(`${standIn.apiUrl}auth.test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: standIn.botToken }),
    });
    expect(await jsonToken.json()).toEqual({ ok: false, error: 'not_authed' });
    expect(JSON.stringify(standIn.callLog)).not.toContain('xoxb-not-the-token');
    expect(JSON.stringify(standIn.callLog)).not.toContain(standIn.botToken);
  });

  test('answers 429 with Retry-After and WebClient retries after it', async () => {
    standIn.faults.next('chat.postMessage', 1, { status: 429, retryAfterSec: 1 });
    const started = Date.now();
    const res = await client.chat.postMessage({ channel: 'C0GENERAL01', text: 'after the throttle' });
    expect(res.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const calls = standIn.callLog.filter((c) => c.method === 'chat.postMessage').slice(-2);
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
  });

  test('a 500 is retried by WebClient, and a Slack error code on demand reaches the caller', async () => {
    standIn.faults.next('chat.postMessage', 1, { status: 500 });
    await expect(client.chat.postMessage({ channel: 'C0GENERAL01', text: 'after a 500' })).resolves.toMatchObject({ ok: true });
    standIn.faults.next('*', 1, { error: 'fatal_error' });
    await expect(client.auth.test().catch(platformError)).resolves.toMatchObject({ code: 'fatal_error' });
  });

  test('paces chat.postMessage per channel: a burst passes, the next post gets 429 and counts as a breach', async () => {
    const paced = new WebClient(standIn.botToken, { slackApiUrl: standIn.apiUrl, logLevel: LogLevel.ERROR, rejectRateLimitedCalls: true });
    const breaches = standIn.rateBreaches();
    const results = [];
    for (let i = 0; i <= BURST; i += 1) {
      results.push(await paced.chat.postMessage({ channel: PACING, text: `burst ${i}` }).then(() => 'ok', (e: { code: string }) => e.code));
    }
    expect(results).toEqual([...Array.from({ length: BURST }, () => 'ok'), ErrorCode.RateLimitedError]);
    expect(standIn.rateBreaches()).toBe(breaches + 1);
    // another channel has its own allowance
    await expect(paced.chat.postMessage({ channel: ALICE, text: 'elsewhere (a DM)' })).resolves.toMatchObject({ ok: true });
  });
});

describe('modals through the Web API', () => {
  test('opens a view with a fresh trigger, once; an old or unknown trigger is refused', async () => {
    const trigger = standIn.issueTriggerId(ALICE);
    const opened = await client.views.open({ trigger_id: trigger, view: deployModal() });
    expect(opened.view).toMatchObject({ type: 'modal', callback_id: 'deploy_modal', private_metadata: 'req-1', root_view_id: opened.view?.id });
    await expect(client.views.open({ trigger_id: trigger, view: deployModal() }).catch(platformError)).resolves.toMatchObject({ code: 'exchanged_trigger_id' });
    await expect(client.views.open({ trigger_id: 'nonsense', view: deployModal() }).catch(platformError)).resolves.toMatchObject({ code: 'invalid_trigger_id' });
    const stale = standIn.issueTriggerId(ALICE);
    clock += 3_001;
    try {
      await expect(client.views.open({ trigger_id: stale, view: deployModal() }).catch(platformError)).resolves.toMatchObject({ code: 'expired_trigger_id' });
    } finally {
      clock -= 3_001;
    }
  });

  test('updates with a hash, pushes, and refuses invalid views', async () => {
    const opened = await client.views.open({ trigger_id: standIn.issueTriggerId(ALICE), view: deployModal() });
    const id = opened.view?.id ?? '';
    const updated = await client.views.update({ view_id: id, hash: opened.view?.hash, view: deployModal('req-2') });
    expect(updated.view).toMatchObject({ id, private_metadata: 'req-2' });
    await expect(client.views.update({ view_id: id, hash: opened.view?.hash, view: deployModal() }).catch(platformError)).resolves.toMatchObject({
      code: 'hash_conflict',
    });
    const pushed = await client.views.push({ trigger_id: standIn.issueTriggerId(ALICE), view: deployModal('step-2') });
    expect(pushed.view).toMatchObject({ previous_view_id: id, root_view_id: id });
    const tooMany = { ...deployModal(), blocks: Array.from({ length: 101 }, () => ({ type: 'divider' })) };
    const refused = await client.views.open({ trigger_id: standIn.issueTriggerId(ALICE), view: tooMany }).catch(platformError);
    expect(refused).toMatchObject({ code: 'invalid_arguments', messages: ['[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]'] });
    const longTitle = { ...deployModal(), title: { type: 'plain_text' as const, text: 't'.repeat(25) } };
    await expect(client.views.open({ trigger_id: standIn.issueTriggerId(ALICE), view: longTitle }).catch(platformError)).resolves.toMatchObject({
      code: 'invalid_arguments',
    });
  });
});

// ---- the driver against a real Bolt receiver -------------------------------------------------------
describe('the signed driver against Bolt HTTPReceiver', () => {
  test('a slash command reaches Bolt with every field Slack sends, and its ack reply shows as ephemeral', async () => {
    const res = await driver.slash('help', { user: ALICE, channel: OPS });
    expect(res.status).toBe(200);
    const command = seen.commands.at(-1) as Record<string, string>;
    expect(Object.keys(command)).toEqual([
      'token', 'team_id', 'team_domain', 'channel_id', 'channel_name', 'user_id', 'user_name', 'command', 'text',
      'api_app_id', 'is_enterprise_install', 'response_url', 'trigger_id',
    ]);
    expect(command).toMatchObject({ command: '/batch-score', text: 'help', user_id: ALICE, channel_id: OPS, team_id: standIn.teamId });
    const reply = standIn.ephemerals(OPS, ALICE).at(-1);
    expect(reply?.text).toBe('Usage: /batch-score deploy | run (you said "help")');
    expect(reply).toMatchObject({ via: 'ack', responseType: 'ephemeral' });
  });

  test('a slash command opens a modal; fillAndSubmit gets inline errors, then closes it', async () => {
    await driver.slash('deploy fraud-model:3', { user: ALICE, channel: OPS });
    const view = await driver.waitFor(() => standIn.views().find((v) => v.open && v.user === ALICE && v.private_metadata === 'req-1'), {
      what: 'the deploy modal to open for alice',
    });
    const bad = await driver.fillAndSubmit(view.id, { 'Endpoint name': 'Bad Name!', compute: 'GPU cluster' }, { user: ALICE });
    expect(bad.body).toEqual({ response_action: 'errors', errors: { endpoint: 'Use 3-32 lowercase letters, digits and dashes.' } });
    expect(bad.outcome.kind).toBe('errors');
    expect(standIn.view(view.id)).toMatchObject({ open: true, errors: { endpoint: expect.any(String) } });
    const submission = seen.submissions.at(-1) as { view: { state: { values: unknown }; private_metadata: string; callback_id: string } };
    expect(submission.view).toMatchObject({ private_metadata: 'req-1', callback_id: 'deploy_modal' });
    expect(submission.view.state.values).toEqual({
      endpoint: { value: { type: 'plain_text_input', value: 'Bad Name!' } },
      compute: { choice: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'GPU cluster' }, value: 'gpu-cluster' } } },
      notify: { on: { type: 'checkboxes', selected_options: [] } },
    });
    const good = await driver.fillAndSubmit(view.id, { endpoint: 'fraud-endpoint', choice: 'cpu-cluster', notify: true }, { user: ALICE });
    expect(good.outcome.kind).toBe('closed');
    expect(standIn.view(view.id)?.open).toBe(false);
    expect(renderView(view)).toContain('1. Endpoint name: ____ (endpoint)');
  });

  test('the driver will not submit a modal with an empty required input, as Slack\'s client will not', async () => {
    const opened = await client.views.open({ trigger_id: standIn.issueTriggerId(BOB), view: deployModal() });
    await expect(driver.fillAndSubmit(opened.view?.id ?? '', { endpoint: 'x-endpoint' }, { user: BOB })).rejects.toMatchObject({
      code: 'required_input_missing',
    });
    await expect(driver.fillAndSubmit(opened.view?.id ?? '', { endpoint: 'x', compute: 'TPU' }, { user: BOB })).rejects.toBeInstanceOf(SlackDriverError);
    const closed = await driver.closeView(opened.view?.id ?? '', { user: BOB });
    expect(closed?.status).toBe(200);
    expect(seen.closed.at(-1)).toMatchObject({ type: 'view_closed', view: { id: opened.view?.id }, user: { id: BOB } });
  });

  test('a button click carries the stored message and its action; respond() replaces the original', async () => {
    const posted = await client.chat.postMessage({ channel: OPS, text: 'Approve deployment?', blocks: approvalBlocks });
    const res = await driver.clickButton({ channel: OPS, ts: posted.ts ?? '' }, 'approve', { user: BOB });
    expect(res.status).toBe(200);
    const action = seen.actions.at(-1) as Record<string, unknown>;
    expect(action).toMatchObject({
      type: 'block_actions',
      user: { id: BOB, username: 'bob' },
      container: { type: 'message', message_ts: posted.ts, channel_id: OPS, is_ephemeral: false },
      channel: { id: OPS, name: 'ml-ops' },
      message: { ts: posted.ts, text: 'Approve deployment?', bot_id: standIn.botId },
      actions: [{ type: 'button', action_id: 'approve', block_id: 'decide', value: 'req-42', text: { text: 'Approve' } }],
    });
    const replaced = await driver.waitFor(() => standIn.message(OPS, posted.ts ?? '')?.text === 'Approved by <@U0BOB00001>' && standIn.message(OPS, posted.ts ?? ''), {
      what: 'the approval message to be replaced',
    });
    expect(renderMessage(replaced, { users: { U0BOB00001: 'bob', [standIn.botUserId]: 'batch-score-bot' } })).toBe('batch-score-bot (edited):\nApproved by @bob');
    await expect(driver.clickButton({ channel: OPS, ts: posted.ts ?? '' }, 'nope', { user: BOB })).rejects.toMatchObject({ code: 'action_not_found' });
  });

  test('sends the typed text as Slack does: &, <, > escaped and links wrapped', async () => {
    await driver.slash('run ep https://acct.example.com/in/data.csv?x=1&y=%2F <b> & www.example.com', { user: ALICE, channel: OPS });
    const command = seen.commands.at(-1) as Record<string, string>;
    expect(command.text).toBe('run ep <https://acct.example.com/in/data.csv?x=1&amp;y=%2F> &lt;b&gt; &amp; <http://www.example.com|www.example.com>');
    await driver.slash('a&amp;b', { user: ALICE, channel: OPS, raw: true });
    expect((seen.commands.at(-1) as Record<string, string>).text).toBe('a&amp;b');
  });

  test('Bolt refuses requests signed with the wrong secret, stale, or tampered with', async () => {
    const body = 'token=t&team_id=T0SANDBOX01&command=%2Fbatch-score&text=help';
    const before = seen.commands.length;
    const wrongSecret = await driver.postRaw(body, driver.signed(body, { secret: 'not-the-secret' }).headers);
    const stale = await driver.postRaw(body, driver.signed(body, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }).headers);
    const tampered = await driver.postRaw(`${body}x`, driver.signed(body).headers);
    expect([wrongSecret.status, stale.status, tampered.status]).toEqual([401, 401, 401]);
    expect(seen.commands.length).toBe(before);
  });
});

describe('every method\'s rate tier, and a token Slack stops accepting', () => {
  let own: SlackStandIn;
  let ownClient: WebClient;
  beforeAll(async () => {
    // A stopped clock: no allowance comes back while the test runs, however slowly the machine runs it.
    const frozen = Date.now();
    own = await startSlackStandIn({ channels: [{ id: OPS, name: 'ml-ops', botIsMember: true }], now: () => frozen });
    ownClient = new WebClient(own.botToken, { slackApiUrl: own.apiUrl, logger: quiet, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
  });
  afterAll(() => own.stop());

  test.each([
    ['usergroups.users.list', 20, () => ownClient.usergroups.users.list({ usergroup: 'S0APPROVER1' }).catch((e: unknown) => e)],
    ['conversations.info', 50, () => ownClient.conversations.info({ channel: OPS })],
  ] as const)('%s allows its tier per minute, then answers 429 with Retry-After', async (method, perMinute, call) => {
    for (let i = 0; i < perMinute; i += 1) await call();
    const error = (await ownClient.apiCall(method, method === 'conversations.info' ? { channel: OPS } : { usergroup: 'S0APPROVER1' }).catch((e: unknown) => e)) as {
      code?: string;
      retryAfter?: number;
    };
    expect(error.code).toBe(ErrorCode.RateLimitedError);
    expect(error.retryAfter).toBeGreaterThanOrEqual(1);
    expect(error.retryAfter).toBeLessThanOrEqual(Math.ceil(60 / perMinute));
    expect(own.callLog.filter((c) => c.method === method).map((c) => c.status).slice(-2)).toEqual([200, 429]);
    expect(own.methodRateBreaches()[method]).toBe(1);
  });

  test('a revoked token or an inactive account is answered as such by every method, until restored', async () => {
    own.revokeToken('token_revoked');
    try {
      for (const call of [() => ownClient.auth.test(), () => ownClient.chat.postMessage({ channel: OPS, text: 'hi' }), () => ownClient.chat.update({ channel: OPS, ts: '1.0', text: 'x' })]) {
        await expect(call()).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { ok: false, error: 'token_revoked' } });
      }
      own.revokeToken('account_inactive');
      await expect(ownClient.auth.test()).rejects.toMatchObject({ data: { error: 'account_inactive' } });
    } finally {
      own.restoreToken();
    }
    await expect(ownClient.auth.test()).resolves.toMatchObject({ ok: true });
  });
});

describe('response_url', () => {
  test('never posts into a thread: thread_ts is ignored, even for a click on a message in a thread', async () => {
    const parent = await client.chat.postMessage({ channel: OPS, text: 'request parent' });
    const inThread = await client.chat.postMessage({ channel: OPS, text: 'status', thread_ts: parent.ts ?? '' });
    const url = standIn.issueResponseUrl(OPS, ALICE, { channel: OPS, ts: inThread.ts ?? '' });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'in_channel', text: 'answer via response_url', thread_ts: parent.ts }),
    });
    expect(res.status).toBe(200);
    const posted = standIn.messages(OPS).at(-1);
    expect(posted).toMatchObject({ text: 'answer via response_url', via: 'response_url' });
    expect(posted?.thread_ts).toBeUndefined();
    expect(standIn.thread(OPS, parent.ts ?? '').map((m) => m.text)).toEqual(['request parent', 'status']);
  });

  test('accepts five messages in thirty minutes, then refuses; an old one has expired', async () => {
    const url = standIn.issueResponseUrl(OPS, ALICE);
    for (let i = 0; i < 5; i += 1) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `update ${i}` }) });
      expect(res.status).toBe(200);
    }
    const sixth = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'one too many' }) });
    expect([sixth.status, await sixth.text()]).toEqual([404, 'used_url']);
    expect(standIn.ephemerals(OPS, ALICE).map((m) => m.text)).toEqual(expect.arrayContaining(['update 0', 'update 4']));

    const old = standIn.issueResponseUrl(OPS, ALICE);
    clock += 30 * 60 * 1000 + 1;
    try {
      const late = await fetch(old, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'late' }) });
      expect([late.status, await late.text()]).toEqual([404, 'expired_url']);
    } finally {
      clock -= 30 * 60 * 1000 + 1;
    }
  });

  test('in_channel posts to the channel; events announce it as it happens', async () => {
    const events: string[] = [];
    const off = standIn.onEvent((e) => events.push(e.type));
    const url = standIn.issueResponseUrl('C0GENERAL01', ALICE);
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'in_channel', text: 'Job finished' }) });
    off();
    expect(standIn.messages('C0GENERAL01').at(-1)).toMatchObject({ text: 'Job finished', via: 'response_url', responseType: 'in_channel' });
    expect(events).toEqual(['message_posted', 'response_url_post']);
    expect(standIn.responseUrlPosts().at(-1)).toMatchObject({ outcome: 'posted', channel: 'C0GENERAL01' });
  });
});

describe('Slack\'s contract', () => {
  test('the arguments we send cover each method\'s required parameters in the spec', () => {
    const required = (method: string) =>
      (operation(method).parameters ?? []).filter((p) => p.required && p.name !== 'token').map((p) => p.name).sort();
    expect(required('chat.postMessage')).toEqual(['channel']);
    expect(required('chat.update')).toEqual(['channel', 'ts']);
    expect(required('chat.postEphemeral')).toEqual(['channel', 'user']);
    expect(required('views.open')).toEqual(['trigger_id', 'view']);
    for (const entry of standIn.callLog.filter((c) => c.ok)) {
      for (const name of required(entry.method)) expect({ method: entry.method, [name]: entry.args[name] !== undefined }).toEqual({ method: entry.method, [name]: true });
    }
  });

  test('every error code the stand-in answered is one Slack documents for that method', () => {
    const emitted = standIn.callLog.filter((c) => c.status === 200 && c.error !== undefined && c.error !== 'fatal_error');
    expect(emitted.length).toBeGreaterThan(10);
    for (const c of emitted) expect({ method: c.method, error: c.error, allowed: allowedErrors(c.method).includes(c.error ?? '') }).toMatchObject({ allowed: true });
  });
});
