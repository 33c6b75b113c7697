// ARM list operations answer one page at a time: `{ value: [...], nextLink }` (the *ArmPaginatedResult
// definitions in mfe.json); we follow nextLink until it is absent. A caller that needs only the head of a
// long list (a workspace's jobs, newest first) reads pages one by one and stops; nobody follows more than a
// bounded number of pages, so a service that loops its nextLink cannot hang a worker.
import { z } from 'zod';
import type { AzureMlContext } from './azureml-context';
import type { ArmResponse } from './arm-client';
import { armListPageSchema, type ArmListPage } from './resources';
import { parseResponseBody } from './response-validation';

/** Upper bound on pages followed by default. */
export const MAX_PAGES = 1000;

export interface ListPagesOptions {
  query?: Record<string, string | undefined>;
  /** At most this many pages (default MAX_PAGES). */
  maxPages?: number;
}

/** The list's pages, in order, fetched as the caller asks for them. */
export async function* listPages<S extends z.ZodType>(ctx: AzureMlContext, path: string, item: S, what: string, options: ListPagesOptions = {}): AsyncGenerator<z.infer<S>[]> {
  const schema = armListPageSchema(item);
  const maxPages = options.maxPages ?? MAX_PAGES;
  let next: { path: string; query?: Record<string, string | undefined> } | undefined = { path, query: options.query };
  for (let page = 0; next && page < maxPages; page++) {
    const response: ArmResponse = await ctx.arm.request({ method: 'GET', ...next });
    const body: ArmListPage<unknown> = parseResponseBody(schema, response.body, what, response);
    // nextLink is an absolute URL with its own skip token (and usually api-version, which the client keeps).
    next = body.nextLink ? { path: body.nextLink } : undefined;
    yield body.value as z.infer<S>[];
  }
}

export async function listAllPages<S extends z.ZodType>(
  ctx: AzureMlContext,
  path: string,
  item: S,
  what: string,
  query?: Record<string, string | undefined>,
): Promise<z.infer<S>[]> {
  const items: z.infer<S>[] = [];
  for await (const page of listPages(ctx, path, item, what, { query })) items.push(...page);
  return items;
}
