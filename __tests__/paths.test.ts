import { checkInvalidationPaths, collapsePaths, encodeInvalidationPath, urlPathsForKey } from '../src/paths.js';

describe('checkInvalidationPaths', () => {
  it('accepts CloudFront paths', () => {
    expect(checkInvalidationPaths(['/*', '/index.html', '/docs/*', '/my page.html'])).toBeUndefined();
    expect(checkInvalidationPaths(Array.from({ length: 15 }, (_, index) => `/d${index}/*`))).toBeUndefined();
  });

  it.each([
    [['index.html'], /must start with '\/'/],
    [['/a*b'], /'\*' before the end/],
    [[`/${'a'.repeat(4000)}`], /longer than CloudFront's 4000/],
    [Array.from({ length: 3001 }, (_, i) => `/${i}`), /at most 3000/],
    [Array.from({ length: 16 }, (_, i) => `/d${i}/*`), /16 wildcard paths given; CloudFront allows at most 15/],
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

describe('urlPathsForKey', () => {
  it.each<[string, string, string[]]>([
    ['assets/app.js', '', ['/assets/app.js']],
    ['index.html', '', ['/index.html', '/']],
    ['docs/index.html', '', ['/docs/index.html', '/docs/', '/docs']],
    ['site/docs/index.html', 'site/', ['/docs/index.html', '/docs/', '/docs']],
    ['other/page.html', 'site/', []],
    ['docs/reindex.html', '', ['/docs/reindex.html']],
  ])('%s (origin prefix %p) -> %p', (key, originPrefix, expected) => {
    expect(urlPathsForKey(key, originPrefix)).toEqual(expected);
  });
});

describe('collapsePaths', () => {
  it('keeps a list that fits', () => {
    expect(collapsePaths(['/b.html', '/a.html', '/a.html'], 15)).toEqual(['/a.html', '/b.html']);
  });

  it('collapses the narrowest directory first', () => {
    const paths = [
      '/index.html',
      '/',
      ...Array.from({ length: 5 }, (_, i) => `/blog/2024/post-${i}.html`),
      '/blog/index.html',
      '/assets/a.js',
    ];
    expect(collapsePaths(paths, 6)).toEqual(['/', '/assets/a.js', '/blog/2024/*', '/blog/index.html', '/index.html']);
    expect(collapsePaths(paths, 4)).toEqual(['/', '/assets/a.js', '/blog/*', '/index.html']);
  });

  it('merges wildcards with their siblings on the way up', () => {
    const paths = ['/a/x/1', '/a/x/2', '/a/y/1', '/a/y/2', '/b/1', '/b/2'];
    expect(collapsePaths(paths, 4)).toEqual(['/a/x/*', '/a/y/*', '/b/1', '/b/2']);
    expect(collapsePaths(paths, 2)).toEqual(['/a/*', '/b/*']);
  });

  it('never leaves more wildcards than CloudFront allows in progress (15), however high the cap', () => {
    const paths = Array.from({ length: 20 }, (_, dir) => [`/d${dir}/1`, `/d${dir}/2`]).flat();
    // 20 merges fit a cap of 20 but would give 20 wildcards: one level up covers them with one.
    expect(collapsePaths(paths, 20)).toEqual(['/*']);
    const mixed = [...paths, ...Array.from({ length: 30 }, (_, index) => `/page-${index}.html`)];
    const collapsed = collapsePaths(mixed, 60);
    expect(collapsed.length).toBeLessThanOrEqual(60);
    expect(collapsed.filter((path) => path.endsWith('*')).length).toBeLessThanOrEqual(15);
    for (const path of mixed) {
      expect(
        collapsed.some((entry) => entry === path || (entry.endsWith('*') && path.startsWith(entry.slice(0, -1)))),
      ).toBe(true);
    }
    expect(checkInvalidationPaths(collapsed)).toBeUndefined();
  });

  it("falls back to '/*' only when nothing narrower fits", () => {
    expect(collapsePaths(['/a', '/b', '/c'], 2)).toEqual(['/*']);
    expect(collapsePaths(['/a/1', '/b/1', '/c/1'], 1)).toEqual(['/*']);
  });
});
