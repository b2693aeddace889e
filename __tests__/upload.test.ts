import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { LocalFile } from '../src/local.js';
import { sendPartContentMd5, uploadFiles } from '../src/upload.js';

// Whole-file bodies are read into reused buffers: what is sent must be exactly each file's bytes, and a
// file that changed after planning must not be sent at all. (The bytes landing in a real bucket are
// covered end to end against s3rver.)
const quietLog = { info: () => {}, warning: () => {}, debug: () => {} };
const md5 = (bytes: Buffer) => createHash('md5').update(bytes);

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'upload-'));
});

async function localFile(name: string, bytes: Buffer): Promise<LocalFile> {
  const absolutePath = path.join(root, name);
  await fs.writeFile(absolutePath, bytes);
  return {
    key: name,
    absolutePath,
    size: bytes.length,
    md5: md5(bytes).digest('hex'),
    headers: { contentType: 'application/octet-stream' },
  };
}

function recordingClient() {
  const sent: Array<{ Key: string; body: Buffer; ContentMD5: string }> = [];
  const client = {
    send: async (command: PutObjectCommand) => {
      const { Key = '', Body, ContentMD5 = '' } = command.input;
      const body = Buffer.from(Body as Buffer); // a copy: the buffer goes back to the pool afterwards
      sent.push({ Key, body, ContentMD5 });
      await new Promise((resolve) => setTimeout(resolve, 1));
      return { ETag: `"${md5(body).digest('hex')}"` };
    },
  };
  return { client: client as unknown as S3Client, sent };
}

describe('uploadFiles', () => {
  it('sends each file exactly, with its Content-MD5, even as buffers are reused', async () => {
    const files = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        localFile(`f${index}.bin`, Buffer.alloc(100 + index * 997, String.fromCharCode(65 + (index % 26)))),
      ),
    );
    const { client, sent } = recordingClient();
    const outcome = await uploadFiles(files, { client, bucket: 'b', prefix: 'p/' }, { concurrency: 4, log: quietLog });
    expect(outcome.failed).toEqual([]);
    expect(outcome.done).toHaveLength(40);
    for (const file of files) {
      const request = sent.find((entry) => entry.Key === `p/${file.key}`);
      expect(request?.body.equals(await fs.readFile(file.absolutePath))).toBe(true);
      expect(request?.ContentMD5).toBe(Buffer.from(file.md5, 'hex').toString('base64'));
    }
  });

  it('refuses a file that changed or vanished after planning, including one that only grew', async () => {
    const grew = await localFile('grew.txt', Buffer.from('hello'));
    await fs.appendFile(grew.absolutePath, ' world');
    const edited = await localFile('edited.txt', Buffer.from('one'));
    await fs.writeFile(edited.absolutePath, 'two');
    const vanished = await localFile('vanished.txt', Buffer.from('bye'));
    await fs.rm(vanished.absolutePath);
    const { client, sent } = recordingClient();
    const outcome = await uploadFiles(
      [grew, edited, vanished],
      { client, bucket: 'b', prefix: '' },
      { concurrency: 3, log: quietLog },
    );
    expect(sent).toEqual([]);
    // Said as local problems, not as failed S3 requests.
    expect(outcome.failed.map((failure) => failure.message)).toEqual([
      "'grew.txt' changed while the deploy was running; run the deploy again.",
      "'edited.txt' changed while the deploy was running; run the deploy again.",
      expect.stringMatching(/^Could not read '.*vanished\.txt' \(ENOENT/),
    ]);
  });
});

describe('sendPartContentMd5', () => {
  it('gives every part of a lib-storage multipart upload the Content-MD5 of its bytes', async () => {
    // Just enough of S3's multipart API to see what each UploadPart carries.
    const parts: Array<{ md5: string | undefined; bytes: Buffer }> = [];
    const server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const url = new URL(request.url ?? '/', 'http://localhost');
        if (request.method === 'PUT' && url.searchParams.has('partNumber')) {
          const bytes = Buffer.concat(chunks);
          parts.push({ md5: request.headers['content-md5'] as string | undefined, bytes });
          response.writeHead(200, { ETag: `"${md5(bytes).digest('hex')}"` }).end();
        } else if (url.searchParams.has('uploads')) {
          response.end(
            '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>u1</UploadId></InitiateMultipartUploadResult>',
          );
        } else {
          response.end('<CompleteMultipartUploadResult><ETag>"x-3"</ETag></CompleteMultipartUploadResult>');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = new S3Client({
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        forcePathStyle: true,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        requestChecksumCalculation: 'WHEN_REQUIRED',
      });
      sendPartContentMd5(client);
      const MiB = 1024 * 1024;
      const body = Buffer.alloc(12 * MiB, 'abc');
      await new Upload({ client, params: { Bucket: 'b', Key: 'k', Body: body }, partSize: 5 * MiB }).done();
      expect(parts.map((part) => part.bytes.length).sort((a, b) => a - b)).toEqual([2 * MiB, 5 * MiB, 5 * MiB]);
      for (const part of parts) expect(part.md5).toBe(md5(part.bytes).digest('base64'));
    } finally {
      server.close();
    }
  });
});
