// The two halves of every long-running ARM call we make. `begin…` sends the request once and returns the
// poller state, which the caller checkpoints (a BullMQ job's data) before waiting; `waitFor…` polls from a
// state, fresh or restored in another process, so a resumed worker never re-issues the PUT.
// ARM's contract (mfe.json, x-ms-long-running-operation): PUT answers 201 + Azure-AsyncOperation, PATCH
// and DELETE answer 202 + Location; an immediate 200 means nothing is left to wait for.
import type { z } from 'zod';
import type { ArmRequest, ArmResponse } from './arm-client';
import type { AzureMlContext } from './azureml-context';
import { createPollerState, pollUntilDone, type PollerState } from './long-running-operation';
import { parseResponseBody } from './response-validation';
import { isNotFoundError } from './resource-lookup';

export interface LongRunningWaitOptions {
  /** Called with the updated state after every poll, to checkpoint it. */
  onProgress?: (state: PollerState) => void | Promise<void>;
  minIntervalMs?: number;
  maxIntervalMs?: number;
  signal?: AbortSignal;
  /** Injected for tests; defaults to a timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface BeganOperation<T> {
  /** Undefined when the service finished synchronously (200 with no operation header). */
  poller: PollerState | undefined;
  /** The resource as the first response described it (provisioningState Creating/Updating…). */
  initial: T;
}

/** Sends a long-running PUT/PATCH and validates the immediate answer as the resource. */
export async function beginLongRunning<S extends z.ZodType>(
  ctx: AzureMlContext,
  req: ArmRequest & { method: 'PUT' | 'PATCH' },
  schema: S,
  what: string,
): Promise<BeganOperation<z.infer<S>>> {
  const response = await ctx.arm.request(req);
  const initial = parseResponseBody(schema, response.body, what, response);
  return { poller: startPoller(ctx, req, response), initial };
}

/** Sends a long-running DELETE or POST action; only the poller matters. */
export async function beginLongRunningAction(
  ctx: AzureMlContext,
  req: ArmRequest & { method: 'DELETE' | 'POST' },
): Promise<PollerState | undefined> {
  const response = await ctx.arm.request(req);
  return startPoller(ctx, req, response);
}

/** Polls `poller` (if any) to the end, then reads the resource at `path` and validates it. */
export async function waitForResource<S extends z.ZodType>(
  ctx: AzureMlContext,
  poller: PollerState | undefined,
  path: string,
  schema: S,
  what: string,
  options: LongRunningWaitOptions = {},
): Promise<z.infer<S>> {
  if (poller) {
    // pollUntilDone reads the resource at the PUT's URL once the operation Succeeded (ARM's
    // final-state-via default for PUT is the original URI).
    const { resource } = await pollUntilDone<unknown>(ctx.arm, poller, options);
    if (resource !== undefined) return parseResponseBody(schema, resource, what);
  }
  const response = await ctx.arm.request({ method: 'GET', path });
  return parseResponseBody(schema, response.body, what, response);
}

/** Polls `poller` to the end; throws AzureMlError OperationFailed/Canceled/TimedOut with the service's message. */
export async function waitForOperation(
  ctx: AzureMlContext,
  poller: PollerState,
  options: LongRunningWaitOptions = {},
): Promise<void> {
  await pollUntilDone(ctx.arm, poller, options);
}

function startPoller(ctx: AzureMlContext, req: ArmRequest, response: ArmResponse): PollerState | undefined {
  const url = /^https?:\/\//i.test(req.path) ? req.path : `${ctx.arm.baseUrl.replace(/\/+$/, '')}${req.path}`;
  return createPollerState(response, { method: req.method, url });
}

/** DELETE of a resource as ARM answers it (202 + Location). Undefined poller: the resource was already gone. */
export async function beginDeleteResource(ctx: AzureMlContext, path: string): Promise<PollerState | undefined> {
  try {
    return await beginLongRunningAction(ctx, { method: 'DELETE', path });
  } catch (err) {
    if (isNotFoundError(err)) return undefined;
    throw err;
  }
}

/** Deletes and waits for the operation; deleting what is already gone is not an error. */
export async function deleteResourceAndWait(ctx: AzureMlContext, path: string, options?: LongRunningWaitOptions): Promise<void> {
  const poller = await beginDeleteResource(ctx, path);
  if (!poller) return;
  await options?.onProgress?.(poller);
  await waitForOperation(ctx, poller, options);
}
