// `deploy`: the bot's whole deploy flow — `/batch-score deploy`, the modal filled in and submitted, an
// approver's click, then the deploy worker's plan (independent steps at once, uploads several files at
// a time, waits paced by Retry-After) until the success reply in the thread — beside the documented
// REST recipe done step after step (deploy-recipe-baseline.ts), against the same Azure ML sandbox in
// the same run. The sandbox runs at a tenth of real time with its realistic durations (a compute
// cluster 90 s → 9 s, a deployment 3 min → 18 s); the model folder is a 150 MB checkpoint with 40
// side files, the code folder a few small files. bot_s is from the approver's click to the reply.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import type { StoredMessage } from '../sandbox/slack';
import { exampleDeployForm, STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../src/embedded-stack';
import type { BenchOutcome } from './bench-report';
import { deployByRecipe } from './deploy-recipe-baseline';
import { round } from './latency-stats';
import { REALISTIC_DURATIONS } from '../sandbox/azureml';

const TIME_SCALE = 0.1;
/** The recipe script's `sleep 5` between operation polls, on the sandbox's time scale. */
const RECIPE_POLL_SLEEP_MS = 5_000 * TIME_SCALE;
const MODEL_DIR = 'models/bench-model';
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

function textOf(m: StoredMessage): string {
  return `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;
}

async function deployThroughSlack(stack: EmbeddedStack, endpoint: string): Promise<{ clickToReplyS: number; slashToReplyS: number; outcome: string }> {
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
  return { clickToReplyS: (at - clickAt) / 1000, slashToReplyS: (at - slashAt) / 1000, outcome: final.text.slice(0, 120) };
}

export async function runDeployBench(log: (line: string) => void): Promise<BenchOutcome> {
  const stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), timeScale: TIME_SCALE, slackRateLimit: 'count' });
  try {
    const artifacts = await writeRealisticArtifacts(stack.artifactsRoot);
    log(`deploy: bot (slash command, modal, approval, deploy worker) at time scale ${TIME_SCALE}`);
    stack.azureml.admin.resetCounters();
    const bot = await deployThroughSlack(stack, 'bench-bot');
    if (!/deployed/.test(bot.outcome)) throw new Error(`the bot's deploy did not succeed: ${bot.outcome}`);
    const botRequests = stack.azureml.admin.counters().total;

    log('deploy: baseline (the REST recipe, step after step)');
    stack.azureml.admin.resetCounters();
    const t = Date.now();
    const recipe = await deployByRecipe(
      {
        baseUrl: stack.azureml.baseUrl,
        token: stack.azureml.token,
        subscriptionId: stack.azureml.subscriptionId,
        resourceGroup: stack.azureml.resourceGroup,
        workspace: stack.azureml.workspace,
        location: stack.azureml.location,
        storageConnectionString: stack.azureml.storageConnectionString,
        pollSleepMs: RECIPE_POLL_SLEEP_MS,
      },
      { compute: 'recipe-cluster', endpoint: 'bench-recipe', deployment: 'mnist-torch', code: 'score-recipe', model: 'mnist-recipe', environment: 'recipe-env' },
      { codeDir: path.join(stack.artifactsRoot, CODE_DIR), modelDir: path.join(stack.artifactsRoot, MODEL_DIR) },
    );
    const baselineS = (Date.now() - t) / 1000;
    const baselineRequests = stack.azureml.admin.counters().total;
    // What the service's own waits alone cost each side (seconds, on the time scale): the bot's plan
    // waits for the cluster, then the deployment, then the default; the recipe waits for every one.
    const d = REALISTIC_DURATIONS;
    const botFloorS = ((d.computeCreateMs + d.deploymentCreateMs + d.endpointUpdateMs) * TIME_SCALE) / 1000;
    const baselineFloorS = ((d.computeCreateMs + d.endpointCreateMs + d.deploymentCreateMs + d.endpointUpdateMs) * TIME_SCALE) / 1000;

    return {
      summary: {
        bot_s: round(bot.clickToReplyS, 1),
        baseline_s: round(baselineS, 1),
        ratio_bot_to_baseline: round(bot.clickToReplyS / baselineS, 3),
      },
      tables: [
        {
          title: `Deploy to a batch endpoint (sandbox at ${TIME_SCALE}× real time; ${artifacts.files} files, ${round(artifacts.bytes / 1e6, 0)} MB uploaded)`,
          columns: ['who', 'seconds', 'in real time (s)', 'service waits alone (s)', 'ARM + scoring requests', 'ratio to baseline'],
          rows: [
            ['bot (approve click → reply)', round(bot.clickToReplyS, 1), round(bot.clickToReplyS / TIME_SCALE, 0), round(botFloorS, 1), botRequests, round(bot.clickToReplyS / baselineS, 3)],
            ['bot (slash command → reply)', round(bot.slashToReplyS, 1), round(bot.slashToReplyS / TIME_SCALE, 0), round(botFloorS, 1), botRequests, round(bot.slashToReplyS / baselineS, 3)],
            ['baseline (REST recipe)', round(baselineS, 1), round(baselineS / TIME_SCALE, 0), round(baselineFloorS, 1), baselineRequests, 1],
          ],
        },
      ],
      details: {
        timeScale: TIME_SCALE,
        recipePollSleepMs: RECIPE_POLL_SLEEP_MS,
        uploadedBytes: artifacts.bytes,
        uploadedFiles: artifacts.files,
        botRequests,
        baselineRequests,
        baselineRequestsCountedClientSide: recipe.requests,
        botSlashToReplyS: round(bot.slashToReplyS, 1),
        botDependencyFloorS: round(botFloorS, 1),
        baselineDependencyFloorS: round(baselineFloorS, 1),
        floorRatio: round(botFloorS / baselineFloorS, 3),
        note: 'sandbox requests counted by its own counters (admin /_admin not counted); "in real time" divides by the time scale and is indicative only (uploads and HTTP do not scale)',
      },
    };
  } finally {
    await stack.stop();
  }
}
