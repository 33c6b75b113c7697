// `ack`: how fast the bot acknowledges Slack. Open-loop bursts of 1,000 signed requests (half `/batch-score
// run …` slash commands that create a request and enqueue a run, half Approve clicks by a non-approver,
// which are refused privately after the ack) at 50, 100 and 200 per second against the bot's real Bolt
// HTTP receiver with its queues on redis-server; the same bodies against the floor (ack-floor-server.ts)
// in the same run. Latency is to the HTTP response, from each request's intended send time. The bot is
// the compiled bot in a process of its own, as production runs it; the embedded stack's bot, which shares
// its process with the Slack stand-in and the Azure ML sandbox, is measured beside it to show what that
// sharing costs. Workers are stopped during the bursts (in production they are other processes).
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { StoredMessage } from '../sandbox/slack';
import { blockActionsPayload, interactionBody, slashCommandBody, type Actor, type ButtonElement } from '../sandbox/slack/interaction-payloads';
import { signedHeaders } from '../sandbox/slack/request-signature';
import { exampleDeployForm, STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../dev/embedded-stack';
import { startAckFloorServer } from './ack-floor-server';
import type { BenchOutcome } from './bench-report';
import { round, summarizeLatencies, type LatencySummary } from './latency-stats';
import { loadResultSchema, type LoadRequest, type LoadResult } from './open-loop-load';
import { runBenchChildForJson } from './tsx-child';
import { startCompiledProduct } from './bench-stack';
import { getFreePort } from '../sandbox/stack/free-port';

const RATES = [50, 100, 200] as const;
const REQUESTS_PER_BURST = 1_000;
const SLACK_DEADLINE_MS = 3_000;

function actorOf(stack: EmbeddedStack, userId: string): Actor {
  const user = stack.slack.user(userId)!;
  return {
    teamId: stack.slack.teamId,
    teamDomain: stack.slack.teamDomain,
    apiAppId: stack.slack.appId,
    verificationToken: 'sandbox-verification-token',
    user: { id: user.id, name: user.name },
  };
}

/** An approval request in the channel, made through the deploy modal (the clicks' target). */
async function approvalMessage(stack: EmbeddedStack): Promise<{ message: StoredMessage; blockId: string; button: ButtonElement }> {
  const before = new Set(stack.slack.views().map((v) => v.id));
  await stack.driver.slash('deploy', { user: STACK_USERS.requester, channel: STACK_CHANNEL });
  const view = await stack.driver.waitFor(() => stack.slack.views().find((v) => !before.has(v.id) && v.open), { what: 'the deploy modal' });
  await stack.driver.fillAndSubmit(
    view.id,
    exampleDeployForm('ack-bench'),
    { user: STACK_USERS.requester },
  );
  return stack.driver.waitFor(
    () => {
      for (const message of stack.slack.messages(STACK_CHANNEL)) {
        for (const block of (message.blocks ?? []) as Array<{ type?: string; block_id?: string; elements?: Array<{ type?: string; action_id?: string }> }>) {
          const button = block.type === 'actions' ? block.elements?.find((e) => e.type === 'button' && e.action_id === 'approval-approve') : undefined;
          if (button) return { message, blockId: String(block.block_id), button: button as unknown as ButtonElement };
        }
      }
      return undefined;
    },
    { what: 'the approval request message', timeoutMs: 20_000 },
  );
}

function burstRequests(stack: EmbeddedStack, target: Awaited<ReturnType<typeof approvalMessage>>, secret: string): LoadRequest[] {
  const requester = actorOf(stack, STACK_USERS.requester);
  const bystander = actorOf(stack, STACK_USERS.bystander);
  const channel = { id: STACK_CHANNEL, name: stack.slack.channel(STACK_CHANNEL)!.name };
  const ts = Math.floor(Date.now() / 1000);
  return Array.from({ length: REQUESTS_PER_BURST }, (_, i) => {
    const body =
      i % 2 === 0
        ? slashCommandBody(requester, {
            command: '/batch-score',
            text: `run ack-bench azureml://datastores/workspaceblobstore/paths/ack/${i}/`,
            channel,
            responseUrl: stack.slack.issueResponseUrl(STACK_CHANNEL, STACK_USERS.requester),
            triggerId: stack.slack.issueTriggerId(STACK_USERS.requester),
          })
        : interactionBody(
            blockActionsPayload(bystander, {
              message: target.message,
              channel,
              blockId: target.blockId,
              button: target.button,
              actionTs: `${ts}.${String(i).padStart(6, '0')}`,
              responseUrl: stack.slack.issueResponseUrl(STACK_CHANNEL, STACK_USERS.bystander, { channel: STACK_CHANNEL, ts: target.message.ts }),
              triggerId: stack.slack.issueTriggerId(STACK_USERS.bystander),
            }),
          );
    return { body, headers: signedHeaders(secret, ts, body) };
  });
}

/**
 * Waits until the last burst's work after the ack is done (the refusals' response_url posts stop arriving),
 * so one server's leftovers never land in the next server's burst.
 */
async function settle(stack: EmbeddedStack): Promise<void> {
  let seen = -1;
  for (let i = 0; i < 60; i++) {
    const now = stack.slack.responseUrlPosts().length;
    if (now === seen) return;
    seen = now;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

async function runBurst(dir: string, url: string, rate: number, requests: LoadRequest[]): Promise<LoadResult> {
  const file = path.join(dir, `plan-${randomBytes(4).toString('hex')}.json`);
  await writeFile(file, JSON.stringify({ url, ratePerSecond: rate, requests }));
  return loadResultSchema.parse(await runBenchChildForJson('open-loop-load-child.ts', [file]));
}

interface BurstFigures {
  rate: number;
  latency: LatencySummary;
  over3s: number;
  non200: number;
  generatorLagP99Ms: number;
}

function figures(rate: number, r: LoadResult): BurstFigures {
  const ok = r.statuses['200'] ?? 0;
  return {
    rate,
    latency: summarizeLatencies(r.latenciesMs),
    over3s: (r.latenciesMs.filter((ms) => ms > SLACK_DEADLINE_MS).length + r.errors) / REQUESTS_PER_BURST,
    non200: REQUESTS_PER_BURST - ok,
    generatorLagP99Ms: r.sendLagP99Ms,
  };
}

export async function runAckBench(log: (line: string) => void): Promise<BenchOutcome> {
  const stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), slackRateLimit: 'off', perChannelIntervalMs: 0 });
  const dir = await mkdtemp(path.join(tmpdir(), 'bsb-ack-'));
  const floor = await startAckFloorServer({ redisUrl: stack.redis.url, signingSecret: stack.env.SLACK_SIGNING_SECRET!, prefix: 'floor' });
  try {
    const target = await approvalMessage(stack);
    // The notify worker posted the approval request; the workers stop (in production they are other processes).
    await stack.workers?.close();
    // The bot as production runs it: compiled, in a process of its own. The stack's own bot shares this
    // process with the Slack stand-in and the Azure ML sandbox, which answer the clicks' response_url
    // posts on its event loop; it is measured too, to show what that sharing costs.
    const botPort = await getFreePort();
    // Its event loop is watched from outside (event-loop-probe.cjs, preloaded): delay and GC pauses per 250 ms.
    const loopFile = path.join(dir, 'bot-event-loop.jsonl');
    const botChild = await startCompiledProduct('bot', {
      ...stack.env,
      PORT: String(botPort),
      LOG_LEVEL: 'info',
      NODE_OPTIONS: `--require ${path.join(__dirname, 'event-loop-probe.cjs')}`,
      BENCH_EVENT_LOOP_FILE: loopFile,
      // BENCH_BOT_CPU_PROFILE=FILE: where the bot's CPU went over the whole run (a .cpuprofile, for DevTools).
      ...(process.env.BENCH_BOT_CPU_PROFILE ? { BENCH_CPU_PROFILE_FILE: path.resolve(process.env.BENCH_BOT_CPU_PROFILE) } : {}),
    });
    const botWindows: Array<{ rate: number; from: number; to: number }> = [];
    const secret = stack.env.SLACK_SIGNING_SECRET!;
    const servers = {
      bot: `http://127.0.0.1:${botPort}/slack/events`,
      shared: `http://127.0.0.1:${stack.env.PORT}/slack/events`,
      floor: floor.url,
    };
    const bot: BurstFigures[] = [];
    const shared: BurstFigures[] = [];
    const base: BurstFigures[] = [];
    try {
      // Warm every server (JIT, connections) so the first burst is not charged for it.
      for (const url of Object.values(servers)) {
        await runBurst(dir, url, 100, burstRequests(stack, target, secret).slice(0, 200));
        await settle(stack);
      }
      for (const rate of RATES) {
        log(`ack: ${REQUESTS_PER_BURST} requests at ${rate}/s to the bot (own process), the bot sharing the stand-ins' process, then the floor`);
        await settle(stack);
        const from = Date.now();
        bot.push(figures(rate, await runBurst(dir, servers.bot, rate, burstRequests(stack, target, secret))));
        botWindows.push({ rate, from, to: Date.now() });
        await settle(stack);
        shared.push(figures(rate, await runBurst(dir, servers.shared, rate, burstRequests(stack, target, secret))));
        await settle(stack);
        base.push(figures(rate, await runBurst(dir, servers.floor, rate, burstRequests(stack, target, secret))));
      }
    } finally {
      await botChild.stop();
    }
    const loop = await eventLoopDuring(loopFile, botWindows);
    const at100 = bot.find((b) => b.rate === 100)!;
    const floor100 = base.find((b) => b.rate === 100)!;
    const at200 = bot.find((b) => b.rate === 200)!;
    const floor200 = base.find((b) => b.rate === 200)!;
    const allBot = bot.reduce((n, b) => n + b.over3s, 0) / bot.length;
    const row = (who: string, f: BurstFigures) => [who, f.rate, round(f.latency.p50), round(f.latency.p95), round(f.latency.p99), round(f.latency.max), round(f.over3s * 100, 2), f.non200];
    return {
      summary: {
        p99_ms_at_100rps: round(at100.latency.p99),
        over_3s_share: round(allBot, 4),
        p99_ms_at_200rps: round(at200.latency.p99),
        floor_p99_ms_at_200rps: round(floor200.latency.p99),
      },
      tables: [
        {
          title: 'Acknowledgement latency, ms (open loop, 1,000 requests per burst: half slash commands, half button clicks)',
          columns: ['server', 'req/s', 'p50', 'p95', 'p99', 'max', '% > 3 s', 'non-200'],
          rows: RATES.flatMap((rate) => [
            row('bot', bot.find((b) => b.rate === rate)!),
            row('bot sharing the stand-ins\' process', shared.find((b) => b.rate === rate)!),
            row('floor', base.find((b) => b.rate === rate)!),
          ]),
        },
        {
          title: "The bot's event loop during each burst (its own process): delay p99 of the worst 250 ms window, the longest delay, GC pauses",
          columns: ['req/s', 'worst window p99 ms', 'max delay ms', 'GC pause ms', 'GC pauses'],
          rows: loop.map((l) => [l.rate, l.worstP99Ms, l.maxMs, l.gcMs, l.gcCount]),
        },
        {
          title: 'Our overhead over the floor (bot minus floor), ms',
          columns: ['req/s', 'p50', 'p99', 'p99 ratio'],
          rows: RATES.map((rate) => {
            const b = bot.find((x) => x.rate === rate)!;
            const f = base.find((x) => x.rate === rate)!;
            return [rate, round(b.latency.p50 - f.latency.p50), round(b.latency.p99 - f.latency.p99), round(b.latency.p99 / f.latency.p99)];
          }),
        },
      ],
      details: {
        bot,
        botSharingStandInsProcess: shared,
        botEventLoop: loop,
        floor: base,
        overheadP99MsAt100: round(at100.latency.p99 - floor100.latency.p99),
        p99RatioToFloorAt100: round(at100.latency.p99 / floor100.latency.p99),
        note: 'bot = the compiled bot in its own process (as in production); over_3s_share is over its three bursts (failed requests count as over 3 s)',
      },
    };
  } finally {
    await floor.stop();
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** What the probe wrote during each burst: the worst window's delay p99, the longest delay, and GC pauses. */
async function eventLoopDuring(file: string, windows: ReadonlyArray<{ rate: number; from: number; to: number }>) {
  const lines = (await readFile(file, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { at: number; p99: number; max: number; gcMs: number; gcCount: number });
  return windows.map((w) => {
    const inside = lines.filter((l) => l.at > w.from && l.at <= w.to + 250);
    return {
      rate: w.rate,
      worstP99Ms: Math.max(0, ...inside.map((l) => l.p99)),
      maxMs: Math.max(0, ...inside.map((l) => l.max)),
      gcMs: round(inside.reduce((n, l) => n + l.gcMs, 0)),
      gcCount: inside.reduce((n, l) => n + l.gcCount, 0),
    };
  });
}
