/**
 * Pure: what kind of file a key is, for every place that needs to know: the upload order (entry points, then
 * service workers, last), cache headers (`cache-control: auto`), grace-period deletes (pages go at once,
 * assets are kept), invalidation (a fingerprinted file never needs one; wildcards avoid folders of them) and
 * the broken-build guard (fingerprinted names are expected to change). Each answer says why.
 */
import { createHash } from 'node:crypto';

export type FileClass = 'fingerprinted' | 'entry-point' | 'service-worker' | 'other';
export const FILE_CLASSES: readonly FileClass[] = ['fingerprinted', 'entry-point', 'service-worker', 'other'];

export interface Classification {
  fileClass: FileClass;
  /** Why, in a few words, for logs: "content hash 'DlS8P1bw' in the name". */
  why: string;
}

/** A classifier for one deploy: every place asks the same one. */
export type Classify = (key: string) => Classification;

/**
 * Bumped whenever the same key, content type and hash shapes may fall in another class. Objects whose headers
 * `cache-control: auto` derived under another version are then read back (HEAD) once, as after a changed
 * default; see headers.ts. 1: the first version; 2: Nuxt folders, UUIDs and words with numbers.
 */
export const CLASSIFIER_VERSION = 2;

const ENTRY_POINT_TYPES = /^(text\/html|application\/xhtml\+xml)/;
/** Name patterns of entry points, each with what it is. */
const ENTRY_POINT_NAMES: ReadonlyArray<[RegExp, string]> = [
  [/(^|\/)sitemap[^/]*\.xml$/, 'sitemap'],
  // Hugo writes a feed as index.xml in every section; Docusaurus a JSON feed.
  [/(^|\/)(feed|rss|atom|index)\.xml$|(^|\/)feed\.json$/, 'feed'],
  [/(^|\/)([^/]*\.webmanifest|manifest\.json)$/, 'web manifest'],
  [/(^|\/)robots\.txt$/, 'robots.txt'],
  // Data fetched by a fixed URL that must match the pages of the same build.
  [/(^|\/)page-data\/.*\.json$|(^|\/)app-data\.json$/, 'page data (Gatsby)'],
  [/(^|\/)_app\/version\.json$|(^|\/)__data\.json$/, 'build data (SvelteKit)'],
  [/(^|\/)_nuxt\/builds\/latest\.json$/, 'build data (Nuxt)'],
];
/** Service workers and what they load by a fixed name (Angular's manifest). */
const SERVICE_WORKER_NAMES =
  /(^|\/)(sw|service-?worker|[^/]*-sw|ngsw-worker|safety-worker|worker-basic\.min)\.m?js$|(^|\/)ngsw\.json$/;

/**
 * Entry points are what a visitor or crawler requests first by a fixed URL and what links to everything
 * else: pages, feeds, sitemaps, web manifests, robots.txt, and the data files a framework fetches by a fixed
 * URL to match its pages.
 */
export function isEntryPoint(key: string, contentType: string): boolean {
  return entryPointKind(key, contentType) !== undefined;
}

function entryPointKind(key: string, contentType: string): string | undefined {
  if (ENTRY_POINT_TYPES.test(contentType)) {
    let page = pageKinds.get(contentType);
    if (page === undefined) pageKinds.set(contentType, (page = `page (${contentType.split(';')[0]})`));
    return page;
  }
  return ENTRY_POINT_NAMES.find(([pattern]) => pattern.test(key))?.[1];
}
/** One 'page (text/html)' for every page, not one each (20,000 pages held 1.9 MB of them). */
const pageKinds = new Map<string, string>();

/** Folders whose every file is content-addressed by the framework that writes them. */
const FINGERPRINTED_FOLDERS: ReadonlyArray<[RegExp, string]> = [
  [/(^|\/)_next\/static\//, '_next/static/ (Next.js)'],
  [/(^|\/)_app\/immutable\//, '_app/immutable/ (SvelteKit)'],
  [/(^|\/)_astro\//, '_astro/ (Astro)'],
  [/(^|\/)static\/[0-9a-f]{32}\//, 'static/<hash>/ (Gatsby)'],
  // Nuxt names its chunks by their hash alone ('_nuxt/BnKvEcyq.js'); its fixed-name files are entry points.
  [/(^|\/)_nuxt\//, '_nuxt/ (Nuxt)'],
];
/** A UUID names an upload, not its bytes: a new version may come under the same name. */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
/** Hugo's processed images: 'name_hu_<hex>.jpg' (0.123 and later), 'name_hu<md5>_<size>_<options>.jpg' before. */
const HUGO_IMAGE = /_hu_[0-9a-f]{1,16}$|_hu[0-9a-f]{32}_/;

/** Where a hash candidate sits in a file name. */
type Place = 'part' | 'suffix' | 'stem';
const PLACE_WORDS: Record<Place, string> = {
  part: 'between dots',
  suffix: 'at the end of the name',
  stem: 'as the name',
};

interface Candidate {
  place: Place;
  token: string;
  strong: boolean;
}

/** Lower-case words, maybe joined ('variable', 'document-title'): never a hash. */
const WORDS = /^[a-z]+(?:[-_][a-z]+)*$/;
/**
 * Whether a mixed-case token with digits reads as words and numbers ('JaneSmith1990', 'Spring2024Sale',
 * 'COVID19Cases', 'McDonald3', 'Q3Results', 'GalaxyS24', 'VitaminC'): between the digits, words ('Jane',
 * 'smith', 'Donald'), acronyms ('COVID') and a letter ending its run ('Q', 'S', 'C'), with at most one piece
 * shorter than 3 letters ('Mc', 'Q'). Random letters rarely do: 'wktXvZw9' splits into 'wkt', 'Xv', 'Zw';
 * 'DlS8P1bw' into 'Dl', 'S', 'P', 'bw'.
 */
function readsAsWords(token: string): boolean {
  const runs = token.split(/[0-9]+|[-_]/).filter((run) => run !== '');
  const pieces = runs.flatMap((run) => {
    const found = run.match(/[A-Z]{2,}(?=[A-Z][a-z]|$)|[A-Z]?[a-z]+|[A-Z]+/g) ?? [];
    return found.map((piece, index) => ({ piece, first: index === 0, last: index === found.length - 1 }));
  });
  if (pieces.length === 0) return false;
  const acronym = (piece: string) => /^[A-Z]{2,5}$/.test(piece);
  interface Piece {
    piece: string;
    first: boolean;
    last: boolean;
  }
  // A word is capitalised, or lower-case at the start of its run only ('iPhone', not 'NNlbKQWI'); a lone
  // capital only ends a run ('GalaxyS', 'Q' before '3').
  const word = ({ piece, first, last }: Piece) => {
    if (acronym(piece)) return true;
    // A word of 3 letters or more has a vowel ('Rhythm' a 'y'): 'Mmtph' in Vite's 'CHMmtphN' has none.
    if (piece.length >= 3 && !/[aeiouy]/i.test(piece)) return false;
    return /^[A-Z][a-z]+$/.test(piece) || (first && /^[a-z]+$/.test(piece)) || (last && /^[A-Z]$/.test(piece));
  };
  const short = pieces.filter(({ piece }) => !acronym(piece) && piece.length < 3).length;
  return pieces.every(word) && short <= 1;
}

/**
 * How much a token looks like a content hash. 'strong': it does on its own, as the hashes of webpack, Parcel,
 * Angular and Hugo (hex with digits and letters), Vite, Rollup and Astro (base64url, mixed case with a digit,
 * '-', '_', or no CamelCase reading) and esbuild (8 base32 characters with a digit) nearly always do.
 * 'weak': it could be one (a hex hash of digits only, a base64url hash of letters only, an esbuild hash
 * without a digit, 5 to 20% of them), so it counts only beside strong ones of the same shape (learnHashShapes).
 * Undefined: an ordinary word, date or version.
 */
function strength(token: string, place: Place): 'strong' | 'weak' | undefined {
  const length = token.length;
  if (/^[0-9a-f]+$/.test(token)) {
    if (length < 8 || length > 64 || !/[0-9]/.test(token)) return undefined; // 'deadbeef', 'cafe'
    if (!/[a-f]/.test(token)) return length <= 16 ? 'weak' : undefined; // digits only: a date, a counter, or a hash
    return place === 'stem' && length < 16 ? 'weak' : 'strong';
  }
  if (length < 8 || length > 16 || !/^[A-Za-z0-9_-]+$/.test(token) || WORDS.test(token)) return undefined;
  if (place === 'stem') return 'weak';
  // esbuild's base32; a word and a year ('SUMMER24') fits it too: weak, as base32 spreads its digits.
  if (length === 8 && /^[A-Z2-7]+$/.test(token) && /[2-7]/.test(token)) {
    return /^[A-Z]+[0-9]+$/.test(token) ? 'weak' : 'strong';
  }
  const mixedCase = /[A-Z]/.test(token) && /[a-z]/.test(token);
  // Words and numbers ('BlackFriday2024') can be a hash by chance, and only then: weak, so only hashes of
  // the same shape beside it make it one.
  if (readsAsWords(token)) return 'weak';
  return mixedCase ? 'strong' : 'weak';
}

/** The name's hash candidates, at most one per place: the strongest, then the shortest. */
function candidates(name: string): Candidate[] {
  const parts = name.split('.');
  const stem = parts[0] ?? '';
  const found: Candidate[] = [];
  const pick = (place: Place, tokens: string[]) => {
    const rated = tokens.flatMap((token) => {
      const rating = strength(token, place);
      return rating ? [{ place, token, strong: rating === 'strong' }] : [];
    });
    const best = rated.find((c) => c.strong) ?? rated[0];
    if (best) found.push(best);
  };
  // 'main.3f2a9b1c.js', 'index.DlS8P1bw.css', 'style.min.<sha256>.css'
  pick('part', parts.slice(1, -1));
  // 'index-wktXvZw9.js', 'chunk-B_x3-9aZ.js' (a '-' inside), 'sunset_hu_2c7ad7ec6b3db5e2.jpg'
  const suffixes: string[] = [];
  for (let index = stem.length - 1; index > 0; index--) {
    if (stem[index] === '-' || stem[index] === '_') suffixes.push(stem.slice(index + 1));
  }
  pick('suffix', suffixes);
  // '3f2a9b1c4d5e6f70.js'
  if (parts.length > 1) pick('stem', [stem]);
  return found;
}

function splitKey(key: string): { directory: string; name: string } {
  const slash = key.lastIndexOf('/');
  return { directory: key.slice(0, slash + 1), name: key.slice(slash + 1) };
}

/**
 * A hash shape: a folder (as a digest: the deploy state is public and names no folder), where the hash sits
 * in the name, and its length. Vite's 'assets/index-BnKvEcyq.js' has the shape (assets/, suffix, 8).
 */
function shapeOf(directory: string, candidate: Candidate): string {
  let folder = folderDigests.get(directory);
  if (folder === undefined) {
    folder = createHash('sha256').update(directory).digest('base64url').slice(0, 12);
    folderDigests.set(directory, folder);
  }
  return `${folder} ${candidate.place} ${candidate.token.length}`;
}
const folderDigests = new Map<string, string>();

/**
 * The hash shapes of a build: in one folder, at one place in the name, of one length, where names with a
 * strong hash are at least as many as names with only a weak one (and there is at least one of each). A
 * weak hash of such a shape is a hash: in Vite's assets/, 'Settings-DEadGyQe.css' beside
 * 'Home-D6PzDFXk.js'. A lone 'deadbeef.txt', or a folder of camera files ('IMG_1234.jpg'), learns nothing.
 * `isFixedName` leaves out entry points and service workers, whose names are never hashes.
 */
export function learnHashShapes(keys: Iterable<string>, isFixedName: (key: string) => boolean): string[] {
  const counts = new Map<string, { strong: number; weak: number }>();
  for (const key of keys) {
    if (isFixedName(key)) continue;
    const { directory, name } = splitKey(key);
    for (const candidate of candidates(name)) {
      const shape = shapeOf(directory, candidate);
      const count = counts.get(shape) ?? { strong: 0, weak: 0 };
      count[candidate.strong ? 'strong' : 'weak']++;
      counts.set(shape, count);
    }
  }
  return [...counts]
    .filter(([, count]) => count.weak > 0 && count.strong >= count.weak)
    .map(([shape]) => shape)
    .sort();
}

const NO_SHAPES: ReadonlySet<string> = new Set();

/** Why the name is fingerprinted, or undefined when it is not (see strength and learnHashShapes). */
export function fingerprintOf(key: string, shapes: ReadonlySet<string> = NO_SHAPES): string | undefined {
  const folder = FINGERPRINTED_FOLDERS.find(([pattern]) => pattern.test(key));
  if (folder) return `in ${folder[1]}, content-addressed`;
  const { directory, name } = splitKey(key);
  const stem = name.split('.')[0] ?? '';
  if (HUGO_IMAGE.test(stem)) return 'Hugo-processed image';
  if (UUID.test(name)) return undefined;
  const found = candidates(name);
  const strong = found.find((candidate) => candidate.strong);
  if (strong) return `content hash '${strong.token}' ${PLACE_WORDS[strong.place]}`;
  const shaped = shapes.size > 0 ? found.find((candidate) => shapes.has(shapeOf(directory, candidate))) : undefined;
  if (shaped) return `'${shaped.token}' has the shape of the content hashes beside it in ${directory || 'the root'}`;
  return undefined;
}

/**
 * Whether the name carries a content hash, so a new version always gets a new name. Conservative: an
 * ordinary name ('logo.png', 'v2-api.json', '2026-11-27-post.html', 'deadbeef.txt') is not fingerprinted.
 */
export function isFingerprinted(key: string, shapes: ReadonlySet<string> = NO_SHAPES): boolean {
  return fingerprintOf(key, shapes) !== undefined;
}

/**
 * The one classification. Service workers first (a fixed URL whatever they are named like), then entry
 * points (a page is never fingerprinted, even with an id in its name: its bytes change under that name),
 * then fingerprinted files, then the rest.
 */
export function classify(key: string, contentType: string, shapes: ReadonlySet<string> = NO_SHAPES): Classification {
  if (SERVICE_WORKER_NAMES.test(key)) {
    return { fileClass: 'service-worker', why: key.endsWith('.json') ? 'service worker manifest' : 'service worker' };
  }
  const entryPoint = entryPointKind(key, contentType);
  if (entryPoint) return { fileClass: 'entry-point', why: entryPoint };
  const fingerprint = fingerprintOf(key, shapes);
  if (fingerprint) return { fileClass: 'fingerprinted', why: fingerprint };
  return { fileClass: 'other', why: 'no content hash in the name' };
}

/** Whether a key is requested by a fixed URL as a page or a worker: its name is never a hash. */
export function isFixedName(key: string, contentType: string): boolean {
  return SERVICE_WORKER_NAMES.test(key) || isEntryPoint(key, contentType);
}

/** How many files fell in each class, in FILE_CLASSES order. */
export function countClasses(classes: Iterable<Classification>): Record<FileClass, number> {
  const counts: Record<FileClass, number> = { fingerprinted: 0, 'entry-point': 0, 'service-worker': 0, other: 0 };
  for (const { fileClass } of classes) counts[fileClass]++;
  return counts;
}
