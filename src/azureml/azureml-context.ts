// What every Azure ML operation needs: the ARM client (auth, retries, error mapping) and the workspace
// it acts on. Operations are plain functions of this context so tests can hand them a fake client.
import type { ArmClient } from './arm-client';
import type { LookupCache } from './lookup-cache';
import type { WorkspaceCoordinates } from './workspace';

export interface AzureMlContext {
  readonly arm: ArmClient;
  readonly workspace: WorkspaceCoordinates;
  /** Keeps the answers that change rarely (datastores, the data-plane host); absent: every call asks ARM. */
  readonly lookups?: LookupCache;
}

/** `load`'s answer, kept in the context's lookup cache under `key` when it has one. */
export function rememberedLookup<T>(ctx: AzureMlContext, key: string, load: () => Promise<T>): Promise<T> {
  return ctx.lookups ? ctx.lookups.get(key, load) : load();
}
