// The CLI's exit codes, the contract scripts and CI pipelines branch on. They follow the BSD sysexits
// spirit most CLIs keep (and `src/main.ts` keeps for the bot): 0 success, 1 the operation failed (an Azure
// error, a job that ended Failed or Canceled, a target that does not exist), 2 the command line or the
// environment was wrong, so running it again unchanged cannot help, 3 a job Completed but some of its
// items failed (Azure says Completed when the deployment's errorThreshold allows the failures).
import type { JobStatus } from '../azureml/resources';

export const EXIT_CODES = { ok: 0, failed: 1, usage: 2, completedWithFailedItems: 3 } as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** A job that ended Failed or Canceled is a failed operation; every other status (running or Completed) is not. */
export function exitCodeForJobStatus(status: JobStatus | string, itemsFailed?: number): ExitCode {
  if (status === 'Failed' || status === 'Canceled') return EXIT_CODES.failed;
  return status === 'Completed' && itemsFailed !== undefined && itemsFailed > 0 ? EXIT_CODES.completedWithFailedItems : EXIT_CODES.ok;
}
