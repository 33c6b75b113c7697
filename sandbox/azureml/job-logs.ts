// The log files a batch scoring job leaves on the workspace's storage, where Azure leaves them.
//
// Where (docs/sandbox-fidelity.md): a batch job is a pipeline whose one child step, `batchscoring`, does
// the work (Microsoft's "Troubleshoot batch endpoints": "In the graph of the job, select the batchscoring
// step"); the SDK finds that child through run history (`get_run_children`) and reads a run's logs from the
// workspace artifact store at `ExperimentRun/dcid.<run id>/` (azure-ai-ml `_job_operations.py`,
// `_get_named_output_uri`). So the files below live at
// `ExperimentRun/dcid.<scoring step run id>/<name>` in the artifact store's container.
//
// Which files, and what they say: the names (`logs/job_progress_overview.txt`, `logs/job_error.txt`,
// `logs/user/error.txt`, `logs/user/error/<node>/process<N>.txt`, `logs/user/stdout/<node>/process<N>.stdout.txt`,
// `logs/sys/master_role.txt`, `logs/readme.txt`) and the error sentences are the troubleshooting page's and
// the ParallelRunStep docs'; the exact layout of each line is our guess (no recording shows one).
import type { MiniBatchProgress } from './mini-batch-runner';

/** The node and process names the sandbox pretends the one worker had. */
export const SANDBOX_NODE = '10.0.0.4';
export const SANDBOX_PROCESS = 'process000';

export const LOG_FILES = {
  progressOverview: 'logs/job_progress_overview.txt',
  jobError: 'logs/job_error.txt',
  userErrorSummary: 'logs/user/error.txt',
  userErrorDetail: `logs/user/error/${SANDBOX_NODE}/${SANDBOX_PROCESS}.txt`,
  userStdout: `logs/user/stdout/${SANDBOX_NODE}/${SANDBOX_PROCESS}.stdout.txt`,
  masterRole: 'logs/sys/master_role.txt',
  readme: 'logs/readme.txt',
} as const;

/** The artifact-store prefix of a run's files (azure-ai-ml: `ExperimentRun/dcid.{run id}/`). */
export function runArtifactsPrefix(runId: string): string {
  return `ExperimentRun/dcid.${runId}/`;
}

/**
 * The failures a job can be made to have (fault injection), each ending with the message Microsoft's
 * troubleshooting page quotes for it ("Message logged").
 */
export const JOB_FAILURE_SCENARIOS = ['init-error', 'run-error', 'no-succeeded-mini-batch', 'input-auth', 'no-nodes'] as const;
export type JobFailureScenario = (typeof JOB_FAILURE_SCENARIOS)[number];

/** "User program fails, run fails": what the job reports when init() or run() raised. */
export const USER_PROGRAM_FAILED =
  'User program failed with Exception: Run failed. Please check logs for details. You can check logs/readme.txt for the layout of logs.';
/** "No succeeded mini-batch". */
export const NO_SUCCEEDED_MINI_BATCH =
  "No succeeded mini batch item returned from run(). Please check 'response: run()' in https://aka.ms/batch-inference-documentation.";
/** "Exception in ScriptExecution.StreamAccess.Authentication". */
export const STREAM_ACCESS_AUTHENTICATION =
  'ScriptExecutionException was caused by StreamAccessException. StreamAccessException was caused by AuthenticationException.';
/** What a cluster with no nodes to give answers (public issue reports quote it; the count is ours). */
export const NO_NODES = 'Requested 1 nodes but AzureMLCompute cluster only has 0 maximum nodes.';

/** The traceback a scoring script's init() raising leaves (Python's format; the script is the recipe's mnist one). */
export function initTraceback(): string {
  return [
    'Traceback (most recent call last):',
    '  File "/mnt/azureml/cr/j/code/score.py", line 17, in init',
    '    model = torch.load(model_path)',
    "FileNotFoundError: [Errno 2] No such file or directory: '/mnt/azureml/cr/j/model/mnist/model.pt'",
  ].join('\n');
}

/**
 * The entry script is imported by module name when the batchscoring step starts its processes; a code
 * folder without it fails there. The exception line is a public report's ("EntryScriptException: No module
 * named 'score_return_list'", Azure/MachineLearningNotebooks#1753: a batch deployment whose scoring script
 * was not a .py file, created without complaint, then every job failing). **Guess**: the frames above it.
 */
export function missingEntryScriptTraceback(scoringScript: string): string {
  const module = scoringScript.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\.py$/i, '').replace(/\//g, '.');
  return [
    'Traceback (most recent call last):',
    '  File "/mnt/azureml/cr/j/driver/amlbi_main.py", line 226, in main',
    '    entry_script.load()',
    `EntryScriptException: No module named '${module}'`,
  ].join('\n');
}

/**
 * A deployment's code or model whose files are no longer where its asset version points: the step cannot
 * download the code snapshot or mount the model. **Guess**: no recording, document or public report shows
 * Azure's wording; the code name, version and location are what a reader needs to fix it.
 */
export function assetFilesMissing(kind: 'code' | 'model', asset: string, uri: string): string {
  return `UserError: The ${kind} of this deployment could not be ${kind === 'code' ? 'downloaded' : 'mounted'}: no files at ${uri} (${kind} asset ${asset}).`;
}

/** The traceback run() raising leaves for one mini-batch. */
export function runTraceback(firstFile: string): string {
  return [
    'Traceback (most recent call last):',
    '  File "/mnt/azureml/cr/j/code/score.py", line 31, in run',
    '    image = Image.open(path).convert("L")',
    `PIL.UnidentifiedImageError: cannot identify image file '${firstFile}'`,
  ].join('\n');
}

function stamp(at: Date): string {
  return at.toISOString().replace('T', ' ').replace('Z', '');
}

/** `logs/job_progress_overview.txt`: what was scheduled and processed so far, and the result at the end. */
export function progressOverviewText(view: {
  startedAt: Date;
  now: Date;
  progress?: MiniBatchProgress;
  itemsTotal?: number;
  result?: { status: 'Completed' | 'Failed' | 'Canceled'; error?: string };
}): string {
  const lines = [`${stamp(view.startedAt)} Start scheduling.`];
  const p = view.progress;
  if (p) {
    lines.push(`${stamp(view.now)} ${p.miniBatchesTotal} mini batches (tasks) created; the scheduling is done.`);
    lines.push(
      `${stamp(view.now)} ${p.miniBatchesDone} of ${p.miniBatchesTotal} mini batches processed. ` +
        `${p.itemsSucceeded} items succeeded, ${p.itemsFailed} items failed${view.itemsTotal !== undefined ? `, of ${view.itemsTotal} items` : ''}.`,
    );
  }
  if (view.result) {
    lines.push(`${stamp(view.now)} The job ${view.result.status === 'Completed' ? 'completed' : view.result.status === 'Canceled' ? 'was canceled' : 'failed'}.`);
    if (view.result.error) {
      lines.push(`${stamp(view.now)} Error: ${view.result.error}`);
      lines.push(`${stamp(view.now)} Check logs/job_error.txt, logs/user/error.txt and logs/user/error/ for details.`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export const README_TEXT = [
  'Layout of the logs of a batch scoring job (ParallelRunStep):',
  '  logs/job_progress_overview.txt   mini batches created and processed, and the job result',
  '  logs/job_error.txt               the error that ended the job',
  '  logs/sys/master_role.txt         the orchestrator view: task creation, progress, result',
  '  logs/user/error.txt              a summary of the errors in the entry script',
  '  logs/user/error/<node>/          full stack traces of exceptions raised by init() and run()',
  '  logs/user/stdout/<node>/         stdout of the entry script per process',
  '',
].join('\n');
