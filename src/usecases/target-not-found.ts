// "It is not there": what a use case throws when the endpoint, deployment or job a command names does not
// exist (ARM's 404: status first, then the codes ResourceNotFound / NotFound). It stays an AzureMlError
// with Azure's code, message and request ids, and says which target was missing, so each front end can
// say it in its own words (Slack: a private note with the next command; the CLI: a sentence, exit 1).
import { AzureMlError } from '../azureml/errors';
import { isNotFoundError } from '../azureml/resource-lookup';

export type MissingTarget =
  | { kind: 'endpoint'; endpointName: string }
  | { kind: 'deployment'; endpointName: string; deploymentName: string }
  | { kind: 'job'; jobName: string };

/**
 * The look-up that shows what is there instead of a missing target: the command's words (each front end
 * adds its own way of typing it) and what it lists. Slack's note and the CLI's error both point at it.
 */
export function lookupInstead(missing: MissingTarget): { command: string; lists: string } {
  switch (missing.kind) {
    case 'endpoint':
      return { command: 'endpoints', lists: "lists this workspace's batch endpoints" };
    case 'deployment':
      return { command: `show ${missing.endpointName}`, lists: 'lists its deployments' };
    case 'job':
      return { command: 'jobs <endpoint>', lists: "lists an endpoint's jobs" };
  }
}

export class TargetNotFoundError extends AzureMlError {
  constructor(
    readonly missing: MissingTarget,
    azure: AzureMlError,
  ) {
    super({
      code: azure.code,
      message: azure.message,
      ...(azure.statusCode !== undefined ? { statusCode: azure.statusCode } : {}),
      ...(azure.requestId ? { requestId: azure.requestId } : {}),
      ...(azure.correlationId ? { correlationId: azure.correlationId } : {}),
      retriable: false,
      cause: azure,
    });
  }
}

export function isTargetNotFound(err: unknown): err is TargetNotFoundError {
  return err instanceof TargetNotFoundError;
}

/** Runs a GET; a 404 becomes a TargetNotFoundError naming `target`. */
export async function foundOr<T>(get: Promise<T>, target: MissingTarget): Promise<T> {
  try {
    return await get;
  } catch (err) {
    if (isNotFoundError(err) && !isTargetNotFound(err)) throw new TargetNotFoundError(target, err);
    throw err;
  }
}
