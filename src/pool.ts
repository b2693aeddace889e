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

/**
 * Allows at most `limit` calls of run() in flight at once; the rest wait their turn, in order. A budget of
 * one unit per call: it counts a slot as taken when it hands it over, not when the woken caller resumes,
 * so a newcomer arriving in between cannot slip in beside it.
 */
export function createLimiter(limit: number): <R>(fn: () => Promise<R>) => Promise<R> {
  const budget = createBudget(limit);
  return (fn) => budget(1, fn);
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

const MIN_POOLED_BUFFER = 4096;

/**
 * Reusable buffers under a byte budget: with(size, fn) waits until a buffer of at least size + 1 bytes
 * fits the budget, lends it to fn and keeps it for the next caller. Reusing them matters: a fresh buffer
 * per file left up to 65 MB of dead bodies waiting for the garbage collector, and the process's peak
 * memory with them. Sizes are rounded up to a power of two so buffers fit many files; buffers in use plus
 * buffers kept never exceed the capacity.
 */
export function createBufferPool(
  capacity: number,
): <R>(size: number, fn: (buffer: Buffer) => Promise<R>) => Promise<R> {
  const budget = createBudget(capacity);
  const free = new Map<number, Buffer[]>();
  let inUse = 0;
  let kept = 0;
  const take = (length: number): Buffer => {
    const reused = free.get(length)?.pop();
    if (reused) {
      kept -= length;
      return reused;
    }
    // Drop kept buffers of other sizes until a new one fits.
    for (const [freeLength, buffers] of free) {
      while (inUse + kept + length > capacity && buffers.pop()) kept -= freeLength;
    }
    return Buffer.allocUnsafeSlow(length);
  };
  return <R>(size: number, fn: (buffer: Buffer) => Promise<R>): Promise<R> => {
    // Longer than size, so the caller can tell a file that grew from one that did not.
    let length = MIN_POOLED_BUFFER;
    while (length <= size) length *= 2;
    return budget(length, async () => {
      const buffer = take(length);
      inUse += length;
      try {
        return await fn(buffer);
      } finally {
        inUse -= length;
        if (inUse + kept + length <= capacity) {
          const list = free.get(length);
          if (list) list.push(buffer);
          else free.set(length, [buffer]);
          kept += length;
        }
      }
    });
  };
}
