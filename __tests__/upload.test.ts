import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { LocalFile } from '../src/local.js';
import { uploadFiles } from '../src/upload.js';

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

  it('refuses a file whose bytes changed after planning, including one that only grew', async () => {
    const grew = await localFile('grew.txt', Buffer.from('hello'));
    await fs.appendFile(grew.absolutePath, ' world');
    const edited = await localFile('edited.txt', Buffer.from('one'));
    await fs.writeFile(edited.absolutePath, 'two');
    const { client, sent } = recordingClient();
    const outcome = await uploadFiles(
      [grew, edited],
      { client, bucket: 'b', prefix: '' },
      { concurrency: 2, log: quietLog },
    );
    expect(sent).toEqual([]);
    expect(outcome.failed.map((failure) => failure.message)).toEqual([
      expect.stringContaining("'grew.txt' changed while the deploy was running"),
      expect.stringContaining("'edited.txt' changed while the deploy was running"),
    ]);
  });
});
