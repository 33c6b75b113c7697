// The Azure ML client the workers use: one object wiring the ARM client, the workspace, blob access and
// the artifacts root into the operations, uploads, scoring and the deploy plan. Entry points build it
// from config; tests build it against the sandbox. Every method is a thin binding of a module function,
// so the modules stay the place to read what happens.
import { parseDataReference } from '../domain/data-reference';
import { assertInWorkspaceScope, type WorkspaceScope } from '../domain/workspace-scope';
import type { DeploySpec } from '../domain/deploy-spec';
import { createArmClient, type ArmClient } from './arm-client';
import * as assets from './assets';
import type { AzureMlContext } from './azureml-context';
import { createLookupCache, WORKSPACE_LOOKUP_TTL_MS, type LookupCache } from './lookup-cache';
import * as deployments from './batch-deployments';
import * as endpoints from './batch-endpoints';
import type { AzureCloudDescription } from './clouds';
import * as computes from './computes';
import type { TokenCredential } from './credentials';
import { createDatastoreContainerFactory, type DatastoreAccess, type DatastoreContainerFactory } from './datastore-container';
import type { DeployProgress } from '../domain/deploy-plan';
import { asError, DeployStepError, runDeployPlan, type DeployStepEvent } from './deploy-plan';
import { resolveInsideRoot } from './artifacts-root';
import { folderContentVersion } from './asset-version';
import { createFileHashCache, type FileHashCache } from './file-hash-cache';
import { hashLocalFiles, listLocalFiles } from './local-folder';
import { createDeploySteps, type DeployStepsDeps } from './deploy-steps';
import { assertScoringScriptInFolder, resolveDeploySources } from './deploy-sources-check';
import { AzureMlError } from './errors';
import { defaultRegistryDiscoveryUrl, type RegistryContext } from './registries';
import * as jobs from './jobs';
import { assertBatchScoringJob, batchEndpointOfJob } from './batch-scoring-job';
import type { Job } from './resources';
import * as jobArtifacts from './job-artifacts';
import { readJobOutcome, type JobOutcomeRequest } from './job-outcome';
import { createBlobReadLinkFactory, type BlobReadLinkFactory } from './blob-read-link';
import type { LongRunningWaitOptions } from './long-running-resource';
import * as scoring from './scoring';
import type { WorkspaceCoordinates } from './workspace';

export interface AzureMlClientDeps {
  workspace: WorkspaceCoordinates;
  /** A ready ARM client; otherwise one is built from cloud + credential (+ baseUrl for the sandbox). */
  arm?: ArmClient;
  cloud?: AzureCloudDescription;
  credential?: TokenCredential;
  baseUrl?: string;
  /** How to reach datastore containers (or a ready factory). */
  storage: DatastoreAccess | { kind: 'factory'; containerFor: DatastoreContainerFactory };
  artifactsRoot?: string;
  uploadConcurrency?: number;
  poll?: DeployStepsDeps['poll'];
  logger?: Parameters<typeof createArmClient>[0]['logger'];
  /** Accept hard-linked files in uploaded folders (BATCH_SCORE_ALLOW_HARD_LINKS); default refuse. */
  allowHardLinks?: boolean;
  /** Workspaces data references may name; default this workspace only (domain/workspace-scope.ts). */
  workspaceScope?: WorkspaceScope;
  /** Where registry discovery is asked (registries.ts); default the workspace region's Azure ML host. */
  registryDiscoveryUrl?: string;
  /** Answers kept between calls (datastores, the data-plane host); default a cache of WORKSPACE_LOOKUP_TTL_MS. */
  lookups?: LookupCache;
  /** MD5s of unchanged local files, shared by the plan's hashing and the upload step's; default one per client. */
  fileHashes?: FileHashCache;
}

export function createAzureMlClient(deps: AzureMlClientDeps) {
  const arm =
    deps.arm ??
    (() => {
      if (!deps.cloud || !deps.credential) throw new Error('createAzureMlClient needs either arm or cloud + credential');
      return createArmClient({ cloud: deps.cloud, credential: deps.credential, baseUrl: deps.baseUrl, logger: deps.logger });
    })();
  const ctx: AzureMlContext = { arm, workspace: deps.workspace, lookups: deps.lookups ?? createLookupCache({ ttlMs: WORKSPACE_LOOKUP_TTL_MS }) };
  const registryCtx: RegistryContext = { ...ctx, registryDiscoveryUrl: deps.registryDiscoveryUrl ?? defaultRegistryDiscoveryUrl(ctx) };
  const containerFor = deps.storage.kind === 'factory' ? deps.storage.containerFor : createDatastoreContainerFactory(deps.storage);
  const workspaceScope: WorkspaceScope = deps.workspaceScope ?? [deps.workspace];
  const fileHashes = deps.fileHashes ?? createFileHashCache();
  const scoringDeps: scoring.ScoringDeps = { ...ctx, containerFor, workspaceScope };
  // Download links need a way to sign: the worker's identity (user delegation) or a connection string.
  const readLink: BlobReadLinkFactory | undefined = deps.storage.kind === 'factory' ? undefined : createBlobReadLinkFactory(deps.storage);
  const artifactDeps = { ...ctx, containerFor, ...(readLink ? { readLink } : {}) };

  return {
    arm,
    workspace: deps.workspace,
    containerFor,

    computes: {
      find: (name: string) => computes.findCompute(ctx, name),
      deleteAndWait: (name: string, o?: LongRunningWaitOptions) => computes.deleteComputeAndWait(ctx, name, o),
    },
    assets: {
      findCodeVersion: (r: assets.AssetVersionRef) => assets.findCodeVersion(ctx, r),
      findModelVersion: (r: assets.AssetVersionRef) => assets.findModelVersion(ctx, r),
      findEnvironmentVersion: (r: assets.AssetVersionRef) => assets.findEnvironmentVersion(ctx, r),
      deleteVersion: (kind: 'codes' | 'models' | 'environments', r: assets.AssetVersionRef) => assets.deleteAssetVersion(ctx, kind, r),
      createDataVersion: (r: assets.AssetVersionRef, type: 'uri_folder' | 'uri_file', dataUri: string, d?: string) => {
        // Registering data that lives in another workspace would have the service read it with our identity.
        assertInWorkspaceScope(parseDataReference(dataUri), workspaceScope);
        return assets.createDataVersion(ctx, r, type, dataUri, d);
      },
    },
    endpoints: {
      get: (name: string) => endpoints.getBatchEndpoint(ctx, name),
      find: (name: string) => endpoints.findBatchEndpoint(ctx, name),
      list: () => endpoints.listBatchEndpoints(ctx),
      setDefaultDeploymentAndWait: (endpoint: string, deployment: string, o?: LongRunningWaitOptions) =>
        endpoints.setDefaultDeploymentAndWait(ctx, endpoint, deployment, o),
      deleteAndWait: (name: string, o?: LongRunningWaitOptions) => endpoints.deleteBatchEndpointAndWait(ctx, name, o),
    },
    deployments: {
      get: (endpoint: string, name: string) => deployments.getBatchDeployment(ctx, endpoint, name),
      find: (endpoint: string, name: string) => deployments.findBatchDeployment(ctx, endpoint, name),
      list: (endpoint: string) => deployments.listBatchDeployments(ctx, endpoint),
      deleteAndWait: (endpoint: string, name: string, o?: LongRunningWaitOptions) =>
        deployments.deleteBatchDeploymentAndWait(ctx, endpoint, name, o),
    },
    jobs: {
      get: (name: string) => jobs.getJob(ctx, name),
      list: (opts?: jobs.RecentJobsQuery) => jobs.listJobs(ctx, opts),
      listForEndpoint: (endpoint: string, opts?: jobs.RecentJobsQuery) => jobs.listEndpointJobs(ctx, endpoint, opts),
      batchJobPages: (maxPages: number) => jobs.batchJobPages(ctx, maxPages),
      cancelAndWait: (name: string, o?: LongRunningWaitOptions) => jobs.cancelJobAndWait(ctx, name, o),
      /** Throws NotABatchScoringJobError unless the job is a batch scoring job of this workspace's batch endpoints. */
      assertBatchScoring: (job: Job) => assertBatchScoringJob(ctx, job),
      isBatchScoringShape: (job: Job) => batchEndpointOfJob(job) !== undefined,
    },
    scoring: {
      getScoringUri: (endpoint: string) => scoring.getScoringUri(ctx, endpoint),
      invoke: (req: scoring.InvokeRequest) => scoring.invokeBatchEndpoint(scoringDeps, req),
      getJob: (scoringUri: string, jobName: string) => scoring.getScoringJob(ctx, scoringUri, jobName),
    },
    /** What a job left on storage: logs (triage), predictions (preview, download). */
    artifacts: {
      findScoringStep: (jobName: string, endpointName: string) => jobArtifacts.findScoringStepRunId(ctx, jobName, endpointName),
      readProgress: (scoringRunId: string) => jobArtifacts.readProgressOverview(artifactDeps, scoringRunId),
      resolveOutput: (outputUri: string) => jobArtifacts.resolveOutputFile(artifactDeps, outputUri),
      findOutputUri: (jobName: string, endpointName: string, scoringUri?: string) => jobArtifacts.findJobOutputUri(ctx, jobName, endpointName, scoringUri),
      download: (location: jobArtifacts.OutputFileLocation, localPath: string) => jobArtifacts.downloadOutputFile(artifactDeps, location, localPath),
      readOutcome: (req: JobOutcomeRequest) => readJobOutcome(artifactDeps, req),
    },

    /** Runs (or resumes) the deploy plan; see deploy-plan.ts. */
    runDeployPlan: (
      spec: DeploySpec,
      progress: DeployProgress,
      onStep: (event: DeployStepEvent) => Promise<void>,
      options: { signal?: AbortSignal; onUploadProgress?: DeployStepsDeps['onUploadProgress'] } = {},
    ) => {
      if (!deps.artifactsRoot) throw new Error('createAzureMlClient needs artifactsRoot to run a deploy plan');
      const artifactsRoot = deps.artifactsRoot;
      // Check every local folder before the first step: the steps that upload nothing (compute, endpoint)
      // run concurrently with the uploads, so a bad path found by its own step would leave them behind.
      const checkPaths = async (): Promise<void> => {
        for (const step of ['model', 'code'] as const) {
          const source = spec[step];
          if (source?.kind !== 'upload' || progress.steps[step]?.status === 'done') continue;
          await resolveInsideRoot(artifactsRoot, source.localPath).catch((err: unknown) => {
            throw new DeployStepError(step, asError(err));
          });
        }
        if (spec.code?.kind === 'upload' && spec.scoringScript !== undefined && progress.steps.code?.status !== 'done') {
          await assertScoringScriptInFolder(artifactsRoot, spec.code.localPath, spec.scoringScript).catch((err: unknown) => {
            throw new DeployStepError('code', err instanceof Error ? err : new Error(String(err)));
          });
        }
      };
      // A spec that still says `latest` (the CLI, which has no pre-flight) is pinned to a version first, so
      // every step and the deployment body name one concrete version.
      const pinLabels = async (): Promise<DeploySpec> => {
        const unpinned = [spec.model, spec.environment].some((a) => a !== undefined && a.kind !== 'upload' && a.kind !== 'image' && a.version === undefined);
        if (!unpinned) return spec;
        const { spec: pinned, problems } = await resolveDeploySources(registryCtx, undefined, spec);
        const first = problems[0];
        if (first) throw new DeployStepError(first.step, new AzureMlError({ code: 'NotFound', message: first.message, retriable: false }));
        return pinned;
      };
      const steps = createDeploySteps({
        ...ctx,
        containerFor,
        artifactsRoot: deps.artifactsRoot,
        uploadConcurrency: deps.uploadConcurrency,
        allowHardLinks: deps.allowHardLinks ?? false,
        fileHashes,
        poll: deps.poll,
        onUploadProgress: options.onUploadProgress,
      });
      return checkPaths()
        .then(pinLabels)
        .then((pinned) => runDeployPlan(pinned, { steps, signal: options.signal }, progress, onStep));
    },
    /**
     * What the deploy names that is not there (compute, registered/registry assets, local folders, scoring
     * script), and the spec with every `latest` pinned to the version it names now.
     */
    resolveDeploySources: (spec: DeploySpec) => resolveDeploySources(registryCtx, deps.artifactsRoot, spec),
    /** The version a deploy gives a local folder it uploads (its content hash), as the deploy step computes it. */
    localFolderVersion: async (localPath: string): Promise<string> => {
      if (!deps.artifactsRoot) throw new Error('createAzureMlClient needs artifactsRoot to hash a local folder');
      const dir = await resolveInsideRoot(deps.artifactsRoot, localPath);
      const files = await listLocalFiles(dir, deps.artifactsRoot, { allowHardLinks: deps.allowHardLinks ?? false });
      return folderContentVersion(await hashLocalFiles(files, { cache: fileHashes }));
    },
    /** Deletes the endpoint and all its deployments, waiting for the operation. */
    deleteEndpoint: (name: string, o?: LongRunningWaitOptions) => endpoints.deleteBatchEndpointAndWait(ctx, name, o),
  };
}

export type AzureMlClient = ReturnType<typeof createAzureMlClient>;

export { AzureMlError } from './errors';
export { ArtifactPathError, resolveInsideRoot } from './artifacts-root';
export { folderContentVersion, environmentContentVersion } from './asset-version';
export { DeployStepError, type DeployStepEvent } from './deploy-plan';
export { createDeployProgress, deployProgressSchema, plannedDeploySteps, type DeployProgress, type DeployStepName } from '../domain/deploy-plan';
export { isTerminalJobStatus } from './jobs';
export { jobStatusSchema, type JobStatus } from './resources';
export { ScoringRequestError, buildInvokeBody, type InvokeRequest, type ScoringJob } from './scoring';
export type { WorkspaceCoordinates } from './workspace';
export type { BlobDatastoreLocation } from './datastores';
