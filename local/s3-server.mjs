// A local S3 for tests and the demo: s3rver on loopback, in its own temporary folder.
// s3rver signs listings and batch deletes with MD5-based code that needs `--openssl-legacy-provider`.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

/** The access key pair s3rver accepts. */
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * @param {{ buckets?: string[], port?: number, silent?: boolean }} [options]
 * @returns {Promise<{ url: string, port: number, directory: string, close(): Promise<void> }>}
 */
export async function startS3Server({ buckets = ['site-bucket'], port = 0, silent = true } = {}) {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'local-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    silent,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const address = await server.run();
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    port: address.port,
    directory,
    async close() {
      await server.close();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
