// Microsoft's own examples (azure-rest-api-specs, Azure ML 2022-05-01) replayed against the sandbox:
// each example's request goes to the sandbox's workspace; the sandbox must answer with a status the
// example documents and a response oav finds valid against the spec. Where the sandbox checks
// references (a deployment's code, model, environment and compute must exist), the prerequisites are
// the resources earlier examples created, so the examples run in dependency order. Examples for kinds
// of resources the product does not use are listed, with the reason, in NOT_REPLAYED.
import { startAzureMlSandbox, type AzureMlSandbox } from '../../sandbox/azureml';
import {
  createAzureSpecValidator,
  describeValidation,
  expectSpecValid,
  type AzureSpecValidator,
  type ValidatedExchange,
} from '../support/azure-spec-validator';
import { exampleRequest, loadSpecExamples, type SpecExample } from './spec-examples';
import { jsonOf, sendRequest, waitFor } from './sandbox-http';

type Json = Record<string, unknown>;

interface Replay {
  /** Example file under …/2022-05-01/examples/. */
  file: string;
  /** Why and how the example is adapted, when it is (shown in the test name). */
  adapted?: string;
  params?: (ctx: ReplayContext) => Record<string, unknown>;
  body?: (body: Json, ctx: ReplayContext) => Json;
  /** Waits for the state the example presupposes (e.g. a Succeeded deployment before a job exists). */
  before?: (ctx: ReplayContext) => Promise<void>;
}

interface ReplayContext {
  sandbox: AzureMlSandbox;
  armId: (relative: string) => string;
  jobName: () => string;
}

const API_VERSION = '2022-05-01';
const EXAMPLE_ENDPOINT = 'testEndpointName';
const EXAMPLE_DEPLOYMENT = 'testDeploymentName';
const EXAMPLE_COMPUTE = 'compute123';

let jobName: string | undefined;

async function getJson(ctx: ReplayContext, relative: string): Promise<Json> {
  const x = await sendRequest({ method: 'GET', url: `${ctx.sandbox.baseUrl}${ctx.armId(relative)}?api-version=${API_VERSION}` }, ctx.sandbox.token);
  return x.status === 200 ? jsonOf(x) : {};
}

const provisioningStateOf = async (ctx: ReplayContext, relative: string): Promise<unknown> =>
  ((await getJson(ctx, relative)).properties as Json | undefined)?.provisioningState;

async function untilSucceeded(ctx: ReplayContext, relative: string): Promise<void> {
  await waitFor(`${relative} to be Succeeded`, async () => ((await provisioningStateOf(ctx, relative)) === 'Succeeded' ? true : undefined));
}

/** A batch scoring job, started the only way the product starts one: by invoking the endpoint's scoring URI. */
async function startScoringJob(ctx: ReplayContext): Promise<void> {
  if (jobName) return;
  await untilSucceeded(ctx, `/batchEndpoints/${EXAMPLE_ENDPOINT}`);
  await untilSucceeded(ctx, `/batchEndpoints/${EXAMPLE_ENDPOINT}/deployments/${EXAMPLE_DEPLOYMENT}`);
  await ctx.sandbox.admin.putDatastoreFile('replay/inputs/0.png', 'seven');
  const x = await sendRequest(
    {
      method: 'POST',
      url: ctx.sandbox.scoringUri(EXAMPLE_ENDPOINT),
      body: { properties: { InputData: { mnistinput: { JobInputType: 'UriFolder', Uri: 'azureml://datastores/workspaceblobstore/paths/replay/inputs/' } } } },
    },
    ctx.sandbox.scoringToken,
  );
  if (x.status >= 300) throw new Error(`invoking the batch endpoint failed: ${x.status} ${String(x.responseBody)}`);
  jobName = String(jsonOf(x).name);
}

/** Dependency order: computes and assets first, then the endpoint and deployment that refer to them, jobs, deletes. */
const REPLAYED: Replay[] = [
  { file: 'Compute/createOrUpdate/BasicAmlCompute.json' },
  { file: 'Compute/get/AmlCompute.json' },
  {
    file: 'Compute/list.json',
    adapted: 'api-version 2022-05-01: the example says 2021-04-01, a version this file does not describe',
    params: () => ({ 'api-version': API_VERSION }),
  },
  // "Update a AML Compute": a PUT of new scale settings only (no vmSize) on the existing cluster, which
  // Azure answers 200 with the cluster's vmSize kept.
  { file: 'Compute/createOrUpdate/AmlCompute.json', before: (ctx) => untilSucceeded(ctx, `/computes/${EXAMPLE_COMPUTE}`) },

  { file: 'Datastore/AzureBlobWAccountKey/createOrUpdate.json' },
  { file: 'Datastore/get.json' },
  { file: 'Datastore/list.json' },
  { file: 'Datastore/listSecrets.json' },

  { file: 'CodeContainer/createOrUpdate.json' },
  { file: 'CodeContainer/get.json' },
  { file: 'CodeContainer/list.json' },
  { file: 'CodeVersion/createOrUpdate.json' },
  { file: 'CodeVersion/get.json' },
  { file: 'CodeVersion/list.json' },
  { file: 'ModelContainer/createOrUpdate.json' },
  { file: 'ModelContainer/get.json' },
  { file: 'ModelContainer/list.json' },
  { file: 'ModelVersion/createOrUpdate.json' },
  { file: 'ModelVersion/get.json' },
  { file: 'ModelVersion/list.json' },
  { file: 'EnvironmentContainer/createOrUpdate.json' },
  { file: 'EnvironmentContainer/get.json' },
  { file: 'EnvironmentContainer/list.json' },
  { file: 'EnvironmentVersion/createOrUpdate.json' },
  { file: 'EnvironmentVersion/get.json' },
  { file: 'EnvironmentVersion/list.json' },
  { file: 'DataContainer/createOrUpdate.json' },
  { file: 'DataContainer/get.json' },
  { file: 'DataContainer/list.json' },
  { file: 'DataVersionBase/createOrUpdate.json' },
  { file: 'DataVersionBase/get.json' },
  { file: 'DataVersionBase/list.json' },

  {
    file: 'BatchEndpoint/createOrUpdate.json',
    adapted: 'no defaults yet: its default deployment does not exist before the deployment example runs',
    body: (b) => ({ ...b, properties: { ...(b.properties as Json), defaults: undefined } }),
  },
  { file: 'BatchEndpoint/get.json' },
  { file: 'BatchEndpoint/list.json' },
  {
    file: 'BatchDeployment/createOrUpdate.json',
    adapted: "references point at the code, model, environment and compute the examples above registered (the example's are 'string')",
    body: (b, ctx) => {
      const p = b.properties as Json;
      return {
        ...b,
        properties: {
          ...p,
          codeConfiguration: { ...(p.codeConfiguration as Json), codeId: ctx.armId('/codes/string/versions/string') },
          environmentId: ctx.armId('/environments/string/versions/string'),
          compute: ctx.armId(`/computes/${EXAMPLE_COMPUTE}`),
          model: { referenceType: 'Id', assetId: ctx.armId('/models/string/versions/string') },
        },
      };
    },
  },
  { file: 'BatchDeployment/get.json' },
  { file: 'BatchDeployment/list.json' },
  {
    file: 'BatchEndpoint/createOrUpdate.json',
    adapted: 'as an update that sets the default deployment to the one the deployment example created',
    body: (b) => ({ ...b, properties: { ...(b.properties as Json), defaults: { deploymentName: EXAMPLE_DEPLOYMENT } } }),
  },

  {
    file: 'Job/PipelineJob/get.json',
    adapted: 'id = a batch scoring job started through the scoring URI (the product never PUTs jobs)',
    before: startScoringJob,
    params: (ctx) => ({ id: ctx.jobName() }),
  },
  {
    file: 'Job/PipelineJob/list.json',
    adapted: "jobType=Pipeline and no tag filter, so the list holds the batch job (the example's filters are 'string')",
    params: () => ({ jobType: 'Pipeline', tag: undefined, $skipToken: undefined }),
  },
  { file: 'Job/cancel.json', adapted: 'id = the running batch job', params: (ctx) => ({ id: ctx.jobName() }) },

  { file: 'BatchDeployment/update.json' },
  { file: 'BatchEndpoint/update.json' },
  { file: 'BatchDeployment/delete.json' },
  {
    file: 'BatchEndpoint/delete.json',
    adapted: `endpointName ${EXAMPLE_ENDPOINT}, the endpoint the examples created (the example names testBatchEndpoint)`,
    params: () => ({ endpointName: EXAMPLE_ENDPOINT }),
  },
  { file: 'CodeVersion/delete.json' },
  { file: 'CodeContainer/delete.json' },
  { file: 'ModelVersion/delete.json' },
  { file: 'ModelContainer/delete.json' },
  { file: 'EnvironmentVersion/delete.json' },
  { file: 'EnvironmentContainer/delete.json' },
  { file: 'DataVersionBase/delete.json' },
  { file: 'DataContainer/delete.json' },
  { file: 'Datastore/delete.json' },
  { file: 'Compute/delete.json' },
];

/** Examples of the operations' families that are deliberately not replayed, and why. */
const NOT_REPLAYED: Record<string, string> = {
  'BatchEndpoint/listKeys.json': 'key auth: the bot authenticates with AAD tokens and never lists keys; the sandbox does not serve listKeys',
  'Compute/createOrUpdate/AKSCompute.json': 'AKS compute: batch deployments run on AmlCompute clusters, the only compute the sandbox provides',
  'Compute/createOrUpdate/BasicAKSCompute.json': 'AKS compute: not an AmlCompute cluster',
  'Compute/createOrUpdate/KubernetesCompute.json': 'Kubernetes compute: not an AmlCompute cluster',
  'Compute/createOrUpdate/BasicDataFactoryCompute.json': 'Data Factory compute: not an AmlCompute cluster',
  'Compute/createOrUpdate/ComputeInstance.json': 'compute instance: not an AmlCompute cluster',
  'Compute/createOrUpdate/ComputeInstanceMinimal.json': 'compute instance: not an AmlCompute cluster',
  'Compute/get/AKSCompute.json': 'AKS compute: not an AmlCompute cluster',
  'Compute/get/ComputeInstance.json': 'compute instance: not an AmlCompute cluster',
  'Compute/get/KubernetesCompute.json': 'Kubernetes compute: not an AmlCompute cluster',
  'Compute/patch.json': 'Compute_Update (scale settings PATCH): the bot does not resize clusters; not served',
  'Compute/listKeys.json': 'Compute_ListKeys: not used by the bot; not served',
  'Compute/listNodes.json': 'Compute_ListNodes: not used by the bot; not served',
  'Compute/start.json': 'compute instances only',
  'Compute/stop.json': 'compute instances only',
  'Compute/restart.json': 'compute instances only',
  'Datastore/AzureDataLakeGen1WServicePrincipal/createOrUpdate.json': 'Data Lake Gen1 datastore: the sandbox datastores are blob containers (Azurite)',
  'Datastore/AzureDataLakeGen2WServicePrincipal/createOrUpdate.json': 'Data Lake Gen2 datastore: the sandbox datastores are blob containers (Azurite)',
  'Datastore/AzureFileWAccountKey/createOrUpdate.json': 'Azure Files datastore: the sandbox datastores are blob containers (Azurite)',
  'Job/CommandJob/createOrUpdate.json': 'Jobs_CreateOrUpdate: batch jobs are created by invoking the scoring URI, never by PUT',
  'Job/PipelineJob/createOrUpdate.json': 'Jobs_CreateOrUpdate: batch jobs are created by invoking the scoring URI, never by PUT',
  'Job/SweepJob/createOrUpdate.json': 'Jobs_CreateOrUpdate: batch jobs are created by invoking the scoring URI, never by PUT',
  'Job/CommandJob/get.json': 'command jobs: a batch scoring job is a pipeline job (replayed with Job/PipelineJob/get.json)',
  'Job/SweepJob/get.json': 'sweep jobs: a batch scoring job is a pipeline job',
  'Job/CommandJob/list.json': "filters jobType=Command: same operation as Job/PipelineJob/list.json, which is replayed",
  'Job/SweepJob/list.json': 'filters jobType=Sweep: same operation as Job/PipelineJob/list.json, which is replayed',
  'Job/delete.json': 'Jobs_Delete: the bot cancels jobs but never deletes them; not served',
};

/** The example families the bot's operations belong to (the brief's list, plus the asset containers). */
const FAMILIES = [
  'BatchEndpoint',
  'BatchDeployment',
  'CodeContainer',
  'CodeVersion',
  'ModelContainer',
  'ModelVersion',
  'EnvironmentContainer',
  'EnvironmentVersion',
  'DataContainer',
  'DataVersionBase',
  'Datastore',
  'Compute',
  'Job',
];

let sandbox: AzureMlSandbox;
let validator: AzureSpecValidator;
let examples: Map<string, SpecExample>;
let ctx: ReplayContext;
const outcomes: ValidatedExchange[] = [];

beforeAll(async () => {
  [sandbox, validator] = await Promise.all([
    // Jobs stay queued (10 simulated hours) so the cancel example meets a running job.
    startAzureMlSandbox({ timeScale: 0.001, durations: { jobQueueMs: 36_000_000 } }),
    createAzureSpecValidator(),
  ]);
  examples = loadSpecExamples(validator.specsDirectory);
  const workspacePath =
    `/subscriptions/${sandbox.subscriptionId}/resourceGroups/${sandbox.resourceGroup}` +
    `/providers/Microsoft.MachineLearningServices/workspaces/${sandbox.workspace}`;
  ctx = {
    sandbox,
    armId: (relative) => `${workspacePath}${relative}`,
    jobName: () => {
      if (!jobName) throw new Error('no batch job was started');
      return jobName;
    },
  };
}, 30_000);

afterAll(async () => {
  await sandbox?.stop();
});

describe("Microsoft's 2022-05-01 examples replayed against the sandbox", () => {
  it('account for every example of the operation families the bot uses: replayed or excluded with a reason', () => {
    const relevant = [...examples.keys()].filter((file) => FAMILIES.includes(file.split('/')[0]!)).sort();
    const accounted = [...new Set([...REPLAYED.map((r) => r.file), ...Object.keys(NOT_REPLAYED)])].sort();
    expect(accounted).toEqual(relevant);
    expect(REPLAYED.filter((r) => r.file in NOT_REPLAYED)).toEqual([]);
  });

  it.each(REPLAYED.map((r) => [r.adapted ? `${r.file} (${r.adapted})` : r.file, r] as const))('%s', async (_name, replay) => {
    const example = examples.get(replay.file);
    if (!example) throw new Error(`example ${replay.file} is not referenced by the spec's x-ms-examples`);
    await replay.before?.(ctx);
    const request = exampleRequest(example, sandbox, { params: replay.params?.(ctx), body: replay.body && ((b) => replay.body!(b, ctx)) });
    const exchange = await sendRequest(request, sandbox.token);
    const verdict = await validator.validateExchange(exchange);
    if (verdict.scope !== 'arm') throw new Error(`${request.url} is outside the spec's scope (${verdict.reason})`);
    outcomes.push(verdict);

    expect(verdict.operationId).toBe(example.operationId);
    if (!example.statuses.includes(String(exchange.status))) {
      throw new Error(`the sandbox answered ${exchange.status}; the example documents ${example.statuses.join(', ')}\n${describeValidation(verdict)}`);
    }
    expectSpecValid(verdict, 'response');
  });

  it("sends Microsoft's example requests, adapted, as spec-valid requests (the replay itself is sound)", () => {
    expectSpecValid(outcomes, 'request');
  });

  it('covered each operation the bot relies on', () => {
    const covered = new Set(outcomes.map((o) => o.operationId));
    for (const op of [
      'Compute_CreateOrUpdate',
      'Compute_Get',
      'Compute_List',
      'Compute_Delete',
      'Datastores_CreateOrUpdate',
      'Datastores_Get',
      'Datastores_List',
      'Datastores_ListSecrets',
      'Datastores_Delete',
      'CodeVersions_CreateOrUpdate',
      'CodeVersions_Get',
      'ModelVersions_CreateOrUpdate',
      'ModelVersions_Get',
      'EnvironmentVersions_CreateOrUpdate',
      'EnvironmentVersions_Get',
      'DataVersions_CreateOrUpdate',
      'DataVersions_Get',
      'BatchEndpoints_CreateOrUpdate',
      'BatchEndpoints_Get',
      'BatchEndpoints_List',
      'BatchEndpoints_Update',
      'BatchEndpoints_Delete',
      'BatchDeployments_CreateOrUpdate',
      'BatchDeployments_Get',
      'BatchDeployments_List',
      'BatchDeployments_Update',
      'BatchDeployments_Delete',
      'Jobs_Get',
      'Jobs_List',
      'Jobs_Cancel',
    ]) {
      expect({ op, covered: covered.has(op) }).toEqual({ op, covered: true });
    }
  });
});
