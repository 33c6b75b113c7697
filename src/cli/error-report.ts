// Every error the CLI can meet, turned into what it prints and the exit code. Azure's own code, message
// and request ids come through unchanged (support asks for the request id); usage and configuration
// problems exit 2 with what to change. Built from our typed errors only, as usecases/failure-report.ts is.
import { z } from 'zod';
import { ArtifactPathError } from '../azureml/artifacts-root';
import { DeployStepError } from '../azureml/deploy-plan';
import { ConfigError } from '../config';
import { DataReferenceError } from '../domain/data-reference';
import { describeFailure } from '../usecases/failure-report';
import { CLI_NAME, CliUsageError, terminalText } from './cli-usage';
import { DeploySpecFileError } from './deploy-spec-file';
import { EXIT_CODES, type ExitCode } from './exit-codes';
import { SandboxConnectionError } from './sandbox-connection';

export const errorReportSchema = z.object({
  code: z.string(),
  message: z.string(),
  /** The deploy step (or command) that failed. */
  step: z.string().optional(),
  requestId: z.string().optional(),
  correlationId: z.string().optional(),
  /** Usage errors: the command's usage line and, for a typo, a suggestion. */
  usage: z.string().optional(),
  suggestion: z.string().optional(),
  /** Configuration errors: one line per variable. */
  problems: z.array(z.string()).optional(),
});
export type ErrorReport = z.infer<typeof errorReportSchema>;

/** Errors the user fixes by changing the command line, the spec file or the environment. */
function isUsageProblem(err: unknown): boolean {
  const inner = err instanceof DeployStepError ? err.cause : err;
  return (
    inner instanceof CliUsageError ||
    inner instanceof ConfigError ||
    inner instanceof SandboxConnectionError ||
    inner instanceof DeploySpecFileError ||
    inner instanceof DataReferenceError ||
    inner instanceof ArtifactPathError
  );
}

export function reportError(err: unknown): { exitCode: ExitCode; error: ErrorReport } {
  if (err instanceof CliUsageError) {
    return {
      exitCode: EXIT_CODES.usage,
      error: { code: err.code, message: err.message, usage: err.usage, ...(err.suggestion ? { suggestion: err.suggestion } : {}) },
    };
  }
  if (err instanceof ConfigError) {
    return { exitCode: EXIT_CODES.usage, error: { code: err.code, message: err.message.split('\n')[0] as string, problems: err.problems.map((p) => p.message) } };
  }
  const failure = describeFailure(err);
  const error: ErrorReport = { code: failure.code, message: failure.message };
  if (failure.step) error.step = failure.step;
  if (failure.requestId) error.requestId = failure.requestId;
  if (failure.correlationId) error.correlationId = failure.correlationId;
  return { exitCode: isUsageProblem(err) ? EXIT_CODES.usage : EXIT_CODES.failed, error };
}

/** The stderr text: what went wrong, the ids support needs, and for usage errors how to write it. */
export function errorText(error: ErrorReport): string {
  const lines: string[] = [];
  if (error.code === 'InvalidUsage') {
    lines.push(`error: ${terminalText(error.message)}`);
  } else {
    lines.push(`error: ${error.step ? `${error.step}: ` : ''}${error.code}: ${error.message}`);
  }
  for (const p of error.problems ?? []) lines.push(`  - ${p}`);
  const ids = [error.requestId ? `request id ${error.requestId}` : undefined, error.correlationId ? `correlation id ${error.correlationId}` : undefined].filter(Boolean);
  if (ids.length > 0) lines.push(`  (${ids.join(', ')})`);
  if (error.usage) lines.push(`usage: ${error.usage.split('\n').map((u) => `${CLI_NAME} ${u}`).join('\n       ')}`);
  if (error.suggestion) lines.push(terminalText(error.suggestion));
  if (error.problems) lines.push('Set them in the environment, or give --sandbox <file> to use a local sandbox.');
  if (error.code === 'InvalidUsage' || error.problems) lines.push(`Run '${CLI_NAME} help' for every command and flag.`);
  return lines.join('\n');
}
