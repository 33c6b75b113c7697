// `batch-score download <job> [--to DIR]`: fetches a completed job's predictions file into a local folder
// (default: the current one). The CLI's own command (Slack has nothing to download into), parsed here
// rather than in the shared grammar. Where the file is comes from the use case (src/usecases/job-predictions.ts).
import path from 'node:path';
import type { AzureMlClient } from '../azureml';
import { findJobPredictions } from '../usecases/job-predictions';
import type { CliOutcome } from './cli-outcome';
import { CliUsageError, DOWNLOAD_USAGE } from './cli-usage';
import { EXIT_CODES } from './exit-codes';

export { DOWNLOAD_USAGE };

export interface DownloadArgs {
  jobName: string;
  to: string;
}

/** `download <job> [--to DIR | --to=DIR]`; anything else is a usage error. */
export function parseDownloadArgs(words: readonly string[]): DownloadArgs {
  const rest = words.slice(1);
  let jobName: string | undefined;
  let to = '.';
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (w === '--to') {
      const value = rest[++i];
      if (value === undefined || value === '') throw new CliUsageError('--to needs a folder', DOWNLOAD_USAGE);
      to = value;
    } else if (w.startsWith('--to=')) {
      to = w.slice('--to='.length);
      if (to === '') throw new CliUsageError('--to needs a folder', DOWNLOAD_USAGE);
    } else if (w.startsWith('-')) {
      throw new CliUsageError(`unknown flag ${w} for download`, DOWNLOAD_USAGE);
    } else if (jobName === undefined) {
      jobName = w;
    } else {
      throw new CliUsageError(`download takes one job name, got also '${w}'`, DOWNLOAD_USAGE);
    }
  }
  if (!jobName || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/.test(jobName)) {
    throw new CliUsageError(jobName ? `'${jobName}' is not a job name` : 'download needs a job name', DOWNLOAD_USAGE);
  }
  return { jobName, to };
}

export interface DownloadDeps {
  azureml: Pick<AzureMlClient, 'jobs' | 'artifacts'>;
  /** Whether a local path exists already (nothing is overwritten). */
  exists: (file: string) => Promise<boolean>;
  mkdir: (dir: string) => Promise<void>;
  progress: (line: string) => void;
}

export async function runDownload(args: DownloadArgs, deps: DownloadDeps): Promise<CliOutcome> {
  const az = deps.azureml;
  const fail = (code: string, message: string): CliOutcome => ({ command: 'download', exitCode: EXIT_CODES.failed, error: { code, message } });
  const predictions = await findJobPredictions(deps, args.jobName);
  if (!predictions.found) {
    if (predictions.code === 'JobNotCompleted') return fail('JobNotCompleted', `job ${args.jobName} is ${predictions.status}: only a Completed job has predictions to download`);
    return fail('OutputNotFound', predictions.outputUri ? `job ${args.jobName} wrote no file at ${predictions.outputUri}` : `job ${args.jobName} names no output location`);
  }
  const { outputUri, location } = predictions;
  // The name comes from the service: keep only its last segment, so it cannot climb out of --to.
  const fileName = path.posix.basename(location.blobName);
  if (!fileName || fileName === '.' || fileName === '..') return fail('OutputNotFound', `job ${args.jobName} wrote no file at ${outputUri}`);
  const target = path.join(args.to, fileName);
  if (await deps.exists(target)) {
    throw new CliUsageError(`${target} already exists: nothing was downloaded (choose another --to folder)`, DOWNLOAD_USAGE);
  }
  await deps.mkdir(args.to);
  deps.progress(`downloading ${outputUri} to ${target}`);
  const bytes = await az.artifacts.download(location, target);
  return {
    command: 'download',
    exitCode: EXIT_CODES.ok,
    result: { jobName: args.jobName, outputUri, file: target, bytes },
    text: `Downloaded the predictions of job ${args.jobName} to ${target} (${bytes} bytes).`,
  };
}
