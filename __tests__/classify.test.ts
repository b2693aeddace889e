import { isEntryPoint, isFingerprinted } from '../src/classify.js';
import { contentTypeFor } from '../src/headers.js';

describe('isFingerprinted', () => {
  it.each([
    'assets/index-wktXvZw9.js', // Vite / Rollup
    'assets/chunk-B_x3-9aZ.js', // Rollup's base64url hash with a dash inside
    'static/js/main.3f2a9b1c.js', // webpack / create-react-app
    'main.3f9a8b7c6d5e4f3a.js', // Angular
    '_astro/index.DlS8P1bw.css', // Astro
    '_next/static/chunks/pages/index.js', // Next.js: the folder is content-addressed
    '_app/immutable/entry/start.js', // SvelteKit
    'css/style.min.0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9.css', // Hugo pipes
  ])('%s carries a content hash', (key) => {
    expect(isFingerprinted(key)).toBe(true);
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
  ])('%s is an ordinary name', (key) => {
    expect(isFingerprinted(key)).toBe(false);
  });
});

describe('isEntryPoint', () => {
  it.each([
    'index.html',
    'blog/post.xhtml',
    'sitemap.xml',
    'sitemap-0.xml',
    'feed.xml',
    'site.webmanifest',
    'robots.txt',
  ])('%s is an entry point', (key) => expect(isEntryPoint(key, contentTypeFor(key))).toBe(true));
  it.each(['app.js', 'style.css', 'data.json', 'img/logo.svg'])('%s is an asset', (key) =>
    expect(isEntryPoint(key, contentTypeFor(key))).toBe(false),
  );
});
