// A bound on how long a check may take: health and readiness probes must answer even when a dependency
// hangs (a black-holed connection never errors), so each check races a timer and loses with an error
// that says so. The underlying call is not cancelled; its late answer is ignored.
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  constructor(what: string, ms: number) {
    super(`${what} gave no answer within ${ms} ms`);
  }
}

export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceededError(what, ms)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
