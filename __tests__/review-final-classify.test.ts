/**
 * Review (review-final): `cache-control: auto`'s classifier on names outside the generator fixtures, and the
 * broken-build guard that uses the same classifier with or without `auto`. Each test fails today and shows
 * one problem; the comment above it says what a visitor or a user sees.
 */
import { createHash } from 'node:crypto';
import { checkBrokenBuild } from '../src/guards.js';
import { NO_HEADER_RULES, headersFor, parseCacheControl, rulesForBuild } from '../src/headers.js';

const autoRules = () => ({ ...NO_HEADER_RULES, ...parseCacheControl('auto', 'cache-control') });
/** Every key's class, as one deploy of this build sees it. */
const classesIn = (keys: string[]) => {
  const { classify } = rulesForBuild(autoRules(), keys);
  return Object.fromEntries(keys.map((key) => [key, classify(key).fileClass]));
};
/** An 8-character base64url hash, as Vite/Rollup write them. */
const viteHash = (seed: string) => createHash('sha256').update(seed).digest('base64url').slice(0, 8);

describe('review-final: ordinary names taken for content hashes (a year of immutable caching)', () => {
  // README: "Fingerprints are never guessed from ordinary names." A mixed-case word with a digit after a '-' or
  // '_' is rated a strong hash on its own (strength(): mixedCase && digit), so these get
  // 'public, max-age=31536000, immutable'. They are names people re-upload with new bytes (a new banner, an
  // updated avatar): the edge is invalidated, but every browser that saw the old one keeps it for a year and
  // never asks again. Suggested fix: split a token at digit runs and treat it as words when every letter run
  // reads as CamelCase words ('JaneSmith' + '1990', 'Spring' + '2024' + 'Sale'); Vite hashes ('DlS8P1bw')
  // do not read that way.
  it.each([
    'avatars/user-JaneSmith1990.png',
    'img/hero-Spring2024Sale.jpg',
    'img/banner_BlackFriday2024.webp',
    'img/chart-COVID19Cases.png',
    'img/team_McDonald3.jpg',
    'img/product-iPhone15Pro.jpg',
  ])('%s is not fingerprinted', (key) => {
    const classes = classesIn([key, 'index.html', 'img/logo.png']);
    expect(classes[key]).toBe('other');
    expect(headersFor(key, rulesForBuild(autoRules(), [key]).rules).cacheControl).toBe('public, max-age=300');
  });

  // A UUID is an id, not a digest of the bytes: CMS and upload folders name files by UUID and replace them
  // in place. Its last group (12 hex digits with letters) is rated a strong hash, and one such file makes the
  // digits-only last group of the next UUID in the folder count too (a learned shape).
  it('UUID-named uploads are not fingerprinted', () => {
    const keys = [
      'uploads/3f2b1c4d-9a8e-4b7c-8d6e-1f2a3b4c5d6e.jpg',
      'uploads/550e8400-e29b-41d4-a716-446655440000.png',
    ];
    const classes = classesIn([...keys, 'index.html']);
    expect(classes).toEqual({
      [keys[0] as string]: 'other',
      [keys[1] as string]: 'other',
      'index.html': 'entry-point',
    });
  });
});

describe('review-final: hashed names the classifier misses', () => {
  // Nuxt 3/4 write every client chunk as '_nuxt/[hash].js' (packages/vite/src/client.ts: fileNames =
  // join(buildAssetsDir, '[hash].js')). A hash that is the whole name is only ever 'weak' for base64url, and
  // weak names learn a shape only beside strong ones: a Nuxt build has none, so every chunk is 'other'
  // (5 minutes instead of a year: every edge refetches every chunk every 5 minutes). The classifier already
  // knows Nuxt (_nuxt/builds/latest.json is an entry point), just not its folder.
  it("Nuxt's _nuxt/<hash>.js chunks are fingerprinted", () => {
    const chunks = Array.from({ length: 30 }, (_, i) => `_nuxt/${viteHash(`nuxt-${i}`)}.js`);
    const classes = classesIn([...chunks, '_nuxt/entry.CJH8rEcX.css', 'index.html', '_nuxt/builds/latest.json']);
    const missed = chunks.filter((key) => classes[key] !== 'fingerprinted');
    expect(missed).toEqual([]);
  });

  // README's class table: "a content hash in the name or folder". Only four named folders count; webpack's
  // 'output.filename: "[contenthash:8]/[name].js"' (or any hash folder) does not.
  it('a content hash in a folder name counts, as the README says', () => {
    const keys = ['assets/3f2a9b1c/app.js', 'assets/3f2a9b1c/vendor.js', 'assets/8d1e5f3a/app.css'];
    const classes = classesIn([...keys, 'index.html']);
    expect(keys.map((key) => classes[key])).toEqual(['fingerprinted', 'fingerprinted', 'fingerprinted']);
  });
});

describe('review-final: the broken-build guard refuses an ordinary Nuxt upgrade (delete: true)', () => {
  // README: "a dependency bump that renames every hashed chunk passes". Not for Nuxt: its chunks are 'other'
  // (above), so a build where every chunk was renamed (a Vue or Nuxt upgrade, any change to a shared module)
  // "lacks" 40 of the 52 "pages and other files" and the deploy is refused with "This build lacks ..." until the
  // user raises max-delete-share. This happens without `cache-control: auto`: the guard always classifies.
  it('passes a rebuild that renamed every _nuxt chunk', () => {
    const pages = Array.from({ length: 12 }, (_, i) => `blog/post-${i}/index.html`);
    const before = Array.from({ length: 40 }, (_, i) => `_nuxt/${viteHash(`old-${i}`)}.js`);
    const after = Array.from({ length: 40 }, (_, i) => `_nuxt/${viteHash(`new-${i}`)}.js`);
    const build = [...pages, ...after];
    const { classify } = rulesForBuild(NO_HEADER_RULES, build);
    expect(() =>
      checkBrokenBuild(
        { localKeys: new Set(build), remoteKeys: [...pages, ...before], alreadyRemoved: () => false, classify },
        50,
        's3://my-site-bucket/',
      ),
    ).not.toThrow();
  });
});
