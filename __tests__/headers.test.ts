import { type HeaderRules, NO_HEADER_RULES, headersFor, parseRules } from '../src/headers.js';

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
