// Everything the route handlers share, built once by startAzureMlSandbox.
import type { BatchJobRecord } from './batch-job';
import type { BatchJobRunner, SandboxLogger } from './batch-job-runner';
import type { BlobStore } from './blob-store';
import type { JobFailureScenario } from './job-logs';
import type { SandboxCloud } from './clouds';
import type { SandboxClock } from './durations';
import type { JobHistory } from './job-history';
import type { OperationRegistry } from './long-running-operations';
import type { RegistryState } from './registries';
import type { ViewContext } from './resource-views';
import type { WorkspaceIdentity } from './workspace-references';
import type { WorkspaceState } from './workspace-state';

export interface SandboxContext {
  identity: WorkspaceIdentity & { location: string };
  workspacePath: string;
  baseUrl: string;
  cloud: SandboxCloud;
  clock: SandboxClock;
  state: WorkspaceState;
  ops: OperationRegistry;
  views: ViewContext;
  jobs: Map<string, BatchJobRecord>;
  /** Past jobs of the workspace (seeded), listed and readable beside `jobs`. */
  history: JobHistory;
  /** Items per list page (settable at run time through the admin surface). */
  listPageSize: { value: number };
  runner: BatchJobRunner;
  blobs: BlobStore;
  logger?: SandboxLogger;
  /** Who shows up in systemData.createdBy. */
  actor: string;
  /** Fault injection: `endpoint/deployment` (lower case) → the error its next provisioning ends with. */
  deploymentFailures: Map<string, { code: string; message: string }>;
  /** Endpoint names other workspaces in the region hold (endpoint names are unique per region). */
  takenEndpointNames: Set<string>;
  /** Azure ML registries (the built-in `azureml` one and any a test adds), read by deploys of registry assets. */
  registries: RegistryState;
  /** Fault injection: the next `remaining` jobs fail with `message`, or the way `scenario` does. */
  jobFailures: { remaining: number; message: string; scenario?: JobFailureScenario };
}

export const apiVersionOf = (query: URLSearchParams): string => query.get('api-version') ?? '2022-05-01';
