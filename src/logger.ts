// One pino logger per process, built by the entry points and passed down. Secrets are redacted by path
// (config values, HTTP auth headers, Slack tokens in payloads) so they never reach the logs.
import pino, { type DestinationStream, type Logger } from 'pino';
import { SECRET_CONFIG_PATHS } from './config';

export const REDACT_PATHS = [
  ...SECRET_CONFIG_PATHS,
  ...SECRET_CONFIG_PATHS.map((p) => `config.${p}`),
  'token',
  '*.token',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'authorization',
  '*.authorization',
  'response_url',
  '*.response_url',
  'responseUrl',
  '*.responseUrl',
  'connectionString',
  '*.connectionString',
  'accountKey',
  '*.accountKey',
];

export function createLogger(opts: { level?: string; name?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      name: opts.name ?? 'batch-score-bot',
      level: opts.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    opts.destination,
  );
}
