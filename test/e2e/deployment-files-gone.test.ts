// A deployment whose files change under it, on the real stack. The bot checks the scoring script before a
// deploy is approved (request-preflight.ts), but the code and model live on storage anyone with access can
// change afterwards: Azure creates a batch deployment without reading its code folder (azure-ai-ml checks
// the script on the client, `validate_scoring_script`) and the job fails when its step imports the script
// or fetches the code and model (docs/sandbox-fidelity.md). The run's final reply must say so, with the fix.
import { BlobServiceClient } from '@azure/storage-blob';
import pino from 'pino';
import { STACK_CHANNEL, STACK_USERS, exampleDeploySpec, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import type { StoredMessage } from '../../sandbox/slack';

const { requester } = STACK_USERS;
const ENDPOINT = 'mnist-files-gone';
const INPUT = `azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/in`;
let stack: EmbeddedStack;
/** The deployment's code folder and model folder on the default datastore. */
let codeFolder: string;
let modelFolder: string;

const textOf = (m: StoredMessage): string => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;
const parents = (): StoredMessage[] => stack.slack.messages(STACK_CHANNEL).filter((m) => !m.ephemeralTo && (m.thread_ts === undefined || m.thread_ts === m.ts));
const replies = (parent: StoredMessage): StoredMessage[] => stack.slack.thread(STACK_CHANNEL, parent.ts).slice(1);

async function runAndWaitForFinalReply(): Promise<StoredMessage> {
  const before = new Set(parents().map((m) => m.ts));
  expect((await stack.driver.slash(`run ${ENDPOINT} ${INPUT}`, { user: requester, channel: STACK_CHANNEL })).status).toBe(200);
  const parent = await stack.driver.waitFor(() => parents().find((m) => !before.has(m.ts)), { what: 'the run request message' });
  return stack.driver.waitFor(() => replies(parent).find((r) => /^:(white_check_mark|x):/.test(r.text) && r.text.includes('<@')), {
    what: 'the final reply',
    timeoutMs: 30_000,
  });
}

/** Takes the files under a datastore folder away; returns a function that puts them back. */
async function takeAway(folder: string, only?: (name: string) => boolean): Promise<() => Promise<void>> {
  const files = await listFolder(folder);
  const kept: Array<[string, Buffer]> = [];
  for (const name of files.filter((n) => !only || only(n))) {
    kept.push([name, (await stack.azureml.admin.readDatastoreFile(name))!]);
    await stack.azureml.admin.deleteDatastoreFile(name);
  }
  expect(kept.length).toBeGreaterThan(0);
  return async () => {
    for (const [name, content] of kept) await stack.azureml.admin.putDatastoreFile(name, content);
  };
}

async function listFolder(folder: string): Promise<string[]> {
  const service = BlobServiceClient.fromConnectionString(stack.azureml.storageConnectionString);
  const names: string[] = [];
  for await (const b of service.getContainerClient(stack.azureml.datastoreContainer).listBlobsFlat({ prefix: folder })) names.push(b.name);
  return names;
}

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 20, slackRateLimit: 'count' });
  await stack.workers!.azureml.runDeployPlan(exampleDeploySpec(ENDPOINT, { miniBatchSize: 2 }), { version: 1, steps: {} }, async () => undefined);
  for (let i = 0; i < 3; i++) await stack.azureml.admin.putDatastoreFile(`${ENDPOINT}/in/${i}.png`, Buffer.from(`digit-${i}`));
  const resources = stack.azureml.admin.resources();
  const codeUri = String((resources.codesVersions![0]!.properties as { codeUri: string }).codeUri);
  const modelUri = String((resources.modelsVersions![0]!.properties as { modelUri: string }).modelUri);
  // https://<account>.blob.core.windows.net/<container>/<folder> (the recipe's BLOB_URI_ROOT form).
  const [container, ...folder] = decodeURIComponent(new URL(codeUri).pathname).split('/').filter(Boolean);
  expect(container).toBe(stack.azureml.datastoreContainer);
  codeFolder = `${folder.join('/')}/`;
  modelFolder = `${modelUri.replace(/^.*\/paths\//, '').replace(/\/?$/, '/')}`;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

it('says the scoring script is missing when the code folder holds another script since the deploy', async () => {
  const putBack = await takeAway(codeFolder, (name) => name.endsWith('/digit_identification.py'));
  // Someone renamed it: the folder is not empty, the script the deployment names is gone.
  await stack.azureml.admin.putDatastoreFile(`${codeFolder}score.py`, 'def init():\n    pass\n');
  try {
    const final = await runAndWaitForFinalReply();
    const text = textOf(final);
    expect(final.text).toMatch(/^:x:/);
    expect(text).toContain("EntryScriptException: No module named 'digit_identification'");
    expect(text).toContain("The deployment's code has no scoring script by the name the deployment gives");
  } finally {
    await stack.azureml.admin.deleteDatastoreFile(`${codeFolder}score.py`);
    await putBack();
  }
}, 60_000);

it.each([
  ['model', () => modelFolder],
  ['code', () => codeFolder],
] as const)("says the deployment's %s files are gone when they were deleted after the deploy", async (kind, folder) => {
  const putBack = await takeAway(folder());
  try {
    const final = await runAndWaitForFinalReply();
    const text = textOf(final);
    expect(final.text).toMatch(/^:x:/);
    expect(text).toContain(`The ${kind} of this deployment could not be`);
    expect(text).toContain("The deployment's code or model files are no longer where its asset version points");
  } finally {
    await putBack();
  }
}, 60_000);

it('scores again once the files are back', async () => {
  const final = await runAndWaitForFinalReply();
  expect(final.text).toMatch(/^:white_check_mark:/);
}, 60_000);
