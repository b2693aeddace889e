import { groupDigits } from '../src/format.js';

describe('groupDigits', () => {
  it('writes counts as en-US does, without loading the locale data', () => {
    const counts = [0, 1, 12, 999, 1000, 1234, 20_000, 100_000, 1_234_567, 2 ** 31, Number.MAX_SAFE_INTEGER];
    for (const n of counts) expect(groupDigits(n)).toBe(n.toLocaleString('en-US'));
  });

  it('puts a comma before every third digit from the right', () => {
    expect(groupDigits(20_000)).toBe('20,000');
    expect(groupDigits(1_500)).toBe('1,500');
    expect(groupDigits(123)).toBe('123');
  });
});
