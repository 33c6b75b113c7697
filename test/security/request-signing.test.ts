// Only Slack may talk to the bot: every request must carry a valid v0 signature of its exact body made
// with the signing secret, with a timestamp within five minutes (Slack's scheme, slack-facts.md). A
// refused request gets 401 and changes nothing: no job in any queue, nothing said in Slack. Within the
// five minutes Slack's scheme accepts a replay; the bot's own promise is that a replayed slash command
// maps to the same request (same trigger_id → same request id) and so starts nothing new.
import pino from 'pino';
import { slashCommandBody } from '../../sandbox/slack/interaction-payloads';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { createQueueInspector, type QueueInspector } from '../support/stack-probes';

let stack: EmbeddedStack;
let queues: QueueInspector;

beforeAll(async () => {
  // No workers: every job the bot enqueues stays countable.
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), workers: false, slackRateLimit: 'count' });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
}, 60_000);

afterAll(async () => {
  await queues?.close();
  await stack?.stop();
});

const RUN_TEXT = 'run signed-endpoint https://data.example.com/mnist/';

/** A slash command body as Slack sends it, with a fresh trigger_id and response_url. */
function slashBody(text: string = RUN_TEXT): string {
  return slashCommandBody(
    { teamId: stack.slack.teamId, teamDomain: stack.slack.teamDomain, apiAppId: stack.slack.appId, verificationToken: 'sandbox-verification-token', user: { id: STACK_USERS.requester, name: 'alice' } },
    {
      command: '/batch-score',
      text,
      channel: { id: STACK_CHANNEL, name: 'ml-ops' },
      responseUrl: stack.slack.issueResponseUrl(STACK_CHANNEL, STACK_USERS.requester),
      triggerId: stack.slack.issueTriggerId(STACK_USERS.requester),
    },
  );
}

/** Everything a request could have changed: queued jobs, and what Slack saw. */
async function footprint(): Promise<string> {
  return JSON.stringify({
    jobs: await queues.total(),
    outbox: await queues.redis.keys(`${stack.config.redis.queuePrefix}:outbox:*:entries`),
    messages: stack.slack.messages(STACK_CHANNEL).length,
    ephemerals: stack.slack.ephemerals().length,
    calls: stack.slack.callLog.length,
  });
}

const nowSec = () => Math.floor(Date.now() / 1000);

const REFUSED: Array<[string, () => { body: string; headers: Record<string, string> }]> = [
  ['an unsigned request', () => ({ body: slashBody(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })],
  ['a request signed with a wrong secret', () => {
    const body = slashBody();
    return { body, headers: stack.driver.signed(body, { secret: 'not-the-signing-secret' }).headers };
  }],
  ['a request whose timestamp is more than five minutes old', () => {
    const body = slashBody();
    return { body, headers: stack.driver.signed(body, { timestamp: nowSec() - 5 * 60 - 1 }).headers };
  }],
  ['a body altered after signing', () => {
    const body = slashBody();
    const headers = stack.driver.signed(body).headers;
    const altered = body.replace('signed-endpoint', 'other-endpoint');
    if (altered === body) throw new Error('the body was not altered');
    return { body: altered, headers };
  }],
  ['a signature of the right form for another timestamp', () => {
    const body = slashBody();
    const signedAt = stack.driver.signed(body, { timestamp: nowSec() - 10 }).headers;
    return { body, headers: { ...signedAt, 'X-Slack-Request-Timestamp': String(nowSec()) } };
  }],
  ['a request with an empty signature header', () => {
    const body = slashBody();
    return { body, headers: { ...stack.driver.signed(body).headers, 'X-Slack-Signature': '' } };
  }],
];

it.each(REFUSED)('refuses %s with 401 and enqueues nothing', async (_what, make) => {
  const before = await footprint();
  const { body, headers } = make();
  const res = await stack.driver.postRaw(body, headers);
  expect(res.status).toBe(401);
  expect(await footprint()).toBe(before);
});

// Slack's scheme is |now - timestamp| <= 5 minutes; Bolt's receiver refuses only the past side, so the bot
// refuses future-dated requests in front of it (src/slack/request-freshness.ts).
it('refuses a request whose timestamp is more than five minutes ahead with 401', async () => {
  const body = slashBody('help');
  const res = await stack.driver.postRaw(body, stack.driver.signed(body, { timestamp: nowSec() + 10 * 60 }).headers);
  expect(res.status).toBe(401);
});

it('takes a replayed slash command (within five minutes) as the request it repeats, enqueuing nothing new', async () => {
  const body = slashBody();
  const { headers } = stack.driver.signed(body);
  const jobsBefore = await queues.total();
  const first = await stack.driver.postRaw(body, headers);
  expect(first.status).toBe(200);
  // Taken: checked with Azure first (src/queue/request-preflight.ts), so one job is enqueued.
  expect(JSON.stringify(first.body)).toContain('Checking request');
  const afterFirst = await footprint();
  const jobs = await queues.total();
  expect(jobs).toBe(jobsBefore + 1);

  const replay = await stack.driver.postRaw(body, headers);
  expect(replay.status).toBe(200);
  expect(JSON.stringify(replay.body)).toMatch(/already taken|nothing new/);
  expect(await queues.total()).toBe(jobs);
  expect(await footprint()).toBe(afterFirst);
});

it('refuses the same captured request replayed after five minutes', async () => {
  // Captured (signed) more than five minutes ago, carrying a trigger_id the bot has never seen.
  const body = slashBody('run signed-endpoint https://data.example.com/other/');
  const headers = stack.driver.signed(body, { timestamp: nowSec() - 6 * 60 }).headers;
  const before = await footprint();
  const res = await stack.driver.postRaw(body, headers);
  expect(res.status).toBe(401);
  expect(await footprint()).toBe(before);
});
