// `deploy`: the bot's whole deploy flow — `/batch-score deploy`, the modal filled in and submitted, an
// approver's click, then the deploy worker's plan (independent steps at once, uploads several files at
// a time, waits paced by Retry-After) until the success reply in the thread — beside the documented
// REST recipe as its page does it (deploy-recipe-baseline.ts), against the same Azure ML sandbox in the
// same run. Both sides end when the endpoint accepts a scoring job. Two cases, each beside the recipe:
// a first deploy (nothing exists) and a redeploy of a new model version onto the existing endpoint and
// cluster (the recipe page run again with the next model version). The sandbox runs at a tenth of real
// time with its realistic durations (a compute cluster 90 s → 9 s, a deployment 3 min → 18 s, its update
// 2 min → 12 s); the model folder is a 150 MB checkpoint with 40 side files, the code folder a few small
// files. The bot's time runs from the approver's click.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { BlobServiceClient } from '@azure/storage-blob';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import pino from 'pino';
import type { StoredMessage } from '../sandbox/slack';
import { exampleDeployForm, sandboxAzureMlClient, STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../dev/embedded-stack';
import type { BenchOutcome } from './bench-report';
import { deployByRecipe, invokeUntilAccepted, type RecipeTarget } from './deploy-recipe-baseline';
import { round } from './latency-stats';
import { REALISTIC_DURATIONS } from '../sandbox/azureml';
import { mapWithConcurrency } from '../src/azureml/bounded-concurrency';

const TIME_SCALE = 0.1;
/** The recipe script's `sleep 5` between operation polls (azureml-examples cli/batch-score-rest.sh), scaled. */
const RECIPE_POLL_SLEEP_MS = 5_000 * TIME_SCALE;
const MODEL_DIR = 'models/bench-model';
/** Over the hash cache's settle time (file-hash-cache.ts). */
const FILE_SETTLE_MS = 1_500;
const CODE_DIR = 'code/bench-code';

async function writeRealisticArtifacts(root: string): Promise<{ bytes: number; files: number }> {
  const model = path.join(root, MODEL_DIR);
  const code = path.join(root, CODE_DIR);
  await mkdir(path.join(model, 'tokenizer'), { recursive: true });
  await mkdir(code, { recursive: true });
  let bytes = 0;
  let files = 0;
  const put = async (file: string, content: Buffer | string): Promise<void> => {
    await writeFile(file, content);
    bytes += Buffer.byteLength(content);
    files += 1;
  };
  await put(path.join(model, 'model.pt'), randomBytes(150 * 1024 * 1024));
  await put(path.join(model, 'MLmodel'), 'flavors:\n  pytorch: {}\n');
  for (let i = 0; i < 40; i++) await put(path.join(model, 'tokenizer', `part-${i}.json`), randomBytes(20_000 + i * 1_000));
  await put(
    path.join(code, 'digit_identification.py'),
    'import os\n\ndef init():\n    global model\n    model = None\n\ndef run(mini_batch):\n    return [f"{os.path.basename(f)},{sum(open(f, "rb").read()) % 10}" for f in mini_batch]\n',
  );
  for (let i = 0; i < 4; i++) await put(path.join(code, `helper_${i}.py`), `# helper ${i}\n${'x = 1\n'.repeat(200)}`);
  return { bytes, files };
}

/**
 * The storage alone taking the model folder: its files from memory (no disk, no MD5), eight at once, in
 * 4 MiB blocks; the best of two. No deploy can register its model before this much time has passed.
 */
async function storageTakesModel(stack: EmbeddedStack): Promise<number> {
  const dir = path.join(stack.artifactsRoot, MODEL_DIR);
  const names = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  const files = await Promise.all(names.map(async (f) => ({ name: path.relative(dir, f), data: await readFile(f) })));
  const container = BlobServiceClient.fromConnectionString(stack.azureml.storageConnectionString).getContainerClient(stack.azureml.datastoreContainer);
  let best = Number.POSITIVE_INFINITY;
  for (let round_ = 0; round_ < 2; round_++) {
    const t = Date.now();
    await mapWithConcurrency(files, 8, (f) =>
      container.getBlockBlobClient(`bench-storage-alone/${round_}/${f.name}`).uploadData(f.data, { blockSize: 4 * 1024 * 1024, concurrency: 4 }),
    );
    best = Math.min(best, (Date.now() - t) / 1000);
  }
  return best;
}

function textOf(m: StoredMessage): string {
  return `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;
}

async function deployThroughSlack(stack: EmbeddedStack, endpoint: string): Promise<{ clickAt: number; clickToReplyS: number; slashToReplyS: number; outcome: string }> {
  const before = new Set(stack.slack.views().map((v) => v.id));
  const slashAt = Date.now();
  await stack.driver.slash('deploy', { user: STACK_USERS.requester, channel: STACK_CHANNEL });
  const view = await stack.driver.waitFor(() => stack.slack.views().find((v) => !before.has(v.id) && v.open), { what: 'the deploy modal' });
  await stack.driver.fillAndSubmit(
    view.id,
    exampleDeployForm(endpoint, {
      model: MODEL_DIR,
      model_name: 'bench-model',
      code: CODE_DIR,
      code_name: 'bench-code',
      environment_name: 'bench-env',
      compute_name: 'bot-cluster',
    }),
    { user: STACK_USERS.requester },
  );
  const parent = await stack.driver.waitFor(() => stack.slack.messages(STACK_CHANNEL).find((m) => !m.ephemeralTo && textOf(m).includes(endpoint) && textOf(m).includes('approval-approve')), {
    what: 'the approval request',
  });
  const clickAt = Date.now();
  await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-approve', { user: STACK_USERS.approver });
  const final = await stack.driver.waitFor(
    () => stack.slack.thread(STACK_CHANNEL, parent.ts).slice(1).find((r) => /:white_check_mark:|:x:/.test(r.text) && /deployed|failed/.test(r.text)),
    { what: 'the deploy reply', timeoutMs: 5 * 60_000 },
  );
  const at = Date.now();
  return { clickAt, clickToReplyS: (at - clickAt) / 1000, slashToReplyS: (at - slashAt) / 1000, outcome: final.text.slice(0, 120) };
}

interface SideResult {
  /** From the start (the approver's click for the bot) until the endpoint accepted a job. */
  seconds: number;
  /** ARM + scoring requests the sandbox counted. */
  requests: number;
  refusedInvokes: number;
  /** The bot only: click → success reply. */
  replyS?: number;
  /** When the deployment PUT reached the service: what went before it (hashing, uploads, registrations). */
  deploymentPutAtS: number;
}

/** Seconds from `startMs` to the first deployment PUT the sandbox logged after it. */
function deploymentPutAt(stack: EmbeddedStack, startMs: number): number {
  const put = stack.azureml.requestLog.find(
    (e) => e.route === 'PUT workspaces/{workspaceName}/batchEndpoints/{endpointName}/deployments/{deploymentName}' && Date.parse(e.at) >= startMs,
  );
  return put ? (Date.parse(put.at) - startMs) / 1000 : Number.NaN;
}

/** The bot's deploy through Slack, then the recipe's invoke until the endpoint accepts it. */
async function botSide(stack: EmbeddedStack, target: RecipeTarget, endpoint: string, inputUri: string): Promise<SideResult> {
  stack.azureml.admin.resetCounters();
  const bot = await deployThroughSlack(stack, endpoint);
  if (!/deployed/.test(bot.outcome)) throw new Error(`the bot's deploy did not succeed: ${bot.outcome}`);
  const requests = stack.azureml.admin.counters().total;
  const scoringUri = (await sandboxAzureMlClient(stack.azureml).scoring.getScoringUri(endpoint)) as string;
  const refusedInvokes = await invokeUntilAccepted(target, scoringUri, inputUri, () => undefined);
  return {
    seconds: (Date.now() - bot.clickAt) / 1000,
    requests: requests + refusedInvokes + 1,
    refusedInvokes,
    replyS: bot.clickToReplyS,
    deploymentPutAtS: deploymentPutAt(stack, bot.clickAt),
  };
}

async function recipeSide(stack: EmbeddedStack, target: RecipeTarget, modelVersion: number, inputUri: string): Promise<SideResult & { waitEndedS: number }> {
  stack.azureml.admin.resetCounters();
  const t = Date.now();
  const recipe = await deployByRecipe(
    target,
    { compute: 'recipe-cluster', endpoint: 'bench-recipe', deployment: 'mnist-torch', code: 'score-recipe', model: 'mnist-recipe', environment: 'recipe-env', modelVersion },
    { codeDir: path.join(stack.artifactsRoot, CODE_DIR), modelDir: path.join(stack.artifactsRoot, MODEL_DIR), inputUri },
  );
  return {
    seconds: (Date.now() - t) / 1000,
    requests: stack.azureml.admin.counters().total,
    refusedInvokes: recipe.refusedInvokes,
    waitEndedS: recipe.waitEndedMs / 1000,
    deploymentPutAtS: deploymentPutAt(stack, t),
  };
}

export async function runDeployBench(log: (line: string) => void): Promise<BenchOutcome> {
  const stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), timeScale: TIME_SCALE, slackRateLimit: 'count' });
  try {
    const artifacts = await writeRealisticArtifacts(stack.artifactsRoot);
    // A model folder is written before a deploy is asked for, not within the same second: the worker keeps
    // the MD5s the request's plan computed only for files that had settled (file-hash-cache.ts, 1 s), so
    // written just now the approval would hash the 150 MB again (about 0.5 s more before the deployment PUT).
    await sleep(FILE_SETTLE_MS);
    for (let i = 0; i < 3; i++) await stack.azureml.admin.putDatastoreFile(`bench-input/${i}.png`, Buffer.from(`digit-${i}`));
    const inputUri = 'azureml://datastores/workspaceblobstore/paths/bench-input';
    const target: RecipeTarget = {
      baseUrl: stack.azureml.baseUrl,
      token: stack.azureml.token,
      scoringToken: stack.azureml.scoringToken,
      subscriptionId: stack.azureml.subscriptionId,
      resourceGroup: stack.azureml.resourceGroup,
      workspace: stack.azureml.workspace,
      location: stack.azureml.location,
      storageConnectionString: stack.azureml.storageConnectionString,
      pollSleepMs: RECIPE_POLL_SLEEP_MS,
    };

    log(`deploy: first deploy, bot (slash command, modal, approval, deploy worker) at time scale ${TIME_SCALE}`);
    const botFirst = await botSide(stack, target, 'bench-bot', inputUri);
    log('deploy: first deploy, the recipe page');
    const recipeFirst = await recipeSide(stack, target, 1, inputUri);

    // A new model version: one side file changes, so the content hash (the bot's version) changes too.
    await writeFile(path.join(stack.artifactsRoot, MODEL_DIR, 'MLmodel'), 'flavors:\n  pytorch: {}\nrevision: 2\n');
    log('deploy: redeploy of a new model version, bot');
    const botRedeploy = await botSide(stack, target, 'bench-bot', inputUri);
    log('deploy: redeploy of a new model version, the recipe page again');
    const recipeRedeploy = await recipeSide(stack, target, 2, inputUri);
    log('deploy: the storage alone taking the model folder');
    const storageAloneS = await storageTakesModel(stack);

    // The service's own waits on the critical path to an accepted job: the longest operation that must
    // finish first (the recipe shows cluster, endpoint, deployment and default may overlap; a job is
    // accepted once the endpoint and the deployment are Succeeded, whatever the cluster's state).
    const d = REALISTIC_DURATIONS;
    const scaled = (ms: number): number => (ms * TIME_SCALE) / 1000;
    const floorFirstS = scaled(Math.max(d.endpointCreateMs + d.endpointUpdateMs, d.deploymentCreateMs));
    const floorRedeployS = scaled(Math.max(d.endpointUpdateMs, d.deploymentUpdateMs));
    // With the storage's own time: on a first deploy the model must be in the datastore before its version
    // is registered and the deployment created; a redeploy sends one small file (the rest is copied within
    // the account, or, by the recipe, sent again: its own choice, not a floor).
    const floorFirstWithStorageS = storageAloneS + scaled(d.deploymentCreateMs);
    // The bot's own plan waits for the cluster, then the deployment, then the default, one after another.
    const botPlanChainFirstS = scaled(d.computeCreateMs + d.deploymentCreateMs + d.endpointUpdateMs);

    const row = (who: string, r: SideResult, floorS: number, baselineS: number): Array<string | number> => [
      who,
      round(r.seconds, 1),
      round(r.seconds / TIME_SCALE, 0),
      round(floorS, 1),
      round(r.seconds / floorS, 3),
      round(r.deploymentPutAtS, 1),
      r.requests,
      r.refusedInvokes,
      round(r.seconds / baselineS, 3),
    ];
    return {
      summary: {
        bot_s: round(botFirst.seconds, 1),
        baseline_s: round(recipeFirst.seconds, 1),
        ratio_bot_to_baseline: round(botFirst.seconds / recipeFirst.seconds, 3),
        ratio_to_floor: round(botFirst.seconds / floorFirstS, 3),
        ratio_to_floor_with_storage: round(botFirst.seconds / floorFirstWithStorageS, 3),
        redeploy_bot_s: round(botRedeploy.seconds, 1),
        redeploy_baseline_s: round(recipeRedeploy.seconds, 1),
        redeploy_ratio_to_baseline: round(botRedeploy.seconds / recipeRedeploy.seconds, 3),
      },
      tables: [
        {
          title: `Deploy until the endpoint accepts a job (sandbox at ${TIME_SCALE}× real time; ${artifacts.files} files, ${round(artifacts.bytes / 1e6, 0)} MB)`,
          columns: ['case, who', 'seconds', 'in real time (s)', 'service floor (s)', 'ratio to floor', 'deployment PUT at (s)', 'ARM + scoring requests', 'refused invokes', 'ratio to recipe'],
          rows: [
            row('first deploy, bot (approve click → job accepted)', botFirst, floorFirstS, recipeFirst.seconds),
            row('first deploy, recipe page', recipeFirst, floorFirstS, recipeFirst.seconds),
            row('redeploy (new model version), bot', botRedeploy, floorRedeployS, recipeRedeploy.seconds),
            row('redeploy (new model version), recipe page again', recipeRedeploy, floorRedeployS, recipeRedeploy.seconds),
          ],
        },
      ],
      details: {
        timeScale: TIME_SCALE,
        recipePollSleepMs: RECIPE_POLL_SLEEP_MS,
        recipePollSource: 'wait_for_completion in azureml-examples cli/batch-score-rest.sh: sleep 5 between operation polls; the same 5 s between refused invokes',
        uploadedBytes: artifacts.bytes,
        uploadedFiles: artifacts.files,
        botFirstReplyS: round(botFirst.replyS ?? 0, 1),
        botRedeployReplyS: round(botRedeploy.replyS ?? 0, 1),
        recipeFirstWaitEndedS: round(recipeFirst.waitEndedS, 1),
        recipeRedeployWaitEndedS: round(recipeRedeploy.waitEndedS, 1),
        serviceFloorFirstS: round(floorFirstS, 1),
        serviceFloorRedeployS: round(floorRedeployS, 1),
        storageAloneModelS: round(storageAloneS, 2),
        floorFirstWithStorageS: round(floorFirstWithStorageS, 1),
        botPlanChainFirstS: round(botPlanChainFirstS, 1),
        note: 'service floor: the longest service operation that must finish before a job is accepted (uploads are not in it); floorFirstWithStorageS: the storage alone taking the model folder (from memory, best of two) then the deployment\'s creation; botPlanChainFirstS: the operations the bot waits for one after another (cluster, then deployment, then default). Requests are counted by the sandbox (admin routes not counted); "in real time" divides by the time scale and is indicative only (uploads and HTTP do not scale)',
      },
    };
  } finally {
    await stack.stop();
  }
}
