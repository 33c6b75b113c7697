// Deploying what already exists, through the deploy form, the pre-flight check and an approver: a registry
// MLflow model named by `labels/latest` is pinned to its newest version before the approver sees it, is
// deployed with no scoring script or environment, and scores; a custom model without scoring code is
// refused privately, saying how to fix it. Real Bolt over HTTP, BullMQ on redis, the sandboxes over HTTP.
import pino from 'pino';
import type { StoredMessage } from '../../sandbox/slack';
import { waitFor } from '../../sandbox/slack/wait-for';
import { STACK_CHANNEL, STACK_USERS, startEmbeddedStack, type EmbeddedStack } from '../../dev/embedded-stack';
import { deployFields, openDeployModal } from '../support/user-gestures';
import { createThreadReader, textOf } from '../support/stack-probes';

const { requester, approver } = STACK_USERS;
const ENDPOINT = 'heart-batch';
let stack: EmbeddedStack;

/** The form with a model that exists and nothing else of scoring code or environment. */
const existingModelFields = (endpoint: string, model: string) =>
  deployFields(endpoint, { deployment: 'heart-mlflow', model, model_name: '', code: '', code_name: '', scoring_script: '', image: '', environment_name: '' });

beforeAll(async () => {
  stack = await startEmbeddedStack({ logger: pino({ level: 'silent' }), perChannelIntervalMs: 20, slackRateLimit: 'count' });
  for (const version of ['1', '2']) {
    stack.azureml.admin.addRegistryAsset({ registry: 'team-reg', kind: 'models', name: 'heart-classifier', version, properties: { modelType: 'mlflow_model' } });
  }
  stack.azureml.admin.addRegistryAsset({ registry: 'team-reg', kind: 'models', name: 'custom-scorer', version: '1', properties: { modelType: 'custom_model' } });
  await stack.azureml.admin.putDatastoreFile('heart/in/a.csv', 'age,chol\n63,233\n37,250\n');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function privateAnswer(pattern: RegExp): Promise<StoredMessage> {
  return waitFor(() => stack.slack.ephemerals(STACK_CHANNEL, requester).find((m) => pattern.test(textOf(m))), { what: `a private answer matching ${pattern}`, timeoutMs: 20_000 });
}

describe('deploying from a registry through the form and an approver', () => {
  it('shows the approver the version latest resolved to, deploys the MLflow model without scoring code, and scores with it', async () => {
    const viewId = await openDeployModal(stack);
    const submitted = await stack.driver.fillAndSubmit(viewId, existingModelFields(ENDPOINT, 'azureml://registries/team-reg/models/heart-classifier/labels/latest'), { user: requester });
    expect(submitted.outcome.kind).toBe('closed');
    const threads = createThreadReader(stack.slack, STACK_CHANNEL);
    const parent = await waitFor(() => threads.parentWith(ENDPOINT), { what: 'the approval request', timeoutMs: 20_000 });
    const shown = textOf(parent);
    expect(shown).toContain('azureml://registries/team-reg/models/heart-classifier/versions/2 (latest)');
    expect(shown).toMatch(/none: the MLflow model is scored by Azure ML without a scoring script/);

    // A newer version appears after the approver was asked: the approved deploy still uses the one shown.
    stack.azureml.admin.addRegistryAsset({ registry: 'team-reg', kind: 'models', name: 'heart-classifier', version: '3', properties: { modelType: 'mlflow_model' } });
    const click = await stack.driver.clickButton({ channel: STACK_CHANNEL, ts: parent.ts }, 'approval-approve', { user: approver });
    expect(click.status).toBe(200);
    await waitFor(() => threads.replies(parent).find((r) => /:white_check_mark:/.test(r.text) && /deployed/.test(r.text)), { what: 'the deploy success reply', timeoutMs: 60_000 });
    const deployment = await stack.workers!.azureml.deployments.get(ENDPOINT, 'heart-mlflow');
    expect(deployment.properties.model).toMatchObject({ assetId: 'azureml://registries/team-reg/models/heart-classifier/versions/2' });
    expect(deployment.properties.codeConfiguration ?? undefined).toBeUndefined();

    await stack.driver.slash(`run ${ENDPOINT} azureml://datastores/workspaceblobstore/paths/heart/in/`, { user: requester, channel: STACK_CHANNEL });
    const job = await waitFor(async () => (await stack.workers!.azureml.jobs.listForEndpoint(ENDPOINT)).find((j) => j.properties.status === 'Completed'), {
      what: 'a completed job with the MLflow model',
      timeoutMs: 60_000,
    });
    const csv = (await stack.azureml.admin.readDatastoreFile(`azureml/${job.name}/score/predictions.csv`))?.toString() ?? '';
    expect(csv.trim().split('\n')).toHaveLength(2); // one prediction per data row of a.csv
  });

  it('refuses a custom model with no scoring code privately, before any approver is asked, and says how to fix it', async () => {
    const viewId = await openDeployModal(stack);
    const submitted = await stack.driver.fillAndSubmit(viewId, existingModelFields('custom-nocode', 'azureml://registries/team-reg/models/custom-scorer/versions/1'), { user: requester });
    expect(submitted.outcome.kind).toBe('closed');
    const reply = await privateAnswer(/not an MLflow model/);
    expect(textOf(reply)).toMatch(/give all three, or deploy an MLflow model/);
    expect(stack.slack.messages(STACK_CHANNEL).filter((m) => !m.ephemeralTo && textOf(m).includes('custom-nocode'))).toEqual([]);
  });

  it('keeps the form open with the error on the field for a custom model upload without scoring code', async () => {
    const viewId = await openDeployModal(stack);
    const submitted = await stack.driver.fillAndSubmit(viewId, existingModelFields('upload-nocode', 'models/mnist'), { user: requester });
    expect(submitted.outcome).toMatchObject({ kind: 'errors', errors: { code: expect.stringMatching(/custom model needs scoring code/) } });
  });
});
