// What every Azure ML operation needs: the ARM client (auth, retries, error mapping) and the workspace
// it acts on. Operations are plain functions of this context so tests can hand them a fake client.
import type { ArmClient } from './arm-client';
import type { WorkspaceCoordinates } from './workspace';

export interface AzureMlContext {
  readonly arm: ArmClient;
  readonly workspace: WorkspaceCoordinates;
}
