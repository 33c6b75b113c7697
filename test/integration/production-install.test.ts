// What the container image would run, without a Docker daemon: the Dockerfile's runtime stage performed
// step by step in a clean folder (read from the Dockerfile itself, so the two cannot drift): the lockfile's
// production dependencies installed with `npm ci --omit=dev`, the compiled output of the build stage copied
// in. From that folder alone the bot, a worker and the CLI start on plain node against the local stack
// (redis-server, the Slack stand-in, the Azure ML sandbox), a slash command goes through both, and the
// image's HEALTHCHECK command passes against the bot. It also proves the production build ships neither the
// sandbox nor the development folder (the embedded stack, the demo) and that nothing in it needs a dev dependency.
//
// It needs the npm registry (about 15 s with a warm cache), so it runs only when
// BATCH_SCORE_TEST_PRODUCTION_INSTALL=1, which scripts/test.sh (CI) sets.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startAzureMlSandbox, type AzureMlSandbox } from '../../sandbox/azureml';
import { connectionLine } from '../../sandbox/azureml/connection-info';
import { startSlackStandIn, type SlackStandIn } from '../../sandbox/slack';
import { createSlackDriver } from '../../sandbox/slack/driver';
import { waitFor } from '../../sandbox/slack/wait-for';
import { getFreePort } from '../../sandbox/stack/free-port';
import { stopChild, trackChild } from '../../sandbox/stack/processes';
import { startRedis, type RedisProcess } from '../../sandbox/stack/redis';
import { STACK_CHANNEL, STACK_USERS, sandboxEnvironment } from '../../dev/embedded-stack';
import { commandOf, parseDockerfile, splitFlags, type DockerStage } from '../support/dockerfile-stage';
import { managedIdentityEnv } from '../support/worker-process';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const enabled = process.env.BATCH_SCORE_TEST_PRODUCTION_INSTALL === '1';
const describeIfEnabled = enabled ? describe : describe.skip;

/** What performing the runtime stage left behind: the folder and what the image would be started with. */
interface RuntimeImage {
  dir: string;
  env: Record<string, string>;
  user?: string;
  entrypoint: string[];
  cmd: string[];
  healthcheck?: string[];
}

const baseEnv = (): Record<string, string> => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
  ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
});

/** The build stage's product: `npm run build` (tsconfig.build.json) into `<dir>/app/dist`. */
async function buildStage(dir: string): Promise<string> {
  const out = path.join(dir, 'app', 'dist');
  await execFileAsync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', out], { cwd: ROOT });
  return path.join(dir, 'app');
}

/** Performs the runtime stage in `dir` (standing for its WORKDIR); `COPY --from=build /app/…` reads `buildRoot`. */
async function performRuntimeStage(stage: DockerStage, dir: string, buildRoot: string): Promise<RuntimeImage> {
  const image: RuntimeImage = { dir, env: {}, entrypoint: [], cmd: [] };
  let workdir: string | undefined;
  for (const { op, rest } of stage.instructions) {
    switch (op) {
      case 'WORKDIR':
        workdir = rest;
        break;
      case 'ENV':
        for (const m of rest.matchAll(/(\w+)=(\S+)/g)) image.env[m[1] as string] = m[2] as string;
        break;
      case 'COPY': {
        const { flags, body } = splitFlags(rest);
        const parts = body.split(/\s+/);
        const dest = path.resolve(dir, parts.pop() as string);
        for (const source of parts) {
          const from = flags.from === 'build' ? path.join(buildRoot, path.relative(workdir ?? '/', source)) : path.join(ROOT, source);
          if (flags.from !== undefined && flags.from !== 'build') throw new Error(`COPY --from=${flags.from} is not a stage this test knows`);
          const target = parts.length > 1 || body.trimEnd().endsWith('/') ? path.join(dest, path.basename(source)) : dest;
          await fs.cp(from, target, { recursive: true });
        }
        break;
      }
      case 'RUN': {
        // --mount=type=cache only keeps npm's cache out of the image; here the user's cache plays it.
        const { body } = splitFlags(rest);
        await execFileAsync('/bin/sh', ['-c', body], { cwd: dir, env: { ...baseEnv(), ...image.env }, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 });
        break;
      }
      case 'USER':
        image.user = rest;
        break;
      case 'EXPOSE':
        break;
      case 'HEALTHCHECK': {
        const m = /\bCMD\s+(.*)$/.exec(rest);
        if (!m) throw new Error(`cannot read HEALTHCHECK ${rest}`);
        image.healthcheck = commandOf(m[1] as string);
        break;
      }
      case 'ENTRYPOINT':
        image.entrypoint = commandOf(rest);
        break;
      case 'CMD':
        image.cmd = commandOf(rest);
        break;
      default:
        throw new Error(`the runtime stage uses ${op}, which this test does not perform`);
    }
  }
  return image;
}

interface Started {
  pid: number;
  output(): string;
  waitForOutput(pattern: RegExp, what: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the image's entrypoint with `args` (the compose file's `command`) in the runtime folder. */
function run(image: RuntimeImage, args: string[], env: Record<string, string>): Started {
  const [command, ...rest] = image.entrypoint;
  const child = spawn(command as string, [...rest, ...args], { cwd: image.dir, env: { ...baseEnv(), ...image.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  return {
    pid: child.pid ?? -1,
    output: () => out,
    waitForOutput: (pattern, what) =>
      waitFor(
        () => {
          if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}:\n${out.slice(-3000)}`);
          return pattern.test(out) || undefined;
        },
        { timeoutMs: 30_000, intervalMs: 50, what },
      ).then(() => undefined),
    stop: () => stopChild(child, 'SIGTERM'),
  };
}

describeIfEnabled('the container image, performed without Docker', () => {
  let work: string;
  let image: RuntimeImage;
  let redis: RedisProcess;
  let slack: SlackStandIn;
  let azureml: AzureMlSandbox;
  const started: Started[] = [];

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'bsb-image-'));
    const stages = parseDockerfile(await fs.readFile(path.join(ROOT, 'Dockerfile'), 'utf8'));
    const runtime = stages.find((s) => s.name === 'runtime');
    if (!runtime) throw new Error('the Dockerfile has no stage named runtime');
    // One step at a time: compiling and installing are CPU-heavy, and the stack's start-up has deadlines.
    const buildRoot = await buildStage(path.join(work, 'build'));
    await fs.mkdir(path.join(work, 'runtime'));
    image = await performRuntimeStage(runtime, path.join(work, 'runtime'), buildRoot);
    [redis, slack, azureml] = await Promise.all([startRedis(), startSlackStandIn(), startAzureMlSandbox({ timeScale: 0.002 })]);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
    await Promise.all([redis?.stop(), slack?.stop(), azureml?.stop()]);
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('runs as a non-root user, with node dist/src/main.js <mode> as its command', () => {
    expect(image.user).toBeDefined();
    expect(image.user).not.toMatch(/^(root|0)(:|$)/);
    expect(image.entrypoint).toEqual(['node', 'dist/src/main.js']);
    expect(image.cmd).toEqual(['bot']);
    expect(image.env.NODE_ENV).toBe('production');
  });

  it('ships neither the sandbox nor the development folder, and no dev dependency', async () => {
    const dist = path.join(image.dir, 'dist');
    expect(existsSync(path.join(dist, 'src', 'main.js'))).toBe(true);
    expect(existsSync(path.join(dist, 'src', 'cli.js'))).toBe(true);
    // Only src/ is compiled: the sandbox and the development folder (embedded stack, demo, console) stay out.
    expect((await fs.readdir(dist)).sort()).toEqual(['src']);
    for (const dev of ['typescript', 'tsx', 'jest', 'azurite']) expect(existsSync(path.join(image.dir, 'node_modules', dev))).toBe(false);
    const files = (await fs.readdir(dist, { recursive: true })).filter((f) => f.endsWith('.js'));
    const importsSandbox: string[] = [];
    for (const f of files) {
      if (/require\("[^"]*\/(sandbox|dev)\//.test(await fs.readFile(path.join(dist, f), 'utf8'))) importsSandbox.push(f);
    }
    expect(importsSandbox).toEqual([]);
  });

  it('starts the bot and a worker from the folder: a slash command is answered, the HEALTHCHECK passes, SIGTERM stops both', async () => {
    const port = await getFreePort();
    const signingSecret = randomBytes(16).toString('hex');
    const env = {
      ...sandboxEnvironment({ azureml, slack, redisUrl: redis.url, signingSecret, port }),
      BATCH_SCORE_QUEUE_PREFIX: `img${randomBytes(3).toString('hex')}`,
      BATCH_SCORE_ARTIFACTS_ROOT: path.join(image.dir, 'artifacts'),
    };
    const bot = run(image, image.cmd, env);
    const worker = run(image, ['worker'], { ...env, ...managedIdentityEnv(azureml) });
    started.push(bot, worker);
    await Promise.all([bot.waitForOutput(/batch-score-bot started/, 'the bot to start'), worker.waitForOutput(/workers started/, 'the worker to start')]);

    const [hcCommand, ...hcArgs] = image.healthcheck ?? [];
    expect(hcCommand).toBeDefined();
    await execFileAsync(hcCommand as string, hcArgs, { cwd: image.dir, env: { ...baseEnv(), ...image.env, PORT: String(port) }, timeout: 10_000 });
    // …and it fails when nothing answers (a check that always passes checks nothing).
    await expect(execFileAsync(hcCommand as string, hcArgs, { cwd: image.dir, env: { ...baseEnv(), ...image.env, PORT: String(await getFreePort()) }, timeout: 10_000 })).rejects.toMatchObject({ code: 1 });

    const driver = createSlackDriver({ botUrl: `http://127.0.0.1:${port}/slack/events`, signingSecret, standIn: slack });
    const before = slack.responseUrlPosts().length;
    const res = await driver.slash('endpoints', { user: STACK_USERS.requester, channel: STACK_CHANNEL });
    expect(res.status).toBe(200);
    await driver.waitFor(() => slack.responseUrlPosts().length > before, { what: 'the worker to answer the look-up', timeoutMs: 30_000 });

    await Promise.all([bot.stop(), worker.stop()]);
    expect(bot.output()).toMatch(/"msg":"stopping"/);
    expect(worker.output()).toMatch(/workers closed/);
  });

  it('runs the CLI from the folder (bin/batch-score on the compiled output)', async () => {
    const file = path.join(work, 'sandbox.json');
    await fs.writeFile(file, connectionLine(azureml));
    const { stdout } = await execFileAsync(process.execPath, ['bin/batch-score', '--sandbox', file, 'endpoints', '--json'], {
      cwd: image.dir,
      env: { ...baseEnv(), ...image.env },
      timeout: 30_000,
    });
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, command: 'endpoints' });
  });
});

