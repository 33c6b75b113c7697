// A request the bot could not take: logged with its error, except when Redis is unreachable, where every
// request fails the same way; those go to the process's Redis error log (one line per cause, bounded).
import type { Logger } from 'pino';
import { isRedisUnreachable } from '../queue/redis-error-log';
import type { BotDeps } from './bot-deps';

export function logRequestFailure(deps: Pick<BotDeps, 'redisErrors'>, log: Logger, err: unknown, what: string, fields: Record<string, unknown> = {}): void {
  if (deps.redisErrors && isRedisUnreachable(err)) {
    deps.redisErrors.report(err, what);
    return;
  }
  log.error({ err, ...fields }, what);
}
