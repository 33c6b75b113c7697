// "Is it there yet?" lookups: ARM answers a missing resource with 404 (code ResourceNotFound or
// NotFound, common-types ErrorResponse); every other failure stays an error.
import { AzureMlError } from './errors';

export function isNotFoundError(err: unknown): err is AzureMlError {
  return err instanceof AzureMlError && (err.statusCode === 404 || err.code === 'ResourceNotFound' || err.code === 'NotFound');
}

/** Runs a GET; a 404 becomes `undefined`. */
export async function findOrUndefined<T>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (err) {
    if (isNotFoundError(err)) return undefined;
    throw err;
  }
}
