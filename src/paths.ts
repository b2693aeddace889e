/**
 * Pure rules for CloudFront invalidation paths: what CloudFront accepts and how it must be encoded.
 * No network here.
 */

/** CloudFront's limit on paths in one invalidation request. */
export const MAX_PATHS_PER_INVALIDATION = 3000;
const MAX_PATH_LENGTH = 4000;

/** Returns what is wrong with the paths, or undefined when CloudFront will accept them. */
export function checkInvalidationPaths(paths: readonly string[]): string | undefined {
  if (paths.length > MAX_PATHS_PER_INVALIDATION) {
    return `${paths.length} paths given; CloudFront accepts at most ${MAX_PATHS_PER_INVALIDATION} in one invalidation. Use wildcards such as /assets/*.`;
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
  return Array.from(Buffer.from(char, 'utf8'), (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}
