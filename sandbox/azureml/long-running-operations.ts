// Long-running operations as ARM runs them (ARM RPC "Asynchronous operations"; mfe.json marks batch
// endpoint/deployment PUT, PATCH, DELETE and job cancel as x-ms-long-running-operation):
// - PUT answers 201 + Azure-AsyncOperation → a status document {id, name, status, startTime, endTime?, error?};
// - PATCH/DELETE/cancel answer 202 + Location → 202 while running, then 200 (with the result) or 204.
// Each operation settles on a timer (time-scaled) or, for job cancel, when a probe says so.
import crypto from 'node:crypto';
import { LRO_RETRY_AFTER_BOUNDS, retryAfterHeaders } from './durations';
import type { SandboxResponse } from './route-table';

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

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
  probe?: () => { status: Exclude<OperationStatus, 'InProgress'>; error?: OperationError } | undefined;
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
      status: 'InProgress',
      startTime: new Date().toISOString(),
      finalBody: opts.finalBody,
      probe: opts.probe,
    };
    this.operations.set(op.id, op);
    if (!opts.probe) {
      op.timer = setTimeout(() => {
        op.timer = undefined;
        if (op.status !== 'InProgress') return;
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
    if (op?.probe && op.status === 'InProgress') {
      const outcome = op.probe();
      if (outcome) this.settle(op, outcome.status, outcome.error);
    }
    return op;
  }

  settle(op: Operation, status: Exclude<OperationStatus, 'InProgress'>, error?: OperationError): void {
    op.status = status;
    op.endTime = new Date().toISOString();
    if (error) op.error = error;
    if (op.timer) clearTimeout(op.timer);
    op.timer = undefined;
  }

  /** Headers for the initial 201 (PUT): Azure-AsyncOperation plus pacing. */
  asyncHeaders(op: Operation, apiVersion: string): Record<string, string> {
    return {
      'Azure-AsyncOperation': this.urls.status(op, apiVersion),
      'x-ms-async-operation-timeout': 'PT1H',
      ...retryAfterHeaders(this.pollIntervalMs(), LRO_RETRY_AFTER_BOUNDS),
    };
  }

  /** Headers for the initial 202 (PATCH, DELETE, cancel): Location plus pacing. */
  locationHeaders(op: Operation, apiVersion: string): Record<string, string> {
    return {
      Location: this.urls.result(op, apiVersion),
      'Azure-AsyncOperation': this.urls.status(op, apiVersion),
      'x-ms-async-operation-timeout': 'PT1H',
      ...retryAfterHeaders(this.pollIntervalMs(), LRO_RETRY_AFTER_BOUNDS),
    };
  }

  statusDocument(op: Operation, apiVersion: string): SandboxResponse {
    return {
      status: 200,
      headers: op.status === 'InProgress' ? retryAfterHeaders(this.pollIntervalMs(), LRO_RETRY_AFTER_BOUNDS) : {},
      body: {
        id: this.urls.status(op, apiVersion).replace(/^https?:\/\/[^/]+/, '').replace(/\?.*$/, ''),
        name: op.id,
        status: op.status,
        startTime: op.startTime,
        ...(op.endTime ? { endTime: op.endTime } : {}),
        ...(op.status === 'Succeeded' ? { percentComplete: 1 } : {}),
        ...(op.error ? { error: { code: op.error.code, message: op.error.message } } : {}),
      },
    };
  }

  resultResponse(op: Operation, apiVersion: string): SandboxResponse {
    if (op.status === 'InProgress') {
      return { status: 202, headers: { Location: this.urls.result(op, apiVersion), ...retryAfterHeaders(this.pollIntervalMs(), LRO_RETRY_AFTER_BOUNDS) } };
    }
    if (op.status === 'Failed' || op.status === 'Canceled') {
      const error = op.error ?? { code: op.status, message: `The operation ${op.status.toLowerCase()}.` };
      return { status: 500, body: { error } };
    }
    const body = op.finalBody?.();
    return body === undefined ? { status: 204 } : { status: 200, body };
  }

  stopAll(): void {
    for (const op of this.operations.values()) if (op.timer) clearTimeout(op.timer);
  }
}
