import { classify, fingerprintOf, isEntryPoint, isFingerprinted, learnHashShapes } from '../src/classify.js';
import { NO_HEADER_RULES, contentTypeFor, rulesForBuild } from '../src/headers.js';
import { readFixture } from './support/fixtures.js';

describe('the classifier on real generator output', () => {
  it.each(['vite', 'vite-rebuild', 'astro', 'docusaurus', 'esbuild', 'hugo-like'])(
    '%s: every file in its class',
    (name) => {
      const files = readFixture(name);
      const { classify: classifyKey } = rulesForBuild(
        NO_HEADER_RULES,
        files.map((file) => file.key),
      );
      const wrong = files
        .map((file) => ({ key: file.key, expected: file.expected, got: classifyKey(file.key) }))
        .filter((result) => result.got.fileClass !== result.expected);
      expect(wrong).toEqual([]);
    },
  );

  it('learns from the build the hashes that read like words or lack a digit, which a name alone cannot tell', () => {
    const missedAlone = (name: string) =>
      readFixture(name)
        .filter((file) => file.expected === 'fingerprinted' && !isFingerprinted(file.key))
        .map((file) => file.key);
    // The test above classifies these right: the shapes learned from their neighbours decide.
    expect(missedAlone('vite')).toEqual(['assets/Pricing-CiGxpcwn.css', 'assets/Pricing-CvtKtkKa.js']);
    expect(missedAlone('docusaurus')).toEqual(['assets/js/a7bd4aaa.08508311.js']);
    expect(missedAlone('esbuild')).toEqual(['chunk-BCWIAWXF.js', 'chunk-DZDSAMFJ.js']);
    expect(missedAlone('astro')).toEqual([]);
    expect(missedAlone('hugo-like')).toEqual([]);
  });
});

const typeOf = (key: string) => contentTypeFor(key);
const inBuild = (keys: string[]) => rulesForBuild(NO_HEADER_RULES, keys).classify;

describe('fingerprints', () => {
  it.each([
    ['assets/index-wktXvZw9.js', 'Vite / Rollup'],
    ['assets/chunk-B_x3-9aZ.js', "Rollup's base64url hash with a '-' inside"],
    ['assets/Settings-DEadGyQe.css', 'Vite, no digit but no CamelCase reading either'],
    ['static/js/main.3f2a9b1c.js', 'webpack / create-react-app'],
    ['static/js/787.8e3b4a2f.chunk.js', 'create-react-app chunk'],
    ['main-2KMFUXEH.js', "esbuild's base32 (Angular)"],
    ['main.3f9a8b7c6d5e4f3a.js', 'Angular before esbuild'],
    ['index.3f2a9b1c.js', 'Parcel'],
    ['_astro/index.DlS8P1bw.css', 'Astro'],
    ['_next/static/chunks/pages/index.js', 'Next.js: the folder is content-addressed'],
    ['_app/immutable/entry/start.js', 'SvelteKit'],
    ['static/d2f8a6b4c0e1f3a5b7c9d1e3f5a7b9c1/logo.png', 'Gatsby'],
    ['css/style.min.0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9.css', 'Hugo pipes'],
    ['img/sunset_hu_2c7ad7ec6b3db5e2.jpg', 'Hugo image processing'],
    ['img/sunset_hu59e56ffff1bc1d8d122b1403d34e039f_90587_400x200_fill_q75_box_center.jpg', 'Hugo before 0.123'],
    ['assets/images/diagram-faq-ede9562c5e9d8d5c4571ff392b21ffb5.png', 'Docusaurus images'],
    ['workbox-9c191d2f.js', 'Workbox'],
  ])('%s carries a content hash (%s)', (key) => {
    expect(isFingerprinted(key)).toBe(true);
    expect(classify(key, typeOf(key)).fileClass).toBe('fingerprinted');
  });

  it.each([
    'logo.png',
    'v2-api.json',
    'blog/2026-11-27-post.html',
    'deadbeef.txt',
    'about-us-page1.html',
    'fonts/inter-variable.woff2',
    'downloads/report-2025.pdf',
    'js/jquery-3.7.1.min.js',
    'icons/logo-LinkedIn.svg',
    'img/banner-HomePage.png',
    'photos/holiday-IMG_1234.jpg',
    'docs/my-long-document-title.pdf',
    'data/export.2026-11-27.json',
    'greeting-Hello-World.png',
    'vendor/react.production.min.js',
  ])('%s is an ordinary name', (key) => {
    expect(isFingerprinted(key)).toBe(false);
    expect(classify(key, typeOf(key)).fileClass).toBe(key.endsWith('.html') ? 'entry-point' : 'other');
  });

  it('never takes an ordinary name for a hash because the rest of the build is hashed', () => {
    const vite = readFixture('vite').map((file) => file.key);
    const classifyKey = inBuild([
      ...vite,
      'deadbeef.txt',
      'assets/holiday-IMG_1234.jpg',
      'assets/inter-variable.woff2',
    ]);
    expect(classifyKey('deadbeef.txt').fileClass).toBe('other');
    expect(classifyKey('assets/inter-variable.woff2').fileClass).toBe('other');
    // The same shape as Vite's hashes, in Vite's folder: it counts (a name that looks like a hash in a folder
    // of hashes is one); 'auto:' and glob rules are there for the exception.
    expect(classifyKey('assets/holiday-IMG_1234.jpg').fileClass).toBe('fingerprinted');
  });

  it('learns nothing from a lone weak hash, a folder of camera files or a folder where weak ones outnumber strong ones', () => {
    const fixed = () => false;
    expect(learnHashShapes(['deadbeef.txt', '12345678.txt'], fixed)).toEqual([]);
    expect(learnHashShapes(['photos/IMG_1234.jpg', 'photos/IMG_1235.jpg', 'photos/DSC01234.jpg'], fixed)).toEqual([]);
    const mixed = ['a/x-12345678.js', 'a/y-23456789.js', 'a/z-1a2b3c4d.js'];
    expect(learnHashShapes(mixed, fixed)).toEqual([]);
    expect(inBuild(mixed)('a/x-12345678.js').fileClass).toBe('other');
    const hashed = ['a/x-12345678.js', 'a/y-9f8e7d6c.js', 'a/z-1a2b3c4d.js'];
    expect(learnHashShapes(hashed, fixed)).toHaveLength(1);
    expect(inBuild(hashed)('a/x-12345678.js')).toEqual({
      fileClass: 'fingerprinted',
      why: "'12345678' has the shape of the content hashes beside it in a/",
    });
    // Another folder, another place in the name or another length: not the same shape.
    expect(inBuild(hashed)('b/x-12345678.js').fileClass).toBe('other');
    expect(inBuild(hashed)('a/x.12345678.js').fileClass).toBe('other');
  });

  it('says why', () => {
    expect(classify('logo.png', typeOf('logo.png'))).toEqual({
      fileClass: 'other',
      why: 'no content hash in the name',
    });
    expect(fingerprintOf('assets/index-wktXvZw9.js')).toBe("content hash 'wktXvZw9' at the end of the name");
    expect(fingerprintOf('main.3f2a9b1c.js')).toBe("content hash '3f2a9b1c' between dots");
    expect(fingerprintOf('_astro/x.js')).toBe('in _astro/ (Astro), content-addressed');
  });
});

describe('entry points and service workers', () => {
  it.each([
    ['index.html', 'page (text/html)'],
    ['blog/post.xhtml', 'page (application/xhtml+xml)'],
    ['sitemap.xml', 'sitemap'],
    ['sitemap-0.xml', 'sitemap'],
    ['feed.xml', 'feed'],
    ['posts/index.xml', 'feed'],
    ['blog/feed.json', 'feed'],
    ['site.webmanifest', 'web manifest'],
    ['manifest.json', 'web manifest'],
    ['robots.txt', 'robots.txt'],
    ['page-data/index/page-data.json', 'page data (Gatsby)'],
    ['_app/version.json', 'build data (SvelteKit)'],
    // A page keeps its URL whatever its name looks like: never fingerprinted.
    ['notes/Meeting-Notes-3f2a9b1c4d5e6f708192a3b4c5d6e7f8.html', 'page (text/html)'],
  ])('%s is an entry point: %s', (key, why) => {
    expect(isEntryPoint(key, typeOf(key))).toBe(true);
    expect(classify(key, typeOf(key))).toEqual({ fileClass: 'entry-point', why });
  });

  it.each([
    'sw.js',
    'service-worker.js',
    'serviceworker.js',
    'firebase-messaging-sw.js',
    'ngsw-worker.js',
    'ngsw.json',
    'app/sw.mjs',
  ])('%s is a service worker', (key) => expect(classify(key, typeOf(key)).fileClass).toBe('service-worker'));

  it.each(['app.js', 'style.css', 'data.json', 'img/logo.svg', 'registerSW.js', 'swiper.js', 'assets/sw-icons.png'])(
    '%s is neither',
    (key) => {
      expect(isEntryPoint(key, typeOf(key))).toBe(false);
      expect(classify(key, typeOf(key)).fileClass).toBe('other');
    },
  );
});
