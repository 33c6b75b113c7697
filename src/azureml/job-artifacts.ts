// What a finished batch scoring job left on the workspace's storage: its logs and its predictions.
//
// A batch job is a pipeline whose one child step, `batchscoring`, does the work and owns the logs. The
// SDK finds that child through run history (azure-ai-ml `_job_operations.py`: `get_run_children`) at the
// workspace's api host (the origin of the workspace's discoveryUrl), and reads a run's files from the
// workspace artifact store at `ExperimentRun/dcid.<run id>/` (`_get_named_output_uri`). The file names
// under `logs/` are the ones Microsoft's "Troubleshoot batch endpoints" page lists.
import { z } from 'zod';
import { parseDataReference, type DataReference } from '../domain/data-reference';
import { rememberedLookup, type AzureMlContext } from './azureml-context';
import type { DatastoreContainerFactory } from './datastore-container';
import { getBlobDatastore, getDefaultDatastore, type BlobDatastoreLocation } from './datastores';
import { parseResponseBody } from './response-validation';
import { parseChildRuns, scoringStepOf, type ChildRun } from './run-history-runs';
import { getScoringJob, getScoringUri, jobOutputUri } from './scoring';
import { workspacePath } from './workspace';

/** The artifact store every workspace has (its container is `azureml`). */
export const ARTIFACT_STORE = 'workspaceartifactstore';

export const JOB_LOG_FILES = {
  progressOverview: 'logs/job_progress_overview.txt',
  jobError: 'logs/job_error.txt',
  userErrorSummary: 'logs/user/error.txt',
} as const;
/** Folders holding one file per node and process: the first file found is read. */
export const JOB_LOG_FOLDERS = {
  userErrorDetail: 'logs/user/error/',
  userStdout: 'logs/user/stdout/',
} as const;

export type JobLogs = Partial<Record<keyof typeof JOB_LOG_FILES | keyof typeof JOB_LOG_FOLDERS, string>>;

export interface JobArtifactsDeps extends AzureMlContext {
  containerFor: DatastoreContainerFactory;
}

/** Enough of a log to triage from; a log is user content and can be huge. */
export const LOG_READ_LIMIT_BYTES = 64 * 1024;

const workspaceSchema = z.looseObject({ properties: z.looseObject({ discoveryUrl: z.string().nullish() }).nullish() });

export function runArtifactsPrefix(runId: string): string {
  return `ExperimentRun/dcid.${runId}/`;
}

/** The workspace's data-plane api host: where run history answers. */
export function workspaceApiOrigin(ctx: AzureMlContext): Promise<string | undefined> {
  return rememberedLookup(ctx, 'workspace:api-origin', () => readWorkspaceApiOrigin(ctx));
}

async function readWorkspaceApiOrigin(ctx: AzureMlContext): Promise<string | undefined> {
  const response = await ctx.arm.request({ method: 'GET', path: workspacePath(ctx.workspace) });
  const ws = parseResponseBody(workspaceSchema, response.body, 'workspace', response);
  const url = ws.properties?.discoveryUrl;
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * The job's `batchscoring` step (the only child of a batch job) as run history lists it, or undefined
 * before it exists. Read tolerantly (run-history-runs.ts): no recording shows run history's answers.
 */
export async function findScoringStep(ctx: AzureMlContext, jobName: string, experimentName: string): Promise<ChildRun | undefined> {
  const origin = await workspaceApiOrigin(ctx);
  if (!origin) return undefined;
  const path =
    `${origin}/history/v1.0${workspacePath(ctx.workspace)}` +
    `/experiments/${encodeURIComponent(experimentName)}/runs/${encodeURIComponent(jobName)}/children`;
  const response = await ctx.arm.request({ method: 'GET', path, apiVersion: false, scope: ctx.arm.cloud.mlScope });
  return scoringStepOf(parseChildRuns(response.body));
}

/** The run id of the job's `batchscoring` step, or undefined before it exists. */
export async function findScoringStepRunId(ctx: AzureMlContext, jobName: string, experimentName: string): Promise<string | undefined> {
  return (await findScoringStep(ctx, jobName, experimentName))?.runId;
}

interface BlobReader {
  readHead(blobName: string, limit: number): Promise<{ text: string; truncated: boolean } | undefined>;
  firstUnder(prefix: string): Promise<string | undefined>;
}

function blobReader(container: ReturnType<DatastoreContainerFactory>): BlobReader {
  return {
    // One ranged Get Blob (no Get Properties first): Content-Range tells the blob's whole size. Storage
    // answers 416 to any range of an empty blob, and 404 to a blob that is not there.
    async readHead(blobName, limit) {
      let response: Awaited<ReturnType<ReturnType<typeof container.getBlobClient>['download']>>;
      try {
        response = await container.getBlobClient(blobName).download(0, limit);
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        if (status === 404) return undefined;
        if (status === 416) return { text: '', truncated: false };
        throw err;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of response.readableStreamBody ?? []) chunks.push(Buffer.from(chunk as Uint8Array));
      const buffer = Buffer.concat(chunks).subarray(0, limit);
      const size = Number(/\/(\d+)$/.exec(response.contentRange ?? '')?.[1] ?? buffer.length);
      return { text: buffer.toString('utf8'), truncated: size > buffer.length };
    },
    async firstUnder(prefix) {
      for await (const item of container.listBlobsFlat({ prefix })) return item.name;
      return undefined;
    },
  };
}

/** One run's logs in the artifact store, whose datastore is looked up once however many are read. */
export interface RunLogs {
  /** job_progress_overview.txt alone (a running job's live progress), or undefined before it exists. */
  progressOverview(): Promise<string | undefined>;
  /** Every log but those in `skip`; files not there (yet) are left out. */
  read(skip?: ReadonlyArray<keyof JobLogs>): Promise<JobLogs>;
}

export async function openRunLogs(deps: JobArtifactsDeps, scoringRunId: string): Promise<RunLogs> {
  const store = await getBlobDatastore(deps, ARTIFACT_STORE);
  const reader = blobReader(deps.containerFor(store));
  const prefix = runArtifactsPrefix(scoringRunId);
  return {
    progressOverview: async () => (await reader.readHead(`${prefix}${JOB_LOG_FILES.progressOverview}`, LOG_READ_LIMIT_BYTES))?.text,
    async read(skip = []) {
      const logs: JobLogs = {};
      const wanted = <T extends Record<string, string>>(files: T) => Object.entries(files).filter(([k]) => !skip.includes(k as keyof JobLogs));
      await Promise.all([
        ...wanted(JOB_LOG_FILES).map(async ([k, name]) => {
          const got = await reader.readHead(`${prefix}${name}`, LOG_READ_LIMIT_BYTES);
          if (got) logs[k as keyof JobLogs] = got.text;
        }),
        ...wanted(JOB_LOG_FOLDERS).map(async ([k, folder]) => {
          const first = await reader.firstUnder(`${prefix}${folder}`);
          const got = first ? await reader.readHead(first, LOG_READ_LIMIT_BYTES) : undefined;
          if (got) logs[k as keyof JobLogs] = got.text;
        }),
      ]);
      return logs;
    },
  };
}

/** Where a job's predictions file is: a datastore, and a blob in its container. */
export interface OutputFileLocation {
  datastore: BlobDatastoreLocation;
  blobName: string;
}

/**
 * The predictions file of an output URI: the file itself, or, for an output folder (the job's default
 * `score` output), the file the job wrote in it (the deployment's outputFileName, predictions.csv unless
 * changed); undefined when the URI is not on a datastore or the folder is empty.
 */
export async function resolveOutputFile(deps: JobArtifactsDeps, outputUri: string): Promise<OutputFileLocation | undefined> {
  const ref: DataReference = parseDataReference(outputUri);
  if (ref.kind !== 'datastore') return undefined;
  const datastore = ref.datastore ? await getBlobDatastore(deps, ref.datastore) : await getDefaultDatastore(deps);
  const path = ref.path.replace(/^\/+/, '');
  if (path !== '' && !path.endsWith('/')) return { datastore, blobName: path };
  const first = await blobReader(deps.containerFor(datastore)).firstUnder(path);
  return first ? { datastore, blobName: first } : undefined;
}

/** Copies the predictions file to a local path (streams; no size limit). */
export async function downloadOutputFile(deps: JobArtifactsDeps, location: OutputFileLocation, localPath: string): Promise<number> {
  const blob = deps.containerFor(location.datastore).getBlobClient(location.blobName);
  await blob.downloadToFile(localPath);
  return (await blob.getProperties()).contentLength ?? 0;
}

/** The first bytes of the predictions file, or undefined when it is not there. */
export async function readOutputHead(deps: JobArtifactsDeps, location: OutputFileLocation, limit: number): Promise<{ text: string; truncated: boolean } | undefined> {
  return blobReader(deps.containerFor(location.datastore)).readHead(location.blobName, limit);
}

// The data-plane batch job names its output as {datastoreId, path} (recordings/README.md).
const dataPlaneOutputSchema = z.looseObject({
  properties: z.looseObject({ output: z.looseObject({ datastoreId: z.string().nullish(), path: z.string().nullish() }).nullish() }),
});

/** `azureml://datastores/<name>/paths/<path>` from the data-plane job's output, or its outputs map. */
export function outputUriOfDataPlaneJob(job: { properties: object }): string | undefined {
  const parsed = dataPlaneOutputSchema.safeParse(job);
  const out = parsed.success ? parsed.data.properties.output : undefined;
  if (out?.datastoreId && out.path !== undefined && out.path !== null) {
    const datastore = out.datastoreId.split('/').filter(Boolean).at(-1);
    if (datastore) return `azureml://datastores/${datastore}/paths/${out.path.replace(/^\/+/, '')}`;
  }
  return jobOutputUri(job);
}

/**
 * Where a job without an output of its own writes: the default datastore, `azureml/<job name>/score/` ("a folder
 * named by the job name", Microsoft's batch endpoint docs; the exact path is a guess, docs/sandbox-fidelity.md).
 */
export async function defaultJobOutputUri(ctx: AzureMlContext, jobName: string): Promise<string> {
  return `azureml://datastores/${(await getDefaultDatastore(ctx)).name}/paths/azureml/${jobName}/score/`;
}

/**
 * A job's output location: what the data-plane job names (ARM shows batch jobs' outputs as null), else the
 * default output folder (the recorded data-plane document names none when the request asked for none).
 */
export async function findJobOutputUri(ctx: AzureMlContext, jobName: string, endpointName: string, scoringUri?: string): Promise<string | undefined> {
  const uri = scoringUri ?? (await getScoringUri(ctx, endpointName));
  return outputUriOfDataPlaneJob(await getScoringJob(ctx, uri, jobName)) ?? (await defaultJobOutputUri(ctx, jobName));
}

/** job_progress_overview.txt alone (the live progress of a running job), or undefined before it exists. */
export async function readProgressOverview(deps: JobArtifactsDeps, scoringRunId: string): Promise<string | undefined> {
  return (await openRunLogs(deps, scoringRunId)).progressOverview();
}
