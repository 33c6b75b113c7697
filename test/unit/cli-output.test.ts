// What the CLI prints about endpoints, deployments, jobs and deploys: the use cases' summaries built from
// ARM resources as the sandbox and Azure return them, and the human text made from those summaries.
import { createDeployProgress } from '../../src/domain/deploy-plan';
import type { BatchDeployment, BatchEndpoint, Job } from '../../src/azureml/resources';
import { deployStepLine, deploySummary } from '../../src/cli/deploy-output';
import { endpointDetails, endpointsTable } from '../../src/cli/endpoint-output';
import { jobOutputUri } from '../../src/azureml/scoring';
import { formatElapsed, jobDetails, jobsTable } from '../../src/cli/job-output';
import { deploySpecSchema } from '../../src/domain/deploy-spec';
import { deployResult } from '../../src/usecases/deploy-summary';
import { assetLabel, summarizeDeployment, summarizeEndpoint } from '../../src/usecases/endpoint-summary';
import { summarizeJob } from '../../src/usecases/job-summary';

const WS = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';

const endpoint: BatchEndpoint = {
  id: `${WS}/batchEndpoints/mnist-batch`,
  name: 'mnist-batch',
  location: 'eastus',
  properties: { authMode: 'AADToken', scoringUri: 'https://x/inference/batchEndpoints/mnist-batch/jobs', defaults: { deploymentName: 'torch' }, provisioningState: 'Succeeded' },
};

const deployment = (name: string): BatchDeployment => ({
  id: `${WS}/batchEndpoints/mnist-batch/deployments/${name}`,
  name,
  location: 'eastus',
  properties: {
    model: { referenceType: 'Id', assetId: `${WS}/models/mnist/versions/3` },
    codeConfiguration: { codeId: `${WS}/codes/score/versions/ab12`, scoringScript: 'score.py' },
    compute: `${WS}/computes/cpu-cluster`,
    resources: { instanceCount: 2 },
    miniBatchSize: 5,
    provisioningState: 'Succeeded',
  },
});

const job = (over: Partial<Job['properties']> = {}, createdAt = '2026-01-02T03:04:05Z'): Job => ({
  id: `${WS}/jobs/job-1`,
  name: 'job-1',
  properties: {
    jobType: 'Pipeline',
    status: 'Completed',
    experimentName: 'mnist-batch',
    // As Azure lists a batch job (recorded: test_batch_job_download.json #29): deployment in tags, no I/O.
    tags: { 'azureml.batchrun': 'true', 'azureml.deploymentname': 'torch' },
    properties: { 'azureml.runsource': 'azureml.PipelineRun' },
    inputs: null,
    outputs: null,
    ...over,
  },
  systemData: { createdAt },
});

describe('endpoints and deployments', () => {
  it('summarizes an endpoint and marks its default deployment', () => {
    const summary = summarizeEndpoint(endpoint);
    expect(summary).toEqual({ name: 'mnist-batch', provisioningState: 'Succeeded', defaultDeployment: 'torch', scoringUri: endpoint.properties.scoringUri, authMode: 'AADToken' });
    expect(summarizeDeployment(deployment('torch'), 'torch')).toEqual({
      name: 'torch',
      isDefault: true,
      provisioningState: 'Succeeded',
      model: 'mnist:3',
      code: 'score:ab12',
      scoringScript: 'score.py',
      compute: 'cpu-cluster',
      instanceCount: 2,
      miniBatchSize: 5,
    });
  });

  it('names assets by name:version and anything else by its last segment', () => {
    expect(assetLabel(`${WS}/environments/env%20x/versions/1`)).toBe('env x:1');
    expect(assetLabel('azureml://registries/r/models/m')).toBe('m');
    expect(assetLabel(undefined)).toBeUndefined();
  });

  it('says so when the workspace has no endpoints, and tabulates them when it has', () => {
    expect(endpointsTable([], 'ws')).toBe('No batch endpoints in workspace ws.');
    expect(endpointsTable([summarizeEndpoint(endpoint)], 'ws')).toMatch(/^NAME\s+STATE\s+DEFAULT DEPLOYMENT\s+SCORING URI\nmnist-batch\s+Succeeded\s+torch\s+https:/);
  });

  it('shows the endpoint fields and a deployments table with the default marked', () => {
    const text = endpointDetails(summarizeEndpoint(endpoint), [summarizeDeployment(deployment('torch'), 'torch'), summarizeDeployment(deployment('onnx'), 'torch')]);
    expect(text).toMatch(/Default deployment:\s+torch/);
    expect(text).toMatch(/torch \(default\)\s+Succeeded\s+mnist:3\s+cpu-cluster\s+2\s+5/);
    expect(text).toMatch(/\nonnx\s+Succeeded/);
    expect(endpointDetails(summarizeEndpoint(endpoint), [])).toContain('No deployments yet.');
  });
});

describe('jobs', () => {
  it('summarizes a batch job as Azure lists it: endpoint, deployment from tags, studio link, no invented output', () => {
    const links = { studioUrl: 'https://ml.azure.com', workspace: { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws' } };
    expect(summarizeJob(job(), links)).toEqual({
      name: 'job-1',
      status: 'Completed',
      endpointName: 'mnist-batch',
      deploymentName: 'torch',
      createdAt: '2026-01-02T03:04:05Z',
      studioUrl: 'https://ml.azure.com/runs/job-1?wsid=/subscriptions/s/resourcegroups/rg/workspaces/ws',
    });
  });

  it('reads the confirmed output and the endpoint from a data-plane job document', () => {
    const doc = {
      id: `${WS}/batchEndpoints/mnist-batch/deployments/torch/jobs/batchjob-1`,
      name: 'batchjob-1',
      properties: { status: 'Running', output: { datastoreId: `${WS}/datastores/workspaceblobstore`, path: 'out/p.csv' }, tags: { 'azureml.deploymentname': 'torch' } },
    };
    expect(summarizeJob(doc as never)).toMatchObject({ endpointName: 'mnist-batch', deploymentName: 'torch', output: 'azureml://datastores/workspaceblobstore/paths/out/p.csv' });
    expect(jobOutputUri({ properties: { output: { datastoreId: null, path: null } } })).toBeUndefined();
  });

  it("carries the service's error code and message when a job document has one, and nothing when it has none", () => {
    expect(summarizeJob(job({ status: 'Failed' })).error).toBeUndefined();
    const failed = job({ status: 'Failed', error: { code: 'UserError', message: 'score.py raised' } } as never);
    expect(summarizeJob(failed).error).toEqual({ code: 'UserError', message: 'score.py raised' });
    expect(jobDetails(summarizeJob(failed))).toMatch(/Error:\s+UserError: score.py raised/);
  });

  it('prefers the output named score and falls back to any named output', () => {
    expect(jobOutputUri(job({ outputs: { other: { uri: 'o' }, score: { uri: 's' } } }))).toBe('s');
    expect(jobOutputUri(job({ outputs: { predictions: { uri: 'p' } } }))).toBe('p');
    expect(jobOutputUri(job({ outputs: null }))).toBeUndefined();
  });

  it('tabulates jobs and says so when an endpoint has none', () => {
    expect(jobsTable([summarizeJob(job())])).toMatch(/^JOB\s+ENDPOINT\s+DEPLOYMENT\s+STATUS\s+CREATED\njob-1\s+mnist-batch\s+torch\s+Completed\s+2026/);
    expect(jobsTable([], 'mnist-batch')).toBe('No batch scoring jobs for endpoint mnist-batch.');
  });

  it('writes elapsed times as a person would', () => {
    expect([formatElapsed(4_400), formatElapsed(65_000), formatElapsed(3_720_000)]).toEqual(['4s', '1m05s', '1h02m']);
  });
});

describe('deploys', () => {
  const spec = deploySpecSchema.parse({
    endpointName: 'mnist-batch',
    deploymentName: 'torch',
    model: { kind: 'upload', localPath: 'model', name: 'mnist' },
    code: { kind: 'registered', name: 'score', version: '1' },
    scoringScript: 'score.py',
    environment: { kind: 'registered', name: 'env', version: '2' },
    compute: { kind: 'existing', name: 'cpu-cluster' },
  });

  it('reports a finished step with its version and upload counts, and a failed one with its reason', () => {
    const progress = createDeployProgress(spec);
    progress.steps.model = { status: 'done', outputs: { id: 'x', name: 'mnist', version: 'abc', uploaded: '2', reused: 'false' }, attempts: 1 };
    expect(deployStepLine({ step: 'model', status: 'done', progress })).toBe('deploy model: done (version abc, uploaded 2, reused false)');
    // A new version beside an earlier one: what was copied within the storage account, not sent.
    progress.steps.model.outputs = { version: 'abd', uploaded: '1', copied: '40', created: 'true' };
    expect(deployStepLine({ step: 'model', status: 'done', progress })).toBe('deploy model: done (version abd, uploaded 1, copied 40, created true)');
    progress.steps.compute = { status: 'failed', outputs: {}, attempts: 1, error: { code: 'NotFound', message: 'no cluster' } };
    expect(deployStepLine({ step: 'compute', status: 'failed', progress })).toBe('deploy compute: failed (NotFound: no cluster)');
    expect(deployStepLine({ step: 'endpoint', status: 'running', progress })).toBe('deploy endpoint: running');
  });

  it('sums up what a finished deploy made', () => {
    const progress = createDeployProgress(spec);
    for (const s of Object.values(progress.steps)) if (s) s.status = 'done';
    progress.steps.endpoint!.outputs = { scoringUri: 'https://x/jobs' };
    progress.steps.model!.outputs = { name: 'mnist', version: 'abc' };
    progress.steps.compute!.outputs = { name: 'cpu-cluster' };
    const result = deployResult(spec, progress);
    expect(result).toMatchObject({ endpointName: 'mnist-batch', deploymentName: 'torch', scoringUri: 'https://x/jobs', isDefault: true, model: 'mnist:abc', compute: 'cpu-cluster' });
    expect(deploySummary(result)).toMatch(/^Deployed torch to batch endpoint mnist-batch\.\nScoring URI:\s+https:\/\/x\/jobs\nDefault deployment:\s+torch/);
  });
});
