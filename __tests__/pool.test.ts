import { createBudget, createBufferPool, createLimiter, mapWithLimit } from '../src/pool.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));
const microtasks = async (count: number) => {
  for (let i = 0; i < count; i++) await Promise.resolve();
};

/**
 * The contention a limiter must survive: a holds all the room, b waits for it, a finishes, and a newcomer c
 * arrives `delay` microtasks later, for every delay from 0 to 9 (so one lands between a handing over and b
 * starting). `fresh()` makes a new limiter admitting work of `units` each; returns the peak of units in flight.
 */
async function peakUnderContention(
  fresh: () => (work: () => Promise<void>) => Promise<unknown>,
  units: number,
): Promise<number> {
  let peak = 0;
  for (let delay = 0; delay < 10; delay++) {
    const admit = fresh();
    let inFlight = 0;
    const job = (hold: Promise<void>) =>
      admit(async () => {
        peak = Math.max(peak, (inFlight += units));
        await hold;
        inFlight -= units;
      });
    let release!: () => void;
    const a = job(new Promise<void>((resolve) => (release = resolve)));
    const b = job(Promise.resolve());
    await microtasks(3);
    release();
    await microtasks(delay);
    const c = job(microtasks(5));
    await Promise.all([a, b, c]);
  }
  return peak;
}

describe('mapWithLimit', () => {
  it('keeps at most `limit` calls in flight and the results in order', async () => {
    let active = 0;
    let peak = 0;
    const results = await mapWithLimit([5, 1, 4, 2, 3, 6, 7], 3, async (n) => {
      peak = Math.max(peak, ++active);
      await tick();
      active--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30, 60, 70]);
    expect(peak).toBe(3);
  });
});

describe('createLimiter', () => {
  it('lets `limit` calls run at once, in order, and frees a slot when one throws', async () => {
    const slot = createLimiter(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    const job = (n: number) =>
      slot(async () => {
        peak = Math.max(peak, ++active);
        order.push(n);
        await tick();
        active--;
        if (n === 1) throw new Error('boom');
        return n;
      });
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(job));
    expect(peak).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
  });

  it('never admits more than its limit, even when a newcomer arrives as a waiter is woken', async () => {
    const peak = await peakUnderContention(() => {
      const slot = createLimiter(1);
      return (work) => slot(work);
    }, 1);
    expect(peak).toBe(1);
  });
});

describe('createBudget', () => {
  it('never holds more than the budget, admits in arrival order, and lets an oversized amount run alone', async () => {
    const budget = createBudget(10);
    let held = 0;
    let peak = 0;
    const order: string[] = [];
    const job = (name: string, amount: number) =>
      budget(amount, async () => {
        held += Math.min(amount, 10);
        peak = Math.max(peak, held);
        order.push(name);
        await tick();
        held -= Math.min(amount, 10);
        if (name === 'b') throw new Error('boom');
        return name;
      });
    const results = await Promise.allSettled([
      job('a', 6),
      job('b', 4),
      job('huge', 25),
      job('c', 1), // fits beside a and b, but arrived after 'huge': it waits its turn
      job('d', 9),
    ]);
    expect(peak).toBe(10);
    expect(order).toEqual(['a', 'b', 'huge', 'c', 'd']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
  });

  it('runs small amounts side by side', async () => {
    const budget = createBudget(100);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        budget(10, async () => {
          peak = Math.max(peak, ++active);
          await tick();
          active--;
        }),
      ),
    );
    expect(peak).toBe(8);
  });

  it('never holds more than the budget when a newcomer arrives as a waiter is admitted', async () => {
    const peak = await peakUnderContention(() => {
      const budget = createBudget(10);
      return (work) => budget(6, work);
    }, 6);
    expect(peak).toBe(6);
  });
});

describe('createBufferPool', () => {
  const lentBuffer = (buffer: Buffer) => Promise.resolve(buffer);

  it('lends each caller its own buffer longer than the size asked, and reuses it afterwards', async () => {
    const withBuffer = createBufferPool(1024 * 1024);
    const lent: Buffer[] = [];
    await Promise.all(
      [100, 100, 5000].map((size) =>
        withBuffer(size, async (buffer) => {
          lent.push(buffer);
          await tick();
        }),
      ),
    );
    expect(lent.map((buffer) => buffer.length)).toEqual([4096, 4096, 8192]);
    expect(lent[0]).not.toBe(lent[1]);
    // 4096 bytes would fit exactly, but the buffer must also show whether the file grew.
    const again = await withBuffer(4096, lentBuffer);
    expect(again.length).toBe(8192);
    expect(again).toBe(lent[2]);
    expect(lent.slice(0, 2)).toContain(await withBuffer(1, lentBuffer));
  });

  it('keeps buffers in use plus buffers kept within the capacity', async () => {
    const withBuffer = createBufferPool(16384);
    const first = await withBuffer(8000, lentBuffer); // 8192, kept afterwards
    let inUse = 0;
    let peak = 0;
    const sizes: number[] = [];
    // Three 8192-byte buffers cannot be in use together: the third waits for a release.
    await Promise.all(
      [5000, 5000, 5000].map((size) =>
        withBuffer(size, async (buffer) => {
          sizes.push(buffer.length);
          peak = Math.max(peak, (inUse += buffer.length));
          await tick();
          inUse -= buffer.length;
        }),
      ),
    );
    expect(sizes).toEqual([8192, 8192, 8192]);
    expect(peak).toBe(16384);
    // A 16384-byte buffer only fits once the kept 8192-byte ones are dropped, so it is a new one.
    const big = await withBuffer(10000, lentBuffer);
    expect(big.length).toBe(16384);
    expect(big).not.toBe(first);
    expect(await withBuffer(8000, lentBuffer)).not.toBe(first);
  });

  it('never lends more than the capacity when a newcomer arrives as a waiter is admitted', async () => {
    const peak = await peakUnderContention(() => {
      const withBuffer = createBufferPool(8192);
      return (work) => withBuffer(5000, work); // a 8192-byte buffer each: one at a time
    }, 8192);
    expect(peak).toBe(8192);
  });

  it('gives the buffer back when the caller throws', async () => {
    const withBuffer = createBufferPool(4096);
    let failed: Buffer | undefined;
    await expect(
      withBuffer(10, (buffer) => {
        failed = buffer;
        return Promise.reject(new Error('boom'));
      }),
    ).rejects.toThrow('boom');
    expect(await withBuffer(10, lentBuffer)).toBe(failed);
  });
});
