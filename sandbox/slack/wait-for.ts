// Wait for a condition with a deadline instead of sleeping: poll a probe until it yields a value.

export class WaitTimeout extends Error {
  readonly code = 'wait_timeout';
  constructor(what: string, timeoutMs: number, lastError?: unknown) {
    super(
      `timed out after ${timeoutMs} ms waiting for ${what}` +
        (lastError instanceof Error ? ` (last probe error: ${lastError.message})` : ''),
    );
    this.name = 'WaitTimeout';
  }
}

export async function waitFor<T>(
  probe: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const intervalMs = opts.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false && value !== null) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) throw new WaitTimeout(opts.what ?? 'a condition', timeoutMs, lastError);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
