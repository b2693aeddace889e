import { CLASSIFIER_VERSION } from '../src/classify.js';
import {
  AUTO_CACHE_CONTROL,
  type HeaderRules,
  NO_HEADER_RULES,
  headersFor,
  headersReproducible,
  parseCacheControl,
  parseRules,
  rulesForBuild,
} from '../src/headers.js';

describe('parseRules', () => {
  it('reads glob: value lines, and a bare value as a rule for every file', () => {
    expect(
      parseRules('**/*.html: no-cache\n\n# a comment\nassets/**: public, max-age=31536000, immutable', 'cache-control'),
    ).toEqual([
      { glob: '**/*.html', value: 'no-cache' },
      { glob: 'assets/**', value: 'public, max-age=31536000, immutable' },
    ]);
    expect(parseRules('public, max-age=300', 'cache-control')).toEqual([{ glob: '**', value: 'public, max-age=300' }]);
  });

  it("drops a comment: from a '#' at the start of a line or after a space to the end of the line", () => {
    expect(
      parseRules('# types\n  # indented\nfeeds/*: application/rss+xml   # RSS\n*.wasm:\tapplication/wasm\t# tab', 'x'),
    ).toEqual([
      { glob: 'feeds/*', value: 'application/rss+xml' },
      { glob: '*.wasm', value: 'application/wasm' },
    ]);
    // A '#' inside a glob is part of it; a name with ' #' is matched with '[#]'.
    const [named, spaced] = parseRules('notes#1.html: no-cache\nmy notes [#]2.html: no-cache', 'x');
    expect(named).toEqual({ glob: 'notes#1.html', value: 'no-cache' });
    expect(headersFor('notes#1.html', { ...NO_HEADER_RULES, cacheControl: [named!] }).cacheControl).toBe('no-cache');
    expect(headersFor('my notes #2.html', { ...NO_HEADER_RULES, cacheControl: [spaced!] }).cacheControl).toBe(
      'no-cache',
    );
  });

  it('reads a rule written without a space after the colon', () => {
    expect(parseRules('*.html:no-cache', 'cache-control')).toEqual([{ glob: '*.html', value: 'no-cache' }]);
  });
});

describe('headersFor', () => {
  const rules: HeaderRules = {
    cacheControl: [
      { glob: '**/*.html', value: 'no-cache' },
      { glob: 'assets/**', value: 'public, max-age=31536000, immutable' },
    ],
    contentType: [{ glob: 'feeds/*', value: 'application/rss+xml' }],
    contentEncoding: [
      { glob: 'compressed/**/*.js', value: 'gzip' },
      { glob: 'assets/**/*.gz', value: 'gzip' },
      { glob: 'assets/**/*.br', value: 'br' },
      { glob: 'mixed/*', value: 'gzip' },
    ],
  };

  it.each<[string, object]>([
    ['index.html', { contentType: 'text/html; charset=utf-8', cacheControl: 'no-cache' }],
    ['docs/a/page.html', { contentType: 'text/html; charset=utf-8', cacheControl: 'no-cache' }],
    [
      'assets/app.3f2a.js',
      { contentType: 'text/javascript; charset=utf-8', cacheControl: 'public, max-age=31536000, immutable' },
    ],
    ['assets/page.html', { contentType: 'text/html; charset=utf-8', cacheControl: 'no-cache' }],
    ['feeds/news', { contentType: 'application/rss+xml' }],
    ['robots.txt', { contentType: 'text/plain; charset=utf-8' }],
    [
      'assets/app.js.gz',
      {
        contentType: 'text/javascript; charset=utf-8',
        contentEncoding: 'gzip',
        cacheControl: 'public, max-age=31536000, immutable',
      },
    ],
    [
      'assets/data.json.br',
      {
        contentType: 'application/json; charset=utf-8',
        contentEncoding: 'br',
        cacheControl: 'public, max-age=31536000, immutable',
      },
    ],
    ['compressed/lib/app.js', { contentType: 'text/javascript; charset=utf-8', contentEncoding: 'gzip' }],
    // No rule, no Content-Encoding: downloads arrive as the bytes deployed.
    ['data.csv.gz', { contentType: 'application/gzip' }],
    ['sitemap.xml.gz', { contentType: 'application/gzip' }],
    ['app.js.br', { contentType: 'application/octet-stream' }],
    ['downloads/source.tar.gz', { contentType: 'application/gzip' }],
    // An encoding whose extension the name does not carry: the type comes from the whole name.
    ['mixed/a.br', { contentType: 'application/octet-stream', contentEncoding: 'gzip' }],
  ])('%s -> %p (first match wins)', (key, expected) => {
    expect(headersFor(key, rules)).toEqual(expected);
  });

  it('gives only a content type without rules', () => {
    expect(headersFor('a/b.css', NO_HEADER_RULES)).toEqual({ contentType: 'text/css; charset=utf-8' });
  });
});

describe('cache-control: auto', () => {
  const parse = (text: string) => parseCacheControl(text, 'cache-control');
  const auto = (text = 'auto', keys: string[] = []) => {
    const parsed = parse(text);
    return rulesForBuild({ ...NO_HEADER_RULES, ...parsed }, keys).rules;
  };

  it('gives each class its default: a year for hashed names, 60 s at the edge for pages and workers, 5 minutes for the rest', () => {
    expect(AUTO_CACHE_CONTROL).toEqual({
      fingerprinted: 'public, max-age=31536000, immutable',
      'entry-point': 'public, max-age=0, s-maxage=60, must-revalidate',
      'service-worker': 'public, max-age=0, s-maxage=60, must-revalidate',
      other: 'public, max-age=300',
    });
    const rules = auto();
    expect(headersFor('assets/index-wktXvZw9.js', rules).cacheControl).toBe('public, max-age=31536000, immutable');
    expect(headersFor('index.html', rules).cacheControl).toBe('public, max-age=0, s-maxage=60, must-revalidate');
    expect(headersFor('sw.js', rules).cacheControl).toBe('public, max-age=0, s-maxage=60, must-revalidate');
    expect(headersFor('logo.png', rules).cacheControl).toBe('public, max-age=300');
  });

  it('is the fallback wherever it is written: glob rules win', () => {
    for (const text of ['auto\ndownloads/**: public, max-age=86400', 'downloads/**: public, max-age=86400\nauto']) {
      const rules = auto(text);
      expect(rules.cacheControl).toEqual([{ glob: 'downloads/**', value: 'public, max-age=86400' }]);
      expect(headersFor('downloads/report.pdf', rules).cacheControl).toBe('public, max-age=86400');
      expect(headersFor('report.pdf', rules).cacheControl).toBe('public, max-age=300');
    }
  });

  it("reads 'auto' with a comment after it (YAML keeps comments in a block scalar), and comments after rules", () => {
    const rules = auto(
      '# caching\nauto       # a year for hashed assets, a minute at the edges for pages\n' +
        'auto:other: public, max-age=3600 # images\n**/*.pdf: no-cache   # downloads revalidate',
    );
    expect(rules.cacheControl).toEqual([{ glob: '**/*.pdf', value: 'no-cache' }]);
    expect(headersFor('index.html', rules).cacheControl).toBe('public, max-age=0, s-maxage=60, must-revalidate');
    expect(headersFor('logo.png', rules).cacheControl).toBe('public, max-age=3600');
    expect(headersFor('a/report.pdf', rules).cacheControl).toBe('no-cache');
    // A glob that merely starts with 'auto' is a glob.
    expect(parse('autoplay/**: no-cache\nAuto: no-cache')).toEqual({
      cacheControl: [
        { glob: 'autoplay/**', value: 'no-cache' },
        { glob: 'Auto', value: 'no-cache' },
      ],
    });
  });

  it('changes one class with an auto:<class> line, which no glob rule can be read as', () => {
    const rules = auto('auto\nauto:other: public, max-age=3600\nauto:entry-point:no-cache');
    expect(rules.cacheControlAuto?.values).toEqual({
      ...AUTO_CACHE_CONTROL,
      other: 'public, max-age=3600',
      'entry-point': 'no-cache',
    });
    expect(headersFor('logo.png', rules).cacheControl).toBe('public, max-age=3600');
    expect(headersFor('index.html', rules).cacheControl).toBe('no-cache');
    // A folder named auto is still a glob.
    expect(parse('auto: no-cache')).toEqual({ cacheControl: [{ glob: 'auto', value: 'no-cache' }] });
  });

  it.each([
    [
      'auto:fingerprint: max-age=60',
      /'auto:fingerprint: max-age=60' names no class of 'auto'; the classes are fingerprinted, entry-point, service-worker, other/,
    ],
    ['auto\nauto:other:', /'auto:other:' gives the class no value/],
    ['auto\nauto:other: a\nauto:other: b', /the class 'other' is given twice/],
    ['auto:other: public, max-age=60', /'auto:other' changes a class of 'auto', which is off: add a line 'auto'/],
    ['auto\npublic, max-age=60', /'public, max-age=60' applies to every file, so 'auto' would never apply/],
    ['assets/**: auto', /'auto' stands alone on its line/],
    ['assets/**: Auto # hashed', /'assets\/\*\*: Auto': 'auto' stands alone on its line/],
    // Near-autos: as a value they would be every object's Cache-Control, which browsers and edges ignore.
    ['Auto\ndownloads/**: public, max-age=86400', /the line 'Auto' is not 'auto': write 'auto' in lower case/],
    ['auto,', /the line 'auto,' is not 'auto'/],
    ['autos', /the line 'autos' is not 'auto'/],
    ['AUTO   # a year for hashed assets', /the line 'AUTO' is not 'auto'/],
    ['auto\nAuto:other: public, max-age=60', /the line 'Auto:other: public, max-age=60' is not 'auto'/],
    ['auto\nauto :other: public, max-age=60', /the line 'auto :other: public, max-age=60' is not 'auto'/],
  ])('refuses %p', (text, message) => {
    expect(() => parse(text)).toThrow(message);
  });

  it('records in the rules what it derived the headers from: the values, the classifier version and the build’s hash shapes', () => {
    const vite = ['assets/Pricing-CiGxpcwn.css', 'assets/Home-D6PzDFXk.js', 'assets/Docs-D4yWNhdi.js'];
    const rules = auto('auto', vite);
    expect(rules.cacheControlAuto).toEqual({
      classifier: CLASSIFIER_VERSION,
      values: AUTO_CACHE_CONTROL,
      shapes: [expect.stringMatching(/^\S{12} suffix 8$/)],
    });
    // The weak hash is fingerprinted because of its neighbours, and the rules alone say so again.
    const replayed = JSON.parse(JSON.stringify(rules)) as HeaderRules;
    expect(headersFor('assets/Pricing-CiGxpcwn.css', replayed).cacheControl).toBe(
      'public, max-age=31536000, immutable',
    );
    expect(headersFor('assets/Pricing-CiGxpcwn.css', auto()).cacheControl).toBe('public, max-age=300');
    expect(headersReproducible(replayed)).toBe(true);
    expect(headersReproducible({ ...replayed, cacheControlAuto: { ...rules.cacheControlAuto!, classifier: 0 } })).toBe(
      false,
    );
    expect(headersReproducible(NO_HEADER_RULES)).toBe(true);
  });
});
