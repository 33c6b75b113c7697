// Invoking a batch endpoint: the data-plane half of the recipe (not in mfe.json). `POST {scoringUri}` with
// a token for the cloud's ML audience (https://ml.azure.com; China https://studio.ml.azure.cn), body
// {"properties":{"InputData":{name:{JobInputType,Uri}},"OutputData":{name:{JobOutputType:"UriFile",Uri}}}}
// and, for a non-default deployment, the `azureml-model-deployment` header. The answer is the job; its
// name is the last segment of `id`, and `GET {scoringUri}/{jobName}` reports `properties.status`.
import { z } from 'zod';
import { formatDataReference, type DataReference } from '../domain/data-reference';
import type { RunSettings } from '../domain/run-settings';
import type { AzureMlContext } from './azureml-context';
import { getBatchEndpoint } from './batch-endpoints';
import type { DatastoreContainerFactory } from './datastore-container';
import { getBlobDatastore } from './datastores';
import { AzureMlError } from './errors';
import { beginCancelJob, isTerminalJobStatus } from './jobs';
import { jobStatusSchema, type JobStatus } from './resources';
import { parseResponseBody } from './response-validation';
import { blobExists } from './uploads';
import { lastSegment } from './workspace';

/** The names `az ml batch-endpoint invoke` uses (docs/architecture.md). */
export const DEFAULT_INPUT_NAME = 'input_data';
export const DEFAULT_OUTPUT_NAME = 'score';

export type JobInputType = 'UriFolder' | 'UriFile';

export interface ScoringInput {
  ref: DataReference;
  type: JobInputType;
  /** Input name (default input_data). */
  name?: string;
}

export interface ScoringOutput {
  /** A file path on a registered datastore (UriFile is the only JobOutputType batch scoring supports). */
  ref: DataReference;
  /** Output name (default score). */
  name?: string;
}

export interface InvokeRequest {
  endpointName: string;
  input: ScoringInput;
  output?: ScoringOutput;
  /** Sends `azureml-model-deployment`; omitted: the endpoint's default deployment runs the job. */
  deploymentName?: string;
  /** Per-job overrides of the deployment's settings; absent fields keep the deployment's values. */
  settings?: RunSettings;
}

export interface ScoringDeps extends AzureMlContext {
  /** Reaches a datastore's container, to refuse an output file that already exists. */
  containerFor: DatastoreContainerFactory;
}

/** The job as the scoring API returns it; loose, since the service adds fields freely. */
export const scoringJobSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  properties: z.looseObject({
    status: jobStatusSchema.optional(),
    experimentName: z.string().optional(),
    properties: z.record(z.string(), z.string().nullable()).nullish(),
  }),
});
export type ScoringJob = z.infer<typeof scoringJobSchema>;

export class ScoringRequestError extends Error {
  override readonly name = 'ScoringRequestError';
  constructor(
    readonly code: 'OutputAlreadyExists' | 'InvalidOutputReference' | 'EndpointNotReady',
    message: string,
  ) {
    super(message);
  }
}

/** Refuses outputs that are not a datastore file path: the service writes results only to a datastore. */
export function assertOutputIsDatastoreFile(ref: DataReference): asserts ref is Extract<DataReference, { kind: 'datastore' }> {
  if (ref.kind !== 'datastore') {
    throw new ScoringRequestError(
      'InvalidOutputReference',
      `the output must be a file on a datastore (azureml://datastores/<datastore>/paths/<folder>/<file>), not ${
        ref.kind === 'https' ? 'an https URL' : 'a data asset'
      }`,
    );
  }
  if (ref.path === '' || ref.path.endsWith('/')) {
    throw new ScoringRequestError(
      'InvalidOutputReference',
      'the output must name a file (azureml://datastores/<datastore>/paths/<folder>/<file>), not a folder',
    );
  }
}

/** The invoke body, exactly as the recipe shapes it. */
export function buildInvokeBody(input: ScoringInput, output?: ScoringOutput) {
  return {
    properties: {
      InputData: {
        [input.name ?? DEFAULT_INPUT_NAME]: { JobInputType: input.type, Uri: formatDataReference(input.ref) },
      },
      ...(output
        ? {
            OutputData: {
              [output.name ?? DEFAULT_OUTPUT_NAME]: { JobOutputType: 'UriFile' as const, Uri: formatDataReference(output.ref) },
            },
          }
        : {}),
    },
  };
}

/**
 * The per-job settings as the data-plane BatchJob serialises them (azure-ai-ml's BatchJob model:
 * compute.instanceCount, miniBatchSize, errorThreshold, outputFileName, retrySettings), to sit beside
 * InputData/OutputData in the invoke body's properties. Only given fields are sent.
 */
export function runSettingsBody(settings: RunSettings | undefined): Record<string, unknown> {
  if (!settings) return {};
  const retry = settings.retrySettings;
  const retrySettings = {
    ...(retry?.maxRetries !== undefined ? { maxRetries: retry.maxRetries } : {}),
    ...(retry?.timeout !== undefined ? { timeout: retry.timeout } : {}),
  };
  return {
    ...(settings.instanceCount !== undefined ? { compute: { instanceCount: settings.instanceCount } } : {}),
    ...(settings.miniBatchSize !== undefined ? { miniBatchSize: settings.miniBatchSize } : {}),
    ...(settings.errorThreshold !== undefined ? { errorThreshold: settings.errorThreshold } : {}),
    ...(settings.outputFileName !== undefined ? { outputFileName: settings.outputFileName } : {}),
    ...(Object.keys(retrySettings).length > 0 ? { retrySettings } : {}),
  };
}

export async function getScoringUri(ctx: AzureMlContext, endpointName: string): Promise<string> {
  const endpoint = await getBatchEndpoint(ctx, endpointName);
  const uri = endpoint.properties.scoringUri;
  if (!uri) {
    throw new ScoringRequestError(
      'EndpointNotReady',
      `batch endpoint '${endpointName}' has no scoring URI yet (provisioning state ${endpoint.properties.provisioningState ?? 'unknown'}); wait until it is Succeeded`,
    );
  }
  return uri;
}

/** Throws OutputAlreadyExists when the output file is already on the datastore (the job would fail). */
export async function assertOutputFree(deps: ScoringDeps, ref: DataReference): Promise<void> {
  assertOutputIsDatastoreFile(ref);
  const ws =
    ref.subscriptionId && ref.resourceGroup && ref.workspace
      ? { subscriptionId: ref.subscriptionId, resourceGroup: ref.resourceGroup, workspace: ref.workspace }
      : deps.workspace;
  const datastore = await getBlobDatastore(deps, ref.datastore, ws);
  const blobName = ref.path.replace(/^\/+/, '');
  if (await blobExists(deps.containerFor(datastore), blobName)) {
    throw new ScoringRequestError(
      'OutputAlreadyExists',
      `the output file ${formatDataReference(ref)} already exists; batch scoring never overwrites, so pick a new file name`,
    );
  }
}

export interface InvokeResult {
  jobName: string;
  job: ScoringJob;
  scoringUri: string;
}

export async function invokeBatchEndpoint(deps: ScoringDeps, req: InvokeRequest): Promise<InvokeResult> {
  if (req.output) await assertOutputFree(deps, req.output.ref);
  const scoringUri = await getScoringUri(deps, req.endpointName);
  const response = await deps.arm.request({
    method: 'POST',
    path: scoringUri,
    apiVersion: false,
    scope: deps.arm.cloud.mlScope,
    body: withRunSettings(buildInvokeBody(req.input, req.output), req.settings),
    headers: req.deploymentName ? { 'azureml-model-deployment': req.deploymentName } : undefined,
  });
  const job = parseResponseBody(scoringJobSchema, response.body, `scoring job of '${req.endpointName}'`, response);
  return { jobName: lastSegment(job.id), job, scoringUri };
}

function withRunSettings<B extends { properties: object }>(body: B, settings: RunSettings | undefined): B {
  return { ...body, properties: { ...body.properties, ...runSettingsBody(settings) } };
}

export async function getScoringJob(ctx: AzureMlContext, scoringUri: string, jobName: string): Promise<ScoringJob> {
  const response = await ctx.arm.request({
    method: 'GET',
    path: `${scoringUri.replace(/\/+$/, '')}/${encodeURIComponent(jobName)}`,
    apiVersion: false,
    scope: ctx.arm.cloud.mlScope,
  });
  return parseResponseBody(scoringJobSchema, response.body, `scoring job '${jobName}'`, response);
}

/** Cancels through ARM (`POST .../jobs/{name}/cancel`); the caller watches the status reach Canceled. */
export async function cancelScoringJob(ctx: AzureMlContext, jobName: string): Promise<void> {
  await beginCancelJob(ctx, jobName);
}

export function jobStatusOf(job: ScoringJob): JobStatus {
  return job.properties.status ?? 'Unknown';
}

/**
 * The service's own code and words for a failed job. JobBase has no error field in 2022-05-01, so batch
 * jobs report it in the string map properties.properties ("azureml.error.code" / "azureml.error.message");
 * a top-level or properties-level `error` object is read too, for newer answers.
 */
export function jobFailure(job: ScoringJob): { code?: string; message?: string } {
  const bag = job.properties.properties ?? {};
  if (bag['azureml.error.message']) {
    return { code: bag['azureml.error.code'] ?? undefined, message: bag['azureml.error.message'] ?? undefined };
  }
  const p = job.properties as Record<string, unknown>;
  const error = (p.error ?? (job as Record<string, unknown>).error) as { message?: unknown; code?: unknown } | undefined;
  return {
    code: typeof error?.code === 'string' ? error.code : undefined,
    message: typeof error?.message === 'string' ? error.message : undefined,
  };
}

export interface WatchOptions {
  intervalMs?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  onStatus?: (status: JobStatus, job: ScoringJob) => void | Promise<void>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Polls a scoring job until Completed, Failed or Canceled. Completed returns the job; Failed and Canceled
 * throw AzureMlError JobFailed / JobCanceled carrying the service's message. Long-lived watchers (the queue)
 * should re-schedule with getScoringJob instead of holding a worker here.
 */
export async function waitForScoringJob(ctx: AzureMlContext, scoringUri: string, jobName: string, options: WatchOptions = {}): Promise<ScoringJob> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  const deadline = options.timeoutMs === undefined ? Infinity : now() + options.timeoutMs;
  let last: JobStatus | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    const job = await getScoringJob(ctx, scoringUri, jobName);
    const status = jobStatusOf(job);
    if (status !== last) await options.onStatus?.(status, job);
    last = status;
    if (isTerminalJobStatus(status)) {
      if (status === 'Completed') return job;
      const failure = jobFailure(job);
      throw new AzureMlError({
        code: status === 'Failed' ? 'JobFailed' : 'JobCanceled',
        message:
          status === 'Failed'
            ? `scoring job ${jobName} failed: ${failure.message ?? 'the service gave no reason'}`
            : `scoring job ${jobName} was canceled`,
        details: failure.code || failure.message ? [failure] : undefined,
        retriable: false,
      });
    }
    if (now() >= deadline) {
      throw new AzureMlError({
        code: 'OperationTimedOut',
        message: `scoring job ${jobName} is still ${status} after ${options.timeoutMs} ms`,
        retriable: true,
      });
    }
    await sleep(options.intervalMs ?? 5000);
  }
}

const jobOutputsSchema = z.record(z.string(), z.looseObject({ uri: z.string().nullish() }).nullable()).catch({});

/** Where a job wrote its results: the named output's URI (`score` first, as `az ml batch-endpoint invoke` names it), else the first. */
export function jobOutputUri(job: { properties: object }): string | undefined {
  const outputs = jobOutputsSchema.parse((job.properties as { outputs?: unknown }).outputs ?? {});
  const preferred = outputs[DEFAULT_OUTPUT_NAME]?.uri;
  if (preferred) return preferred;
  return Object.values(outputs).find((o) => o?.uri)?.uri ?? undefined;
}
