// Golden Slack payloads (test/fixtures/slack-payloads/, our copies in the shape of real samples, sources
// in its README): the driver must send the same shape — every key, its JSON type, its nesting — and the
// bot's real Bolt HTTP receiver must accept each golden body, signed, as Slack would send it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { WebClient } from '@slack/web-api';
import { createSlackDriver, type SlackDriver } from '../../sandbox/slack/driver';
import { toViewObject } from '../../sandbox/slack/view-store';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { APPROVAL_ACTIONS } from '../../src/slack/blocks/approval-request-message';
import { openDeployModal } from '../support/user-gestures';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const golden = (name: string): Record<string, Json> =>
  JSON.parse(readFileSync(path.resolve(__dirname, '../fixtures/slack-payloads', name), 'utf8')) as Record<string, Json>;

/** Paths whose content depends on the message or modal at hand: only their JSON type is compared. */
const OPAQUE = new Set(['message.blocks', 'view.blocks', 'view.state.values']);
/** Keys only an Enterprise Grid workspace sends; the stand-in is a plain workspace. */
const GRID_ONLY = ['enterprise_id', 'enterprise_name', 'team.enterprise_id', 'team.enterprise_name'];

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Where the driver's shape differs from the golden one, as readable lines. */
function shapeDiff(gold: unknown, ours: unknown, at = ''): string[] {
  if (typeOf(gold) !== typeOf(ours)) return [`${at}: golden ${typeOf(gold)}, driver ${typeOf(ours)}`];
  if (OPAQUE.has(at)) return [];
  if (Array.isArray(gold) && Array.isArray(ours)) return gold.length && ours.length ? shapeDiff(gold[0], ours[0], `${at}[]`) : [];
  if (typeOf(gold) !== 'object') return [];
  const g = gold as Record<string, unknown>;
  const o = ours as Record<string, unknown>;
  const key = (k: string) => (at ? `${at}.${k}` : k);
  return [
    ...Object.keys(g).filter((k) => !(k in o) && !GRID_ONLY.includes(key(k))).map((k) => `${key(k)}: missing in the driver's payload`),
    ...Object.keys(o).filter((k) => !(k in g)).map((k) => `${key(k)}: not in the golden payload`),
    ...Object.keys(g).filter((k) => k in o).flatMap((k) => shapeDiff(g[k], o[k], key(k))),
  ];
}

let stack: EmbeddedStack;
let capture: { url: string; bodies: string[]; close(): Promise<void> };
let capturing: SlackDriver;
let client: WebClient;

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), slackRateLimit: 'count' });
  // A second driver that sends to a recorder instead of the bot, to see its bodies exactly.
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  capture = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  capturing = createSlackDriver({ botUrl: capture.url, signingSecret: stack.config.slack.signingSecret, standIn: stack.slack });
  client = new WebClient(stack.slack.botToken, { slackApiUrl: stack.slack.apiUrl });
}, 60_000);

afterAll(async () => {
  await capture?.close();
  await stack?.stop();
});

const lastPayload = (): Record<string, unknown> => JSON.parse(new URLSearchParams(capture.bodies.at(-1)).get('payload') ?? '{}') as Record<string, unknown>;
const signedPost = (body: string) => stack.driver.postRaw(body, stack.driver.signed(body).headers);

async function postedMessageWithButton(): Promise<string> {
  const gold = golden('block-actions.json');
  const posted = await client.chat.postMessage({ channel: STACK_CHANNEL, text: 'a message with a button', blocks: (gold.message as { blocks: never[] }).blocks });
  return posted.ts ?? '';
}

describe('the driver sends what Slack sends', () => {
  it('a slash command: the same fields, in the same order, all strings', async () => {
    await capturing.slash('help', { user: STACK_USERS.requester, channel: STACK_CHANNEL });
    const ours = Object.fromEntries(new URLSearchParams(capture.bodies.at(-1)));
    const gold = golden('slash-command.json');
    expect(shapeDiff(gold, ours)).toEqual([]);
    expect(Object.keys(ours)).toEqual(Object.keys(gold).filter((k) => !GRID_ONLY.includes(k)));
  });

  it('block_actions from a button on a message', async () => {
    const ts = await postedMessageWithButton();
    await capturing.clickButton({ channel: STACK_CHANNEL, ts }, 'approve', { user: STACK_USERS.approver });
    expect(shapeDiff(golden('block-actions.json'), lastPayload())).toEqual([]);
  });

  it('view_submission from a modal', async () => {
    const viewId = await openDeployModal(stack);
    await capturing.submitView(viewId, {}, { user: STACK_USERS.requester });
    expect(shapeDiff(golden('view-submission.json'), lastPayload())).toEqual([]);
  });
});

describe('the bot accepts the golden payloads through its real receiver', () => {
  const { requester, approver } = STACK_USERS;

  it('a slash command (with the Enterprise Grid fields) is answered in the acknowledgement', async () => {
    const fields = {
      ...golden('slash-command.json'),
      team_id: stack.slack.teamId,
      team_domain: stack.slack.teamDomain,
      channel_id: STACK_CHANNEL,
      channel_name: 'ml-ops',
      user_id: requester,
      user_name: 'alice',
      command: '/batch-score',
      text: 'help',
      api_app_id: stack.slack.appId,
      response_url: stack.slack.issueResponseUrl(STACK_CHANNEL, requester),
      trigger_id: stack.slack.issueTriggerId(requester),
    };
    const res = await signedPost(new URLSearchParams(fields as Record<string, string>).toString());
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).toMatch(/deploy/);
    expect(JSON.stringify(res.body)).toMatch(/run/);
  });

  it('block_actions on an approval button is answered to the clicker, outside any thread', async () => {
    const ts = await postedMessageWithButton();
    const gold = golden('block-actions.json') as Record<string, Record<string, Json>>;
    const goldAction = (golden('block-actions.json').actions as Record<string, Json>[])[0];
    const payload = {
      ...gold,
      user: { ...gold.user, id: approver, username: 'carol', name: 'carol', team_id: stack.slack.teamId },
      api_app_id: stack.slack.appId,
      container: { ...gold.container, message_ts: ts, channel_id: STACK_CHANNEL },
      trigger_id: stack.slack.issueTriggerId(approver),
      team: { ...gold.team, id: stack.slack.teamId, domain: stack.slack.teamDomain },
      channel: { id: STACK_CHANNEL, name: 'ml-ops' },
      message: { ...gold.message, ts, team: stack.slack.teamId, user: stack.slack.botUserId, bot_id: stack.slack.botId, app_id: stack.slack.appId },
      response_url: stack.slack.issueResponseUrl(STACK_CHANNEL, approver, { channel: STACK_CHANNEL, ts }),
      actions: [{ ...goldAction, action_id: APPROVAL_ACTIONS.approve, block_id: APPROVAL_ACTIONS.blockId, value: 'apr-golden-unknown' }],
    };
    const postsBefore = stack.slack.responseUrlPosts().length;
    const res = await signedPost(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    expect(res.status).toBe(200);
    const answer = await stack.driver.waitFor(() => stack.slack.responseUrlPosts().slice(postsBefore).find((p) => p.user === approver), { what: 'the answer to the click' });
    expect(answer.outcome).toBe('posted');
    // respond() cannot post into a thread (Slack ignores thread_ts there): the bot never asks it to.
    expect(answer.body).not.toHaveProperty('thread_ts');
  });

  it('view_submission of the deploy form with nothing filled in gets inline errors', async () => {
    const viewId = await openDeployModal(stack);
    const stored = stack.slack.view(viewId)!;
    const gold = golden('view-submission.json') as Record<string, Record<string, Json>>;
    const payload = {
      ...gold,
      team: { ...gold.team, id: stack.slack.teamId, domain: stack.slack.teamDomain },
      user: { ...gold.user, id: requester, username: 'alice', name: 'alice', team_id: stack.slack.teamId },
      api_app_id: stack.slack.appId,
      trigger_id: stack.slack.issueTriggerId(requester),
      view: { ...gold.view, ...toViewObject(stored), state: { values: {} } },
    };
    const res = await signedPost(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ response_action: 'errors' });
  });
});
