/**
 * Pure rules for CloudFront invalidation paths: what CloudFront accepts and how it must be encoded.
 * No network here.
 */

/** CloudFront's limit on paths in one invalidation request. */
export const MAX_PATHS_PER_INVALIDATION = 3000;
/** CloudFront's limit on wildcard paths in progress per distribution, so also in one request. */
export const MAX_WILDCARD_PATHS = 15;
const isWildcard = (path: string) => path.endsWith('*');
const MAX_PATH_LENGTH = 4000;

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

/**
 * Encodes a path the way CloudFront matches cache keys: non-ASCII and RFC 1738 unsafe characters
 * percent-encoded (UTF-8), everything else left alone. An existing '%XX' escape is kept, so a path the
 * user already encoded is not encoded twice.
 */
export function encodeInvalidationPath(path: string): string {
  let encoded = '';
  for (let index = 0; index < path.length; index++) {
    const char = path[index] as string;
    const code = char.charCodeAt(0);
    if (char === '%') {
      encoded += /^[0-9A-Fa-f]{2}$/.test(path.slice(index + 1, index + 3)) ? '%' : '%25';
    } else if (code < 0x21 || code > 0x7e || UNSAFE.has(char)) {
      // A surrogate pair must be encoded as one code point.
      const codePoint = path.codePointAt(index) as number;
      const whole = String.fromCodePoint(codePoint);
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
 * Shrinks a list of exact paths to at most `max` (and at most 15 wildcards) by replacing the entries under
 * one directory with `directory/*`, narrowest directory first, until it fits; '/*' is the last resort.
 * Input must be encoded.
 */
export function collapsePaths(paths: readonly string[], max: number): string[] {
  let entries = [...new Set(paths)].sort();
  while (entries.length > max || entries.filter(isWildcard).length > MAX_WILDCARD_PATHS) {
    const directory = deepestSharedDirectory(entries);
    if (directory === undefined) return ['/*'];
    const covered = (entry: string) => entry.startsWith(directory) && entry !== `${directory}*`;
    entries = [...entries.filter((entry) => !covered(entry)), `${directory}*`].sort();
  }
  return entries;
}

/** The deepest directory ('/a/b/') that has two or more entries under it; ties go to the fuller one. */
function deepestSharedDirectory(entries: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const entry of entries) {
    // A wildcard '/a/b/*' sits in '/a/b/'; counting it there lets it merge with its siblings.
    const parts = entry.split('/');
    for (let depth = 1; depth < parts.length; depth++) {
      const directory = `${parts.slice(0, depth).join('/')}/`;
      if (`${directory}*` === entry) continue;
      counts.set(directory, (counts.get(directory) ?? 0) + 1);
    }
  }
  let best: { directory: string; depth: number; count: number } | undefined;
  for (const [directory, count] of counts) {
    if (count < 2) continue;
    const depth = directory.split('/').length;
    if (!best || depth > best.depth || (depth === best.depth && count > best.count)) best = { directory, depth, count };
  }
  return best?.directory;
}
