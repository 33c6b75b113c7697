// The view models every front end shows, built once in src/usecases from Azure's resources: studio links,
// job, endpoint and deploy summaries, a job's outcome. Slack and the CLI only render them, so a model is
// named the same way in both.
import { createDeployProgress } from '../../src/domain/deploy-plan';
import type { JobOutcomeDetails } from '../../src/azureml/job-outcome';
import type { BatchDeployment, BatchEndpoint, Job } from '../../src/azureml/resources';
import { endpointDetails } from '../../src/cli/endpoint-output';
import { deploySpecSchema } from '../../src/domain/deploy-spec';
import { threadMessages } from '../../src/slack/thread-messages';
import { deployChecklist, deployResult } from '../../src/usecases/deploy-summary';
import { assetLabel, summarizeDeployment, summarizeEndpoint } from '../../src/usecases/endpoint-summary';
import { bareJobOutcomeView, jobOutcomeView } from '../../src/usecases/job-outcome-view';
import { newestJobFirst, summarizeJob } from '../../src/usecases/job-summary';
import { studioEndpointLink, studioJobLink, workspaceLinksOf } from '../../src/usecases/studio-links';

const WS = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';
const links = workspaceLinksOf({ studioUrl: 'https://studio.ml.azure.cn' }, { subscriptionId: 's', resourceGroup: 'my rg', workspace: 'ws' });

const endpoint: BatchEndpoint = {
  id: `${WS}/batchEndpoints/mnist-batch`,
  name: 'mnist-batch',
  location: 'eastus',
  properties: { authMode: 'AADToken', scoringUri: 'https://x/inference/batchEndpoints/mnist-batch/jobs', defaults: { deploymentName: 'torch' }, provisioningState: 'Succeeded' },
};

const deployment = (name: string, modelId = `${WS}/models/mnist/versions/3`): BatchDeployment => ({
  id: `${WS}/batchEndpoints/mnist-batch/deployments/${name}`,
  name,
  location: 'eastus',
  properties: { model: { referenceType: 'Id', assetId: modelId }, compute: `${WS}/computes/cpu-cluster`, resources: { instanceCount: 2 }, provisioningState: 'Succeeded' },
});

const armJob = (name: string, createdAt: string, over: Partial<Job['properties']> = {}): Job => ({
  id: `${WS}/jobs/${name}`,
  name,
  properties: {
    jobType: 'Pipeline',
    status: 'Running',
    experimentName: 'mnist-batch',
    tags: { 'azureml.batchrun': 'true', 'azureml.deploymentname': 'torch' },
    properties: {},
    inputs: null,
    outputs: null,
    ...over,
  },
  systemData: { createdAt },
});

describe('studio links', () => {
  it("link a job and an endpoint to their pages in the cloud's studio, with the workspace id", () => {
    const wsid = 'wsid=/subscriptions/s/resourcegroups/my%20rg/workspaces/ws';
    expect(studioJobLink(links, 'batchjob-1')).toBe(`https://studio.ml.azure.cn/runs/batchjob-1?${wsid}`);
    expect(studioEndpointLink(links, 'mnist batch')).toBe(`https://studio.ml.azure.cn/endpoints/batch/mnist%20batch?${wsid}`);
  });

  it('keep only the workspace address of richer coordinates', () => {
    expect(workspaceLinksOf({ studioUrl: 'https://ml.azure.com' }, { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws', location: 'eastus' } as never).workspace).toEqual({
      subscriptionId: 's',
      resourceGroup: 'rg',
      workspace: 'ws',
    });
  });
});

describe('endpoint summaries', () => {
  it("name a model as Azure's short reference does, for workspace and registry assets alike", () => {
    expect(summarizeDeployment(deployment('torch'), 'torch').model).toBe('mnist:3');
    expect(summarizeDeployment(deployment('reg', 'azureml://registries/team-reg/models/heart-classifier/versions/2'), 'torch').model).toBe('heart-classifier:2');
    expect(assetLabel(`${WS}/codes/score/versions/ab12`)).toBe('score:ab12');
  });

  it('carry the studio page when the workspace is known, and mark the default deployment', () => {
    expect(summarizeEndpoint(endpoint, links)).toMatchObject({ name: 'mnist-batch', defaultDeployment: 'torch', studioUrl: studioEndpointLink(links, 'mnist-batch') });
    expect(summarizeEndpoint(endpoint).studioUrl).toBeUndefined();
    expect([summarizeDeployment(deployment('torch'), 'torch').isDefault, summarizeDeployment(deployment('onnx'), 'torch').isDefault]).toEqual([true, false]);
  });

  it('show the model the same way in Slack and in the CLI', () => {
    const shown = { endpoint: summarizeEndpoint(endpoint, links), deployments: [summarizeDeployment(deployment('torch'), 'torch')] };
    const slack = JSON.stringify(threadMessages.endpointDetails(shown).blocks);
    expect(slack).toContain('model `mnist:3`');
    expect(slack).not.toContain('versions');
    expect(endpointDetails(shown.endpoint, shown.deployments)).toMatch(/torch \(default\)\s+Succeeded\s+mnist:3/);
  });
});

describe('job summaries', () => {
  it('read the input and output a job document names, and link the job in studio', () => {
    const job = armJob('j1', '2026-01-02T00:00:00Z', { inputs: { input_data: { uri: 'azureml://datastores/d/paths/in/' } }, outputs: { score: { uri: 'azureml://datastores/d/paths/out/' } } } as never);
    expect(summarizeJob(job, links)).toMatchObject({
      name: 'j1',
      endpointName: 'mnist-batch',
      deploymentName: 'torch',
      input: 'azureml://datastores/d/paths/in/',
      output: 'azureml://datastores/d/paths/out/',
      studioUrl: studioJobLink(links, 'j1'),
    });
  });

  it('sort newest first, jobs without a creation time last', () => {
    const jobs = [summarizeJob(armJob('old', '2026-01-01T00:00:00Z')), { name: 'undated', status: 'Running' }, summarizeJob(armJob('new', '2026-02-01T00:00:00Z'))];
    expect(jobs.sort(newestJobFirst).map((j) => j.name)).toEqual(['new', 'old', 'undated']);
  });
});

describe('deploy summaries', () => {
  const spec = deploySpecSchema.parse({
    endpointName: 'mnist-batch',
    deploymentName: 'torch',
    model: { kind: 'upload', localPath: 'model', name: 'mnist' },
    code: { kind: 'registered', name: 'score', version: '1' },
    scoringScript: 'score.py',
    environment: { kind: 'registered', name: 'env', version: '2' },
    compute: { kind: 'existing', name: 'cpu-cluster' },
  });

  it('list every planned step with a short detail: version, upload counts, or the failure code', () => {
    const progress = createDeployProgress(spec);
    progress.steps.model = { status: 'done', outputs: { name: 'mnist', version: 'abc' }, attempts: 1 };
    progress.steps.code = { status: 'done', outputs: { uploaded: '3', skipped: '1' }, attempts: 1 };
    progress.steps.compute = { status: 'failed', outputs: {}, attempts: 1, error: { code: 'NotFound', message: 'no cluster' } };
    progress.steps.environment = { status: 'done', outputs: { name: 'env' }, attempts: 1 };
    const steps = deployChecklist(spec, progress);
    expect(steps.find((s) => s.name === 'model')).toEqual({ name: 'model', status: 'done', detail: 'version abc' });
    expect(steps.find((s) => s.name === 'code')).toEqual({ name: 'code', status: 'done', detail: '3 uploaded, 1 unchanged' });
    expect(steps.find((s) => s.name === 'environment')).toEqual({ name: 'environment', status: 'done', detail: 'env' });
    expect(steps.find((s) => s.name === 'compute')).toEqual({ name: 'compute', status: 'failed', detail: 'NotFound' });
    expect(steps.find((s) => s.name === 'endpoint')).toEqual({ name: 'endpoint', status: 'pending' });
  });

  it('say what an upload did beside the version: sent, copied within the storage account, unchanged, or already registered', () => {
    const progress = createDeployProgress(spec);
    progress.steps.model = { status: 'done', outputs: { name: 'mnist', version: 'v2', uploaded: '1', copied: '2', skipped: '0', bytes: '24' }, attempts: 1 };
    expect(deployChecklist(spec, progress).find((s) => s.name === 'model')?.detail).toBe('version v2, 1 uploaded, 2 copied, 0 unchanged');
    progress.steps.model = { status: 'done', outputs: { name: 'mnist', version: 'v1', uploaded: '3', copied: '0', skipped: '0' }, attempts: 1 };
    expect(deployChecklist(spec, progress).find((s) => s.name === 'model')?.detail).toBe('version v1, 3 uploaded, 0 unchanged');
    progress.steps.model = { status: 'done', outputs: { name: 'mnist', version: 'v1', uploaded: '0', skipped: '3', reused: 'true' }, attempts: 1 };
    expect(deployChecklist(spec, progress).find((s) => s.name === 'model')?.detail).toBe('version v1, already registered');
  });

  it("say the deployment is the default only once that step is done, and link the endpoint's studio page", () => {
    const progress = createDeployProgress(spec);
    expect(deployResult(spec, progress, links)).toMatchObject({ isDefault: false, studioUrl: studioEndpointLink(links, 'mnist-batch') });
    progress.steps.default = { status: 'done', outputs: {}, attempts: 1 };
    expect(deployResult(spec, progress).isDefault).toBe(true);
  });
});

describe('job outcome views', () => {
  it("keep the fix, the counts and the preview, and link the scoring step's logs", () => {
    const details: JobOutcomeDetails = {
      scoringRunId: 'step-run-1',
      triage: { errorLines: ['FileNotFoundError: model.pt'], recognised: { fix: 'Put the model file in the model folder.' } as never },
      progress: { miniBatchesDone: 1, miniBatchesTotal: 2, itemsSucceeded: 3, itemsFailed: 1 },
      preview: { rows: [['a.png', '7']], more: false },
      output: { blobName: 'out/predictions.csv' } as never,
      link: { url: 'https://blob/x?sig=1', expiresOn: new Date(1_000) } as never,
      problems: [],
    };
    expect(jobOutcomeView('Failed', 'job-1', details, links)).toEqual({
      status: 'Failed',
      progress: details.progress,
      triage: { errorLines: ['FileNotFoundError: model.pt'], fix: 'Put the model file in the model folder.' },
      preview: details.preview,
      outputFile: 'out/predictions.csv',
      link: { url: 'https://blob/x?sig=1', expiresOn: 1_000 },
      logsUrl: studioJobLink(links, 'step-run-1'),
    });
  });

  it("fall back to the job's own page when nothing could be read", () => {
    expect(bareJobOutcomeView('Canceled', 'job-1', links)).toEqual({ status: 'Canceled', logsUrl: studioJobLink(links, 'job-1') });
    expect(jobOutcomeView('Completed', 'job-1', { problems: ['logs: 404'] }, links)).toEqual({ status: 'Completed', logsUrl: studioJobLink(links, 'job-1') });
  });
});
