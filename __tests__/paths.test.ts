import {
  autoInvalidationPaths,
  checkInvalidationPaths,
  collapsePaths,
  encodeInvalidationPath,
  urlPathsForKey,
} from '../src/paths.js';

/** What CloudFront does with an invalidation path: an exact match, or a prefix match for a final '*'. */
const covers = (paths: readonly string[], url: string) =>
  paths.some((path) => path === url || (path.endsWith('*') && url.startsWith(path.slice(0, -1))));
/** The path a browser sends for a link written as `href`, as every browser parses it (WHATWG URL). */
const sent = (href: string) => new URL(`https://x/${href}`).pathname;

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

  it('prefers directories that hold no fingerprinted files, at any depth, and spares them until nothing else fits', () => {
    const paths = [
      '/assets/img/logo.png',
      '/assets/img/icon.png',
      '/docs/a/',
      '/docs/a/index.html',
      '/docs/b/',
      '/docs/b/index.html',
    ];
    const fingerprinted = ['/assets/img/photo-CagOFKeU.png', '/assets/index-D6PzDFXk.js'];
    // Deepest first would merge /assets/img/ (and a tie goes to the first in order): its hashed photo would
    // be sent back to S3 from every edge for nothing.
    expect(collapsePaths(paths, 5)).toEqual([
      '/assets/img/*',
      '/docs/a/',
      '/docs/a/index.html',
      '/docs/b/',
      '/docs/b/index.html',
    ]);
    expect(collapsePaths(paths, 5, fingerprinted)).toEqual([
      '/assets/img/icon.png',
      '/assets/img/logo.png',
      '/docs/a/*',
      '/docs/b/',
      '/docs/b/index.html',
    ]);
    expect(collapsePaths(paths, 3, fingerprinted)).toEqual(['/assets/img/icon.png', '/assets/img/logo.png', '/docs/*']);
    // When only a crowded directory is left, it still beats '/*'.
    expect(collapsePaths(paths, 2, fingerprinted)).toEqual(['/assets/img/*', '/docs/*']);
    expect(collapsePaths(paths, 1, fingerprinted)).toEqual(['/*']);
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

  it('with room for the paths but too many wildcards, merges wildcards, not exact paths', () => {
    // Merging /a/b/ would add a 17th wildcard and cover two pages for nothing.
    const paths = ['/a/b/1.html', '/a/b/2.html', ...Array.from({ length: 16 }, (_, i) => `/t/k${i}-*`)];
    expect(collapsePaths(paths, 3000)).toEqual(['/a/b/1.html', '/a/b/2.html', '/t/*']);
  });

  it('drops paths that a wildcard in the list already covers', () => {
    expect(collapsePaths(['/d*', '/docs/a.html', '/d/x', '/d*', '/e.html'], 15)).toEqual(['/d*', '/e.html']);
    expect(collapsePaths(['/a/*', '/a/b*', '/a/b/c', '/ab'], 15)).toEqual(['/a/*', '/ab']);
  });

  it('gives what the rule, applied one merge at a time, gives (random sites)', () => {
    const random = seeded(7);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
    for (let round = 0; round < 400; round++) {
      // Half the rounds without wildcards in the input, as 'auto' gives for ordinary names.
      const names = ['1.html', '2.html', 'x', '', 'index.html', ...(round % 2 ? ['*', 'x*'] : [])];
      const paths = Array.from({ length: 1 + Math.floor(random() * 60) }, () => {
        const directory = Array.from({ length: Math.floor(random() * 4) }, () => pick(['a', 'b', 'c', 'dd']));
        const name = pick(directory.length > 0 ? names : names.filter((n) => n !== '*'));
        return `/${[...directory, name].join('/')}`;
      });
      const max = 1 + Math.floor(random() * 30);
      expect({ paths, max, result: collapsePaths(paths, max) }).toEqual({
        paths,
        max,
        result: collapseOneMergeAtATime(paths, max),
      });
    }
  });

  it('collapses 100,000 URLs into the sections that changed', () => {
    const pages = Array.from({ length: 10 }, (_, s) =>
      Array.from({ length: 100 }, (_, d) => Array.from({ length: 100 }, (_, p) => `/s${s}/d${d}/p${p}.html`)),
    ).flat(2);
    const paths = ['/', '/index.html', ...pages];
    const sections = Array.from({ length: 10 }, (_, s) => `/s${s}/*`);
    expect(collapsePaths(paths, 15)).toEqual(['/', '/index.html', ...sections]);
    expect(collapsePaths(paths, 3000)).toEqual(['/', '/index.html', ...sections]);
  });
});

/**
 * The collapsing rule applied literally, one merge at a time, recounting every directory after each: the
 * quadratic algorithm collapsePaths replaced, plus its two changes: paths under a wildcard of the list are
 * dropped first, and once the paths fit, too many wildcards are merged by the directory holding the most
 * of them. Without wildcards in the input and with a cap of 15 or less, neither change can apply.
 */
function collapseOneMergeAtATime(paths: readonly string[], max: number): string[] {
  const unique = [...new Set(paths)];
  const wildcard = (path: string) => path.endsWith('*');
  const inside = (path: string, other: string) =>
    wildcard(other) && other !== path && path.startsWith(other.slice(0, -1));
  let entries = unique.filter((path) => !unique.some((other) => inside(path, other))).sort();
  for (;;) {
    let weight: (entry: string) => number;
    if (entries.length > max) weight = () => 1;
    else if (entries.filter(wildcard).length > 15) weight = (entry) => (wildcard(entry) ? 1 : 0);
    else return entries;
    const counts = new Map<string, number>();
    for (const entry of entries) {
      const parts = entry.split('/');
      for (let depth = 1; depth < parts.length; depth++) {
        const directory = `${parts.slice(0, depth).join('/')}/`;
        if (`${directory}*` !== entry) counts.set(directory, (counts.get(directory) ?? 0) + weight(entry));
      }
    }
    let best: { directory: string; depth: number; count: number } | undefined;
    for (const [directory, count] of counts) {
      const depth = directory.split('/').length;
      if (count >= 2 && (!best || depth > best.depth || (depth === best.depth && count > best.count))) {
        best = { directory, depth, count };
      }
    }
    if (!best) return ['/*'];
    const { directory } = best;
    entries = [...new Set([...entries.filter((entry) => !entry.startsWith(directory)), `${directory}*`])].sort();
  }
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('autoInvalidationPaths', () => {
  // Each key, and every URL path a visitor's request for it can carry. A browser sends a link as written,
  // encoding only what the URL standard makes it encode (space, '"', '<', '>', '`', '{', '}', non-ASCII):
  // `sent(href)` shows it. A link generator that runs encodeURI also encodes '|', '^', '[', ']', '\';
  // one that runs encodeURIComponent also encodes '+'. So '~', '|', '^', '[', ']' and '+' reach CloudFront
  // both raw and encoded, and a link to a name with '?', '#' or a literal '%' only works encoded.
  it.each<[string, string[]]>([
    // A bare '?' starts the query string: the only link that reaches the file is 'faq%3F.html'.
    ['faq?.html', [sent('faq%3F.html')]],
    // '%41' in a link is 'A'; the file named '100%41.html' is reached only with its '%' encoded.
    ['100%41.html', [sent('100%2541.html')]],
    ['q#1.html', [sent('q%231.html')]],
    ['my page.html', [sent('my page.html'), '/my%20page.html']],
    ['café/menu.html', [sent('café/menu.html'), '/caf%C3%A9/menu.html']],
    ['emoji/😀.png', ['/emoji/%F0%9F%98%80.png']],
    ['a{b}.html', [sent('a{b}.html'), '/a%7Bb%7D.html']],
    // '+' stays raw in a browser, and S3 may read a raw '+' as a space, so links say '%2B' too.
    ['c++/intro.html', [sent('c++/intro.html'), '/c++/intro.html', sent(encodeURIComponent('c++') + '/intro.html')]],
    // '~' is raw in browsers and in encodeURI alike; RFC 1738 encoders send '%7E'.
    [
      'static/runtime~main.js',
      [sent('static/runtime~main.js'), '/static/runtime~main.js', '/static/runtime%7Emain.js'],
    ],
    ['a[1].html', [sent('a[1].html'), '/a[1].html', sent(encodeURI('a[1].html')), '/a%5B1%5D.html']],
    ['x|y.html', ['/x|y.html', sent(encodeURI('x|y.html')), '/x%7Cy.html']],
    ['a^b.html', ['/a^b.html', '/a%5Eb.html']],
    // A raw '\' becomes '/' in a browser: only the encoded form reaches this object.
    ['back\\slash.html', [sent(encodeURI('back\\slash.html')), '/back%5Cslash.html']],
    // CloudFront reads '*' as a wildcard only at the end; a browser sends it raw.
    ['a*b.html', [sent('a*b.html'), '/a*b.html']],
    ["it's(1)!.html", [sent("it's(1)!.html"), "/it's(1)!.html"]],
    ['docs/index.html', ['/docs/index.html', '/docs/', '/docs']],
  ])('%s: every URL a visitor can request is invalidated', (key, urls) => {
    const paths = autoInvalidationPaths([key], '');
    for (const url of urls) expect({ url, covered: covers(paths, url) }).toEqual({ url, covered: true });
    expect(checkInvalidationPaths(paths)).toBeUndefined();
  });

  it.each<[string, string[]]>([
    ['assets/app.js', ['/assets/app.js']],
    ['faq?.html', ['/faq%3F.html']],
    ['100%41.html', ['/100%2541.html']],
    ['my page.html', ['/my%20page.html', '/my+page.html']], // '+': S3 reads a raw '+' as a space
    ['café/menu.html', ['/caf%C3%A9/menu.html']],
    ['c++/intro.html', ['/c%2B%2B/intro.html', '/c++/intro.html']],
    // A name CloudFront cannot name exactly is covered by the narrowest wildcard: the path up to that character.
    ['a*b.html', ['/a*']],
    ['docs/a*b.html', ['/docs/a*']],
    ['static/runtime~main.js', ['/static/runtime*']],
    ['a[1].html', ['/a*']],
    ['v1+2/x~y.js', ['/v1%2B2/x*', '/v1+2/x*']],
    ['docs/index.html', ['/docs', '/docs/', '/docs/index.html']],
    ['d~x/index.html', ['/d*']],
  ])('%s -> exactly %p, no wider', (key, expected) => {
    expect(autoInvalidationPaths([key], '')).toEqual(expected);
  });

  it('maps keys through the origin prefix and leaves out keys outside it', () => {
    expect(autoInvalidationPaths(['site/docs/index.html', 'site/a?.html', 'other/x.html'], 'site/')).toEqual([
      '/a%3F.html',
      '/docs',
      '/docs/',
      '/docs/index.html',
    ]);
  });

  it('deduplicates', () => {
    expect(autoInvalidationPaths(['a*1.html', 'a*2.html', 'x.html', 'x.html'], '')).toEqual(['/a*', '/x.html']);
  });

  it('covers a URL longer than CloudFront accepts with the longest wildcard that fits, never failing', () => {
    const [long] = autoInvalidationPaths([`a/${'x'.repeat(5000)}.html`], '');
    expect(long).toBe(`/a/${'x'.repeat(3996)}*`);
    // Cut between whole characters, never inside one's %XX escapes.
    const [unicode] = autoInvalidationPaths(['é'.repeat(3000)], '');
    expect(unicode).toMatch(/^\/(%C3%A9)+\*$/);
    expect(unicode?.length).toBeLessThanOrEqual(4000);
    expect(checkInvalidationPaths([long ?? '', unicode ?? ''])).toBeUndefined();
  });

  it('gives paths that collapse into a valid invalidation, whatever the names', () => {
    const keys = [
      ...Array.from({ length: 40 }, (_, index) => `odd/${index}*star.html`),
      ...Array.from({ length: 40 }, (_, index) => `tilde/${index}~x.js`),
      ...Array.from({ length: 40 }, (_, index) => `plus/${index}+?%.html`),
    ];
    const exact = autoInvalidationPaths(keys, '');
    for (const max of [1, 15, 3000]) expect(checkInvalidationPaths(collapsePaths(exact, max))).toBeUndefined();
  });
});
