/**
 * Remembers, in the bucket, which header rules the objects were deployed with, so a changed rule reaches
 * objects whose bytes did not change. ListObjectsV2 returns the manifest's ETag (the MD5 of its body) with
 * the listing, so an unchanged rule set costs no request at all; only a change costs one GET and one PUT.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { type HeaderRules, NO_HEADER_RULES } from './headers.js';
import type { S3Target } from './upload.js';

/** Stored under the prefix; it holds only the rules (globs and header values), never file names. */
export const MANIFEST_KEY = '.s3-cloudfront-deploy.json';
/** Bumped when the way headers are derived from rules changes. */
const MANIFEST_VERSION = 1;

export function manifestBody(rules: HeaderRules): string {
  return `${JSON.stringify({ version: MANIFEST_VERSION, rules }, null, 2)}\n`;
}

function hasRules(rules: HeaderRules): boolean {
  return rules.cacheControl.length + rules.contentType.length + rules.contentEncoding.length > 0;
}

export interface ManifestState {
  /** The rules the objects carry today. */
  previousRules: HeaderRules;
  /** Whether the manifest must be written after a successful deploy. */
  needsWrite: boolean;
}

/**
 * Without a manifest the objects are taken to carry the default headers (what a plain sync gives them),
 * so a site that never used rules costs nothing and leaves no manifest behind.
 */
export async function readManifest(
  target: S3Target,
  listedEtag: string | undefined,
  rules: HeaderRules,
): Promise<ManifestState> {
  const body = manifestBody(rules);
  const etag = createHash('md5').update(body).digest('hex');
  if (listedEtag === undefined) return { previousRules: NO_HEADER_RULES, needsWrite: hasRules(rules) };
  if (listedEtag.replace(/"/g, '') === etag) return { previousRules: rules, needsWrite: false };

  const response = await target.client.send(
    new GetObjectCommand({ Bucket: target.bucket, Key: target.prefix + MANIFEST_KEY }),
  );
  const stored = parseManifest(await response.Body?.transformToString());
  return { previousRules: stored ?? NO_HEADER_RULES, needsWrite: true };
}

function parseManifest(text: string | undefined): HeaderRules | undefined {
  try {
    const parsed = JSON.parse(text ?? '') as { version?: number; rules?: HeaderRules };
    if (parsed.version !== MANIFEST_VERSION || !parsed.rules) return undefined;
    const { cacheControl = [], contentType = [], contentEncoding = [] } = parsed.rules;
    return { cacheControl, contentType, contentEncoding };
  } catch {
    return undefined;
  }
}

export async function writeManifest(target: S3Target, rules: HeaderRules): Promise<void> {
  const body = manifestBody(rules);
  await target.client.send(
    new PutObjectCommand({
      Bucket: target.bucket,
      Key: target.prefix + MANIFEST_KEY,
      Body: body,
      ContentType: 'application/json',
      ContentMD5: createHash('md5').update(body).digest('base64'),
      CacheControl: 'no-store',
    }),
  );
}
