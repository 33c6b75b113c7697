// Every answer from ARM or the scoring API is parsed with its zod schema before we use it. A malformed
// answer becomes AzureMlError 'InvalidResponse' that says which resource and which fields were wrong, so
// a half-deployed endpoint is reported as a service fault rather than a TypeError deep in a worker.
import { z } from 'zod';
import type { ArmResponse } from './arm-client';
import { AzureMlError } from './errors';

/** Parses `body` with `schema`; `what` names the resource for the message ("batch endpoint 'e1'"). */
export function parseResponseBody<T extends z.ZodType>(
  schema: T,
  body: unknown,
  what: string,
  response?: Pick<ArmResponse, 'status' | 'requestId'>,
): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`)
    .join('; ');
  throw new AzureMlError({
    code: 'InvalidResponse',
    message: `Azure ML answered with a malformed ${what}: ${problems}`,
    statusCode: response?.status,
    requestId: response?.requestId,
    retriable: false,
  });
}
