import { formatBytes, formatCount, formatSeconds } from '../src/format.js';

describe('figures in logs and the job summary', () => {
  it.each([0, 1, 999, 1000, 12_345, 999_999, 1_000_000, 20_000_000, -1234, 2 ** 53 - 1])(
    'writes %d as en-US does, without loading ICU',
    (n) => {
      expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
    },
  );

  it('writes sizes in binary units and times in seconds', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(2 * 1024 ** 3)).toBe('2.0 GiB');
    expect(formatSeconds(1234)).toBe('1.2 s');
  });
});
