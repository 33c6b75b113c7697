// Long-running ARM operations, after @azure/core-lro: the poller's whole state is a small serializable
// value, so a queue job checkpoints it after each poll and a replacement worker resumes polling from it
// without re-issuing the PUT. ARM's async contract (ARM RPC "Asynchronous operations"; mfe.json marks
// BatchEndpoints/BatchDeployments CreateOrUpdate, Update and Delete x-ms-long-running-operation):
// - PUT answers 201 + Azure-AsyncOperation: poll it; its status document is {status, error?}, status
//   InProgress until Succeeded, Failed or Canceled; then GET the resource (final state via original URI).
//   The recipe reads the same URL from the body's properties.properties.AzureAsyncOperationUri.
// - PATCH/DELETE/POST answer 202 + Location: poll it; 202 while running, 200/204 when done, an error
//   answer when the operation failed.
// - A PUT answered 200/201 with only provisioningState: poll the resource itself until it is terminal.
import { z } from 'zod';
import type { ArmClient, ArmMethod, ArmResponse } from './arm-client';
import { defaultSleep } from './arm-client';
import { AzureMlError, isAzureMlError, parseArmErrorDetail, redactUrl } from './errors';
import { retryAfterMs } from '../domain/retry-after';

const armMethodSchema = z.enum(['GET', 'PUT', 'PATCH', 'POST', 'DELETE']);

export const pollerStateSchema = z.object({
  /** Which contract is being followed: the Azure-AsyncOperation document, the Location URL, or the resource body. */
  kind: z.enum(['azure-async-operation', 'location', 'body']),
  pollUrl: z.url(),
  /** Where the finished resource is read; absent for DELETE and POST actions. */
  resourceUrl: z.url().optional(),
  method: armMethodSchema,
  startedAt: z.iso.datetime(),
  deadlineAt: z.iso.datetime(),
  /** The service's word: InProgress (or a provisioning state) until Succeeded, Failed or Canceled. */
  status: z.string().min(1),
  lastRetryAfterMs: z.number().int().nonnegative().optional(),
  /** How many polls have been made, across processes. */
  polls: z.number().int().nonnegative().default(0),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type PollerState = z.infer<typeof pollerStateSchema>;

export type OperationOutcome = 'Succeeded' | 'Failed' | 'Canceled';

/** ARM's terminal states, matched without regard to case (some RPs send "succeeded"); "Cancelled" too. */
export function terminalOutcome(status: string | undefined): OperationOutcome | undefined {
  switch (status?.toLowerCase()) {
    case 'succeeded':
      return 'Succeeded';
    case 'failed':
      return 'Failed';
    case 'canceled':
    case 'cancelled':
      return 'Canceled';
    default:
      return undefined;
  }
}

/** How long a caller waits for an operation unless told otherwise: deployments can take tens of minutes. */
export const DEFAULT_OPERATION_DEADLINE_MS = 2 * 60 * 60 * 1000;

export interface CreatePollerOptions {
  deadlineMs?: number;
  /** Injected for tests. */
  now?: () => number;
}

const bodyWithOperationUri = z.object({
  properties: z.object({ properties: z.object({ AzureAsyncOperationUri: z.url() }).loose() }).loose(),
});
const bodyWithProvisioningState = z.object({ properties: z.object({ provisioningState: z.string() }).loose() });

/**
 * The poller state for the first answer to a long-running request, or undefined when that answer is
 * already final (a 200/204 with no operation header and no provisioningState still moving).
 * `request.url` is the absolute URL the request went to.
 */
export function createPollerState(
  initial: ArmResponse,
  request: { method: ArmMethod; url: string },
  opts: CreatePollerOptions = {},
): PollerState | undefined {
  const now = (opts.now ?? Date.now)();
  const headers = initial.headers;
  const operationUri = headers['azure-asyncoperation'] ?? bodyWithOperationUri.safeParse(initial.body).data?.properties.properties.AzureAsyncOperationUri;
  const location = headers['location'];
  const provisioningState = bodyWithProvisioningState.safeParse(initial.body).data?.properties.provisioningState;
  // PUT and PATCH end at the resource they addressed; DELETE leaves nothing, POST's result (if any) is
  // the Location answer (ARM's final-state-via defaults).
  const resourceUrl = request.method === 'PUT' || request.method === 'PATCH' ? request.url : undefined;

  let kind: PollerState['kind'];
  let pollUrl: string;
  if (operationUri) {
    kind = 'azure-async-operation';
    pollUrl = operationUri;
  } else if (location && initial.status === 202) {
    kind = 'location';
    pollUrl = new URL(location, request.url).toString();
  } else if (resourceUrl && provisioningState !== undefined && terminalOutcome(provisioningState) !== 'Succeeded') {
    kind = 'body';
    pollUrl = resourceUrl;
  } else {
    return undefined;
  }
  return pollerStateSchema.parse({
    kind,
    pollUrl,
    resourceUrl,
    method: request.method,
    startedAt: new Date(now).toISOString(),
    deadlineAt: new Date(now + (opts.deadlineMs ?? DEFAULT_OPERATION_DEADLINE_MS)).toISOString(),
    // A body-polled PUT may already say Failed; pollUntilDone reports it without another request.
    status: kind === 'body' ? (provisioningState as string) : 'InProgress',
    lastRetryAfterMs: retryAfterMs(headers, now),
    polls: 0,
  });
}

export function serializePollerState(s: PollerState): string {
  return JSON.stringify(pollerStateSchema.parse(s));
}

/** Parses a checkpointed state; a corrupt or foreign one is an AzureMlError 'InvalidPollerState'. */
export function restorePollerState(text: string): PollerState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AzureMlError({ code: 'InvalidPollerState', message: 'The saved operation state is not JSON', retriable: false });
  }
  const parsed = pollerStateSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(state)'}: ${i.message}`).join('; ');
    throw new AzureMlError({ code: 'InvalidPollerState', message: `The saved operation state is invalid: ${problems}`, retriable: false });
  }
  return parsed.data;
}

export interface PollOptions {
  /** Called after each poll with the new state, so a queue job can checkpoint it. */
  onProgress?(s: PollerState): void | Promise<void>;
  /** Bounds on the wait between polls; the server's Retry-After is clamped into them. Defaults 100 ms / 60 s. */
  minIntervalMs?: number;
  maxIntervalMs?: number;
  /** Wait between polls when the server gives no hint; default 5 s (clamped too). */
  defaultIntervalMs?: number;
  signal?: AbortSignal;
  /** Injected for tests; defaults to a timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injected for tests: the clock deadlines are checked on. */
  now?: () => number;
}

const operationStatusSchema = z.object({ status: z.string().min(1), error: z.unknown().optional() }).loose();

/**
 * Polls until the operation is terminal. Succeeded → reads the resource (resourceUrl) when there is one;
 * Failed → AzureMlError with the operation's error code ('OperationFailed' if none); Canceled →
 * 'OperationCanceled'; past deadlineAt → 'OperationTimedOut'. None of these is retriable: the operation
 * is over (or given up on), and repeating the poll cannot change that.
 */
export async function pollUntilDone<T>(
  client: ArmClient,
  state: PollerState,
  opts: PollOptions = {},
): Promise<{ state: PollerState; resource?: T }> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? defaultSleep;
  const minMs = opts.minIntervalMs ?? 100;
  const maxMs = Math.max(minMs, opts.maxIntervalMs ?? 60_000);
  const deadline = Date.parse(state.deadlineAt);
  let current = state;
  let finalBody: unknown;

  while (terminalOutcome(current.status) === undefined) {
    const remaining = deadline - now();
    if (remaining <= 0) throw timedOut(current);
    const interval = Math.min(maxMs, Math.max(minMs, current.lastRetryAfterMs ?? opts.defaultIntervalMs ?? 5_000));
    try {
      await sleep(Math.min(interval, remaining), opts.signal);
    } catch (err) {
      throw aborted(current, err);
    }
    if (opts.signal?.aborted) throw aborted(current, opts.signal.reason);
    const polled = await pollOnce(client, current, opts.signal);
    current = polled.state;
    finalBody = polled.body;
    await opts.onProgress?.(current);
    if (terminalOutcome(current.status) === undefined && now() >= deadline) throw timedOut(current);
  }

  switch (terminalOutcome(current.status)) {
    case 'Failed':
      throw new AzureMlError({
        code: current.error?.code || 'OperationFailed',
        message: current.error?.message || `The Azure operation failed (${current.method} ${redactUrl(current.resourceUrl ?? current.pollUrl)})`,
        retriable: false,
        method: current.method,
        url: current.resourceUrl ?? current.pollUrl,
      });
    case 'Canceled':
      throw new AzureMlError({
        code: 'OperationCanceled',
        message: current.error?.message || `The Azure operation was canceled (${current.method} ${redactUrl(current.resourceUrl ?? current.pollUrl)})`,
        retriable: false,
        method: current.method,
        url: current.resourceUrl ?? current.pollUrl,
      });
    default:
      break;
  }
  if (current.resourceUrl) {
    const response = await client.request<T>({ method: 'GET', path: current.resourceUrl, signal: opts.signal });
    return { state: current, resource: response.body };
  }
  // A POST's result, if it has one, is the final Location answer.
  return { state: current, ...(finalBody !== undefined && current.kind === 'location' ? { resource: finalBody as T } : {}) };
}

async function pollOnce(client: ArmClient, state: PollerState, signal?: AbortSignal): Promise<{ state: PollerState; body?: unknown }> {
  const polls = state.polls + 1;
  let response: ArmResponse;
  try {
    response = await client.request({ method: 'GET', path: state.pollUrl, signal });
  } catch (err) {
    // A Location poll reports the operation's failure as an error answer; a 4xx is final (5xx and
    // network errors were already retried by the client and stay the caller's to retry).
    if (state.kind === 'location' && isAzureMlError(err) && !err.retriable && err.statusCode !== undefined) {
      return { state: { ...state, polls, status: 'Failed', error: { code: err.code, message: err.message } } };
    }
    throw err;
  }
  const lastRetryAfterMs = retryAfterMs(response.headers);
  const next = (status: string, error?: PollerState['error']): PollerState => ({
    ...state,
    polls,
    status,
    lastRetryAfterMs,
    ...(error ? { error } : {}),
  });

  switch (state.kind) {
    case 'location':
      return { state: next(response.status === 202 ? 'InProgress' : 'Succeeded'), body: response.body };
    case 'azure-async-operation': {
      const doc = operationStatusSchema.safeParse(response.body);
      if (!doc.success) throw malformed(state, response, 'an operation status document without a status');
      return { state: next(doc.data.status, errorOf(doc.data.error)) };
    }
    case 'body': {
      const doc = bodyWithProvisioningState.safeParse(response.body);
      if (!doc.success) throw malformed(state, response, 'a resource without properties.provisioningState');
      return { state: next(doc.data.properties.provisioningState) };
    }
  }
}

function errorOf(raw: unknown): PollerState['error'] | undefined {
  if (raw === undefined || raw === null) return undefined;
  // The status document's `error` is an ErrorDetail ({code, message}), sometimes wrapped as {error: {...}}.
  const detail = parseArmErrorDetail(raw);
  return detail ? { code: detail.code ?? '', message: detail.message ?? '' } : undefined;
}

function malformed(state: PollerState, response: ArmResponse, what: string): AzureMlError {
  return new AzureMlError({
    code: 'InvalidResponse',
    message: `Polling an Azure operation returned ${what} (GET ${redactUrl(state.pollUrl)})`,
    statusCode: response.status,
    requestId: response.requestId,
    retriable: false,
    method: 'GET',
    url: state.pollUrl,
  });
}

function aborted(state: PollerState, cause: unknown): AzureMlError {
  return new AzureMlError({
    code: 'RequestAborted',
    message: `Stopped waiting for the Azure operation (${state.method} ${redactUrl(state.resourceUrl ?? state.pollUrl)}); it goes on in Azure`,
    retriable: false,
    method: state.method,
    url: state.resourceUrl ?? state.pollUrl,
    cause,
  });
}

function timedOut(state: PollerState): AzureMlError {
  return new AzureMlError({
    code: 'OperationTimedOut',
    message:
      `The Azure operation was still ${state.status} at its deadline ${state.deadlineAt} ` +
      `(${state.method} ${redactUrl(state.resourceUrl ?? state.pollUrl)}); it may still finish: check it in Azure ML studio`,
    retriable: false,
    method: state.method,
    url: state.resourceUrl ?? state.pollUrl,
  });
}
