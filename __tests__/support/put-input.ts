/** A whole-file PutObject as upload.ts asks for one, and the client it goes through. */
import { createHash } from 'node:crypto';
import { PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, jest } from '@jest/globals';
import { type LocalS3Server, S3_CREDENTIALS, startS3Server } from '../../local/s3-server.mjs';
import { requestHandlerOptions } from '../../src/http.js';
import { describeAwsError } from '../../src/errors.js';
import { type PutObjectInput, createPutObject } from '../../src/put-object.js';
import { type Reply, type ScriptFront, startScriptFront } from './front.js';

export const REGION = 'eu-west-1';

/** As createS3Client configures it (s3.ts), pointed at a local endpoint. */
export function clientFor(endpoint: string, extra: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
    followRegionRedirects: true,
    retryMode: 'standard',
    maxAttempts: 6,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: requestHandlerOptions(),
    ...extra,
  });
}

/** Its body, length and Content-MD5. */
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

/**
 * Watches the client's request handler's handle(), on its prototype: a handle set on the instance is a
 * wrapper the fast PutObject always calls. Restore with jest.restoreAllMocks().
 */
export function watchHandle(client: S3Client) {
  const prototype = Object.getPrototypeOf(client.config.requestHandler) as { handle: () => unknown };
  return jest.spyOn(prototype, 'handle');
}

/**
 * The strict local S3 (bucket fast-bucket, in REGION) behind a script front, started before the file's tests
 * and closed after them; each test starts with an empty script and no requests seen.
 */
export function scriptedS3<Fault>(reply: (fault: Fault) => Reply | 'drop'): {
  readonly s3: LocalS3Server;
  readonly front: ScriptFront<Fault>;
} {
  const rig = {} as { s3: LocalS3Server; front: ScriptFront<Fault> };
  beforeAll(async () => {
    rig.s3 = await startS3Server({ buckets: ['fast-bucket'], region: REGION });
    rig.front = await startScriptFront(rig.s3.url, reply);
  });
  afterAll(async () => {
    await rig.front.close();
    await rig.s3.close();
  });
  beforeEach(() => {
    rig.front.seen.length = 0;
    rig.front.script.clear();
    delete rig.front.onRequest;
  });
  return rig;
}

/** The SDK's asSdkError around a thrown value that is not, to it, an Error. */
const WRAPPED = /^AWS SDK error wrapper for (\w+): ([^]*)$/;

/**
 * What the user and the retry strategy see of a failure, as the action's process sees it. Under jest an
 * error made by Node's own code (node:http's "socket hang up") is of another realm than the test's Error,
 * so the SDK wraps it ("AWS SDK error wrapper for TimeoutError: socket hang up", its code lost), which it
 * never does in the action's process; the fast path's own HTTP (http1.ts) makes its errors in the test's
 * realm. So the wrapper is read through, and a dropped connection's code is not compared (that the retry
 * strategy judged it alike shows in the attempts, which are).
 */
export function failureSeen(error: unknown) {
  const seen = error as Record<string, unknown> & { $metadata?: Record<string, unknown> };
  const { $fault, $metadata, code } = seen;
  const wrapped = WRAPPED.exec(String(seen.message));
  const name = wrapped ? wrapped[1] : seen.name;
  return {
    name,
    message: wrapped ? wrapped[2] : seen.message,
    $fault,
    code: name === 'TimeoutError' ? 'not compared' : code,
    status: $metadata?.httpStatusCode,
    attempts: $metadata?.attempts,
    totalRetryDelay: typeof $metadata?.totalRetryDelay,
    user: describeAwsError(error, { service: 'S3', bucket: 'fast-bucket' }).replace('AWS SDK error wrapper for ', ''),
  };
}

/**
 * The same faults met on one client by the fast PutObject (key fast.html) and by S3Client.send (sdk.html):
 * what each threw, or its answer.
 */
export async function bothMeet<Fault>(
  front: ScriptFront<Fault>,
  client: S3Client,
  faults: Fault[],
): Promise<{ fast: unknown; sdk: unknown }> {
  front.script.set('fast.html', [...faults]);
  front.script.set('sdk.html', [...faults]);
  const fast = await createPutObject(client, 'fast-bucket')(putInput('fast.html', 'x')).catch((e: unknown) => e);
  const sdk = await client.send(new PutObjectCommand(putInput('sdk.html', 'x'))).catch((e: unknown) => e);
  return { fast, sdk };
}
