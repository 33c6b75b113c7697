// ARM list operations answer one page at a time: `{ value: [...], nextLink }` (the *ArmPaginatedResult
// definitions in mfe.json); we follow nextLink until it is absent.
import { z } from 'zod';
import type { AzureMlContext } from './azureml-context';
import type { ArmResponse } from './arm-client';
import { armListPageSchema, type ArmListPage } from './resources';
import { parseResponseBody } from './response-validation';

/** Upper bound on pages followed, so a service that loops its nextLink cannot hang a worker. */
const MAX_PAGES = 1000;

export async function listAllPages<S extends z.ZodType>(
  ctx: AzureMlContext,
  path: string,
  item: S,
  what: string,
  query?: Record<string, string | undefined>,
): Promise<z.infer<S>[]> {
  const schema = armListPageSchema(item);
  const items: z.infer<S>[] = [];
  let next: { path: string; query?: Record<string, string | undefined> } | undefined = { path, query };
  for (let page = 0; next && page < MAX_PAGES; page++) {
    const response: ArmResponse = await ctx.arm.request({ method: 'GET', ...next });
    const body: ArmListPage<unknown> = parseResponseBody(schema, response.body, what, response);
    items.push(...(body.value as z.infer<S>[]));
    // nextLink is an absolute URL with its own skip token (and usually api-version, which the client keeps).
    next = body.nextLink ? { path: body.nextLink } : undefined;
  }
  return items;
}
