/**
 * Pure: the checks that stop a deploy before it changes anything, when what it would do is almost surely
 * not what the user wants. Each throws one ActionError naming the input that allows it.
 */
import type { Classify } from './classify.js';
import { ActionError } from './errors.js';
import { type Plan, removalsDecided } from './plan.js';

/** Below this many unhashed files a site is too small for a share to mean anything. */
export const MIN_GUARDED_SITE_FILES = 10;

/** An empty build folder with delete on would empty the prefix: a broken build, never wanted. */
export function checkEmptySource(
  fileCount: number,
  settings: { delete: boolean; source: string },
  target: string,
): string | undefined {
  if (fileCount > 0) return undefined;
  if (settings.delete) {
    throw new ActionError(
      `Input 'source': folder '${settings.source}' has no files and 'delete' is true, which would delete everything under ${target}. ` +
        `Refusing to deploy: check that the build wrote to this folder.`,
    );
  }
  return `Input 'source': folder '${settings.source}' has no files; nothing will be uploaded.`;
}

export function checkDeleteCount(plan: Plan, maxDeletes: number, target: string): void {
  const count = removalsDecided(plan);
  if (count <= maxDeletes) return;
  throw new ActionError(
    `This deploy would remove ${count} objects under ${target}, more than 'max-deletes' (${maxDeletes}). ` +
      `Nothing was changed. If that is intended, raise 'max-deletes' (or set it to -1 for no cap).`,
  );
}

/**
 * A build that went wrong often still has a file or two (an error page, a robots.txt). What gives it away:
 * most of the site's pages and other files with ordinary names are missing. Fingerprinted names are left
 * out (a dependency bump renames every chunk), and so are files already removed by an earlier deploy.
 */
export function checkBrokenBuild(
  input: {
    localKeys: ReadonlySet<string>;
    remoteKeys: Iterable<string>;
    alreadyRemoved: (key: string) => boolean;
    classify: Classify;
  },
  maxShare: number,
  target: string,
): void {
  if (maxShare >= 100) return;
  let site = 0;
  let missing = 0;
  let example: string | undefined;
  for (const key of input.remoteKeys) {
    if (input.classify(key).fileClass === 'fingerprinted' || input.alreadyRemoved(key)) continue;
    site++;
    if (!input.localKeys.has(key)) {
      missing++;
      example ??= key;
    }
  }
  if (site < MIN_GUARDED_SITE_FILES || missing * 100 <= site * maxShare) return;
  throw new ActionError(
    `This build lacks ${missing} of the ${site} pages and other files (names without a content hash) under ${target}, ` +
      `${Math.round((missing * 100) / site)}% (e.g. '${example}'), more than 'max-delete-share' (${maxShare}%). ` +
      `A build that went wrong usually looks like this, so nothing was changed. If the site really shrank, raise 'max-delete-share' (100% turns this check off).`,
  );
}

/** S3's limit on a key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

/** A name S3 would refuse fails the deploy before any write, rather than after the other uploads. */
export function checkKeyLengths(keys: Iterable<string>, prefix: string): void {
  for (const key of keys) {
    const bytes = Buffer.byteLength(prefix + key);
    if (bytes <= MAX_KEY_BYTES) continue;
    throw new ActionError(
      `'${key.slice(0, 80)}…' would be a key of ${bytes} bytes (with the prefix); S3 allows ${MAX_KEY_BYTES}. Rename it, or leave it out with 'exclude'. Nothing was changed.`,
    );
  }
}
