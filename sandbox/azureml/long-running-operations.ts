// Long-running operations as the recordings show them (../shared/azureml/recordings):
// - PUT answers 201 + Azure-AsyncOperation + Location (the resource) + x-ms-async-operation-timeout PT30M,
//   and no Retry-After (test_batch_job_download.json #1, #22);
// - the status document is {id, name, status, startTime, percentComplete} with status "Updating" for
//   endpoints and deployments (mfe family) and "InProgress" for computes, then "Succeeded" with endTime and
//   percentComplete 100 (#2/#3; azure-powershell New-AzMLWorkspaceCompute);
// - PATCH/DELETE answer 202 with body null + Azure-AsyncOperation + Location (…/mfeOperationResults/…)
//   (test_batch_endpoint_create.json #6); job cancel 202 + Location only, whose poll answers 202 {} and
//   then 200 with no body (test_batch_job_download.json #51–#53).
// Sandbox convention (not Azure's): every answer that a client polls after carries `retry-after-ms`, the
// time-scaled poll interval, so tests on a fast clock do not wait Azure's pace. The client must and does
// work without it (it then polls at its own default interval).
// Each operation settles on a timer (time-scaled) or, for job cancel, when a probe says so.
import crypto from 'node:crypto';
import type { SandboxResponse } from './route-table';

/** 'Running' is the sandbox's own word; the documents say 'Updating' (mfe) or 'InProgress' (compute). */
export type OperationStatus = 'Running' | 'Succeeded' | 'Failed' | 'Canceled';

export interface OperationError {
  code: string;
  message: string;
}

export interface Operation {
  id: string;
  family: 'mfe' | 'compute';
  status: OperationStatus;
  startTime: string;
  endTime?: string;
  error?: OperationError;
  /** Body of the final 200 on the Location URL; undefined → 204. */
  finalBody?: () => unknown;
  probe?: () => { status: Exclude<OperationStatus, 'Running'>; error?: OperationError } | undefined;
  timer?: NodeJS.Timeout;
}

export interface OperationUrls {
  /** Azure-AsyncOperation URL for an operation. */
  status(op: Operation, apiVersion: string): string;
  /** Location URL for an operation. */
  result(op: Operation, apiVersion: string): string;
}

export interface StartOptions {
  family?: 'mfe' | 'compute';
  durationMs: number;
  /** Runs when the timer fires; returning an error fails the operation. */
  complete?: (op: Operation) => OperationError | void;
  finalBody?: () => unknown;
  probe?: Operation['probe'];
}

export class OperationRegistry {
  private readonly operations = new Map<string, Operation>();

  constructor(
    private readonly urls: OperationUrls,
    private readonly pollIntervalMs: () => number,
  ) {}

  start(opts: StartOptions): Operation {
    const op: Operation = {
      id: crypto.randomUUID(),
      family: opts.family ?? 'mfe',
      status: 'Running',
      startTime: new Date().toISOString(),
      finalBody: opts.finalBody,
      probe: opts.probe,
    };
    this.operations.set(op.id, op);
    if (!opts.probe) {
      op.timer = setTimeout(() => {
        op.timer = undefined;
        if (op.status !== 'Running') return;
        let error: OperationError | void;
        try {
          error = opts.complete?.(op);
        } catch (err) {
          error = { code: 'InternalServerError', message: err instanceof Error ? err.message : String(err) };
        }
        this.settle(op, error ? 'Failed' : 'Succeeded', error ?? undefined);
      }, opts.durationMs);
      op.timer.unref?.();
    }
    return op;
  }

  get(id: string): Operation | undefined {
    const op = this.operations.get(id);
    if (op?.probe && op.status === 'Running') {
      const outcome = op.probe();
      if (outcome) this.settle(op, outcome.status, outcome.error);
    }
    return op;
  }

  settle(op: Operation, status: Exclude<OperationStatus, 'Running'>, error?: OperationError): void {
    op.status = status;
    op.endTime = new Date().toISOString();
    if (error) op.error = error;
    if (op.timer) clearTimeout(op.timer);
    op.timer = undefined;
  }

  private pacing(): Record<string, string> {
    return { 'retry-after-ms': String(Math.max(0, Math.round(this.pollIntervalMs()))) };
  }

  /** Headers for the initial 201 (PUT): Azure-AsyncOperation, Location (the resource), the timeout. */
  asyncHeaders(op: Operation, apiVersion: string, resourceUrl?: string): Record<string, string> {
    return {
      'Azure-AsyncOperation': this.urls.status(op, apiVersion),
      ...(resourceUrl ? { Location: resourceUrl } : {}),
      'x-ms-async-operation-timeout': 'PT30M',
      ...this.pacing(),
    };
  }

  /** Headers for the initial 202 of PATCH and DELETE: Azure-AsyncOperation and Location (operation result). */
  locationHeaders(op: Operation, apiVersion: string): Record<string, string> {
    return {
      'Azure-AsyncOperation': this.urls.status(op, apiVersion),
      Location: this.urls.result(op, apiVersion),
      'x-ms-async-operation-timeout': 'PT30M',
      ...this.pacing(),
    };
  }

  /** Compute create, update and delete (azure-powershell recordings): Azure-AsyncOperation only. */
  computeHeaders(op: Operation, apiVersion: string): Record<string, string> {
    return { 'Azure-AsyncOperation': this.urls.status(op, apiVersion), ...this.pacing() };
  }

  /** Headers for job cancel's 202: Location only, and the one-hour timeout the recording shows. */
  cancelHeaders(op: Operation, apiVersion: string): Record<string, string> {
    return { Location: this.urls.result(op, apiVersion), 'x-ms-async-operation-timeout': 'PT1H', ...this.pacing() };
  }

  statusDocument(op: Operation, apiVersion: string): SandboxResponse {
    const running = op.status === 'Running';
    return {
      status: 200,
      headers: running ? this.pacing() : {},
      body: {
        id: this.urls.status(op, apiVersion).replace(/^https?:\/\/[^/]+/, '').replace(/\?.*$/, ''),
        name: op.id,
        startTime: op.startTime,
        ...(op.endTime ? { endTime: op.endTime } : {}),
        percentComplete: op.status === 'Succeeded' ? 100.0 : 0.0,
        status: running ? (op.family === 'compute' ? 'InProgress' : 'Updating') : op.status,
        ...(op.error ? { error: { code: op.error.code, message: op.error.message } } : {}),
      },
    };
  }

  resultResponse(op: Operation, apiVersion: string): SandboxResponse {
    if (op.status === 'Running') {
      return { status: 202, headers: { Location: this.urls.result(op, apiVersion), ...this.pacing() }, body: {} };
    }
    if (op.status === 'Failed' || op.status === 'Canceled') {
      const error = op.error ?? { code: op.status, message: `The operation ${op.status.toLowerCase()}.` };
      return { status: 500, body: { error } };
    }
    const body = op.finalBody?.();
    return body === undefined ? { status: 200 } : { status: 200, body };
  }

  stopAll(): void {
    for (const op of this.operations.values()) if (op.timer) clearTimeout(op.timer);
  }
}
