// A small method + path-template router. Literal segments match case-insensitively, as ARM's do
// (`resourcegroups` = `resourceGroups`); `{name}` segments capture one decoded segment.
import JSON5 from 'json5';
import { SandboxHttpError } from './arm-errors';

export interface SandboxRequest {
  method: string;
  /** Path without the query string, as received. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  params: Record<string, string>;
  header(name: string): string | undefined;
  /** The body parsed leniently (JSON5: trailing commas, comments), or undefined when empty. */
  body(): unknown;
}

export interface SandboxResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** A list answer the route paged itself (the dispatcher pages other `{ value: [...] }` answers). */
  paged?: boolean;
}

export type RouteHandler = (req: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>;

interface Route {
  method: string;
  segments: string[];
  template: string;
  handler: RouteHandler;
}

export type RouteMatch =
  | { kind: 'found'; handler: RouteHandler; params: Record<string, string>; template: string }
  | { kind: 'method-not-allowed'; template: string }
  | { kind: 'none' };

export class RouteTable {
  private readonly routes: Route[] = [];

  add(method: string, template: string, handler: RouteHandler): this {
    this.routes.push({ method: method.toUpperCase(), segments: template.split('/').filter(Boolean), template, handler });
    return this;
  }

  match(method: string, segments: readonly string[]): RouteMatch {
    let sawPath: string | undefined;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.method === method.toUpperCase()) return { kind: 'found', handler: route.handler, params, template: route.template };
      sawPath = route.template;
    }
    return sawPath ? { kind: 'method-not-allowed', template: sawPath } : { kind: 'none' };
  }

  /** The template a path would hit regardless of method (for per-route counters). */
  templateOf(segments: readonly string[]): string | undefined {
    return this.routes.find((r) => matchSegments(r.segments, segments))?.template;
  }
}

function matchSegments(pattern: readonly string[], actual: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const a = actual[i]!;
    if (p.startsWith('{') && p.endsWith('}')) {
      let value: string;
      try {
        value = decodeURIComponent(a);
      } catch {
        return undefined;
      }
      params[p.slice(1, -1)] = value;
    } else if (p.toLowerCase() !== a.toLowerCase()) {
      return undefined;
    }
  }
  return params;
}

export function parseLenientJson(raw: string): unknown {
  if (raw.trim() === '') return undefined;
  try {
    return JSON5.parse(raw);
  } catch (err) {
    throw new SandboxHttpError(
      400,
      'InvalidRequestContent',
      `The request content was invalid and could not be deserialized: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
