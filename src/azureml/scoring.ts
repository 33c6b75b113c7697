// Invoking a batch endpoint: the data-plane half of the recipe (not in mfe.json). `POST {scoringUri}` with
// a token for the cloud's ML audience (https://ml.azure.com; China https://studio.ml.azure.cn), body
// {"properties":{"InputData":{name:{JobInputType,Uri}},"OutputData":{name:{JobOutputType:"UriFile",Uri}}}}
// and, for a non-default deployment, the `azureml-model-deployment` header. Azure answers 201 with the
// data-plane job document (recorded: ../shared/azureml/recordings, test_batch_invoke.json #21): `id`
// …/batchEndpoints/{e}/deployments/{d}/jobs/{name} (name a GUID or `batchjob-<guid>`), properties.inputData,
// output {datastoreId, path}, status, interactionEndpoints.Studio.endpoint, tags; `GET {scoringUri}/{name}`
// returns the same document. Invoking is not idempotent, so the POST is never retried here: it carries a
// repeatability id (the header azure-ai-ml sends, plus the Azure REST guidelines' pair), and a caller whose
// invoke failed after sending looks for the job before invoking again (run worker, invoked-job.ts).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { formatDataReference, type DataReference } from '../domain/data-reference';
import { assertInWorkspaceScope, type WorkspaceScope } from '../domain/workspace-scope';
import type { RunSettings } from '../domain/run-settings';
import type { AzureMlContext } from './azureml-context';
import { getBatchEndpoint } from './batch-endpoints';
import type { DatastoreContainerFactory } from './datastore-container';
import { getBlobDatastore } from './datastores';
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
  /** Repeatability id of this logical invoke (the same on every attempt for one request); default a fresh UUID. */
  repeatabilityId?: string;
  /** When this logical invoke was first sent (ms since epoch), for Repeatability-First-Sent; default now. */
  firstSentAt?: number;
  /** Per-job overrides of the deployment's settings; absent fields keep the deployment's values. */
  settings?: RunSettings;
}

export interface ScoringDeps extends AzureMlContext {
  /** Reaches a datastore's container, to refuse an output file that already exists. */
  containerFor: DatastoreContainerFactory;
  /** Workspaces inputs and outputs may name (default: this workspace only); see domain/workspace-scope.ts. */
  workspaceScope?: WorkspaceScope;
}

const stringMap = z.record(z.string(), z.string().nullable());

/**
 * The job as the scoring API returns it (the data-plane document); loose, since the service adds fields
 * freely. Also fits an ARM job (`services` instead of `interactionEndpoints`), which the CLI shows.
 */
export const scoringJobSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  properties: z.looseObject({
    status: jobStatusSchema.optional(),
    experimentName: z.string().optional(),
    properties: stringMap.nullish(),
    tags: stringMap.nullish(),
    inputData: z.record(z.string(), z.looseObject({ uri: z.string().nullish(), jobInputType: z.string().nullish() }).nullable()).nullish(),
    output: z.looseObject({ datastoreId: z.string().nullish(), path: z.string().nullish() }).nullish(),
    interactionEndpoints: z.record(z.string(), z.looseObject({ endpoint: z.string().nullish() }).nullable()).nullish(),
    services: z.record(z.string(), z.looseObject({ endpoint: z.string().nullish() }).nullable()).nullish(),
  }),
  systemData: z.looseObject({ createdAt: z.string().optional() }).nullish(),
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
  assertInWorkspaceScope(ref, deps.workspaceScope ?? [deps.workspace]);
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
  /** Where the results go: the output the request asked for, else the one the service confirmed; never guessed. */
  outputUri?: string;
  /** The job's page in the studio, as the service gave it. */
  studioUrl?: string;
}

/** The headers that mark one logical invoke: azure-ai-ml's spelling, and the Azure REST guidelines' pair. */
export function repeatabilityHeaders(id: string, firstSentAt: number): Record<string, string> {
  return {
    'repeatability-request-id': id,
    'repeatability-first-sent': new Date(firstSentAt).toUTCString(),
    // azure-ai-ml (EndpointInvokeFields.REPEATABILITY_REQUEST_ID) sends this exact spelling.
    'repeatability_request-id': id,
  };
}

export async function invokeBatchEndpoint(deps: ScoringDeps, req: InvokeRequest): Promise<InvokeResult> {
  // Before any call: a reference to another workspace would have the bot act there with its own identity.
  const scope = deps.workspaceScope ?? [deps.workspace];
  assertInWorkspaceScope(req.input.ref, scope);
  if (req.output) assertInWorkspaceScope(req.output.ref, scope);
  if (req.output) await assertOutputFree(deps, req.output.ref);
  const scoringUri = await getScoringUri(deps, req.endpointName);
  const response = await deps.arm.request({
    method: 'POST',
    path: scoringUri,
    apiVersion: false,
    scope: deps.arm.cloud.mlScope,
    body: withRunSettings(buildInvokeBody(req.input, req.output), req.settings),
    headers: {
      ...repeatabilityHeaders(req.repeatabilityId ?? randomUUID(), req.firstSentAt ?? Date.now()),
      ...(req.deploymentName ? { 'azureml-model-deployment': req.deploymentName } : {}),
    },
    // Never retried blind: an attempt that reached the service may have started the job. A 429 is the one
    // answer that says it was refused unprocessed (ARM throttling), so only that is retried here.
    retry: { onlyStatuses: [429] },
  });
  const job = parseResponseBody(scoringJobSchema, response.body, `scoring job of '${req.endpointName}'`, response);
  const asked = req.output ? formatDataReference(req.output.ref) : undefined;
  const outputUri = asked ?? jobOutputUri(job);
  const studioUrl = jobStudioUrl(job);
  return { jobName: job.name ?? lastSegment(job.id), job, scoringUri, ...(outputUri ? { outputUri } : {}), ...(studioUrl ? { studioUrl } : {}) };
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

export function jobStatusOf(job: ScoringJob): JobStatus {
  return job.properties.status ?? 'Unknown';
}

/**
 * The service's own code and words for a failed job, when a document carries them. Neither the ARM job
 * (JobBase has no error field in 2022-05-01) nor the recorded data-plane document does, so this usually
 * finds nothing and the reply points at the studio (jobStudioUrl); an `error` object, as newer answers
 * may carry, is read when present.
 */
export function jobFailure(job: ScoringJob): { code?: string; message?: string } {
  const p = job.properties as Record<string, unknown>;
  const error = (p.error ?? (job as Record<string, unknown>).error) as { message?: unknown; code?: unknown } | undefined;
  return {
    code: typeof error?.code === 'string' ? error.code : undefined,
    message: typeof error?.message === 'string' ? error.message : undefined,
  };
}

const jobOutputsSchema = z.record(z.string(), z.looseObject({ uri: z.string().nullish() }).nullable()).catch({});
const dataPlaneOutputSchema = z.looseObject({ datastoreId: z.string().nullish(), path: z.string().nullish() }).nullish().catch(undefined);

/**
 * Where a job says it writes its results, or undefined when it does not say: the data-plane document's
 * `output` ({datastoreId, path}, both null when the request named no output, as recorded), or a job's
 * named outputs (`score` first, as `az ml batch-endpoint invoke` names it). Never guessed.
 */
export function jobOutputUri(job: { properties: object }): string | undefined {
  const output = dataPlaneOutputSchema.parse((job.properties as { output?: unknown }).output);
  if (output?.datastoreId && output.path) {
    return `azureml://datastores/${lastSegment(output.datastoreId)}/paths/${output.path.replace(/^\/+/, '')}`;
  }
  const outputs = jobOutputsSchema.parse((job.properties as { outputs?: unknown }).outputs ?? {});
  const preferred = outputs[DEFAULT_OUTPUT_NAME]?.uri;
  if (preferred) return preferred;
  return Object.values(outputs).find((o) => o?.uri)?.uri ?? undefined;
}

/** The job's studio page: interactionEndpoints.Studio (data plane) or services.Studio (ARM job). */
export function jobStudioUrl(job: ScoringJob): string | undefined {
  const url = job.properties.interactionEndpoints?.Studio?.endpoint ?? job.properties.services?.Studio?.endpoint;
  return url && /^https:\/\//i.test(url) ? url : undefined;
}
