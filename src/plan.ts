/**
 * Pure: decides what a deploy does from what is local and what is remote. Content decides, never
 * modification times, so a fresh checkout of an unchanged site uploads nothing.
 */
import { compareEtag } from './etag.js';
import type { LocalFile } from './local.js';
import type { RemoteObject } from './remote.js';

export type UploadReason = 'new' | 'changed' | 'unverifiable';

export interface PlannedUpload {
  file: LocalFile;
  reason: UploadReason;
}

export interface Plan {
  uploads: PlannedUpload[];
  /** Keys relative to the prefix; empty unless deleting was asked for. */
  deletes: string[];
  unchanged: LocalFile[];
}

export interface PlanOptions {
  delete: boolean;
}

export function planSync(
  local: readonly LocalFile[],
  remote: ReadonlyMap<string, RemoteObject>,
  options: PlanOptions,
): Plan {
  const uploads: PlannedUpload[] = [];
  const unchanged: LocalFile[] = [];
  for (const file of local) {
    const object = remote.get(file.key);
    const reason = uploadReason(file, object);
    if (reason) uploads.push({ file, reason });
    else unchanged.push(file);
  }
  const localKeys = new Set(local.map((file) => file.key));
  const deletes = options.delete ? [...remote.keys()].filter((key) => !localKeys.has(key)).sort() : [];
  return { uploads, deletes, unchanged };
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
