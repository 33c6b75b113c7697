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

export function describeFailure(err: unknown, fallbackStep?: string): FailureReport {
  const step = err instanceof DeployStepError ? err.step : fallbackStep;
  const inner = err instanceof DeployStepError ? err.cause : err;
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
