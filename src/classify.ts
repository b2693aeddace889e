/**
 * Pure: what kind of file a key is, for every place that needs to know: the upload order (entry points
 * last), grace-period deletes (pages go at once, assets are kept), invalidation (a fingerprinted asset never
 * needs one) and the broken-build guard (fingerprinted names are expected to change).
 */

const ENTRY_POINT_TYPES = /^(text\/html|application\/xhtml\+xml)/;
const ENTRY_POINT_NAMES =
  /(^|\/)(sitemap[^/]*\.xml|feed\.xml|rss\.xml|atom\.xml|[^/]*\.webmanifest|manifest\.json|robots\.txt)$/;

/**
 * Entry points are what a visitor or crawler requests first and what links to everything else: pages,
 * feeds, sitemaps, web manifests, robots.txt.
 */
export function isEntryPoint(key: string, contentType: string): boolean {
  return ENTRY_POINT_TYPES.test(contentType) || ENTRY_POINT_NAMES.test(key);
}

/** Folders whose every file is content-addressed by the framework that writes them. */
const FINGERPRINTED_FOLDERS = /(^|\/)(_next\/static|_app\/immutable|_astro)\//;
/** A hex digest (8+ digits, at least one digit and one letter), as webpack, Parcel, Angular and Hugo write. */
const HEX_HASH = /^(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8,64}$/;
/** A base64url digest of 8 to 12 characters with digits and both cases, as Vite, Rollup and esbuild write. */
const BASE64_HASH = /^(?=.*[0-9])(?=.*[a-z])(?=.*[A-Z])[A-Za-z0-9_-]{8,12}$/;

/**
 * Whether the name carries a content hash, so a new version always gets a new name. Conservative: an
 * ordinary name ('logo.png', 'v2-api.json', '2026-11-27-post.html', 'deadbeef.txt') is not fingerprinted.
 */
export function isFingerprinted(key: string): boolean {
  if (FINGERPRINTED_FOLDERS.test(key)) return true;
  const name = key.slice(key.lastIndexOf('/') + 1);
  const parts = name.split('.');
  // 'main.3f2a9b1c.js', 'index.DlS8P1bw.css': a dot-separated part between the stem and the extension.
  if (parts.slice(1, -1).some((part) => HEX_HASH.test(part) || BASE64_HASH.test(part))) return true;
  // 'index-wktXvZw9.js', 'chunk-B_x3-9aZ.js': after the stem's first or last dash.
  const stem = parts[0] ?? '';
  const candidates = [stem.slice(stem.indexOf('-') + 1), stem.slice(stem.lastIndexOf('-') + 1)];
  return stem.includes('-') && candidates.some((part) => HEX_HASH.test(part) || BASE64_HASH.test(part));
}
