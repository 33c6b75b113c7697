// The sandbox's in-memory workspace: every resource as a record keyed by its lower-cased name
// (ARM names are case-insensitive; the original spelling is kept for responses).
import type {
  AmlComputeBody,
  BatchDeploymentProperties,
  BatchEndpointBody,
  DatastoreBody,
} from './request-schemas';

export type ProvisioningState = 'Creating' | 'Updating' | 'Deleting' | 'Succeeded' | 'Failed' | 'Canceled';

export interface SystemData {
  createdAt: string;
  createdBy: string;
  createdByType: 'User' | 'Application';
  lastModifiedAt: string;
  lastModifiedBy: string;
  lastModifiedByType: 'User' | 'Application';
}

export function newSystemData(by: string, now = new Date()): SystemData {
  const at = now.toISOString();
  return { createdAt: at, createdBy: by, createdByType: 'User', lastModifiedAt: at, lastModifiedBy: by, lastModifiedByType: 'User' };
}

export function touch(systemData: SystemData, by: string, now = new Date()): SystemData {
  return { ...systemData, lastModifiedAt: now.toISOString(), lastModifiedBy: by, lastModifiedByType: 'User' };
}

interface Tracked {
  name: string;
  location: string;
  tags: Record<string, string>;
  kind?: string;
  systemData: SystemData;
  provisioningState: ProvisioningState;
  /** The operation whose completion decides the state; older operations no longer do. */
  currentOperationId?: string;
}

export interface EndpointRecord extends Tracked {
  properties: BatchEndpointBody['properties'];
  deployments: Map<string, DeploymentRecord>;
}

export interface DeploymentRecord extends Tracked {
  endpointName: string;
  properties: BatchDeploymentProperties;
}

export interface ComputeRecord extends Tracked {
  properties: AmlComputeBody['properties'];
  createdOn: string;
  modifiedOn: string;
}

export interface DatastoreRecord {
  name: string;
  systemData: SystemData;
  properties: DatastoreBody['properties'];
  isDefault: boolean;
}

export type AssetKind = 'codes' | 'models' | 'environments' | 'data';

export interface AssetVersionRecord {
  name: string;
  version: string;
  systemData: SystemData;
  properties: Record<string, unknown>;
  order: number;
}

export interface AssetContainerRecord {
  name: string;
  kind: AssetKind;
  systemData: SystemData;
  properties: Record<string, unknown>;
  versions: Map<string, AssetVersionRecord>;
}

export const key = (name: string): string => name.toLowerCase();

export class WorkspaceState {
  readonly computes = new Map<string, ComputeRecord>();
  readonly datastores = new Map<string, DatastoreRecord>();
  readonly endpoints = new Map<string, EndpointRecord>();
  readonly assets: Record<AssetKind, Map<string, AssetContainerRecord>> = {
    codes: new Map(),
    models: new Map(),
    environments: new Map(),
    data: new Map(),
  };
  private versionOrder = 0;

  nextVersionOrder(): number {
    return ++this.versionOrder;
  }

  assetVersion(kind: AssetKind, name: string, version: string): AssetVersionRecord | undefined {
    return this.assets[kind].get(key(name))?.versions.get(key(version));
  }

  defaultDatastore(): DatastoreRecord | undefined {
    for (const d of this.datastores.values()) if (d.isDefault) return d;
    return undefined;
  }
}

/** The container's latest version: the highest numeric version if all are numeric, else the newest. */
export function latestVersion(container: AssetContainerRecord): AssetVersionRecord | undefined {
  const versions = [...container.versions.values()];
  if (versions.length === 0) return undefined;
  if (versions.every((v) => /^\d+$/.test(v.version))) {
    return versions.reduce((a, b) => (Number(b.version) > Number(a.version) ? b : a));
  }
  return versions.reduce((a, b) => (b.order > a.order ? b : a));
}
