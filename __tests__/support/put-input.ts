/** A whole-file PutObject as upload.ts asks for one: its body, length and Content-MD5. */
import { createHash } from 'node:crypto';
import type { PutObjectInput } from '../../src/put-object.js';

export function putInput(key: string, text: string, extra: Partial<PutObjectInput> = {}): PutObjectInput {
  const body = Buffer.from(text);
  return {
    Bucket: 'fast-bucket',
    Key: key,
    Body: body,
    ContentLength: body.length,
    ContentMD5: createHash('md5').update(body).digest('base64'),
    ContentType: 'text/html',
    ...extra,
  };
}
