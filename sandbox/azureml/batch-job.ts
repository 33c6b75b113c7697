// A batch scoring job: what the invocation created, and how it is shown — an ARM PipelineJob
// (mfe.json JobBaseResource with jobType Pipeline: experimentName = endpoint name,
// properties.properties["azureml.endpointName" | "azureml.deploymentName"], inputs/outputs as
// uri_folder/uri_file). JobBase has no error field in 2022-05-01, so a failed job carries its error in
// properties.properties["azureml.error.code" | "azureml.error.message"] (string map, spec-valid).
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
  /** Set by fault injection: the job fails with this message at its next step. */
  injectedFailure?: string;
  /** Interrupts the job's current wait (cancel, injected failure). */
  wake?: () => void;
}

export interface JobViewContext {
  workspacePath: string;
  studioHost: string;
}

export function batchJobView(ctx: JobViewContext, job: BatchJobRecord): Record<string, unknown> {
  const props: Record<string, string> = {
    'azureml.endpointName': job.endpointName,
    'azureml.deploymentName': job.deploymentName,
    'azureml.batchrun': 'true',
    'azureml.pipelineComponent': 'pipelinerun',
  };
  if (job.startTime) props['azureml.startTime'] = job.startTime;
  if (job.endTime) props['azureml.endTime'] = job.endTime;
  if (job.progress) {
    props['azureml.miniBatchesTotal'] = String(job.progress.miniBatchesTotal);
    props['azureml.miniBatchesCompleted'] = String(job.progress.miniBatchesDone);
    props['azureml.miniBatchRetries'] = String(job.progress.retries);
    props['azureml.itemsSucceeded'] = String(job.progress.itemsSucceeded);
    props['azureml.itemsFailed'] = String(job.progress.itemsFailed);
  }
  if (job.error) {
    props['azureml.error.code'] = job.error.code;
    props['azureml.error.message'] = job.error.message;
  }
  return {
    id: `${ctx.workspacePath}/jobs/${job.name}`,
    name: job.name,
    type: 'Microsoft.MachineLearningServices/workspaces/jobs',
    systemData: job.systemData,
    properties: {
      description: `Batch scoring job of endpoint ${job.endpointName}, deployment ${job.deploymentName}`,
      // As the service tags them (test_batch_job_download.json): the Jobs_List `tag` filter finds batch jobs by this.
      tags: { 'azureml.batchrun': 'true', 'azureml.deploymentname': job.deploymentName, ...job.tags },
      properties: props,
      displayName: job.name,
      status: job.status,
      experimentName: job.endpointName,
      services: {
        Studio: {
          jobServiceType: 'Studio',
          endpoint: `${ctx.studioHost}/runs/${job.name}?wsid=${ctx.workspacePath}`,
        },
      },
      ...(job.computeId ? { computeId: job.computeId } : {}),
      isArchived: false,
      jobType: 'Pipeline',
      settings: {},
      inputs: {
        [job.input.name]: { jobInputType: job.input.jobInputType, uri: job.input.uri, mode: 'ReadOnlyMount' },
      },
      outputs: {
        [job.output.name]: { jobOutputType: job.output.jobOutputType, uri: job.output.uri, mode: job.output.mode },
      },
    },
  };
}
