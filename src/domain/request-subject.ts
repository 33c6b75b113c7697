// What a request asks for, whatever carries it: a parsed command, a deploy from the modal (DeploySpec),
// a run from the modal (RunSpec), or removing what a failed deploy created. The queue stores it
// (work-request.ts validates it), Slack renders it (slack/blocks/request-subject.ts): both read this one type.
import type { Command } from './command-grammar';
import type { CreatedResource } from './deploy-leftovers';
import type { DeploySpec } from './deploy-spec';
import type { RunSpec } from './run-spec';

export type RequestSubject =
  | { kind: 'command'; command: Command }
  | { kind: 'deploy'; spec: DeploySpec }
  | { kind: 'run'; spec: RunSpec }
  /** Removing what a failed deploy created (deploy-leftovers-message.ts). */
  | { kind: 'cleanup'; sourceRequestId: string; endpointName: string; deploymentName: string; resources: CreatedResource[] };
