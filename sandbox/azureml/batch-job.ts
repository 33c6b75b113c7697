// A batch scoring job: what the invocation created, and the two ways the service shows it, both as
// recorded from real Azure (../shared/azureml/recordings, test_batch_job_download.json #28 and #29):
// - the data-plane document the scoring POST answers with (201) and `GET {scoringUri}/{name}` returns:
//   id …/batchEndpoints/{e}/deployments/{d}/jobs/{name}, properties.inputData (echoed + mode),
//   output {datastoreId, path}, compute, retrySettings, status, interactionEndpoints, tags, a string map
//   of properties and a generated display name;
// - the ARM job (`GET …/workspaces/{ws}/jobs/{name}`): a Pipeline job whose experimentName is the endpoint,
//   the deployment in tags, a description naming both, and inputs/outputs null. Neither carries an error
//   field: a failed job's reason is not in either document (the studio link is what Azure offers).
import type { JobFailureScenario } from './job-logs';
import type { MiniBatchProgress } from './mini-batch-runner';
import type { SystemData } from './workspace-state';

export type JobStatus =
  | 'NotStarted'
  | 'Queued'
  | 'Preparing'
  | 'Running'
  | 'Finalizing'
  | 'CancelRequested'
  | 'Completed'
  | 'Failed'
  | 'Canceled';

export const TERMINAL_JOB_STATUSES: ReadonlySet<JobStatus> = new Set(['Completed', 'Failed', 'Canceled']);

export interface BatchJobSettings {
  miniBatchSize: number;
  parallelism: number;
  maxRetries: number;
  errorThreshold: number;
  outputAction: 'SummaryOnly' | 'AppendRow';
  outputFileName: string;
}

export interface BatchJobRecord {
  name: string;
  endpointName: string;
  deploymentName: string;
  status: JobStatus;
  systemData: SystemData;
  computeId?: string;
  input: { name: string; jobInputType: 'uri_folder' | 'uri_file'; uri: string };
  output: { name: string; jobOutputType: 'uri_folder' | 'uri_file'; uri: string; mode: 'ReadWriteMount' | 'Upload' };
  /** Where the output file is written (container + blob name). */
  outputBlob: { container: string; path: string };
  settings: BatchJobSettings;
  tags: Record<string, string>;
  progress?: MiniBatchProgress;
  startTime?: string;
  endTime?: string;
  error?: { code: string; message: string };
  cancelRequested: boolean;
  /** The generated display name (adjective_noun_suffix, as the recordings show). */
  displayName: string;
  /** The pipeline the job runs (azureml.pipelineid). */
  pipelineId: string;
  /** The output the request asked for (`properties.output` of the data-plane document), if any. */
  requestedOutput?: { datastoreId: string; path: string };
  /** The repeatability id the invoke carried (not shown by Azure; kept for the sandbox's admin view). */
  repeatabilityId?: string;
  /**
   * The run id of the job's one child step, `batchscoring`, which does the scoring and owns the logs
   * (`ExperimentRun/dcid.<id>/logs/…` on the artifact store); listed by run history's children route.
   */
  scoringRunId: string;
  /**
   * The deployment's code and model as they were when the job was invoked (asset versions are immutable;
   * the files they point at are not): the step downloads the code and mounts the model when it starts.
   */
  assets?: {
    code?: { asset: string; uri: string; scoringScript: string };
    model?: { asset: string; uri: string };
    /** An MLflow model deployed without a scoring script: Azure ML scores it with its own driver. */
    mlflowWithoutScript?: boolean;
  };
  /** Fault injection: the job fails the way this real failure does, with its messages and log files. */
  failureScenario?: JobFailureScenario;
  /** Set by fault injection: the job fails with this message at its next step. */
  injectedFailure?: string;
  /** Interrupts the job's current wait (cancel, injected failure). */
  wake?: () => void;
}

export interface JobViewContext {
  workspacePath: string;
  studioHost: string;
  /** The request's api-version: fields newer than 2022-05-01 (componentId, sourceJobId, services' nodes) only for newer ones. */
  apiVersion?: string;
}

/** 2022-05-01 is the spec's version; the recordings' 2022-12-01-preview answers carry a few more fields. */
const isNewerApi = (ctx: JobViewContext): boolean => (ctx.apiVersion ?? '2022-05-01') > '2022-05-01';

/** The wsid the studio links carry: resource group and workspace path, lower-case segment names as recorded. */
function studioLink(ctx: JobViewContext, name: string): string {
  const wsid = ctx.workspacePath.replace('/resourceGroups/', '/resourcegroups/').replace('/providers/Microsoft.MachineLearningServices/workspaces/', '/workspaces/');
  return `${ctx.studioHost}/runs/${name}?wsid=${wsid}`;
}

/** The string map both documents carry (recorded keys; azureml.parameters is a JSON string). */
function jobPropertyBag(job: BatchJobRecord): Record<string, string> {
  return {
    'azureml.pipelineid': job.pipelineId,
    'azureml.runsource': 'azureml.PipelineRun',
    runSource: 'Unavailable',
    runType: 'HTTP',
    'azureml.parameters': JSON.stringify({
      run_max_try: String(job.settings.maxRetries),
      run_invocation_timeout: '30',
      mini_batch_size: String(job.settings.miniBatchSize),
      error_threshold: String(job.settings.errorThreshold),
      logging_level: 'INFO',
      process_count_per_node: String(job.settings.parallelism),
      NodeCount: '1',
      append_row_file_name: job.settings.outputFileName,
    }),
    'azureml.continue_on_step_failure': 'False',
    'azureml.continue_on_failed_optional_input': 'False',
    'azureml.pipelineComponent': 'pipelinerun',
    // **guess** (kept for the bot's failed-items report, src/azureml/job-item-counts.ts): Azure's recorded
    // job shows no progress counts; the sandbox adds them to the string map once the job has scored.
    ...(job.progress
      ? {
          'azureml.miniBatchesTotal': String(job.progress.miniBatchesTotal),
          'azureml.miniBatchesCompleted': String(job.progress.miniBatchesDone),
          'azureml.miniBatchRetries': String(job.progress.retries),
          'azureml.itemsSucceeded': String(job.progress.itemsSucceeded),
          'azureml.itemsFailed': String(job.progress.itemsFailed),
        }
      : {}),
  };
}

/** A batch endpoint's job is a pipeline job on ARM (test_batch_job_download.json). */
export const BATCH_JOB_TYPE = 'Pipeline';

export function jobTags(job: BatchJobRecord): Record<string, string> {
  return {
    outputType: 'output_data',
    inputType: 'input_data',
    'azureml.batchrun': 'true',
    'azureml.deploymentname': job.deploymentName,
    'azureml.jobtype': 'azureml.batchjob',
    ...job.tags,
  };
}

function trackingEndpoint(ctx: JobViewContext): string {
  return `azureml://${ctx.studioHost.replace(/^https?:\/\//, '')}/mlflow/v1.0${ctx.workspacePath}?`;
}

/** The ARM job (Jobs_Get / Jobs_List), shaped like the recording: inputs and outputs null, no error fields. */
export function batchJobView(ctx: JobViewContext, job: BatchJobRecord): Record<string, unknown> {
  const newer = isNewerApi(ctx);
  const service = (type: string, endpoint: string) => ({
    jobServiceType: type,
    port: null,
    endpoint,
    status: null,
    errorMessage: null,
    properties: null,
    ...(newer ? { nodes: null } : {}),
  });
  return {
    id: `${ctx.workspacePath}/jobs/${job.name}`,
    name: job.name,
    type: 'Microsoft.MachineLearningServices/workspaces/jobs',
    properties: {
      description: `Pipeline submission for endpoint: ${job.endpointName}, deployment: ${job.deploymentName}.`,
      tags: jobTags(job),
      properties: jobPropertyBag(job),
      displayName: job.displayName,
      status: job.status,
      experimentName: job.endpointName,
      services: { Tracking: service('Tracking', trackingEndpoint(ctx)), Studio: service('Studio', studioLink(ctx, job.name)) },
      computeId: null,
      isArchived: false,
      identity: null,
      ...(newer ? { componentId: null } : {}),
      jobType: BATCH_JOB_TYPE,
      settings: null,
      jobs: null,
      inputs: null,
      outputs: null,
      ...(newer ? { sourceJobId: null } : {}),
    },
    systemData: { createdAt: job.systemData.createdAt, createdBy: job.systemData.createdBy, createdByType: job.systemData.createdByType },
  };
}

/** The data-plane batch job document (the scoring POST's 201 body, and GET {scoringUri}/{name}). */
export function dataPlaneJobView(ctx: JobViewContext, job: BatchJobRecord): Record<string, unknown> {
  const endpoint = (type: string, url: string) => ({ jobEndpointType: type, port: null, endpoint: url, properties: null });
  const inputType = job.input.jobInputType === 'uri_file' ? 'UriFile' : 'UriFolder';
  return {
    id: `${ctx.workspacePath}/batchEndpoints/${job.endpointName}/deployments/${job.deploymentName}/jobs/${job.name}`,
    name: job.name,
    type: 'Microsoft.MachineLearningServices/workspaces/batchEndpoints/deployments/jobs',
    properties: {
      provisioningState: 'Succeeded',
      inputData: { [job.input.name]: { description: null, uri: job.input.uri, mode: 'ReadOnlyMount', jobInputType: inputType } },
      compute: { target: job.computeId ?? null, instanceCount: null, isLocal: false, location: null, instanceType: null, properties: null },
      miniBatchSize: job.settings.miniBatchSize,
      errorThreshold: job.settings.errorThreshold,
      outputFileName: job.settings.outputFileName,
      loggingLevel: 'Info',
      output: job.requestedOutput ? { ...job.requestedOutput } : { datastoreId: null, path: null },
      retrySettings: { maxRetries: job.settings.maxRetries, timeout: 'PT30S' },
      status: job.status,
      interactionEndpoints: { Tracking: endpoint('Tracking', trackingEndpoint(ctx)), Studio: endpoint('Studio', studioLink(ctx, job.name)) },
      tags: jobTags(job),
      properties: jobPropertyBag(job),
      name: job.displayName,
    },
    systemData: {
      createdAt: job.systemData.createdAt,
      createdBy: job.systemData.createdBy,
      createdByType: job.systemData.createdByType,
      lastModifiedAt: job.systemData.createdAt,
      lastModifiedBy: job.systemData.createdBy,
    },
  };
}

const ADJECTIVES = ['blue', 'careful', 'lemon', 'quiet', 'brave', 'shiny', 'frosty', 'keen', 'witty', 'sunny'];
const NOUNS = ['store', 'bulb', 'yacht', 'river', 'lamp', 'kettle', 'garden', 'pencil', 'rocket', 'cloud'];

/** A display name like the service generates ("blue_store_3k1gd32x"). */
export function generatedDisplayName(random: () => number = Math.random): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const suffix = Array.from({ length: 8 }, () => '0123456789abcdefghijklmnopqrstuvwxyz'[Math.floor(random() * 36)]).join('');
  return `${pick(ADJECTIVES)}_${pick(NOUNS)}_${suffix}`;
}
