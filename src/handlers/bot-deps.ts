// What the Bolt listeners need, injected by the bot entry point (or a test).
import type { Logger } from 'pino';
import type { ApprovalPolicy } from '../domain/approval-policy';
import type { EndpointDirectory } from '../queue/endpoint-directory';
import type { LockStore } from '../queue/lock-store';
import type { LeftoverStore } from '../queue/leftover-store';
import type { RedisErrorLog } from '../queue/redis-error-log';
import type { Producers } from '../queue/producers';
import type { IntakeDeps } from './request-intake';
import type { ConversationAccess } from './conversation-access';
import type { UserGroupResolver } from './user-groups';
import type { BotWorkspace } from './bot-workspaces';

export interface BotDeps {
  /**
   * Every workspace profile, in configuration order (never empty; the first serves requests that name
   * none). `intake`, `endpoints`, `locks` and `policy` below are the first's; a listener that knows the
   * request's profile works on `depsInWorkspace(deps, workspace)` instead.
   */
  workspaces: readonly BotWorkspace[];
  intake: IntakeDeps;
  producers: Producers;
  endpoints: EndpointDirectory;
  /** Endpoint locks: checked at intake, set and lifted by `lock` / `unlock`. */
  locks: LockStore;
  /** What failed deploys left behind, read when someone clicks "Remove what this created". */
  leftovers?: LeftoverStore;
  userGroups: UserGroupResolver;
  /** Whether the bot can post where a request came from. */
  whereToPost: ConversationAccess;
  policy: ApprovalPolicy;
  logger: Logger;
  /** Redis failures of requests, logged one line per cause at a bounded rate; unset: each is logged. */
  redisErrors?: RedisErrorLog;
  /** The slash command as configured in the manifest. */
  commandName: string;
}
