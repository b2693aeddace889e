/** Sample sites on disk and a look into the bucket, for the end-to-end tests. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll } from '@jest/globals';
import { S3_CREDENTIALS } from '../../local/s3-server.mjs';

export type SiteFiles = Record<string, string | Buffer>;

/** The sites this test file wrote, removed when its tests end (left behind, they filled the disk by the ten thousand). */
const written: string[] = [];
afterAll(() => Promise.all(written.splice(0).map((root) => fs.rm(root, { recursive: true, force: true }))));

export async function writeSite(files: SiteFiles): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'site-'));
  written.push(root);
  for (const [key, body] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, key)), { recursive: true });
    await fs.writeFile(path.join(root, key), body);
  }
  return root;
}

/** A deterministic large file, over the multipart threshold. */
export function largeFile(size: number, seed = 7): Buffer {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * seed) % 253;
  return data;
}

/** A client for looking into the local S3's buckets, signed for the region they are in. */
export function bucketClient(endpoint: string, region = 'us-east-1'): S3Client {
  return new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export async function listKeys(client: S3Client, bucket: string): Promise<string[]> {
  const response = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (response.Contents ?? []).map((object) => object.Key ?? '').sort();
}

export async function getObject(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<{ body: Buffer; contentType: string | undefined }> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = Buffer.from(
    await (response.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
  return { body, contentType: response.ContentType };
}

export async function putObject(client: S3Client, bucket: string, key: string, body: string): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/** The action's own objects under a prefix: the deploy state and, while a deploy runs, its lock. */
export const ACTION_OBJECTS = ['.s3-cloudfront-deploy.json', '.s3-cloudfront-deploy.lock'];

/** The keys a visitor could be served: everything but the action's own objects. */
export async function siteKeys(client: S3Client, bucket: string): Promise<string[]> {
  return (await listKeys(client, bucket)).filter((key) => !ACTION_OBJECTS.some((name) => key.endsWith(name)));
}
