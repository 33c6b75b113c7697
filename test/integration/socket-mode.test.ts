// Socket Mode as Slack runs it, against Bolt's own SocketModeReceiver: the stand-in's apps.connections.open
// hands out a WebSocket URL for the app-level token only; each command becomes an envelope on one of the
// app's connections and is acknowledged once, on the socket, with the answer as its payload; Slack's
// disconnect warnings and refreshes make the bot reconnect and carry on. The bot serves /healthz and
// /readyz on PORT in Socket Mode too (Bolt would put them on 3000), and /readyz reports the socket.
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { startSlackStandIn, type SlackStandIn } from '../../sandbox/slack';
import { createSlackDriver, type SlackDriver } from '../../sandbox/slack/driver';
import { waitFor } from '../../sandbox/slack/wait-for';
import { getFreePort } from '../../sandbox/stack/free-port';
import { startRedis, type RedisProcess } from '../../sandbox/stack/redis';
import { startBot, type BotHandle } from '../../src/bot';
import { loadConfig } from '../../src/config';

const USER = 'U0ALICE001';
const CHANNEL = 'C0MLOPS0001';
let redis: RedisProcess;
let slack: SlackStandIn;
let driver: SlackDriver;
const bots: BotHandle[] = [];

/** A bot in Socket Mode (SLACK_APP_TOKEN set) on its own PORT. No Azure is needed: the bot never calls it. */
async function socketModeBot(): Promise<BotHandle> {
  const port = await getFreePort();
  const config = loadConfig({
    AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000001',
    AZURE_RESOURCE_GROUP: 'rg',
    AZUREML_WORKSPACE: 'ws1',
    AZURE_LOCATION: 'eastus',
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: randomBytes(16).toString('hex'),
    SLACK_APP_TOKEN: slack.socketMode.appToken,
    BATCH_SCORE_SLACK_API_URL: slack.apiUrl,
    REDIS_URL: redis.url,
    BATCH_SCORE_QUEUE_PREFIX: 'sm',
    BATCH_SCORE_APPROVAL_REQUIRED_FOR: 'none',
    PORT: String(port),
  });
  const bot = await startBot(config, { logger: pino({ level: 'silent' }) });
  bots.push(bot);
  return bot;
}

async function readyz(port: number): Promise<{ status: number; body: { checks?: Record<string, string> } }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5_000) });
    return { status: res.status, body: (await res.json()) as { checks?: Record<string, string> } };
  } catch {
    return { status: 0, body: {} };
  }
}

const openConnections = (): string[] => slack.socketMode.connections().filter((c) => c.open).map((c) => c.id);

async function connectionsOpen(token: string | undefined): Promise<Record<string, unknown>> {
  const res = await fetch(`${slack.apiUrl}apps.connections.open`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });
  return (await res.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  [redis, slack] = await Promise.all([startRedis(), startSlackStandIn()]);
  driver = createSlackDriver({ botUrl: slack.socketMode.relayUrl, signingSecret: 'unused-in-socket-mode', standIn: slack });
});

afterAll(async () => {
  for (const bot of bots) await bot.stop().catch(() => undefined);
  await Promise.all([slack?.stop(), redis?.stop()]);
});

it('opens connections for the app-level token only, and fails a command at once while no connection is open', async () => {
  expect(await connectionsOpen(undefined)).toEqual({ ok: false, error: 'not_authed' });
  expect(await connectionsOpen(slack.botToken)).toEqual({ ok: false, error: 'not_allowed_token_type' });
  expect(await connectionsOpen('xapp-1-A0OTHER-wrong')).toEqual({ ok: false, error: 'invalid_auth' });
  const opened = await connectionsOpen(slack.socketMode.appToken);
  expect(opened).toMatchObject({ ok: true, url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=[0-9a-f]+&app_id=/) });

  const res = await driver.slash('help', { user: USER, channel: CHANNEL });
  expect(res.status).toBe(503);
  expect(res.body).toBe('dispatch_failed');
  expect(slack.socketMode.envelopes()).toEqual([]);
});

it('serves /healthz and /readyz on PORT in Socket Mode, and /readyz reports the socket down until Bolt reconnects', async () => {
  const bot = await socketModeBot();
  const health = await fetch(`http://127.0.0.1:${bot.port}/healthz`);
  expect(health.status).toBe(200);
  expect(await readyz(bot.port)).toEqual({ status: 200, body: { ok: true, checks: { redis: 'ok', slack: 'ok', socket: 'ok' } } });

  const [first] = openConnections();
  slack.socketMode.drop(first);
  const down = await waitFor(async () => {
    const r = await readyz(bot.port);
    return r.status === 503 ? r : undefined;
  }, { timeoutMs: 5_000, intervalMs: 20, what: '/readyz to report the socket down' });
  expect(down.body.checks).toMatchObject({ redis: 'ok', socket: 'not connected' });
  expect((await fetch(`http://127.0.0.1:${bot.port}/healthz`)).status).toBe(200);
  await waitFor(async () => ((await readyz(bot.port)).status === 200 ? true : undefined), { timeoutMs: 20_000, intervalMs: 50, what: 'Bolt to reconnect' });
  expect(openConnections()).toHaveLength(1);
  expect(openConnections()[0]).not.toBe(first);
});

it('gives each command to one of the app’s connections, acknowledged once on the socket with the answer as payload', async () => {
  await socketModeBot(); // a second replica: two connections for one app
  await slack.socketMode.waitForConnections(2);
  const before = slack.socketMode.envelopes().length;
  const answers = await Promise.all(Array.from({ length: 10 }, () => driver.slash('help', { user: USER, channel: CHANNEL })));
  expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
  for (const a of answers) expect(JSON.stringify(a.body)).toContain('Batch scoring bot');

  const envelopes = slack.socketMode.envelopes().slice(before);
  expect(envelopes).toHaveLength(10);
  expect(envelopes.every((e) => e.type === 'slash_commands' && e.acceptsResponsePayload && e.acks === 1)).toBe(true);
  const perConnection = new Map<string, number>();
  for (const e of envelopes) perConnection.set(e.connectionId, (perConnection.get(e.connectionId) ?? 0) + 1);
  expect([...perConnection.values()]).toEqual([5, 5]);
});

it('reconnects on a new connection after a disconnect warning and after a refresh, and commands keep working', async () => {
  for (const reason of ['warning', 'refresh_requested'] as const) {
    const before = openConnections();
    if (reason === 'warning') slack.socketMode.warn();
    else slack.socketMode.refresh();
    await waitFor(
      () => {
        const now = openConnections();
        return now.length === before.length && now.every((id) => !before.includes(id)) ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: `every bot to reconnect after '${reason}'` },
    );
    const res = await driver.slash('help', { user: USER, channel: CHANNEL });
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).toContain('Batch scoring bot');
  }
  expect(slack.socketMode.envelopes().every((e) => e.acks === 1)).toBe(true);
}, 90_000);
