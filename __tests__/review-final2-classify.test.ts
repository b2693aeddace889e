/**
 * Review (review-final2): classifier v2 (hash-named folders, words with numbers) on names real sites have.
 * `cache-control: auto` gives a fingerprinted file 'public, max-age=31536000, immutable': a browser that has
 * it never asks again for a year, and no invalidation reaches a browser. A file that changes under such a
 * name is the worst outcome of a wrong class. Each test fails today.
 */
import { createHash } from 'node:crypto';
import { NO_HEADER_RULES, headersFor, parseCacheControl, rulesForBuild } from '../src/headers.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const autoRules = () => ({ ...NO_HEADER_RULES, ...parseCacheControl('auto', 'cache-control') });
/** The Cache-Control each key gets in a deploy of this build with `cache-control: auto`. */
function cacheControlOf(keys: string[]): Record<string, string | undefined> {
  const { rules } = rulesForBuild(autoRules(), keys);
  return Object.fromEntries(keys.map((key) => [key, headersFor(key, rules).cacheControl]));
}

describe('review-final2: a hash-named folder whose hash is not of the content', () => {
  // Sphinx (docs sites, Read-the-Docs-style builds served from S3) writes every `:download:` file to
  // `_downloads/<md5 of the file's SOURCE PATH>/<name>` (sphinx/util: DownloadFiles.add_file:
  // `digest = md5(filename.encode()).hexdigest()`). The folder never changes when the file's bytes do, yet
  // isHashFolder() takes any 8+ hex segment for a content hash: the example script or PDF a docs update fixes
  // stays the old one for a year in every browser that downloaded it (immutable). Same for folders named by a
  // database id (a MongoDB ObjectId: 24 hex digits). Suggested fix: do not infer "content-addressed" from a
  // folder name alone; count a hex folder only under a framework folder known to be content-addressed
  // (Gatsby's static/<hash>/ already is), or only when the build holds several sibling hash folders of the
  // same length (a learned shape), never for `_downloads/`.
  it('Sphinx download files are not immutable', () => {
    const folder = createHash('md5').update('examples/report.pdf').digest('hex');
    const download = `_downloads/${folder}/report.pdf`;
    const script = `_downloads/${createHash('md5').update('examples/plot.py').digest('hex')}/plot.py`;
    const headers = cacheControlOf([download, script, 'index.html', '_static/pygments.css']);
    expect(headers[download]).not.toBe(IMMUTABLE);
    expect(headers[script]).not.toBe(IMMUTABLE);
  });

  it('a folder named by a database id is not immutable', () => {
    const avatar = 'team/5f8d0d55b54764421b7156c9/photo.jpg';
    expect(cacheControlOf([avatar, 'index.html'])[avatar]).not.toBe(IMMUTABLE);
  });
});

describe('review-final2: words and numbers still taken for content hashes', () => {
  // readsAsWords() rejects any lone capital ('Q' in 'Q3Results', 'S' in 'GalaxyS24', 'C' in 'VitaminC'), so
  // model names, quarters and product names after a '-' are rated strong hashes on their own. These are names
  // people re-export with new bytes (the corrected Q3 report, the new product shot). Worse, one such name in
  // a folder teaches learnHashShapes its shape, and then 'hero-iPhone15.png' beside it counts as hashed too.
  // Suggested fix: a lone capital next to a digit run or at the end of a run ('Q3', 'S24', 'M3', 'X') counts
  // as a short piece (like 'Mc'), still at most one; 'DlS8P1bw' keeps failing ('Dl', 'S', 'P', 'bw').
  it.each([
    'reports/annual-Q3Results.pdf',
    'img/phone-GalaxyS24.png',
    'img/laptop-MacBookProM3.jpg',
    'img/icon-VitaminC.png',
    'img/logo-ProjectX.svg',
    'img/car-F1Racing.jpg',
  ])('%s is not immutable', (key) => {
    expect(cacheControlOf([key, 'index.html', 'img/logo.png'])[key]).not.toBe(IMMUTABLE);
  });

  // The esbuild rule (8 characters of A-Z and 2-7 with a digit) is met by every upper-case 6-letter word
  // followed by a two-digit year from 2022 to 2027: a campaign banner 'SUMMER24' is immutable for a year.
  // Suggested fix: require a letter after the first digit or a digit before the last two characters (esbuild's
  // base32 spreads digits), or rate an upper-case word plus a year weak, like 'BlackFriday2024'.
  it.each(['img/banner-SUMMER24.jpg', 'img/flyer_SPRING25.pdf', 'img/promo-WINTER26.png'])(
    '%s is not immutable',
    (key) => {
      expect(cacheControlOf([key, 'index.html', 'img/logo.png'])[key]).not.toBe(IMMUTABLE);
    },
  );

  it('an ordinary name beside such a name is not made immutable by the shape it taught', () => {
    const keys = ['img/hero-iPhone15.png', 'img/case-GalaxyS2.png', 'img/logo.png', 'index.html'];
    expect(cacheControlOf(keys)['img/hero-iPhone15.png']).not.toBe(IMMUTABLE);
  });
});
