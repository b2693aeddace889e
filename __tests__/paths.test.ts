import { checkInvalidationPaths, encodeInvalidationPath } from '../src/paths.js';

describe('checkInvalidationPaths', () => {
  it('accepts CloudFront paths', () => {
    expect(checkInvalidationPaths(['/*', '/index.html', '/docs/*', '/my page.html'])).toBeUndefined();
  });

  it.each([
    [['index.html'], /must start with '\/'/],
    [['/a*b'], /'\*' before the end/],
    [[`/${'a'.repeat(4000)}`], /longer than CloudFront's 4000/],
    [Array.from({ length: 3001 }, (_, i) => `/${i}`), /at most 3000/],
  ])('rejects %#', (paths, pattern) => {
    expect(checkInvalidationPaths(paths)).toMatch(pattern);
  });
});

describe('encodeInvalidationPath', () => {
  it.each([
    ['/index.html', '/index.html'],
    ['/docs/*', '/docs/*'],
    ['/my page.html', '/my%20page.html'],
    ['/a+b.html', '/a+b.html'],
    ['/café/menu.html', '/caf%C3%A9/menu.html'],
    ['/emoji/😀.png', '/emoji/%F0%9F%98%80.png'],
    ['/q"<>#{}|\\^~[]`', '/q%22%3C%3E%23%7B%7D%7C%5C%5E%7E%5B%5D%60'],
    ['/already%20encoded.html', '/already%20encoded.html'],
    ['/100%.html', '/100%25.html'],
    ["/it's(1)!.html", "/it's(1)!.html"],
  ])('%s -> %s', (input, expected) => {
    expect(encodeInvalidationPath(input)).toBe(expected);
  });
});
