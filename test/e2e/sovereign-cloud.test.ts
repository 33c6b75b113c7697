// The recipe is written for Azure China. The whole product against a sandbox playing AzureChinaCloud: it
// accepts only tokens for China's audiences (resource manager https://management.chinacloudapi.cn, scoring
// https://studio.ml.azure.cn), so a deploy and a run through Slack prove the bot asks for the right ones,
// and the thread links to China's studio.
import pino from 'pino';
import { createDeployProgress } from '../../src/domain/deploy-plan';
import { exampleDeploySpec, STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { createThreadReader } from '../support/stack-probes';

let stack: EmbeddedStack;
const ENDPOINT = 'mnist-china';

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), cloud: 'AzureChinaCloud', perChannelIntervalMs: 20, slackRateLimit: 'count' });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

it('is configured for Azure China as an operator would configure it', () => {
  expect(stack.config.azure.cloud).toBe('AzureChinaCloud');
  expect(stack.azureml.location).toBe('chinaeast2');
});

it('refuses a public-cloud token, as Azure China does', async () => {
  const publicToken = await (stack.azureml.credential as { getToken(s: string): Promise<{ token: string }> }).getToken('https://management.azure.com/.default');
  const res = await fetch(
    `${stack.azureml.baseUrl}/subscriptions/${stack.azureml.subscriptionId}/resourceGroups/${stack.azureml.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${stack.azureml.workspace}/batchEndpoints?api-version=2022-05-01`,
    { headers: { authorization: `Bearer ${publicToken.token}` } },
  );
  expect(res.status).toBe(401);
});

it('deploys and runs a scoring job through Slack with China audiences and studio links', async () => {
  const spec = exampleDeploySpec(ENDPOINT);
  await stack.workers!.azureml.runDeployPlan(spec, createDeployProgress(spec), async () => undefined);
  for (let i = 0; i < 3; i++) await stack.azureml.admin.putDatastoreFile(`${ENDPOINT}/in/${i}.png`, Buffer.from(`digit-${i}`));

  await stack.driver.slash(`run ${ENDPOINT} azureml://datastores/workspaceblobstore/paths/${ENDPOINT}/in`, { user: STACK_USERS.requester, channel: STACK_CHANNEL });
  const threads = createThreadReader(stack.slack, STACK_CHANNEL);
  const parent = await stack.driver.waitFor(() => threads.parentWith(ENDPOINT), { what: 'the run request' });
  const final = await stack.driver.waitFor(() => threads.finalReplies(parent)[0], { what: 'the final reply', timeoutMs: 30_000 });
  expect(final.text).toContain('completed');
  expect(JSON.stringify(final.blocks)).toContain('https://studio.ml.azure.cn/runs/');
});
