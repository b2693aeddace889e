// The local S3's state: buckets of objects kept in memory (bodies as the Buffers received, never copied),
// multipart uploads in progress, S3's listing order and paging, and the write preconditions.
import { S3Error } from './s3-wire.mjs';

/**
 * S3 lists keys in UTF-8 byte order; JavaScript compares UTF-16 code units. The two differ only where a
 * surrogate (a character past U+FFFF) meets U+E000..U+FFFF, so those two ranges swap places here.
 */
export function compareKeys(a, b) {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    let x = a.charCodeAt(index);
    let y = b.charCodeAt(index);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** The first index in sorted `keys` whose key is after `key` (or at it, when `inclusive`). */
function searchKeys(keys, key, inclusive) {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const order = compareKeys(keys[middle], key);
    if (order < 0 || (order === 0 && !inclusive)) low = middle + 1;
    else high = middle;
  }
  return low;
}

const unquote = (etag) => etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');

/** Whether an If-Match / If-None-Match list ('*', or quoted ETags separated by commas) names `etag`. */
export function etagListMatches(list, etag) {
  const wanted = unquote(etag);
  return list.split(',').some((item) => item.trim() === '*' || unquote(item) === wanted);
}

/**
 * S3's answer to If-None-Match / If-Match on PutObject, CompleteMultipartUpload and CopyObject, given the
 * object now at the key: 412 when the condition fails; If-Match on a missing key is 404 NoSuchKey (as
 * S3 answers; Ceph answers 412); If-None-Match takes only '*', and not together with If-Match.
 */
export function checkWriteConditions(current, { ifMatch, ifNoneMatch }) {
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*' || ifMatch !== undefined) throw new S3Error('NotImplemented');
    if (current) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-None-Match' });
  }
  if (ifMatch !== undefined) {
    if (!current) throw new S3Error('NoSuchKey');
    if (!etagListMatches(ifMatch, current.etag)) {
      throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Match' });
    }
  }
}

export class Bucket {
  constructor(name) {
    this.name = name;
    this.created = new Date();
    /** @type {Map<string, any>} key -> stored object */
    this.objects = new Map();
    /** @type {Map<string, any>} upload id -> multipart upload */
    this.uploads = new Map();
    /** Keys in listing order; rebuilt on the first listing after a change. */
    this.sorted = null;
  }

  set(key, object) {
    if (!this.objects.has(key)) this.sorted = null;
    this.objects.set(key, object);
  }

  delete(key) {
    const existed = this.objects.delete(key);
    if (existed) this.sorted = null;
    return existed;
  }

  sortedKeys() {
    this.sorted ??= [...this.objects.keys()].sort(compareKeys);
    return this.sorted;
  }

  /**
   * One page of a listing: keys (and, with a delimiter, common prefixes, which count toward maxKeys as in
   * S3) after `after`, under `prefix`. `last` is the last key or prefix returned, to continue from.
   */
  list({ prefix = '', delimiter = '', after = '', maxKeys = 1000 }) {
    const keys = this.sortedKeys();
    const start = Math.max(searchKeys(keys, prefix, true), after ? searchKeys(keys, after, false) : 0);
    const contents = [];
    const commonPrefixes = [];
    let last;
    let truncated = false;
    for (let index = start; index < keys.length; index++) {
      const key = keys[index];
      if (!key.startsWith(prefix)) break;
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      const common = cut === -1 ? undefined : key.slice(0, cut + delimiter.length);
      // A common prefix already returned (or the one a continuation stopped at) is not returned again.
      if (common !== undefined && (common === last || (after && after.startsWith(common)))) continue;
      if (contents.length + commonPrefixes.length >= maxKeys) {
        truncated = true;
        break;
      }
      if (common === undefined) contents.push({ key, object: this.objects.get(key) });
      else commonPrefixes.push(common);
      last = common ?? key;
    }
    return { contents, commonPrefixes, truncated, last };
  }
}

export class Store {
  constructor() {
    /** @type {Map<string, Bucket>} */
    this.buckets = new Map();
  }

  createBucket(name) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) {
      throw new S3Error('InvalidBucketName', undefined, { BucketName: name });
    }
    if (this.buckets.has(name)) throw new S3Error('BucketAlreadyOwnedByYou', undefined, { BucketName: name });
    this.buckets.set(name, new Bucket(name));
  }

  bucket(name) {
    const bucket = this.buckets.get(name);
    if (!bucket) throw new S3Error('NoSuchBucket', undefined, { BucketName: name });
    return bucket;
  }

  deleteBucket(name) {
    const bucket = this.bucket(name);
    if (bucket.objects.size > 0) throw new S3Error('BucketNotEmpty', undefined, { BucketName: name });
    this.buckets.delete(name);
  }
}
