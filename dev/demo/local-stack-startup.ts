// How the demo and the console start the embedded stack for a person at a terminal: `--time-scale` from
// the command line, the product's logs quiet on stderr (errors only, LOG_LEVEL overrides) so they do not
// drown the transcript, and Ctrl-C / SIGTERM stopping everything started so far (a second one exits at once).
import { parseArgs } from 'node:util';
import pino from 'pino';
import { stopOnSignals } from '../../sandbox/stack/processes';
import { startEmbeddedStack, type EmbeddedStack } from '../embedded-stack';
import { createLogger } from '../../src/logger';
import { DEMO_TIME_SCALE } from './demo-scenario';
import { exitOnSecondSignal } from './second-signal';

/** The `--time-scale` argument (default DEMO_TIME_SCALE); undefined after printing why it is unusable. */
export function readTimeScale(): number | undefined {
  const { values } = parseArgs({ options: { 'time-scale': { type: 'string' } }, strict: true });
  const timeScale = values['time-scale'] === undefined ? DEMO_TIME_SCALE : Number(values['time-scale']);
  if (!(timeScale > 0)) {
    process.stderr.write(`--time-scale must be a positive number, got ${values['time-scale']}\n`);
    return undefined;
  }
  return timeScale;
}

/** Starts the stack; an interrupt at any point stops whatever has started (after printing `interruptNote`). */
export function startLocalStack(timeScale: number, interruptNote?: string): Promise<EmbeddedStack> {
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'error', destination: pino.destination(2) });
  const starting = startEmbeddedStack({ logger, timeScale });
  stopOnSignals(async () => {
    if (interruptNote) process.stderr.write(interruptNote);
    const stack = await starting.catch(() => undefined);
    await stack?.stop();
  });
  exitOnSecondSignal();
  return starting;
}
