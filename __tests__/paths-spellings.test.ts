/**
 * Found in a hostile review of src/paths.ts: does what a browser sends always fall under an invalidation, and is
 * every path one CloudFront takes? Each test names what it shows; failing ones are open problems.
 */
import { autoInvalidationPaths, checkInvalidationPaths, collapsePaths } from '../src/paths.js';

/** CloudFront's matching: an exact path, or a prefix match for a final '*'. */
const covers = (paths: readonly string[], url: string) =>
  paths.some((path) => path === url || (path.endsWith('*') && url.startsWith(path.slice(0, -1))));

describe('spellings a visitor can reach an object under', () => {
  // Found in review (fixed): README: "A `+` is invalidated both raw and as `%2B` ... since links carry either", and FACTS.md:
  // "A raw + in a request path may be read by S3 as a space" (the local S3's decodePathPart does the same).
  // The mirror case is missed: an object whose key has a space is served for '/my+page.html' too (links built
  // with form encoding: Java's URLEncoder, PHP urlencode, Python quote_plus), and that cache entry is never
  // invalidated, so a visitor who followed such a link keeps the old page until its TTL.
  it("invalidates a key with a space under its '+' spelling as well as '%20'", () => {
    const paths = autoInvalidationPaths(['my page.html', 'docs/getting started/index.html'], '');
    expect(paths).toEqual(expect.arrayContaining(['/my%20page.html', '/my+page.html']));
    expect(paths).toEqual(expect.arrayContaining(['/docs/getting+started/', '/docs/getting+started/index.html']));
  });

  // Found in review (fixed): The same "links carry either" reasoning the README applies to '+' holds for every other
  // sub-delim a file name can carry: links built with encodeURIComponent (the usual way to put a name into a
  // URL in JavaScript) send '@', '$', '&', ',', ';', '=', ':' percent-encoded, and CloudFront keys its cache on
  // the path as sent. 'logo@2x.png' (every retina image set) is invalidated only as '/logo@2x.png', so a page
  // that links '/logo%402x.png' keeps the old image.
  it.each([
    ['logo@2x.png', '/logo%402x.png'],
    ['a&b.html', '/a%26b.html'],
    ['k=v.html', '/k%3Dv.html'],
    ['price$.html', '/price%24.html'],
    ['x,y.html', '/x%2Cy.html'],
    ['a;b.html', '/a%3Bb.html'],
    ['a:b.html', '/a%3Ab.html'],
  ])('invalidates %s under its encodeURIComponent spelling %s too', (key, encoded) => {
    const paths = autoInvalidationPaths([key], '');
    expect(covers(paths, encoded)).toBe(true);
    expect(covers(paths, new URL(`https://x/${key}`).pathname)).toBe(true);
  });

  // Held in review: every RFC 1738 unsafe character, '%', '?', '+', '*', '~', unicode (NFC and NFD), index.html in odd
  // folders and origin paths: the request a browser makes for a link written with the name (the minimum an
  // author must escape: %, #, ?) and for an encodeURI link is covered, and the paths pass CloudFront's rules.
  it('covers browser requests for every RFC 1738 unsafe character, %, ?, +, *, ~ and unicode, under an origin path', () => {
    const names = [
      'my page.html',
      'c++.html',
      'faq?.html',
      '100%41.html',
      'cut1/a*b.html',
      'static/runtime~main.js',
      'cut2/x|y.html',
      'cut3/a^b.html',
      'cut4/a[1].html',
      'cut5/b]c.html',
      'café.html',
      'cafe\u0301.html',
      '日本/index.html',
      'q"b.html',
      'lt<b>.html',
      'hash#b.html',
      'brace{b}.html',
      'tick`b.html',
      'back\\slash.html',
      ' lead.html',
      'trail .html',
      '%.html',
      'pct%2Fb.html',
      'emoji😀.html',
      'dir with space/index.html',
      'p+b/index.html',
      'x~y/index.html',
      'q?dir/index.html',
      "it's.html",
      'semi;b=c&d@e:f$g,h!i(j).html',
      '\x7f.html',
    ];
    const raw = autoInvalidationPaths(
      names.map((name) => `live/${name}`),
      'live/',
    );
    const paths = collapsePaths(raw, 3000);
    expect(checkInvalidationPaths(paths)).toBeUndefined();
    const minimal = (name: string) => name.replace(/%/g, '%25').replace(/#/g, '%23').replace(/\?/g, '%3F');
    for (const name of names) {
      const asWritten = new URL(`https://x/${minimal(name).replace(/\\/g, '%5C')}`).pathname;
      const viaEncodeUri = new URL(`https://x/${encodeURI(name).replace(/#/g, '%23').replace(/\?/g, '%3F')}`).pathname;
      expect([name, covers(paths, asWritten), covers(paths, viaEncodeUri)]).toEqual([name, true, true]);
    }
  });
});

describe('collapsing, adversarially', () => {
  // Found in review (fixed): README: "the narrowest directory with several changes becomes a wildcard, repeatedly, up to
  // /* only when nothing narrower fits". Collapsing only ever cuts at a '/', so a page's three URLs ('/about',
  // '/about/', '/about/index.html') cost two paths ('/about', '/about/*') where '/about*' is one. Eight changed
  // top-level pretty-URL pages (Hugo, Jekyll, Gatsby, Next export: about/, contact/, pricing/...) become 16 paths,
  // over the default 15, so the whole distribution is invalidated ('/*'): every edge drops every object and the
  // origin takes the full load, for an edit to eight pages. With max 1, one changed 'docs/index.html' is '/*'
  // though '/docs*' fits. Fix: when a directory collapses, fold its bare URL in ('/about*'), and try the
  // common-prefix wildcard of a page's URLs before its parent's.
  it("keeps eight changed top-level pages narrower than '/*' at the default cap", () => {
    const pages = ['about', 'contact', 'pricing', 'team', 'jobs', 'press', 'legal', 'faq'].map(
      (n) => `${n}/index.html`,
    );
    const paths = collapsePaths(autoInvalidationPaths(pages, ''), 15);
    expect(paths).not.toEqual(['/*']);
    expect(paths.length).toBeLessThanOrEqual(15);
  });

  it("covers one changed 'docs/index.html' with one path narrower than '/*' when the cap is 1", () => {
    expect(collapsePaths(autoInvalidationPaths(['docs/index.html'], ''), 1)).toEqual(['/docs*']);
  });

  // Held in review: random trees of odd names (cut characters, '+', index.html at every depth) at max 1, 2, 3, 15, 16
  // and 3,000: every exact URL stays covered, at most `max` paths (or '/*'), at most 15 wildcards, all valid.
  it('always covers every URL within max paths and 15 wildcards', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const alphabet = ['a', 'b', 'c', '~', '*', '+', ' ', '%', '?', 'é', '[', 'index.html'];
    for (let trial = 0; trial < 400; trial++) {
      const keys = Array.from({ length: 1 + Math.floor(random() * 50) }, () =>
        Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
          Array.from(
            { length: 1 + Math.floor(random() * 3) },
            () => alphabet[Math.floor(random() * alphabet.length)],
          ).join(''),
        ).join('/'),
      );
      const urls = autoInvalidationPaths(keys, '');
      for (const max of [1, 2, 3, 15, 16, 3000]) {
        const paths = collapsePaths(urls, max);
        expect(checkInvalidationPaths(paths)).toBeUndefined();
        expect(paths.length <= max || (paths.length === 1 && paths[0] === '/*')).toBe(true);
        expect(paths.filter((path) => path.endsWith('*')).length).toBeLessThanOrEqual(15);
        expect(urls.filter((url) => !covers(paths, url))).toEqual([]);
      }
    }
  });

  // Held in review for realistic trees (0.2-0.5 s of CPU here); a pathological depth (200 levels) takes ~2 s.
  it('collapses 100,000 changed URLs of a site shaped like a blog in well under a second of CPU', () => {
    const keys = Array.from({ length: 33_334 }, (_, i) => `blog/${2000 + (i % 25)}/${i % 12}/post-${i}/index.html`);
    const started = process.cpuUsage();
    const urls = autoInvalidationPaths(keys, '');
    const paths = collapsePaths(urls, 15);
    const used = process.cpuUsage(started);
    expect(urls.length).toBeGreaterThanOrEqual(100_000);
    expect(paths.length).toBeLessThanOrEqual(15);
    expect((used.user + used.system) / 1e6).toBeLessThan(1.5);
  });
});
