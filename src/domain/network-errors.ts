// A connection that failed or timed out before any answer came: worth another attempt, whoever made it
// (the Azure client, a worker's job, the Redis clients). The one list of such codes, from Node's sockets
// and DNS, undici and axios.

export const TRANSIENT_NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'ERR_NETWORK',
]);

/** Whether the error carries one of those codes. */
export function isTransientNetworkError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && TRANSIENT_NETWORK_ERROR_CODES.has(code);
}
