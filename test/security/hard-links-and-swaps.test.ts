// Files read from the artifacts folder are the files the folder walk saw (issue 12, item 5). A hard link
// to a file outside the root (`ln /outside/secret <root>/models/hl/notes.txt`) is refused — realpath cannot
// see it — and a file swapped for a symlink between the walk and the read is refused rather than followed.
// The deploy goes through the real stack (Bolt receiver, BullMQ on redis, Azurite); the swap is timed
// between the two steps directly, on the real file system.
import { link, mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { waitFor } from '../../sandbox/slack/wait-for';
import { hashLocalFiles, listLocalFiles } from '../../src/azureml/local-folder';
import { STACK_CHANNEL, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { createThreadReader, textOf } from '../support/stack-probes';
import { deployApproved } from '../support/user-gestures';

let stack: EmbeddedStack;
let outside: string;

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 20, slackRateLimit: 'count' });
  // The secret and the artifacts root live on the same file system (both under the temp folder).
  outside = await mkdtemp(path.join(tmpdir(), 'bsb-outside-'));
  await writeFile(path.join(outside, 'secret.txt'), 'the worker host secret\n');
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  if (outside) await rm(outside, { recursive: true, force: true });
});

const modelVersions = (name: string) => (stack.azureml.admin.resources().modelsVersions ?? []).filter((v) => String(v.id).toLowerCase().includes(`/models/${name}/`));

it('refuses a model folder holding a hard link to a file outside the root, and uploads nothing', async () => {
  const dir = path.join(stack.artifactsRoot, 'models', 'hl');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'MLmodel'), 'flavors: {}\n');
  await link(path.join(outside, 'secret.txt'), path.join(dir, 'notes.txt'));
  const threads = createThreadReader(stack.slack, STACK_CHANNEL);
  const parent = await deployApproved(stack, 'hardlink-ep', { model: 'models/hl', model_name: 'linked' });
  const final = await waitFor(() => threads.finalReplies(parent)[0], { what: 'the refusal', timeoutMs: 30_000 });
  expect(textOf(final)).toMatch(/more than one hard link/);
  expect(modelVersions('linked')).toEqual([]);
  const blobs = await stack.azureml.admin.readDatastoreFile('batch-score-bot/model/linked/notes.txt');
  expect(blobs).toBeUndefined();
});

it('refuses a file swapped for a symlink between the walk and the read', async () => {
  const dir = path.join(stack.artifactsRoot, 'models', 'swap');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'weights.bin'), 'weights');
  const files = await listLocalFiles(dir, stack.artifactsRoot);
  await unlink(path.join(dir, 'weights.bin'));
  await symlink(path.join(outside, 'secret.txt'), path.join(dir, 'weights.bin'));
  await expect(hashLocalFiles(files)).rejects.toMatchObject({ code: 'ChangedDuringRead' });
});
