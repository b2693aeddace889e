import { createBudget, createLimiter, mapWithLimit } from '../src/pool.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

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
});
