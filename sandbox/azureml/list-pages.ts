// ARM list operations answer one page at a time: `{ value: [...], nextLink }`, nextLink absent on the last
// page (the *ArmPaginatedResult definitions in mfe.json; the azure-powershell recordings show small lists as
// `{"value":[…]}` with no nextLink key at all). The request's continuation parameter is `$skip` in mfe.json
// (machineLearningServices.json PaginationParameter, "Continuation token for pagination"); the nextLink we
// hand out carries the token as `$skipToken`, the ARM convention, and both names are accepted (guess: no
// recording shows a real Azure ML nextLink). The token is opaque to clients: here it holds the offset of the
// next item and the id of the last one served, so a list that grows at its head between two pages (new jobs,
// newest first) resumes after the item it stopped at instead of serving it twice.
import { SandboxHttpError } from './arm-errors';

/** How many items a list page holds when nothing else is set (guess: the service's size is not documented). */
export const DEFAULT_LIST_PAGE_SIZE = 20;

const TOKEN_PARAMS = ['$skipToken', '$skip'] as const;

interface Cursor {
  /** Offset of the next item. */
  o: number;
  /** Id of the last item served. */
  id?: string;
}

function decodeCursor(token: string): Cursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && Number.isInteger((parsed as Cursor).o) && (parsed as Cursor).o >= 0) return parsed as Cursor;
  } catch {
    // falls through to the error below
  }
  throw new SandboxHttpError(400, 'BadRequest', 'The continuation token is not valid.');
}

const encodeCursor = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function tokenOf(query: URLSearchParams): string | undefined {
  for (const name of TOKEN_PARAMS) {
    const value = query.get(name);
    if (value) return value;
  }
  return undefined;
}

export interface PageRequest {
  /** Absolute base of nextLink (the sandbox's URL). */
  baseUrl: string;
  path: string;
  query: URLSearchParams;
  pageSize: number;
}

/**
 * One page of `items` (already filtered and in the list's order). `idOf` gives each item's ARM id; `render`
 * builds the response view of the items on this page only, so a 20,000-job history costs one page of views.
 */
export function pageOf<T>(items: readonly T[], req: PageRequest, idOf: (item: T) => string, render: (item: T) => unknown): { value: unknown[]; nextLink?: string } {
  const given = tokenOf(req.query);
  let start = 0;
  if (given) {
    const cursor = decodeCursor(given);
    const at = cursor.id === undefined ? -1 : items.findIndex((item) => idOf(item) === cursor.id);
    start = at >= 0 ? at + 1 : Math.min(cursor.o, items.length);
  }
  const size = Math.max(1, req.pageSize);
  const page = items.slice(start, start + size);
  const value = page.map(render);
  if (start + size >= items.length) return { value };
  const next = new URLSearchParams(req.query);
  for (const name of TOKEN_PARAMS) next.delete(name);
  const lastId = idOf(page[page.length - 1]!);
  const token = encodeCursor({ o: start + size, ...(lastId ? { id: lastId } : {}) });
  // `$skipToken` written as is (not %24-escaped), as ARM nextLinks show it; base64url needs no escaping.
  const rest = next.toString();
  return { value, nextLink: `${req.baseUrl}${req.path}?${rest ? `${rest}&` : ''}$skipToken=${token}` };
}

/** Pages an already-rendered `{ value: [...] }` list answer (routes that list a few resources). */
export function pageRenderedList(body: { value: unknown[] }, req: PageRequest): { value: unknown[]; nextLink?: string } {
  const idOf = (item: unknown): string => {
    const id = item && typeof item === 'object' ? (item as { id?: unknown }).id : undefined;
    return typeof id === 'string' ? id : '';
  };
  return pageOf(body.value, req, idOf, (item) => item);
}
