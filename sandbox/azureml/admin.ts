// The sandbox's control panel for tests and the demo: fault injection, counters, inspection, and
// seeding data. The same operations are served over HTTP under /_admin/ (not counted, not logged):
//   POST   /_admin/faults                         {match, count?, status?, retryAfterSeconds?, retryAfterMs?, code?, message?, hang?, delayMs?}
//   GET    /_admin/faults          DELETE /_admin/faults
//   POST   /_admin/deployments/{endpoint}/{deployment}/fail-provisioning   {code?, message?}
//   POST   /_admin/jobs/{name}/fail {message?}     POST /_admin/jobs/fail-next {count, message?, scenario?}
//   POST   /_admin/tokens/expire                   PUT  /_admin/tokens/lifetime {ms}
//   GET    /_admin/counters        DELETE /_admin/counters
//   GET    /_admin/jobs            GET    /_admin/jobs/{name}/failure   GET /_admin/resources
//   PUT    /_admin/taken-endpoint-names/{name}    (another workspace in the region holds the name)
//   PUT    /_admin/registries/{registry}/{models|environments}/{name}/versions/{version}   {properties}  (a registry asset)
//   POST   /_admin/history {count, seed?, endAt?, spanDays?}   PUT /_admin/list-page-size {size}
//   PUT    /_admin/public/{path}   PUT    /_admin/datastore/{path}   (raw body = file content)
//   DELETE /_admin/datastore/{path}   (a file taken away, e.g. a deployment's scoring script after it was deployed)
import { z } from 'zod';
import { SandboxHttpError } from './arm-errors';
import { batchJobView } from './batch-job';
import type { JobHistory, SeedHistoryOptions } from './job-history';
import type { ActiveFault, FaultInjector, FaultSpec } from './faults';
import { JOB_FAILURE_SCENARIOS, type JobFailureScenario } from './job-logs';
import type { RequestCounters, RequestLog } from './request-log';
import { PUBLIC_CONTAINER } from './public-data-server';
import {
  assetContainerView,
  assetVersionView,
  computeView,
  datastoreView,
  deploymentView,
  endpointView,
} from './resource-views';
import { parseLenientJson, type SandboxResponse } from './route-table';
import type { SandboxContext } from './sandbox-context';
import type { TokenAuthority } from './tokens';
import { key } from './workspace-state';

export interface SandboxAdmin {
  /** The next `count` requests matching `match` get `status` (429 with Retry-After, 500/503 with an ARM error body), or hang; `delayMs` holds the request first (alone: the usual answer, late). */
  injectFault(spec: FaultSpec): { id: number };
  clearFaults(): void;
  faults(): ActiveFault[];
  /** The next (or current) provisioning of this deployment ends Failed with this error. */
  failDeploymentProvisioning(endpointName: string, deploymentName: string, error?: { code?: string; message?: string }): void;
  /** Fails a running job at its next step. */
  failJob(jobName: string, message?: string): void;
  /**
   * The next `count` jobs created fail: with `message` at their next step, or, given a scenario, the way
   * that real failure does (init() or run() raising, no mini-batch succeeding, the compute's identity
   * unable to read the input, no nodes), with its messages and log files.
   */
  failNextJobs(count: number, message?: string, scenario?: JobFailureScenario): void;
  /** Every token issued so far is answered with ExpiredAuthenticationToken. */
  expireAllTokens(): void;
  setTokenLifetime(ms: number): void;
  counters(): RequestCounters;
  /** Requests seen whose method and path (no query, case-insensitive) match. */
  requestCount(filter: { method?: string; path?: string | RegExp }): number;
  resetCounters(): void;
  /** The sandbox's own (invoked) jobs; seeded history is not included. */
  listJobs(): Record<string, unknown>[];
  /**
   * Why a job failed, as the sandbox decided it. Azure shows no error in the job documents (ARM job nor
   * data plane), so this is for tests only; undefined while the job has not failed.
   */
  jobFailure(jobName: string): { code: string; message: string } | undefined;
  /** The invoke's repeatability id, as the sandbox received it (Azure does not show it). */
  jobRepeatabilityId(jobName: string): string | undefined;
  /** Another workspace in the region holds this endpoint name: creating it here is refused. */
  takeEndpointName(name: string): void;
  /**
   * Adds a model or environment version to a registry (created if new; `azureml` always exists). The
   * properties are the version's as the registry shows them, e.g. {modelType: 'mlflow_model', modelUri}.
   */
  addRegistryAsset(asset: { registry: string; kind: 'models' | 'environments'; name: string; version: string; properties?: Record<string, unknown> }): void;
  /** When each of the sandbox's own jobs was created, started and ended (benchmarks), whatever its ARM view shows. */
  jobTimeline(): Array<{ name: string; status: string; createdAt: string; startTime?: string; endTime?: string }>;
  /** Adds past jobs of several kinds to the workspace (job-history.ts); returns how many the history holds. */
  seedJobHistory(opts: SeedHistoryOptions): { historyJobs: number };
  /** Adds one named past job (kind, experiment, status; see JobHistory.add). */
  addPastJob(job: Parameters<JobHistory['add']>[0]): void;
  /** Items per ARM list page from now on. */
  setListPageSize(size: number): void;
  resources(): Record<string, Record<string, unknown>[]>;
  /** Serves `content` at `{publicBaseUrl}/{path}`. */
  putPublicFile(path: string, content: Buffer | string): Promise<void>;
  /** Writes a file on a datastore (default: the workspace's default datastore). */
  putDatastoreFile(path: string, content: Buffer | string, datastore?: string): Promise<void>;
  /** Deletes a file from a datastore (nothing happens when it is not there). */
  deleteDatastoreFile(path: string, datastore?: string): Promise<void>;
  /** Reads a file from a datastore; undefined when absent. */
  readDatastoreFile(path: string, datastore?: string): Promise<Buffer | undefined>;
}

export function createSandboxAdmin(ctx: SandboxContext, faults: FaultInjector, log: RequestLog, tokens: TokenAuthority): SandboxAdmin {
  const containerOf = (datastore?: string): string => {
    const store = datastore ? ctx.state.datastores.get(key(datastore)) : ctx.state.defaultDatastore();
    if (!store) throw new Error(`datastore ${datastore ?? '(default)'} not found`);
    return store.properties.containerName;
  };
  const clean = (p: string): string => p.replace(/^\/+/, '');
  return {
    injectFault: (spec) => ({ id: faults.add(spec).id }),
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    failDeploymentProvisioning(endpointName, deploymentName, error = {}) {
      const failure = {
        code: error.code ?? 'DeploymentProvisioningFailed',
        message: error.message ?? `Deployment ${deploymentName} failed to provision: the image build failed (injected fault)`,
      };
      ctx.deploymentFailures.set(`${key(endpointName)}/${key(deploymentName)}`, failure);
    },
    failJob(jobName, message = 'The job failed (injected fault)') {
      const job = ctx.jobs.get(jobName.toLowerCase());
      if (!job) throw new Error(`job ${jobName} not found`);
      ctx.runner.fail(job, message);
    },
    failNextJobs(count, message = 'The job failed (injected fault)', scenario) {
      ctx.jobFailures.remaining = count;
      ctx.jobFailures.message = message;
      if (scenario) ctx.jobFailures.scenario = scenario;
      else delete ctx.jobFailures.scenario;
    },
    expireAllTokens: () => tokens.expireAll(),
    setTokenLifetime: (ms) => tokens.setLifetimeMs(ms),
    counters: () => log.snapshot(),
    requestCount(filter) {
      let total = 0;
      for (const [k, n] of Object.entries(log.snapshot().byPath)) {
        const space = k.indexOf(' ');
        const method = k.slice(0, space);
        const path = k.slice(space + 1);
        if (filter.method && filter.method.toUpperCase() !== method) continue;
        if (filter.path !== undefined) {
          const ok = typeof filter.path === 'string' ? path === filter.path.toLowerCase() : filter.path.test(path);
          if (!ok) continue;
        }
        total += n;
      }
      return total;
    },
    resetCounters: () => log.resetCounters(),
    jobFailure: (jobName) => ctx.jobs.get(jobName.toLowerCase())?.error,
    jobRepeatabilityId: (jobName) => ctx.jobs.get(jobName.toLowerCase())?.repeatabilityId,
    takeEndpointName: (name) => {
      ctx.takenEndpointNames.add(key(name));
    },
    addRegistryAsset: (a) => ctx.registries.addVersion(a.registry, a.kind, a.name, a.version, a.properties ?? {}),
    jobTimeline: () =>
      [...ctx.jobs.values()].map((j) => ({
        name: j.name,
        status: j.status,
        createdAt: j.systemData.createdAt,
        ...(j.startTime ? { startTime: j.startTime } : {}),
        ...(j.endTime ? { endTime: j.endTime } : {}),
      })),
    seedJobHistory: (opts) => ({ historyJobs: ctx.history.seed(opts) }),
    addPastJob: (job) => void ctx.history.add(job),
    setListPageSize(size) {
      if (!Number.isInteger(size) || size < 1) throw new Error(`page size must be a positive integer, got ${size}`);
      ctx.listPageSize.value = size;
    },
    listJobs: () => [...ctx.jobs.values()].map((j) => batchJobView({ workspacePath: ctx.workspacePath, studioHost: ctx.cloud.studioHost }, j)),
    resources() {
      const endpoints = [...ctx.state.endpoints.values()];
      return {
        computes: [...ctx.state.computes.values()].map((c) => computeView(ctx.views, c)),
        datastores: [...ctx.state.datastores.values()].map((d) => datastoreView(ctx.views, d)),
        batchEndpoints: endpoints.map((e) => endpointView(ctx.views, e)),
        batchDeployments: endpoints.flatMap((e) => [...e.deployments.values()].map((d) => deploymentView(ctx.views, d))),
        ...Object.fromEntries(
          (['codes', 'models', 'environments', 'data'] as const).flatMap((kind) => [
            [kind, [...ctx.state.assets[kind].values()].map((c) => assetContainerView(ctx.views, c))],
            [`${kind}Versions`, [...ctx.state.assets[kind].values()].flatMap((c) => [...c.versions.values()].map((v) => assetVersionView(ctx.views, kind, v)))],
          ]),
        ),
        jobs: this.listJobs(),
      };
    },
    putPublicFile: (path, content) => ctx.blobs.put(PUBLIC_CONTAINER, clean(path), content),
    putDatastoreFile: (path, content, datastore) => ctx.blobs.put(containerOf(datastore), clean(path), content),
    deleteDatastoreFile: (path, datastore) => ctx.blobs.delete(containerOf(datastore), clean(path)),
    async readDatastoreFile(path, datastore) {
      const container = containerOf(datastore);
      if (!(await ctx.blobs.exists(container, clean(path)))) return undefined;
      return ctx.blobs.read(container, clean(path));
    },
  };
}

export const seedHistoryBody = z.object({
  count: z.number().int().min(0).max(1_000_000),
  seed: z.number().int().optional(),
  endAt: z.number().optional(),
  spanDays: z.number().positive().optional(),
});

const messageBody = z.object({ code: z.string().optional(), message: z.string().optional() }).default({});

/** Serves /_admin/… ; `segments` excludes the leading `_admin`. */
export async function handleAdminRequest(admin: SandboxAdmin, method: string, segments: string[], body: Buffer, rawPath: string): Promise<SandboxResponse> {
  const json = (): unknown => parseLenientJson(body.toString('utf8')) ?? {};
  const [first, second, third, fourth] = segments;
  const route = `${method} ${segments.slice(0, 1).join('/')}`;
  try {
    if (first === 'faults') {
      if (method === 'POST') return { status: 201, body: admin.injectFault(json() as FaultSpec) };
      if (method === 'GET') return { status: 200, body: { value: admin.faults() } };
      if (method === 'DELETE') {
        admin.clearFaults();
        return { status: 204 };
      }
    }
    if (first === 'deployments' && method === 'POST' && fourth === 'fail-provisioning' && second && third) {
      const b = messageBody.parse(json());
      admin.failDeploymentProvisioning(decodeURIComponent(second), decodeURIComponent(third), b);
      return { status: 204 };
    }
    if (first === 'jobs') {
      if (method === 'GET' && !second) return { status: 200, body: { value: admin.listJobs() } };
      if (method === 'GET' && second && third === 'failure') return { status: 200, body: admin.jobFailure(decodeURIComponent(second)) ?? null };
      if (method === 'POST' && second === 'fail-next') {
        const b = z
          .object({ count: z.number().int().min(1), message: z.string().optional(), scenario: z.enum(JOB_FAILURE_SCENARIOS).optional() })
          .parse(json());
        admin.failNextJobs(b.count, b.message, b.scenario);
        return { status: 204 };
      }
      if (method === 'POST' && second && third === 'fail') {
        admin.failJob(decodeURIComponent(second), messageBody.parse(json()).message);
        return { status: 204 };
      }
    }
    if (first === 'tokens' && second === 'expire' && method === 'POST') {
      admin.expireAllTokens();
      return { status: 204 };
    }
    if (first === 'tokens' && second === 'lifetime' && method === 'PUT') {
      admin.setTokenLifetime(z.object({ ms: z.number().positive() }).parse(json()).ms);
      return { status: 204 };
    }
    if (first === 'counters') {
      if (method === 'GET') return { status: 200, body: admin.counters() };
      if (method === 'DELETE') {
        admin.resetCounters();
        return { status: 204 };
      }
    }
    if (first === 'taken-endpoint-names' && method === 'PUT' && second) {
      admin.takeEndpointName(decodeURIComponent(second));
      return { status: 204 };
    }
    if (first === 'registries' && method === 'PUT' && second && segments.length === 6 && (segments[2] === 'models' || segments[2] === 'environments') && segments[4] === 'versions') {
      const body = z.object({ properties: z.record(z.string(), z.unknown()).optional() }).parse(json() ?? {});
      admin.addRegistryAsset({
        registry: decodeURIComponent(second),
        kind: segments[2],
        name: decodeURIComponent(segments[3]!),
        version: decodeURIComponent(segments[5]!),
        properties: body.properties ?? {},
      });
      return { status: 204 };
    }
    if (first === 'history' && method === 'POST') {
      const b = seedHistoryBody.parse(json());
      return { status: 200, body: admin.seedJobHistory(b) };
    }
    if (first === 'list-page-size' && method === 'PUT') {
      admin.setListPageSize(z.object({ size: z.number().int().min(1) }).parse(json()).size);
      return { status: 204 };
    }
    if (first === 'resources' && method === 'GET') return { status: 200, body: admin.resources() };
    if ((first === 'public' || first === 'datastore') && method === 'PUT' && segments.length > 1) {
      const filePath = decodeURIComponent(rawPath.replace(/^\/_admin\/(public|datastore)\//, ''));
      if (first === 'public') await admin.putPublicFile(filePath, body);
      else await admin.putDatastoreFile(filePath, body);
      return { status: 201 };
    }
    if (first === 'datastore' && method === 'DELETE' && segments.length > 1) {
      await admin.deleteDatastoreFile(decodeURIComponent(rawPath.replace(/^\/_admin\/datastore\//, '')));
      return { status: 204 };
    }
  } catch (err) {
    if (err instanceof SandboxHttpError) throw err;
    throw new SandboxHttpError(400, 'BadAdminRequest', err instanceof Error ? err.message : String(err));
  }
  throw new SandboxHttpError(404, 'NoSuchAdminRoute', `no admin route ${route}`);
}
