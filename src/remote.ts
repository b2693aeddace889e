/** Lists what is in the bucket under the prefix: one paginated ListObjectsV2, nothing per object. */
import { type S3Client, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { LOCK_NAME, RESERVED_NAMES, STATE_NAME } from './state.js';

export interface RemoteObject {
  /** Relative to the prefix, as local keys are. */
  key: string;
  size: number;
  etag: string;
}

export interface RemoteListing {
  objects: Map<string, RemoteObject>;
  /** ListObjectsV2 requests made (the floor is ceil(objects / 1000)). */
  pages: number;
  /** The ETag of the deploy state, when the prefix has one (see state.ts). */
  stateEtag?: string;
  /** Whether another deploy's lock was there (see lock.ts). */
  lockListed: boolean;
}

export async function listRemote(client: S3Client, bucket: string, prefix: string): Promise<RemoteListing> {
  const objects = new Map<string, RemoteObject>();
  let pages = 0;
  let stateEtag: string | undefined;
  let lockListed = false;
  const paginator = paginateListObjectsV2({ client, pageSize: 1000 }, { Bucket: bucket, Prefix: prefix || undefined });
  for await (const page of paginator) {
    pages++;
    for (const object of page.Contents ?? []) {
      const fullKey = object.Key ?? '';
      // Prefix is a string match: 'site/' must not pick up 'site-old/...', and folder markers are not files.
      if (!fullKey.startsWith(prefix) || fullKey.endsWith('/')) continue;
      const key = fullKey.slice(prefix.length);
      if (key === STATE_NAME) stateEtag = object.ETag ?? '';
      if (key === LOCK_NAME) lockListed = true;
      if (RESERVED_NAMES.includes(key)) continue;
      objects.set(key, { key, size: object.Size ?? 0, etag: object.ETag ?? '' });
    }
  }
  return stateEtag === undefined ? { objects, pages, lockListed } : { objects, pages, stateEtag, lockListed };
}
