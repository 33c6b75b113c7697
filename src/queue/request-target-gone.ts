// A change whose target is gone by the time it runs (an endpoint deleted, a job that ended, after the
// pre-flight check or while the approval waited). Not an Azure failure and not worth a retry: the
// request is reported as not done, in our words, with a code scripts and tests can branch on.
import { UnrecoverableError } from 'bullmq';

export class RequestTargetGoneError extends UnrecoverableError {
  override readonly name = 'RequestTargetGoneError';
  constructor(
    readonly code: 'EndpointNotFound' | 'JobAlreadyFinished',
    message: string,
  ) {
    super(message);
  }
}
