/** Runs fn over items with at most `limit` calls in flight; results keep the items' order. */
export async function mapWithLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  }
  const workers = Array.from({ length: Math.min(limit, items.length) }, worker);
  await Promise.all(workers);
  return results;
}

/** Allows at most `limit` calls of run() in flight at once; the rest wait their turn, in order. */
export function createLimiter(limit: number): <R>(fn: () => Promise<R>) => Promise<R> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <R>(fn: () => Promise<R>): Promise<R> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/**
 * A budget of units (bytes) shared by concurrent calls: run(amount, fn) waits until `amount` fits, in
 * arrival order. An amount larger than the whole budget runs alone, so nothing waits forever.
 */
export function createBudget(capacity: number): <R>(amount: number, fn: () => Promise<R>) => Promise<R> {
  let used = 0;
  const waiting: Array<{ amount: number; start: () => void }> = [];
  const admit = () => {
    while (waiting.length > 0 && used + (waiting[0]?.amount ?? 0) <= capacity) {
      const next = waiting.shift() as { amount: number; start: () => void };
      used += next.amount;
      next.start();
    }
  };
  return async <R>(amount: number, fn: () => Promise<R>): Promise<R> => {
    const share = Math.min(amount, capacity);
    await new Promise<void>((start) => {
      waiting.push({ amount: share, start });
      admit();
    });
    try {
      return await fn();
    } finally {
      used -= share;
      admit();
    }
  };
}
