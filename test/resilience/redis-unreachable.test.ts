// Redis unreachable (issue 13): `src/main.ts all` (the bot and the workers in one process, as operators
// run it) on a real redis-server this test started; the server is killed by its pid. Signed slash
// commands must be answered within Slack's 3 s with an ephemeral "temporarily unavailable … nothing was
// started" (before: HTTP 404 after 3 s once Redis had been gone a few seconds), and the log must stay one
// JSON line per cause at a bounded rate (before: a warning with a stack per queue per reconnect attempt,
// from the bot and from every worker). Once redis-server is back, the bot answers and its workers work.
import { randomBytes } from 'node:crypto';
import { startAzureMlSandbox, type AzureMlSandbox } from '../../sandbox/azureml';
import { startSlackStandIn, type SlackStandIn } from '../../sandbox/slack';
import { createSlackDriver, type SlackDriver } from '../../sandbox/slack/driver';
import { getFreePort } from '../../sandbox/stack/free-port';
import { startRedis, type RedisProcess } from '../../sandbox/stack/redis';
import { waitFor } from '../../sandbox/slack/wait-for';
import { sandboxEnvironment, STACK_CHANNEL, STACK_USERS } from '../../dev/embedded-stack';
import { MAIN_ENTRY, managedIdentityEnv, spawnTsx, type TsxChild } from '../support/worker-process';

/** How long the log is watched while Redis is down: long enough for the old reconnect backoff to pass 3 s. */
const OBSERVE_MS = 8_000;

let redis: RedisProcess;
let slack: SlackStandIn;
let azureml: AzureMlSandbox;
let child: TsxChild;
let driver: SlackDriver;

beforeAll(async () => {
  [redis, slack, azureml] = await Promise.all([startRedis(), startSlackStandIn(), startAzureMlSandbox({ timeScale: 0.002 })]);
  slack.invite(STACK_CHANNEL);
  const port = await getFreePort();
  const signingSecret = randomBytes(16).toString('hex');
  child = spawnTsx(MAIN_ENTRY, ['all'], {
    env: {
      ...sandboxEnvironment({ azureml, slack, redisUrl: redis.url, signingSecret, port }),
      ...managedIdentityEnv(azureml),
      BATCH_SCORE_QUEUE_PREFIX: `down${randomBytes(3).toString('hex')}`,
      LOG_LEVEL: 'info',
    },
  });
  await child.waitForOutput(/batch-score-bot started/, 30_000);
  driver = createSlackDriver({ botUrl: `http://127.0.0.1:${port}/slack/events`, signingSecret, standIn: slack });
}, 60_000);

afterAll(async () => {
  await child?.stop('SIGKILL');
  await Promise.all([redis?.stop(), slack?.stop(), azureml?.stop()]);
});

/** The process's log lines written after `from` (a character offset of its stdout). */
function logSince(from: number): string[] {
  return child
    .stdout()
    .slice(from)
    .split('\n')
    .filter((l) => l.trim() !== '');
}

const replyText = (body: unknown): string => (body as { text?: string } | undefined)?.text ?? JSON.stringify(body);

/** A look-up answered end to end: acknowledged at once, then the worker's answer through the response_url. */
async function endpointsAnswered(): Promise<void> {
  const posts = slack.responseUrlPosts().length;
  const res = await driver.slash('endpoints', { user: STACK_USERS.requester, channel: STACK_CHANNEL });
  expect(res.status).toBe(200);
  expect(replyText(res.body)).toContain('Looking that up');
  await waitFor(() => slack.responseUrlPosts().slice(posts).find((p) => p.outcome === 'posted'), { what: 'the workers to answer the look-up', timeoutMs: 20_000 });
}

it('answers every slash command within 3 s while Redis is down, logs one bounded JSON line per cause, and recovers', async () => {
  await endpointsAnswered();

  const from = child.stdout().length;
  const errFrom = child.stderr().length;
  await redis.kill('SIGKILL');
  // A measurement window, not a wait for something: how many lines does the process write while Redis is away?
  const windowEnd = Date.now() + OBSERVE_MS;
  await waitFor(() => (Date.now() >= windowEnd ? true : undefined), { what: 'the observation window', timeoutMs: OBSERVE_MS + 2_000, intervalMs: 250 });

  for (const text of ['endpoints', 'run mnist-batch https://data.example.com/in/', 'delete mnist-batch', 'deploy', 'status batchjob-123', 'cancel batchjob-123']) {
    const res = await driver.slash(text, { user: STACK_USERS.requester, channel: STACK_CHANNEL });
    expect({ text, status: res.status }).toEqual({ text, status: 200 });
    expect(res.durationMs).toBeLessThan(3_000);
    expect((res.body as { response_type?: string }).response_type).toBe('ephemeral');
    expect(replyText(res.body)).toMatch(/temporarily unavailable.*nothing was started/i);
  }

  expect(child.stderr().slice(errFrom)).toBe('');
  const lines = logSince(from);
  const parsed = lines.map((line) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`a log line is not JSON: ${line.slice(0, 200)}`);
    }
  });
  for (const entry of parsed) expect(JSON.stringify(entry)).not.toMatch(/"stack"/);
  const redisLines = parsed.filter((e) => e.event === 'redis-unreachable' || e.event === 'redis-error' || /connection error|worker error/.test(String(e.msg)));
  const perCause = new Map<string, number>();
  for (const e of redisLines) perCause.set(String(e.cause), (perCause.get(String(e.cause)) ?? 0) + 1);
  // One line per cause within the 30 s interval, and only a few causes (refused, closed, not writeable …).
  for (const [cause, count] of perCause) expect({ cause, count }).toEqual({ cause, count: 1 });
  expect(perCause.size).toBeLessThanOrEqual(5);
  expect(parsed.length).toBeLessThanOrEqual(12);

  await redis.restart();
  await child.waitForOutput(/"event":"redis-reachable"/, 20_000);
  await waitFor(
    async () => {
      const res = await driver.slash('help', { user: STACK_USERS.requester, channel: STACK_CHANNEL });
      return res.status === 200 ? true : undefined;
    },
    { what: 'the bot to answer again' },
  );
  await endpointsAnswered();
}, 90_000);
