// A credential in a conda file (issue 12, item 8) is never stored in clear in Redis: the deploy form, the
// CLI's spec file and a deploy job put straight on the queue refuse it (Azure ML would keep it in clear in
// the environment version anyway; a private feed belongs in a workspace connection). Approvers see what
// the environment installs: channels, packages, index URLs, escaped. Real Bolt receiver, real redis.
import pino from 'pino';
import { waitFor } from '../../sandbox/slack/wait-for';
import { STACK_CHANNEL, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { createQueueInspector, createThreadReader, textOf, type QueueInspector } from '../support/stack-probes';
import { deployFields, openDeployModal, requestDeploy } from '../support/user-gestures';
import { redactSecrets } from '../../src/queue/audit-trail';
import { parseDeploySpecFile } from '../../src/cli/deploy-spec-file';
import { deployJobSchema } from '../../src/queue/payloads';
import { exampleDeploySpec } from '../../dev/embedded-stack';
import { condaCredentials, summarizeCondaFile } from '../../src/domain/conda-file';

const TOKEN = 'pypi-tok3n-sup3r-s3cret';
const conda = (pipLines: string[], channels = '[conda-forge]'): string =>
  `name: env\nchannels: ${channels}\ndependencies:\n  - python=3.10\n  - pip:\n${pipLines.map((l) => `    - ${l}\n`).join('')}`;

const WITH_CREDENTIALS: Array<[string, string]> = [
  ['--extra-index-url with user and token', conda([`--extra-index-url https://build-bot:${TOKEN}@pkgs.example.com/simple`, 'torch'])],
  ['--index-url with a token as user', conda([`--index-url https://${TOKEN}@pkgs.example.com/simple`, 'torch'])],
  ['-i with user and token', conda([`-i https://u:${TOKEN}@pkgs.example.com/simple`, 'torch'])],
  ['a channel URL with user info', conda(['torch'], `[conda-forge, "https://u:${TOKEN}@conda.example.com/private"]`)],
  ["anaconda.org's /t/<token>/ channel", conda(['torch'], `["https://conda.anaconda.org/t/${TOKEN}/private"]`)],
  ['a ?token= query', conda([`--extra-index-url https://pkgs.example.com/simple?token=${TOKEN}`, 'torch'])],
];

let stack: EmbeddedStack;
let queues: QueueInspector;

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 20, slackRateLimit: 'count' });
  queues = createQueueInspector(stack.redis.url, stack.config.redis.queuePrefix);
}, 60_000);

afterAll(async () => {
  await queues?.close();
  await stack?.stop();
});

/** Every value of every key in the bot's Redis, as text (strings, hashes, lists, sets, sorted sets, streams). */
async function everythingInRedis(): Promise<string> {
  const r = queues.redis;
  const out: string[] = [];
  for (const key of await r.keys('*')) {
    const type = await r.type(key);
    if (type === 'string') out.push((await r.get(key)) ?? '');
    else if (type === 'hash') out.push(JSON.stringify(await r.hgetall(key)));
    else if (type === 'list') out.push(...(await r.lrange(key, 0, -1)));
    else if (type === 'set') out.push(...(await r.smembers(key)));
    else if (type === 'zset') out.push(...(await r.zrange(key, '0', '-1')));
    else if (type === 'stream') out.push(JSON.stringify(await r.xrange(key, '-', '+')));
  }
  return out.join('\n');
}

describe.each(WITH_CREDENTIALS)('a conda file with %s', (_what, condaFile) => {
  it('is refused on the form, naming the host and not the secret; nothing reaches Redis or the channel', async () => {
    const endpoint = `conda-${Math.random().toString(36).slice(2, 8)}`;
    const before = stack.slack.messages(STACK_CHANNEL).length;
    const viewId = await openDeployModal(stack);
    const submitted = await stack.driver.fillAndSubmit(viewId, deployFields(endpoint, { conda_file: condaFile }), { user: 'U0ALICE001' });
    expect(submitted.outcome.kind).toBe('errors');
    const errors = submitted.outcome.kind === 'errors' ? submitted.outcome.errors : {};
    expect(errors.conda_file).toMatch(/carries a credential \(.*example\.com|anaconda\.org/);
    expect(errors.conda_file).toMatch(/workspace connection/);
    expect(JSON.stringify(errors)).not.toContain(TOKEN);
    expect(await everythingInRedis()).not.toContain(TOKEN);
    expect(stack.slack.messages(STACK_CHANNEL).slice(before).some((m) => textOf(m).includes(endpoint))).toBe(false);
  });

  it('is refused in a CLI spec file and in a deploy job put straight on the queue', () => {
    const spec = { ...exampleDeploySpec('conda-cli'), environment: { kind: 'image', name: 'e', image: 'mcr.microsoft.com/x:1', condaFile } };
    expect(() => parseDeploySpecFile(JSON.stringify(spec), 'spec.json')).toThrow(/environment\.condaFile: The conda file carries a credential/);
    expect(() => parseDeploySpecFile(JSON.stringify(spec), 'spec.json')).not.toThrow(new RegExp(TOKEN));
    const payload = { requestId: 'r1', requester: { userId: 'U0ALICE001', teamId: 'T1', channelId: STACK_CHANNEL }, spec };
    expect(deployJobSchema.safeParse(payload).success).toBe(false);
  });
});

it('shows approvers what the environment installs: channels, packages, index URLs, escaped and bounded', async () => {
  const many = Array.from({ length: 30 }, (_, i) => `pkg${i}`);
  const condaFile =
    'name: env\nchannels: [conda-forge, "<!channel>"]\ndependencies:\n  - python=3.10\n  - numpy\n  - "<@U0BOB00001>"\n  - pip:\n' +
    ['--extra-index-url https://pkgs.example.com/simple', 'torch==2.1', ...many].map((l) => `    - ${l}\n`).join('');
  const parent = await requestDeploy(stack, 'conda-summary', { overrides: { conda_file: condaFile }, channel: STACK_CHANNEL });
  const text = textOf(parent);
  expect(text).toContain('Conda file');
  expect(text).toMatch(/channels: `conda-forge`, `&lt;!channel&gt;`/);
  expect(text).toMatch(/packages \(3\): `python=3.10`, `numpy`, `&lt;@U0BOB00001&gt;`/);
  expect(text).toMatch(/pip \(31\): `torch==2.1`, `pkg0`.* and 23 more/);
  expect(text).toContain('index URLs: `https://pkgs.example.com/simple`');
  expect(text).not.toMatch(/<!channel>|<@U0BOB00001>/);
  // The request reached the approvers, and the conda file it stored is the one without a credential.
  const threads = createThreadReader(stack.slack, STACK_CHANNEL);
  await waitFor(() => threads.parentWith('conda-summary'), { what: 'the approval request' });
});

it('summarizes what it can read and never throws', () => {
  expect(summarizeCondaFile('::: not yaml: [')).toMatchObject({ readable: false });
  expect(summarizeCondaFile(`channels: ["https://u:${TOKEN}@c.example.com/x"]\ndependencies: [{pip: ["-i https://a:${TOKEN}@p.example.com/s", "x"]}]`)).toEqual({
    readable: true,
    channels: ['https://[redacted]@c.example.com/x'],
    packages: [],
    pipPackages: ['x'],
    indexUrls: ['https://[redacted]@p.example.com/s'],
  });
});

it('takes an SSH user name for what it is, not a credential', () => {
  expect(condaCredentials('dependencies:\n  - pip:\n    - git+ssh://git@github.com/org/repo.git\n')).toEqual([]);
  expect(condaCredentials('dependencies:\n  - pip:\n    - git+https://x-token:abc@github.com/org/repo.git\n')).toHaveLength(1);
});

it('redacts user info of any URL in text, keeping where it points', () => {
  expect(redactSecrets({ text: 'pip install --index-url https://u:p4ss@host.example/simple x' })).toEqual({
    text: 'pip install --index-url https://[redacted]@host.example/simple x',
  });
});
