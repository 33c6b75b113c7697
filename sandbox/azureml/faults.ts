// Fault injection: "the next N requests matching X answer Y". Rules are consumed in the order they
// were added; a request takes at most one fault. Kinds classify requests the way a client sees them:
// 'arm' (resource-manager calls), 'scoring' (batch endpoint data plane), 'lro-poll' (operation status
// and result URLs), 'any'. Over HTTP a path pattern is a regular-expression source.
// `after: true` lets the request reach its handler first (the job is created, the resource changes) and
// then loses the answer: the client gets the fault's status (504, as a gateway that timed out waiting),
// or with `reset: true` the connection is destroyed before any answer. That is how a request that the
// service accepted can look failed to the client. `delayMs` holds the request that long first: alone, the
// usual answer then comes that much later (a slow dependency, to show what waits on it).
import { z } from 'zod';

export const requestKindSchema = z.enum(['arm', 'scoring', 'lro-poll', 'any']);
export type RequestKind = z.infer<typeof requestKindSchema>;

export const faultSpecSchema = z
  .object({
    match: z.union([
      requestKindSchema,
      z.object({ method: z.string().optional(), path: z.union([z.string(), z.instanceof(RegExp)]) }),
    ]),
    count: z.number().int().min(1).default(1),
    /** 429, 500, 503…; ignored with `hang`. */
    status: z.number().int().min(400).max(599).optional(),
    retryAfterSeconds: z.number().nonnegative().optional(),
    /** Overrides the precise `retry-after-ms` (defaults to retryAfterSeconds, or the scaled poll interval). */
    retryAfterMs: z.number().nonnegative().optional(),
    code: z.string().optional(),
    message: z.string().optional(),
    /** Never answer (until the sandbox stops). */
    hang: z.boolean().optional(),
    /** Run the handler, then lose its answer (send `status` instead, or reset the connection). */
    after: z.boolean().optional(),
    /** Destroy the connection without an answer. */
    reset: z.boolean().optional(),
    /** Hold the request this many ms before the fault (alone: before the usual answer). */
    delayMs: z.number().int().min(1).max(600_000).optional(),
  })
  .refine((f) => f.hang === true || f.reset === true || f.status !== undefined || f.delayMs !== undefined, {
    message: 'a fault needs a status, hang: true, reset: true or delayMs',
  });
export type FaultSpec = z.input<typeof faultSpecSchema>;
type ParsedFault = z.infer<typeof faultSpecSchema>;

export interface ActiveFault {
  id: number;
  spec: ParsedFault;
  remaining: number;
  fired: number;
}

export type FaultAction = (
  | { kind: 'hang'; faultId: number }
  | { kind: 'reset'; faultId: number }
  | { kind: 'delay'; faultId: number }
  | { kind: 'status'; faultId: number; status: number; code: string; message: string; retryAfterMs?: number; retryAfterSeconds?: number }
) & { after?: boolean; delayMs?: number };

const DEFAULT_CODES: Record<number, string> = {
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

export class FaultInjector {
  private readonly rules: ActiveFault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): ActiveFault {
    const parsed = faultSpecSchema.parse(spec);
    const rule: ActiveFault = { id: this.nextId++, spec: parsed, remaining: parsed.count, fired: 0 };
    this.rules.push(rule);
    return rule;
  }

  clear(): void {
    this.rules.length = 0;
  }

  list(): ActiveFault[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Consumes one use of the first matching rule, if any. */
  take(method: string, path: string, kind: Exclude<RequestKind, 'any'> | 'other'): FaultAction | undefined {
    const index = this.rules.findIndex((r) => r.remaining > 0 && matches(r.spec.match, method, path, kind));
    if (index < 0) return undefined;
    const rule = this.rules[index]!;
    rule.remaining -= 1;
    rule.fired += 1;
    if (rule.remaining === 0) this.rules.splice(index, 1);
    const modifiers = { ...(rule.spec.after === true ? { after: true } : {}), ...(rule.spec.delayMs !== undefined ? { delayMs: rule.spec.delayMs } : {}) };
    if (rule.spec.hang) return { kind: 'hang', faultId: rule.id, ...modifiers };
    if (rule.spec.reset) return { kind: 'reset', faultId: rule.id, ...modifiers };
    // A delay alone (the schema allows no other fault without a status).
    const status = rule.spec.status;
    if (status === undefined) return { kind: 'delay', faultId: rule.id, ...modifiers };
    return {
      kind: 'status',
      faultId: rule.id,
      status,
      code: rule.spec.code ?? DEFAULT_CODES[status] ?? 'InjectedFault',
      message:
        rule.spec.message ??
        (status === 429
          ? 'The request is being throttled as the limit has been reached for operation type. Please retry after the interval in the Retry-After header.'
          : `The service is temporarily unavailable (injected fault ${status}). Please retry.`),
      ...(rule.spec.retryAfterMs !== undefined ? { retryAfterMs: rule.spec.retryAfterMs } : {}),
      ...(rule.spec.retryAfterSeconds !== undefined ? { retryAfterSeconds: rule.spec.retryAfterSeconds } : {}),
      ...modifiers,
    };
  }
}

function matches(match: ParsedFault['match'], method: string, path: string, kind: string): boolean {
  if (typeof match === 'string') return match === 'any' || match === kind;
  if (match.method && match.method.toUpperCase() !== method.toUpperCase()) return false;
  const re = typeof match.path === 'string' ? new RegExp(match.path, 'i') : match.path;
  return re.test(path);
}
