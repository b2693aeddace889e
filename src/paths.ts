/**
 * Pure rules for CloudFront invalidation paths: what CloudFront accepts, how a path must be spelled to
 * match what visitors request, and how many paths collapse into a few wildcards. No network here.
 */

/** CloudFront's limit on paths in one invalidation request. */
export const MAX_PATHS_PER_INVALIDATION = 3000;
/** CloudFront's limit on wildcard paths in progress per distribution, so also in one request. */
export const MAX_WILDCARD_PATHS = 15;
const MAX_PATH_LENGTH = 4000;
const isWildcard = (path: string) => path.endsWith('*');

/** Returns what is wrong with the paths, or undefined when CloudFront will accept them. */
export function checkInvalidationPaths(paths: readonly string[]): string | undefined {
  if (paths.length > MAX_PATHS_PER_INVALIDATION) {
    return `${paths.length} paths given; CloudFront accepts at most ${MAX_PATHS_PER_INVALIDATION} in one invalidation. Use wildcards such as /assets/*.`;
  }
  const wildcards = paths.filter(isWildcard).length;
  if (wildcards > MAX_WILDCARD_PATHS) {
    return `${wildcards} wildcard paths given; CloudFront allows at most ${MAX_WILDCARD_PATHS} in progress per distribution. Use a wider wildcard such as /assets/* or /*.`;
  }
  for (const path of paths) {
    if (!path.startsWith('/')) return `'${path}' must start with '/', e.g. '/${path.replace(/^\.?\/*/, '')}'.`;
    const star = path.indexOf('*');
    if (star !== -1 && star !== path.length - 1) {
      return `'${path}' has a '*' before the end; CloudFront only allows '*' as the last character (e.g. '/images/*').`;
    }
    if (encodeInvalidationPath(path).length > MAX_PATH_LENGTH) {
      return `'${path.slice(0, 60)}...' is longer than CloudFront's ${MAX_PATH_LENGTH} characters.`;
    }
  }
  return undefined;
}

// RFC 1738's unsafe characters, which CloudFront wants percent-encoded; '%' is handled apart.
const UNSAFE = new Set([' ', '"', '<', '>', '#', '{', '}', '|', '\\', '^', '~', '[', ']', '`']);
const needsEncoding = (char: string) => char < '!' || char > '~' || UNSAFE.has(char);

/**
 * Encodes a path the user wrote the way CloudFront matches cache keys: non-ASCII and RFC 1738 unsafe
 * characters percent-encoded (UTF-8), everything else left alone. An existing '%XX' escape is kept, so a
 * path the user already encoded is not encoded twice.
 */
export function encodeInvalidationPath(path: string): string {
  let encoded = '';
  for (let index = 0; index < path.length; index++) {
    const char = path[index] as string;
    if (char === '%') {
      encoded += /^[0-9A-Fa-f]{2}$/.test(path.slice(index + 1, index + 3)) ? '%' : '%25';
    } else if (needsEncoding(char)) {
      // A surrogate pair must be encoded as one code point.
      const whole = String.fromCodePoint(path.codePointAt(index) as number);
      encoded += encodeUtf8(whole);
      index += whole.length - 1;
    } else {
      encoded += char;
    }
  }
  return encoded;
}

function encodeUtf8(char: string): string {
  return Array.from(Buffer.from(char, 'utf8'), (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(
    '',
  );
}

/**
 * The URLs under which CloudFront may have cached an object: its own path and, for an index document,
 * its directory with and without the trailing slash (how a default root object or an index rewrite serves it).
 * `originPath` is the distribution origin's key prefix ('' or 'site/'); keys outside it are not served.
 */
export function urlPathsForKey(fullKey: string, originPrefix: string): string[] {
  if (!fullKey.startsWith(originPrefix)) return [];
  const urlPath = `/${fullKey.slice(originPrefix.length)}`;
  const index = /^(.*\/)index\.html$/.exec(urlPath);
  if (!index) return [urlPath];
  const directory = index[1] as string;
  return directory === '/' ? [urlPath, '/'] : [urlPath, directory, directory.slice(0, -1)];
}

/**
 * Where a name cannot be invalidated exactly, the path stops there and ends in '*': at '*' itself
 * (CloudFront reads it as a wildcard, and only at the end), and at the unsafe characters browsers send
 * raw from a link as written (WHATWG URL; `new URL('https://x/a~b').pathname` is '/a~b') while link
 * generators (encodeURI) or RFC 1738 encoders send them encoded. CloudFront refuses them raw in an
 * invalidation (InvalidArgument, "invalid invalidation paths": aws/aws-sdk#525, bep/s3deploy#46 for '~'),
 * and the encoded path misses the raw request (aws/aws-sdk#525: '%7E' left webpack's 'runtime~main.js'
 * cached), so only a wildcard covers both spellings.
 */
const CUT = new Set(['*', '~', '|', '^', '[', ']']);
const PLAIN = /^[\w./-]*$/;

/**
 * The invalidation paths for changed keys: every spelling of their URLs that a visitor's request can carry,
 * encoded, deduplicated, sorted, each one a path CloudFront accepts. Beyond CloudFront's documented form
 * (non-ASCII and RFC 1738 unsafe characters encoded), a key's '%' is always '%25' and '?' is '%3F' (a bare
 * '?' starts the query string); a name with a reserved character ('+', '@', '&', ...) or a space gets every
 * spelling a link can give it (see spellings); a name that cannot be spelled exactly is covered by the
 * narrowest wildcard (see CUT), and so is a URL longer than CloudFront's 4,000 characters. `originPrefix`
 * as for `urlPathsForKey`.
 */
export function autoInvalidationPaths(keys: readonly string[], originPrefix: string): string[] {
  const paths = new Set<string>();
  for (const key of keys) {
    for (const url of urlPathsForKey(key, originPrefix)) {
      if (PLAIN.test(url) && url.length <= MAX_PATH_LENGTH) paths.add(url);
      else for (const spelling of spellings(url)) paths.add(spelling);
    }
  }
  return [...paths].sort();
}

/**
 * Characters a link may carry raw (as written, or encodeURI) or encoded (encodeURIComponent), which CloudFront
 * keeps apart as two cache keys.
 */
const RESERVED = new Set(['@', '$', '&', ',', ';', '=', ':', '+']);

/**
 * The spellings of one URL a request can carry: as written (RFC 1738 unsafe characters encoded, the
 * reserved ones raw); with the reserved ones encoded, as encodeURIComponent writes them (so a '+' is '%2B');
 * and, for a name with a space, as a form encodes it: '+' for the space (S3 reads a raw '+' as a space),
 * '%2B' for a '+'.
 */
function spellings(url: string): string[] {
  const chars: string[] = [];
  let cut = false;
  for (const char of url) {
    if (CUT.has(char)) {
      cut = true;
      break;
    }
    chars.push(char);
  }
  const spell = (encode: (char: string) => string | undefined) =>
    fit(
      chars.map(
        (char) => encode(char) ?? (char === '%' || char === '?' || needsEncoding(char) ? encodeUtf8(char) : char),
      ),
      cut,
    );
  const variants = new Set([spell(() => undefined)]);
  if (chars.some((char) => RESERVED.has(char)))
    variants.add(spell((char) => (RESERVED.has(char) ? encodeUtf8(char) : undefined)));
  if (chars.includes(' ')) variants.add(spell((char) => (char === ' ' ? '+' : char === '+' ? '%2B' : undefined)));
  return [...variants];
}

/** Joins encoded characters into a path CloudFront accepts: too long, the longest prefix that fits + '*'. */
function fit(tokens: readonly string[], cut: boolean): string {
  const whole = tokens.join('');
  if (!cut && whole.length <= MAX_PATH_LENGTH) return whole;
  if (whole.length < MAX_PATH_LENGTH) return `${whole}*`;
  let prefix = '';
  for (const token of tokens) {
    if (prefix.length + token.length >= MAX_PATH_LENGTH) break;
    prefix += token;
  }
  return `${prefix}*`;
}

/**
 * The same paths with only the plainest characters: each path with anything but letters, digits, '.', '_',
 * '-', '/', a %-escape or a final '*' is cut before it and ends in '*'. For a retry after CloudFront refused
 * a path it documents as valid: wider, never missing a URL.
 */
export function plainestPaths(paths: readonly string[]): string[] {
  return [
    ...new Set(
      paths.map((path) => {
        const unusual = /[^\w./%*-]|%(?![0-9A-F]{2})/.exec(path);
        return unusual ? `${path.slice(0, unusual.index)}*` : path;
      }),
    ),
  ].sort();
}

/** A directory of the paths being collapsed ('/a/b/'), with what lies under it. */
interface Directory {
  path: string;
  parent: Directory | undefined;
  children: Map<string, Directory>;
  /** Paths directly in it, other than its own wildcard. */
  files: Set<string>;
  /** Paths anywhere under it, other than its own wildcard. */
  entries: number;
  /** How many of those end in '*'. */
  wildcards: number;
  /** Whether `${path}*` is one of the paths (given, or from collapsing it). */
  collapsed: boolean;
  /**
   * Collapsed together with its bare URL ('/docs' beside '/docs/...'): one '/docs*' covers both, where
   * '/docs/*' and '/docs' would be two paths.
   */
  folded: boolean;
}

/**
 * Shrinks encoded paths to at most `max` (and at most 15 wildcards, CloudFront's limit in progress).
 * While there are too many paths, the deepest directory with two or more paths under it (ties: the one
 * with more; then the first in sorted order) becomes `directory/*`. If the paths then fit but wildcards are
 * too many, the same is done counting wildcards only, so exact paths are not widened for nothing. '/*' is
 * the last resort. Paths already under a wildcard of the list are dropped first. Each directory is
 * merged at most once, level by level from the deepest, since a merge only lowers the counts above it:
 * about O(n log n) where merging one directory at a time and recounting was quadratic.
 * `spare` (encoded paths, e.g. of fingerprinted files, whose edge copies never go stale) makes every
 * directory that holds none of them go first, at any depth: a wildcard over them would only send every
 * edge back to S3 for files that did not change.
 */
export function collapsePaths(paths: readonly string[], max: number, spare: readonly string[] = []): string[] {
  const { root, levels } = directoryTree(dropCovered([...new Set(paths)].sort()));
  const total = (count: 'entries' | 'wildcards') => root[count] + (root.collapsed ? 1 : 0);
  const crowded = directoriesOf(spare);
  const clean = (directory: Directory) => !crowded.has(directory.path);
  const fits = { entries: () => total('entries') <= max, wildcards: () => total('wildcards') <= MAX_WILDCARD_PATHS };
  for (const count of ['entries', 'wildcards'] as const) {
    if (crowded.size > 0) mergeDeepestFirst(levels, count, fits[count], clean);
    mergeDeepestFirst(levels, count, fits[count]);
  }
  if (total('entries') > max) return ['/*'];
  const collapsed = listPaths(root).sort();
  // Valid by construction; the check keeps a path CloudFront would refuse from ever reaching it.
  return checkInvalidationPaths(collapsed) === undefined ? collapsed : ['/*'];
}

/** Every directory ('/a/', '/a/b/') that holds one of the paths, at any depth. */
function directoriesOf(paths: readonly string[]): Set<string> {
  const directories = new Set<string>();
  for (const path of paths) {
    for (let slash = path.lastIndexOf('/'); slash >= 0; slash = path.lastIndexOf('/', slash - 1)) {
      const directory = path.slice(0, slash + 1);
      if (directories.has(directory)) break;
      directories.add(directory);
      if (slash === 0) break;
    }
  }
  return directories;
}

/** Sorted paths without those a wildcard of the list covers (a prefix match, as CloudFront does). */
function dropCovered(sorted: readonly string[]): string[] {
  const covered = new Set<number>();
  const prefixes = sorted.filter(isWildcard).map((wildcard) => wildcard.slice(0, -1));
  // Shortest first: a wildcard covered by a shorter one covers nothing more.
  for (const prefix of prefixes.sort((a, b) => a.length - b.length)) {
    const wildcard = `${prefix}*`;
    if (covered.has(lowerBound(sorted, wildcard))) continue;
    for (let index = lowerBound(sorted, prefix); sorted[index]?.startsWith(prefix); index++) {
      if (sorted[index] !== wildcard) covered.add(index);
    }
  }
  return covered.size === 0 ? [...sorted] : sorted.filter((_, index) => !covered.has(index));
}

function lowerBound(sorted: readonly string[], value: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as string) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The directories of the paths, by depth (levels[0] is the root), each counting what lies under it. */
function directoryTree(paths: readonly string[]): { root: Directory; levels: Directory[][] } {
  const directory = (path: string, parent: Directory | undefined): Directory => ({
    path,
    parent,
    children: new Map(),
    files: new Set(),
    entries: 0,
    wildcards: 0,
    collapsed: false,
    folded: false,
  });
  const root = directory('/', undefined);
  const levels: Directory[][] = [[root]];
  for (const path of paths) {
    let parent = root;
    let depth = 0;
    for (let slash = path.indexOf('/', 1); slash !== -1; slash = path.indexOf('/', slash + 1)) {
      depth++;
      const name = path.slice(parent.path.length, slash + 1);
      let child = parent.children.get(name);
      if (!child) {
        child = directory(path.slice(0, slash + 1), parent);
        parent.children.set(name, child);
        (levels[depth] ??= []).push(child);
      }
      parent = child;
    }
    // A directory's own wildcard counts in the directories above it, not in its own.
    let counted: Directory | undefined = parent;
    if (path === `${parent.path}*`) {
      parent.collapsed = true;
      counted = parent.parent;
    } else {
      parent.files.add(path);
    }
    for (; counted; counted = counted.parent) {
      counted.entries++;
      if (isWildcard(path)) counted.wildcards++;
    }
  }
  return { root, levels };
}

/**
 * Replaces directories by their wildcard, deepest level first, the fullest (by `count`) first within a
 * level, until `done`. Only directories with two or more paths (or wildcards) under them qualify, and that
 * `allowed` allows.
 */
function mergeDeepestFirst(
  levels: readonly Directory[][],
  count: 'entries' | 'wildcards',
  done: () => boolean,
  allowed: (directory: Directory) => boolean = () => true,
): void {
  for (let depth = levels.length - 1; depth >= 0; depth--) {
    if (done()) return;
    const candidates = (levels[depth] ?? [])
      .filter((directory) => directory[count] >= 2 && allowed(directory))
      .sort((a, b) => b[count] - a[count] || (a.path < b.path ? -1 : 1));
    for (const directory of candidates) {
      if (done()) return;
      collapse(directory);
    }
  }
}

function collapse(directory: Directory): void {
  // Everything under it becomes one wildcard: the counts above drop by what it held, less that one.
  let entries = directory.entries + (directory.collapsed ? 1 : 0) - 1;
  const wildcards = directory.wildcards + (directory.collapsed ? 1 : 0) - 1;
  const bare = directory.path.slice(0, -1);
  const folded = directory.parent?.files.delete(bare) ?? false;
  if (folded) entries++;
  Object.assign(directory, { entries: 0, wildcards: 0, collapsed: true, folded });
  for (let above = directory.parent; above; above = above.parent) {
    above.entries -= entries;
    above.wildcards -= wildcards;
  }
}

function listPaths(directory: Directory, paths: string[] = []): string[] {
  if (directory.collapsed) {
    paths.push(directory.folded ? `${directory.path.slice(0, -1)}*` : `${directory.path}*`);
    return paths;
  }
  for (const file of directory.files) paths.push(file);
  for (const child of directory.children.values()) listPaths(child, paths);
  return paths;
}
