import { S3Client } from '@aws-sdk/client-s3';
import { type LocalS3Server, S3_CREDENTIALS, startS3Server } from '../local/s3-server.mjs';
import { createPutObject } from '../src/put-object.js';
import { putInput } from './support/put-input.js';

// Review of the fast PutObject (put-object.ts): what a transient failure while the SDK prepares its probe
// PutObject does to the rest of the deploy.

const REGION = 'eu-west-1';

let s3: LocalS3Server;
beforeAll(async () => {
  s3 = await startS3Server({ buckets: ['fast-bucket'], region: REGION });
});
afterAll(async () => {
  await s3.close();
});

describe('review-fast: the probe', () => {
  // Harm: the probe resolves the client's credentials (the SDK's auth-scheme step runs before the probe stops
  // it). A provider that fails once (IMDS or the OIDC token endpoint timing out, as they do on busy runners)
  // makes resolveRoute reject, `.catch(() => undefined)` caches "no route" for the client and bucket, and
  // every later file of the deploy goes through S3Client.send (about 4x the CPU per PUT that issue 13 set out
  // to save), silently. The first file itself succeeds through the SDK, so nothing tells the user.
  // Fix: cache only a decided route (or a decided "SDK only"); on a probe that throws, forget the promise
  // (`route = undefined`) so the next upload probes again.
  it('keeps the fast path after a credential provider fails once during the probe', async () => {
    let calls = 0;
    const credentials = () => {
      calls += 1;
      if (calls === 1) return Promise.reject(new Error('connect ETIMEDOUT 169.254.169.254:80'));
      return Promise.resolve({ ...S3_CREDENTIALS, expiration: new Date(Date.now() + 3_600_000) });
    };
    const client = new S3Client({
      endpoint: s3.url,
      region: REGION,
      forcePathStyle: true,
      credentials,
      retryMode: 'standard',
      maxAttempts: 3,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    // Counts the commands the SDK runs: the fast path runs none but its probes.
    let sdkSends = 0;
    client.middlewareStack.add(
      (next) => (args) => {
        sdkSends += 1;
        return next(args);
      },
      { step: 'initialize', name: 'reviewCountSends' },
    );
    try {
      const put = createPutObject(client, 'fast-bucket');
      await put(putInput('first.html', '1'));
      const afterFirst = sdkSends;
      for (const key of ['second.html', 'third.html', 'fourth.html']) await put(putInput(key, key));
      for (const key of ['first.html', 'second.html', 'third.html', 'fourth.html']) {
        expect(s3.object('fast-bucket', key)).toBeDefined();
      }
      // At most one more probe after the failed one; the three later files on the fast path.
      expect(sdkSends - afterFirst).toBeLessThanOrEqual(1);
    } finally {
      client.destroy();
    }
  });
});
