// A workspace's past: the jobs a real workspace has accumulated before the bot ever ran there. Azure ML keeps
// every job of every kind in one list (Jobs_List): the team's command jobs and sweeps, training pipelines,
// and the batch scoring jobs of other endpoints, most of them long finished, some archived, and a few with
// status values newer api-versions added (e.g. `Scheduled`, listed for JobStatus in the 2024 SDKs: "The job is
// in a scheduled state. Job is not in any active state."; extensible enum, `modelAsString` in mfe.json).
//
// Seeded jobs are kept compact (a few fields each) and rendered into the ARM view only when a page or a
// GET shows them, so 20,000 of them cost a few MB. Views follow the recordings: batch scoring jobs as in
// `test_batch_job_download.json` (a Pipeline job, experimentName = endpoint, deployment in tags, inputs and
// outputs null), command jobs as in azure-powershell's `Get-AzMLWorkspaceJob` (createdAt/createdBy/createdByType
// only in systemData). Sweep and training-pipeline views are the 2022-05-01 spec's shapes (no recording).

export type HistoricalJobKind = 'command' | 'sweep' | 'training-pipeline' | 'batch-scoring';

export interface HistoricalJob {
  name: string;
  kind: HistoricalJobKind;
  jobType: 'Command' | 'Sweep' | 'Pipeline';
  experimentName: string;
  displayName: string;
  status: string;
  createdAtMs: number;
  createdBy: string;
  isArchived: boolean;
  tags: Record<string, string>;
  /** batch-scoring only. */
  deploymentName?: string;
}

export interface SeedHistoryOptions {
  /** How many jobs to add. */
  count: number;
  /** PRNG seed: the same seed gives the same history (default 1). */
  seed?: number;
  /** The newest seeded job is created just before this (default: now). */
  endAt?: number;
  /** How far back the oldest job goes (default 180 days). */
  spanDays?: number;
}

/** Status values of the 2022-05-01 JobStatus enum a finished or idle job can show, by weight. */
const PAST_STATUSES: ReadonlyArray<[string, number]> = [
  ['Completed', 850],
  ['Failed', 80],
  ['Canceled', 40],
  ['NotResponding', 5],
  ['Paused', 3],
  ['Running', 10],
  ['Queued', 6],
  ['Unknown', 2],
];

/** Values newer api-versions return that the 2022-05-01 enum does not list (every 250th job shows one). */
export const NEWER_JOB_STATUSES: readonly string[] = ['Scheduled'];

const ADJECTIVES = ['blue', 'calm', 'eager', 'gentle', 'happy', 'jolly', 'kind', 'lucid', 'mellow', 'quiet', 'red', 'shy', 'tidy', 'witty'];
const NOUNS = ['store', 'river', 'apple', 'cloud', 'pepper', 'lamp', 'kettle', 'garden', 'engine', 'cactus', 'violin', 'lemon'];
const EXPERIMENTS = ['train-churn', 'data-prep', 'feature-store-refresh', 'mnist-train', 'hyperdrive-lr', 'eval-nightly'];
const PIPELINE_EXPERIMENTS = ['nightly-retrain', 'weekly-features', 'mlops-pipeline'];
const OTHER_ENDPOINTS: ReadonlyArray<[string, string[]]> = [
  ['churn-batch', ['blue', 'green']],
  ['fraud-scoring', ['v1', 'v2']],
  ['invoice-ocr', ['default']],
  ['demand-forecast', ['prod']],
  ['sentiment-batch', ['d1']],
];
const PEOPLE = ['Firstname Lastname', 'Data Scientist', 'MLOps Service Principal'];

/** mulberry32: small, fast and deterministic, so a seeded history is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class JobHistory {
  /** Newest first. */
  private jobs: HistoricalJob[] = [];
  private readonly byName = new Map<string, HistoricalJob>();
  private seeded = 0;
  /** Changes whenever a listed field of any job does (callers cache filtered views by it). */
  version = 0;

  get size(): number {
    return this.jobs.length;
  }

  /** All seeded jobs, newest first (callers must not modify the array). */
  newestFirst(): readonly HistoricalJob[] {
    return this.jobs;
  }

  get(name: string): HistoricalJob | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /**
   * Adds one named past job (a test's or a replayed recording's: `commandjob01` of azure-powershell's
   * Get-AzMLWorkspaceJob); a job of that name already in the history is replaced.
   */
  add(job: Pick<HistoricalJob, 'name' | 'kind' | 'experimentName' | 'status'> & Partial<HistoricalJob>): HistoricalJob {
    const full: HistoricalJob = {
      jobType: job.kind === 'command' ? 'Command' : job.kind === 'sweep' ? 'Sweep' : 'Pipeline',
      displayName: job.name,
      createdAtMs: Date.now() - 60_000,
      createdBy: 'Firstname Lastname',
      isArchived: false,
      tags: job.kind === 'batch-scoring' && job.deploymentName ? { 'azureml.batchrun': 'true', 'azureml.deploymentname': job.deploymentName } : {},
      ...job,
    };
    const existing = this.byName.get(full.name.toLowerCase());
    this.byName.set(full.name.toLowerCase(), full);
    this.jobs = [...this.jobs.filter((j) => j !== existing), full].sort((a, b) => b.createdAtMs - a.createdAtMs);
    this.version += 1;
    return full;
  }

  /** Adds `count` past jobs spread over the span before endAt; returns how many the history holds now. */
  seed(opts: SeedHistoryOptions): number {
    const count = Math.max(0, Math.floor(opts.count));
    const random = prng((opts.seed ?? 1) + this.seeded);
    const endAt = opts.endAt ?? Date.now();
    const spanMs = (opts.spanDays ?? 180) * 86_400_000;
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
    const guid = (): string => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(random() * 4)]}${hex(3)}-${hex(12)}`;
    const autoName = (): string => `${pick(ADJECTIVES)}_${pick(NOUNS)}_${Array.from({ length: 8 }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(random() * 36)]).join('')}`;
    const totalWeight = PAST_STATUSES.reduce((sum, [, w]) => sum + w, 0);
    const statusFor = (index: number): string => {
      if (index % 250 === 7) return pick(NEWER_JOB_STATUSES);
      let r = random() * totalWeight;
      for (const [status, weight] of PAST_STATUSES) {
        r -= weight;
        if (r < 0) return status;
      }
      return 'Completed';
    };

    const added: HistoricalJob[] = [];
    for (let i = 0; i < count; i++) {
      // Evenly spread with jitter, oldest first; at least a minute before endAt.
      const createdAtMs = Math.round(endAt - 60_000 - spanMs * (1 - (i + random()) / Math.max(1, count)));
      const roll = random();
      const kind: HistoricalJobKind = roll < 0.35 ? 'command' : roll < 0.45 ? 'sweep' : roll < 0.6 ? 'training-pipeline' : 'batch-scoring';
      const common = { status: statusFor(this.seeded + i), createdAtMs, createdBy: pick(PEOPLE), isArchived: random() < 0.03 };
      let job: HistoricalJob;
      if (kind === 'batch-scoring') {
        const [endpoint, deployments] = pick(OTHER_ENDPOINTS);
        const deploymentName = pick(deployments);
        const name = random() < 0.5 ? guid() : `batchjob-${guid()}`;
        job = {
          ...common,
          name,
          kind,
          jobType: 'Pipeline',
          experimentName: endpoint,
          displayName: autoName(),
          deploymentName,
          tags: { 'azureml.batchrun': 'true', 'azureml.deploymentname': deploymentName },
        };
      } else {
        const name = autoName();
        job = {
          ...common,
          name,
          kind,
          jobType: kind === 'command' ? 'Command' : kind === 'sweep' ? 'Sweep' : 'Pipeline',
          experimentName: kind === 'training-pipeline' ? pick(PIPELINE_EXPERIMENTS) : pick(EXPERIMENTS),
          displayName: name,
          tags: kind === 'training-pipeline' ? { team: 'forecasting' } : {},
        };
      }
      if (this.byName.has(job.name.toLowerCase())) continue;
      this.byName.set(job.name.toLowerCase(), job);
      added.push(job);
    }
    this.seeded += count;
    // Keep newest first: merge the new (ascending) batch into the existing list.
    this.jobs = [...this.jobs, ...added].sort((a, b) => b.createdAtMs - a.createdAtMs);
    this.version += 1;
    return this.jobs.length;
  }
}

export interface HistoryViewContext {
  workspacePath: string;
  studioHost: string;
  /** The request's api-version: a command job shows 2024-04-01's resources, queueSettings and notificationSetting only to newer ones. */
  apiVersion?: string;
}

function services(ctx: HistoryViewContext, name: string): Record<string, unknown> {
  const wsid = ctx.workspacePath.replace('/resourceGroups/', '/resourcegroups/').replace('/providers/Microsoft.MachineLearningServices', '');
  const nulls = { port: null, status: null, errorMessage: null, properties: null, nodes: null };
  return {
    Tracking: { jobServiceType: 'Tracking', ...nulls, endpoint: `azureml://api.azureml.ms/mlflow/v1.0${ctx.workspacePath}?` },
    Studio: { jobServiceType: 'Studio', ...nulls, endpoint: `${ctx.studioHost}/runs/${name}?wsid=${wsid}` },
  };
}

/** The ARM view (JobBaseResource) of a seeded job. */
export function historicalJobView(ctx: HistoryViewContext, job: HistoricalJob): Record<string, unknown> {
  const workspacePrefix = ctx.workspacePath;
  const common = {
    tags: job.tags,
    displayName: job.displayName,
    status: job.status,
    experimentName: job.experimentName,
    services: services(ctx, job.name),
    isArchived: job.isArchived,
    identity: null,
    componentId: null,
  };
  let properties: Record<string, unknown>;
  switch (job.kind) {
    case 'batch-scoring':
      properties = {
        description: `Pipeline submission for endpoint: ${job.experimentName}, deployment: ${job.deploymentName}.`,
        properties: {
          'azureml.runsource': 'azureml.PipelineRun',
          runSource: 'Unavailable',
          runType: 'HTTP',
          'azureml.pipelineComponent': 'pipelinerun',
        },
        ...common,
        computeId: null,
        jobType: 'Pipeline',
        settings: null,
        jobs: null,
        inputs: null,
        outputs: null,
        sourceJobId: null,
      };
      break;
    case 'training-pipeline':
      properties = {
        description: null,
        properties: { 'azureml.runsource': 'azureml.PipelineRun', runSource: 'MFE', runType: 'HTTP' },
        ...common,
        computeId: null,
        jobType: 'Pipeline',
        settings: { default_compute: `${workspacePrefix}/computes/cpu-cluster` },
        jobs: null,
        inputs: null,
        outputs: null,
        sourceJobId: null,
      };
      break;
    case 'sweep':
      properties = {
        description: null,
        properties: {},
        ...common,
        computeId: `${workspacePrefix}/computes/gpu-cluster`,
        jobType: 'Sweep',
        objective: { goal: 'Maximize', primaryMetric: 'accuracy' },
        samplingAlgorithm: { samplingAlgorithmType: 'Random' },
        searchSpace: { learning_rate: ['uniform', [0.001, 0.1]] },
        trial: { command: 'python train.py --lr ${{search_space.learning_rate}}', environmentId: `${workspacePrefix}/environments/train-env/versions/3` },
        limits: { jobLimitsType: 'Sweep', maxTotalTrials: 20, maxConcurrentTrials: 4 },
        inputs: {},
        outputs: {},
      };
      break;
    case 'command': {
      // As Get-AzMLWorkspaceJob recorded a finished command job: the run's process files and times among its
      // properties, and the system's compute status among its tags.
      const finished = ['Completed', 'Failed', 'Canceled'].includes(job.status);
      const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
      properties = {
        description: null,
        properties: {
          '_azureml.ComputeTargetType': 'amlctrain',
          '_azureml.ClusterName': 'cpu-cluster',
          ProcessInfoFile: 'azureml-logs/process_info.json',
          ProcessStatusFile: 'azureml-logs/process_status.json',
          StartTimeUtc: stamp(job.createdAtMs + 8_000),
          ...(finished ? { EndTimeUtc: stamp(job.createdAtMs + 75_000) } : {}),
        },
        ...common,
        ...(finished
          ? { tags: { ...job.tags, _aml_system_ComputeTargetStatus: '{"AllocationState":"steady","PreparingNodeCount":0,"RunningNodeCount":0,"CurrentNodeCount":1}' } }
          : {}),
        computeId: `${workspacePrefix}/computes/cpu-cluster`,
        jobType: 'Command',
        codeId: null,
        command: 'python main.py',
        environmentId: `${workspacePrefix}/environments/train-env/versions/3`,
        inputs: {},
        outputs: {
          default: {
            description: null,
            uri: `azureml://datastores/workspaceartifactstore/ExperimentRun/dcid.${job.name}`,
            mode: 'ReadWriteMount',
            jobOutputType: 'uri_folder',
          },
        },
        distribution: null,
        limits: { timeout: null, jobLimitsType: 'Command' },
        environmentVariables: null,
        parameters: {},
        ...((ctx.apiVersion ?? '2022-05-01') > '2022-05-01'
          ? {
              notificationSetting: null,
              resources: { instanceCount: 1, instanceType: null, properties: null, shmSize: '2g', dockerArgs: null },
              queueSettings: { jobTier: 'Null' },
            }
          : {}),
      };
      break;
    }
  }
  return {
    id: `${workspacePrefix}/jobs/${job.name}`,
    name: job.name,
    type: 'Microsoft.MachineLearningServices/workspaces/jobs',
    properties,
    systemData: { createdAt: new Date(job.createdAtMs).toISOString(), createdBy: job.createdBy, createdByType: 'User' },
  };
}
