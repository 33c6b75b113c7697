// The local Azure Machine Learning: ARM routes for a workspace (computes, datastores, assets, batch
// endpoints and deployments, jobs) with long-running operations, the batch endpoint data plane that
// runs real scoring jobs on Azurite, an HTTPS public data server, and an admin surface for fault
// injection. Independent of src/ on purpose: a bug shared with our client cannot hide here.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startAzurite, type AzuriteProcess } from '../stack/azurite';
import { createSandboxAdmin, type SandboxAdmin } from './admin';
import { registerAssetRoutes } from './arm-asset-routes';
import { registerComputeRoutes } from './arm-compute-routes';
import { registerEndpointRoutes } from './arm-endpoint-routes';
import { registerJobRoutes, registerOperationRoutes, registerWorkspaceRoute } from './arm-job-routes';
import { BatchJobRunner, type SandboxLogger } from './batch-job-runner';
import { createBlobStore } from './blob-store';
import { SANDBOX_CLOUDS, type CloudName } from './clouds';
import { createSandboxClock, type SandboxDurations } from './durations';
import { FaultInjector } from './faults';
import { JobHistory, type SeedHistoryOptions } from './job-history';
import { DEFAULT_LIST_PAGE_SIZE } from './list-pages';
import { OperationRegistry } from './long-running-operations';
import { createManagedIdentityEndpoint } from './managed-identity';
import { startPublicDataServer } from './public-data-server';
import { createDispatcher } from './request-dispatcher';
import { RegistryState, registerRegistryAssetRoutes, registerRegistryDiscoveryRoutes } from './registries';
import { RequestLog, type RecordedExchange } from './request-log';
import { RouteTable } from './route-table';
import { registerRunHistoryRoutes } from './run-history-routes';
import type { SandboxContext } from './sandbox-context';
import { registerScoringRoutes, scoringUriOf } from './scoring-routes';
import { createTokenAuthority, type TokenCredential } from './tokens';
import { newSystemData, WorkspaceState } from './workspace-state';

/** The workspace artifact store's container (Azure names it `azureml`). */
export const ARTIFACT_CONTAINER = 'azureml';

export type { SandboxAdmin } from './admin';
export type { SandboxDurations } from './durations';
export type { RecordedExchange, RequestCounters } from './request-log';
export type { TokenCredential, AccessToken } from './tokens';
export type { FaultSpec } from './faults';
export type { CloudName } from './clouds';
export type { SeedHistoryOptions } from './job-history';
export { NEWER_JOB_STATUSES } from './job-history';
export { DEFAULT_LIST_PAGE_SIZE } from './list-pages';
export { REALISTIC_DURATIONS } from './durations';

export interface StartAzureMlSandboxOptions {
  port?: number;
  /** An Azurite to use; otherwise the sandbox starts one and stops it on stop(). */
  azurite?: AzuriteProcess;
  cloud?: CloudName;
  /** Multiplies every simulated duration; 1 = realistic, tests use ~0.01. */
  timeScale?: number;
  durations?: Partial<SandboxDurations>;
  subscriptionId?: string;
  resourceGroup?: string;
  workspace?: string;
  location?: string;
  tokenLifetimeMs?: number;
  /** Items per ARM list page (default list-pages.ts DEFAULT_LIST_PAGE_SIZE); settable later through admin. */
  listPageSize?: number;
  /** Past jobs to seed the workspace with before it serves (admin.seedJobHistory adds more later). */
  history?: SeedHistoryOptions;
  /** How many request/response pairs requestLog keeps (newest); default 50,000. */
  requestLogLimit?: number;
  logger?: SandboxLogger;
}

export interface AzureMlSandbox {
  baseUrl: string;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  location: string;
  cloud: CloudName;
  /** Issues tokens this sandbox accepts, for any scope (aud = the scope without `/.default`). */
  credential: TokenCredential;
  /** A ready ARM bearer token. */
  token: string;
  /** A ready token for the batch scoring (ML) audience. */
  scoringToken: string;
  /** App Service managed identity (managed-identity.ts): set IDENTITY_ENDPOINT / IDENTITY_HEADER in a child process. */
  identityEndpoint: string;
  identityHeader: string;
  storageConnectionString: string;
  blobEndpoint: string;
  datastoreContainer: string;
  publicBaseUrl: string;
  /** PEM of the public data server's self-signed certificate (trust it as a CA). */
  publicCa: string;
  admin: SandboxAdmin;
  requestLog: RecordedExchange[];
  scoringUri(endpointName: string): string;
  stop(): Promise<void>;
}

const DEFAULT_LOCATIONS: Record<CloudName, string> = {
  AzureCloud: 'eastus',
  AzureChinaCloud: 'chinaeast2',
  AzureUSGovernment: 'usgovvirginia',
};

export async function startAzureMlSandbox(opts: StartAzureMlSandboxOptions = {}): Promise<AzureMlSandbox> {
  const cloudName = opts.cloud ?? 'AzureCloud';
  const cloud = SANDBOX_CLOUDS[cloudName];
  const clock = createSandboxClock(opts.timeScale ?? 1, opts.durations);
  const identity = {
    subscriptionId: opts.subscriptionId ?? '00000000-0000-0000-0000-000000000000',
    resourceGroup: opts.resourceGroup ?? 'sandbox-rg',
    workspace: opts.workspace ?? 'sandbox-ws',
    location: opts.location ?? DEFAULT_LOCATIONS[cloudName],
  };
  const workspacePath =
    `/subscriptions/${identity.subscriptionId}/resourceGroups/${identity.resourceGroup}` +
    `/providers/Microsoft.MachineLearningServices/workspaces/${identity.workspace}`;

  const ownsAzurite = opts.azurite === undefined;
  const azurite = opts.azurite ?? (await startAzurite());
  const cleanup: Array<() => Promise<void>> = [];
  if (ownsAzurite) cleanup.push(() => azurite.stop());

  try {
    const blobs = createBlobStore(azurite.connectionString);
    const datastoreContainer = `azureml-blobstore-${crypto.randomUUID()}`;
    const [publicServer] = await Promise.all([
      startPublicDataServer(blobs),
      blobs.ensureContainer(datastoreContainer),
      blobs.ensureContainer(ARTIFACT_CONTAINER),
    ]);
    cleanup.unshift(() => publicServer.stop());

    const server = http.createServer();
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const baseUrl = `http://127.0.0.1:${port}`;

    const state = new WorkspaceState();
    state.datastores.set('workspaceblobstore', {
      name: 'workspaceblobstore',
      isDefault: true,
      systemData: newSystemData('sandbox'),
      properties: {
        datastoreType: 'AzureBlob',
        accountName: azurite.accountName,
        containerName: datastoreContainer,
        endpoint: cloud.storageEndpointSuffix,
        protocol: 'https',
        serviceDataAccessAuthIdentity: 'None',
        credentials: { credentialsType: 'AccountKey', secrets: { secretsType: 'AccountKey', key: azurite.accountKey } },
        description: 'Default blob datastore of the sandbox workspace (Azurite)',
        tags: {},
        properties: {},
      },
    });

    // The artifact store, where runs keep their logs: Azure creates it with every workspace, container `azureml`.
    state.datastores.set('workspaceartifactstore', {
      name: 'workspaceartifactstore',
      isDefault: false,
      systemData: newSystemData('sandbox'),
      properties: {
        datastoreType: 'AzureBlob',
        accountName: azurite.accountName,
        containerName: ARTIFACT_CONTAINER,
        endpoint: cloud.storageEndpointSuffix,
        protocol: 'https',
        serviceDataAccessAuthIdentity: 'None',
        credentials: { credentialsType: 'AccountKey', secrets: { secretsType: 'AccountKey', key: azurite.accountKey } },
        description: 'Artifact store of the sandbox workspace (Azurite): run logs under ExperimentRun/dcid.<run id>/',
        tags: {},
        properties: {},
      },
    });

    const providerBase = `${baseUrl}/subscriptions/${identity.subscriptionId}/providers/Microsoft.MachineLearningServices/locations/${identity.location}`;
    const ops = new OperationRegistry(
      {
        status: (op, v) => `${providerBase}/${op.family}OperationsStatus/${op.id}?api-version=${encodeURIComponent(v)}`,
        result: (op, v) => `${providerBase}/${op.family}OperationResults/${op.id}?api-version=${encodeURIComponent(v)}`,
      },
      () => clock.ms('pollIntervalMs'),
    );
    const tokens = createTokenAuthority({ authorityHost: cloud.authorityHost, lifetimeMs: opts.tokenLifetimeMs });
    const blobUrl = new URL(azurite.blobEndpoint);
    const jobs = new Map<string, import('./batch-job').BatchJobRecord>();
    const runner = new BatchJobRunner({
      blobs,
      clock,
      logger: opts.logger,
      resolver: {
        state,
        workspace: identity,
        publicHost: publicServer.host,
        blobHosts: [blobUrl.host.toLowerCase(), `${azurite.accountName}.blob.${cloud.storageEndpointSuffix}`.toLowerCase()],
        accountName: azurite.accountName,
      },
      outputLocation: (job) => job.outputBlob,
      artifactContainer: ARTIFACT_CONTAINER,
    });
    const ctx: SandboxContext = {
      identity,
      workspacePath,
      baseUrl,
      cloud,
      clock,
      state,
      ops,
      views: { workspacePath, scoringUri: (name) => scoringUriOf(baseUrl, name) },
      jobs,
      history: new JobHistory(),
      listPageSize: { value: opts.listPageSize ?? DEFAULT_LIST_PAGE_SIZE },
      runner,
      blobs,
      logger: opts.logger,
      actor: 'sandbox-user@contoso.com',
      deploymentFailures: new Map(),
      jobFailures: { remaining: 0, message: '' },
      takenEndpointNames: new Set(),
      registries: new RegistryState(identity.location),
    };

    const workspaceRoutes = new RouteTable();
    registerWorkspaceRoute(workspaceRoutes, ctx);
    registerComputeRoutes(workspaceRoutes, ctx);
    registerAssetRoutes(workspaceRoutes, ctx);
    registerEndpointRoutes(workspaceRoutes, ctx);
    registerJobRoutes(workspaceRoutes, ctx);
    const locationRoutes = new RouteTable();
    registerOperationRoutes(locationRoutes, ctx);
    const scoringRoutes = new RouteTable();
    registerScoringRoutes(scoringRoutes, ctx);
    const historyRoutes = new RouteTable();
    registerRunHistoryRoutes(historyRoutes, ctx);
    const registryRoutes = new RouteTable();
    registerRegistryAssetRoutes(registryRoutes, ctx);
    const registryDiscoveryRoutes = new RouteTable();
    registerRegistryDiscoveryRoutes(registryDiscoveryRoutes, ctx);

    if (opts.history) ctx.history.seed(opts.history);

    const faults = new FaultInjector();
    const log = new RequestLog(opts.requestLogLimit ?? 50_000);
    const admin = createSandboxAdmin(ctx, faults, log, tokens);
    const hanging = new Set<http.ServerResponse>();
    const dispatch = createDispatcher({ ctx, workspaceRoutes, locationRoutes, scoringRoutes, historyRoutes, registryRoutes, registryDiscoveryRoutes, tokens, faults, log, admin, logger: opts.logger, hanging });
    const managedIdentity = createManagedIdentityEndpoint({ baseUrl, tokens });
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (managedIdentity.serve(req, res)) return;
      dispatch(req, res).catch((err: unknown) => {
        opts.logger?.error({ err: err instanceof Error ? err.message : String(err) }, 'sandbox request failed');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });

    let stopped = false;
    const armAudience = cloud.armAudiences[0]!;
    return {
      baseUrl,
      ...identity,
      cloud: cloudName,
      credential: tokens.credential,
      token: tokens.issue(armAudience).token,
      scoringToken: tokens.issue(cloud.mlAudience).token,
      identityEndpoint: managedIdentity.identityEndpoint,
      identityHeader: managedIdentity.identityHeader,
      storageConnectionString: azurite.connectionString,
      blobEndpoint: azurite.blobEndpoint,
      datastoreContainer,
      publicBaseUrl: publicServer.baseUrl,
      publicCa: publicServer.ca,
      admin,
      requestLog: log.exchanges,
      scoringUri: (name) => scoringUriOf(baseUrl, name),
      async stop() {
        if (stopped) return;
        stopped = true;
        ops.stopAll();
        for (const res of hanging) res.destroy();
        hanging.clear();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await runner.stop();
        for (const step of cleanup) await step();
      },
    };
  } catch (err) {
    for (const step of cleanup) await step().catch(() => undefined);
    throw err;
  }
}
