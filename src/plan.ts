/**
 * Pure: decides what a deploy does from what is local and what is remote. Content decides, never
 * modification times, so a fresh checkout of an unchanged site uploads nothing.
 */
import { compareEtag } from './etag.js';
import { type HeaderRules, headersFor, sameHeaders } from './headers.js';
import type { LocalFile } from './local.js';
import type { RemoteObject } from './remote.js';

export type UploadReason = 'new' | 'changed' | 'unverifiable' | 'forced';

export interface PlannedUpload {
  file: LocalFile;
  reason: UploadReason;
}

export interface Plan {
  /** Assets first, entry points (HTML, feeds, sitemaps, manifests) last: see uploadWaves. */
  uploads: PlannedUpload[];
  /** Same bytes, different headers: rewritten in place (CopyObject), not uploaded. */
  headerUpdates: LocalFile[];
  /** Keys relative to the prefix; empty unless deleting was asked for. */
  deletes: string[];
  unchanged: LocalFile[];
}

export interface PlanOptions {
  delete: boolean;
  force: boolean;
  /** The header rules the objects were last deployed with (the manifest), to spot rule changes. */
  previousRules: HeaderRules;
  /** include/exclude: a remote object the selection leaves out is not the deploy's to delete. */
  isSelected?: (key: string) => boolean;
}

export function planSync(
  local: readonly LocalFile[],
  remote: ReadonlyMap<string, RemoteObject>,
  options: PlanOptions,
): Plan {
  const uploads: PlannedUpload[] = [];
  const headerUpdates: LocalFile[] = [];
  const unchanged: LocalFile[] = [];
  for (const file of local) {
    const reason = options.force ? 'forced' : uploadReason(file, remote.get(file.key));
    if (reason) uploads.push({ file, reason });
    else if (!sameHeaders(headersFor(file.key, options.previousRules), file.headers)) headerUpdates.push(file);
    else unchanged.push(file);
  }
  const localKeys = new Set(local.map((file) => file.key));
  const selected = options.isSelected ?? (() => true);
  const deletes = options.delete ? [...remote.keys()].filter((key) => !localKeys.has(key) && selected(key)).sort() : [];
  return { uploads: orderForZeroDowntime(uploads), headerUpdates, deletes, unchanged };
}

function uploadReason(file: LocalFile, object: RemoteObject | undefined): UploadReason | undefined {
  if (!object) return 'new';
  if (object.size !== file.size) return 'changed';
  switch (compareEtag(object.etag, file)) {
    case 'same':
      return undefined;
    case 'different':
      return 'changed';
    case 'incomparable':
      return 'unverifiable';
  }
}

/**
 * Entry points are what a visitor or crawler requests first and what links to everything else: going
 * live last, they never point at an asset that is not uploaded yet.
 */
export function isEntryPoint(file: LocalFile): boolean {
  return (
    /^(text\/html|application\/xhtml\+xml)/.test(file.headers.contentType) ||
    /(^|\/)(sitemap[^/]*\.xml|feed\.xml|rss\.xml|atom\.xml|[^/]*\.webmanifest|manifest\.json|robots\.txt)$/.test(
      file.key,
    )
  );
}

function orderForZeroDowntime(uploads: PlannedUpload[]): PlannedUpload[] {
  const [assets, entryPoints] = uploadWaves(uploads);
  return [...assets, ...entryPoints];
}

/** [assets, entry points]: the second wave starts only when the first has fully succeeded. */
export function uploadWaves(uploads: readonly PlannedUpload[]): [PlannedUpload[], PlannedUpload[]] {
  const assets = uploads.filter((upload) => !isEntryPoint(upload.file));
  const entryPoints = uploads.filter((upload) => isEntryPoint(upload.file));
  return [assets, entryPoints];
}

/**
 * The keys whose cached responses are now wrong: overwritten, re-headered or deleted objects.
 * New objects were never cached (a cached 403/404 for them expires on its own error-caching TTL).
 */
export function changedKeys(plan: Plan): string[] {
  return [
    ...plan.uploads.filter((upload) => upload.reason !== 'new').map((upload) => upload.file.key),
    ...plan.headerUpdates.map((file) => file.key),
    ...plan.deletes,
  ];
}
