// What a user is told when work fails: the step, the service's error code and message, and the request
// id support asks for. Built from our typed errors only, never from free text we did not produce.
import { DeployStepError } from '../azureml/deploy-plan';
import { isAzureMlError } from '../azureml/errors';

export interface FailureReport {
  step?: string;
  code: string;
  message: string;
  requestId?: string;
  correlationId?: string;
}

/**
 * Node's file-system errors (ENAMETOOLONG, EACCES…) carry the worker's own paths in their message
 * ("realpath '/tmp/…'"): what the worker's disk looks like is nobody's business in Slack. The user gets
 * our words for the code; the message stays in the log (failureLogFields).
 */
const FILE_SYSTEM_WORDS: Record<string, string> = {
  ENAMETOOLONG: 'a file or folder name in the path is too long',
  ENOENT: 'a file or folder in the path does not exist',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'a folder was found where a file was expected',
  EACCES: 'the worker is not allowed to read a file or folder in the path',
  EPERM: 'the worker is not allowed to read a file or folder in the path',
  ELOOP: 'the path goes through too many links',
  EMFILE: 'the worker has too many files open; try again shortly',
  EIO: 'the worker could not read the disk',
};

function fileSystemError(err: unknown): { code: string } | undefined {
  const e = err as { code?: unknown; syscall?: unknown; errno?: unknown } | undefined;
  if (!e || typeof e.code !== 'string' || !/^E[A-Z]+$/.test(e.code)) return undefined;
  return typeof e.syscall === 'string' || typeof e.errno === 'number' ? { code: e.code } : undefined;
}

/** Fields for the worker's log line about a failure: the report, and for a file-system error its own message. */
export function failureLogFields(err: unknown, fallbackStep?: string): Record<string, unknown> {
  const inner = err instanceof DeployStepError ? err.cause : err;
  return {
    err: describeFailure(err, fallbackStep),
    ...(fileSystemError(inner) ? { detail: String((inner as { message?: unknown }).message) } : {}),
  };
}

export function describeFailure(err: unknown, fallbackStep?: string): FailureReport {
  const step = err instanceof DeployStepError ? err.step : fallbackStep;
  const inner = err instanceof DeployStepError ? err.cause : err;
  const fsError = fileSystemError(inner);
  if (fsError) {
    const words = FILE_SYSTEM_WORDS[fsError.code] ?? 'a local file or folder could not be read';
    return {
      step,
      code: fsError.code,
      message: `The worker could not read the local artifacts: ${words}. Check the model and code paths in the request (relative to the artifacts folder).`,
    };
  }
  if (isAzureMlError(inner)) {
    return {
      step,
      code: inner.code,
      message: inner.message,
      ...(inner.requestId ? { requestId: inner.requestId } : {}),
      ...(inner.correlationId ? { correlationId: inner.correlationId } : {}),
    };
  }
  const code = (inner as { code?: unknown })?.code;
  return {
    step,
    code: typeof code === 'string' ? code : 'InternalError',
    message: inner instanceof Error ? inner.message : String(inner),
  };
}
