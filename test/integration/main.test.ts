// `src/main.ts` as operators run it: a child process configured only by environment variables. A bad
// environment is refused at once with every problem named; the bot answers its health checks against a
// real redis-server, Slack stand-in and Azure ML sandbox, reports Redis going away, and stops on SIGTERM.
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { startAzureMlSandbox, type AzureMlSandbox } from '../../sandbox/azureml';
import { startSlackStandIn, type SlackStandIn } from '../../sandbox/slack';
import { getFreePort } from '../../sandbox/stack/free-port';
import { startRedis, type RedisProcess } from '../../sandbox/stack/redis';
import { waitFor } from '../../sandbox/slack/wait-for';
import { MAIN_ENTRY, managedIdentityEnv, spawnTsx, type TsxChild } from '../support/worker-process';
import { sandboxEnvironment } from '../../dev/embedded-stack';

let redis: RedisProcess;
let slack: SlackStandIn;
let azureml: AzureMlSandbox;
const children: TsxChild[] = [];

function productionEnv(port: number): Record<string, string> {
  return {
    ...sandboxEnvironment({ azureml, slack, redisUrl: redis.url, signingSecret: randomBytes(16).toString('hex'), port }),
    BATCH_SCORE_QUEUE_PREFIX: `main${randomBytes(3).toString('hex')}`,
    LOG_LEVEL: 'info',
  };
}

function main(args: string[], env: Record<string, string>): TsxChild {
  const child = spawnTsx(MAIN_ENTRY, args, { env });
  children.push(child);
  return child;
}

async function status(url: string): Promise<number> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(5_000) })).status;
  } catch {
    return 0;
  }
}

async function waitForStatus(url: string, expected: number, what: string): Promise<void> {
  await waitFor(async () => ((await status(url)) === expected ? true : undefined), { timeoutMs: 20_000, intervalMs: 100, what });
}

beforeAll(async () => {
  [redis, slack, azureml] = await Promise.all([startRedis(), startSlackStandIn(), startAzureMlSandbox({ timeScale: 0.002 })]);
});

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop('SIGKILL')));
  await Promise.all([redis?.stop(), slack?.stop(), azureml?.stop()]);
});

describe('src/main.ts', () => {
  it('refuses a bad environment with exit code 2, naming every bad variable and how to set it, without echoing secrets', async () => {
    const child = main(['bot'], {
      AZURE_SUBSCRIPTION_ID: 'not-a-guid',
      AZURE_LOCATION: 'east us',
      SLACK_BOT_TOKEN: 'xoxp-user-token-SECRET123',
      PORT: '99999',
      REDIS_URL: 'http://cache:6379',
      BATCH_SCORE_APPROVAL_REQUIRED_FOR: 'deploy,launch',
    });
    const exit = await child.exited;
    expect(exit.code).toBe(2);
    const stderr = child.stderr();
    for (const variable of [
      'AZURE_SUBSCRIPTION_ID',
      'AZURE_RESOURCE_GROUP',
      'AZUREML_WORKSPACE',
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'PORT',
      'REDIS_URL',
      'BATCH_SCORE_APPROVAL_REQUIRED_FOR',
    ]) {
      expect(stderr).toMatch(new RegExp(`^\\s+- ${variable}: .+; set it`, 'm'));
    }
    // A valid value is not a problem; a secret's value is never printed.
    expect(stderr).not.toMatch(/AZURE_LOCATION:/);
    expect(stderr).not.toContain('SECRET123');
    expect(child.stdout()).toBe('');
  });

  it('refuses a bot token Slack rejects with exit code 2 and one sentence, before anything starts', async () => {
    const port = await getFreePort();
    const child = main(['all'], { ...productionEnv(port), SLACK_BOT_TOKEN: 'xoxb-not-the-right-token' });
    expect((await child.exited).code).toBe(2);
    const stderr = child.stderr().trim();
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^batch-score-bot cannot start: Slack refused SLACK_BOT_TOKEN \(auth\.test answered invalid_auth\)/);
    expect(stderr).not.toContain('xoxb-not-the-right-token');
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('refuses an unknown run mode with exit code 2 and the usage', async () => {
    const child = main(['workers'], {});
    expect((await child.exited).code).toBe(2);
    expect(child.stderr()).toMatch(/unknown run mode 'workers'[\s\S]*usage: tsx src\/main\.ts \[all\|bot\|worker\]/);
  });

  it('runs the bot: /healthz and /readyz answer 200, /readyz turns 503 while Redis is down and 200 once it is back, SIGTERM exits 0', async () => {
    const port = await getFreePort();
    const child = main(['bot'], productionEnv(port));
    await child.waitForOutput(/batch-score-bot started/);
    const base = `http://127.0.0.1:${port}`;
    expect(await status(`${base}/healthz`)).toBe(200);
    expect(await status(`${base}/readyz`)).toBe(200);

    await redis.kill('SIGKILL');
    await waitForStatus(`${base}/readyz`, 503, '/readyz to report Redis down');
    expect(await status(`${base}/healthz`)).toBe(200);
    await redis.restart();
    await waitForStatus(`${base}/readyz`, 200, '/readyz to recover with Redis');

    const exit = await child.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(child.stdout()).toMatch(/"msg":"stopping"/);
  });

  it('answers /readyz with 503 within a few seconds when Slack accepts connections but never answers', async () => {
    // A black hole: the TCP connection is accepted and then nothing is ever said.
    const sockets: Socket[] = [];
    const blackHole = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const { port: holePort } = blackHole.address() as AddressInfo;
    try {
      const port = await getFreePort();
      const child = main(['bot'], { ...productionEnv(port), BATCH_SCORE_SLACK_API_URL: `http://127.0.0.1:${holePort}/api/` });
      await child.waitForOutput(/batch-score-bot started/);
      const started = Date.now();
      expect(await status(`http://127.0.0.1:${port}/readyz`)).toBe(503);
      expect(Date.now() - started).toBeLessThan(4_000);
      await child.stop('SIGTERM');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackHole.close(resolve));
    }
  });

  it('runs the bot and the workers in one process by default (all) and SIGTERM stops both and exits 0', async () => {
    const port = await getFreePort();
    const child = main([], { ...productionEnv(port), ...managedIdentityEnv(azureml) });
    await child.waitForOutput(/"mode":"all".*batch-score-bot started/);
    expect(await status(`http://127.0.0.1:${port}/readyz`)).toBe(200);
    expect(child.stdout()).toMatch(/workers started/);
    const exit = await child.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(child.stdout()).toMatch(/workers closed/);
  });
});
