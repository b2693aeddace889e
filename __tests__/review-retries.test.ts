import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { jest } from '@jest/globals';
import { DeprecatedStandardRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, RetryStrategyV2 } from '@smithy/types';
import { S3_CREDENTIALS, startS3Server } from '../local/s3-server.mjs';
import { createPutObject } from '../src/put-object.js';
import { type Reply, s3ErrorReply } from './support/front.js';
import { REGION, clientFor, putInput, scriptedS3, bothMeet, failureSeen } from './support/put-input.js';

// The fast PutObject's retries held beside S3Client.send(PutObjectCommand) with the same client, for each
// kind of failure a request can meet: the same requests sent, the same judgement by the client's retry
// strategy, the same budget, the same error for the user. A front answers scripted faults for a key; any
// key with no fault left goes through to the strict local S3.

const FAULTS = {
  'a 500 InternalError': s3ErrorReply(500, 'InternalError'),
  'a 503 SlowDown': s3ErrorReply(503, 'SlowDown'),
  'a 429 with S3 error XML': s3ErrorReply(429, 'TooManyRequests'),
  'a 503 with x-amz-retry-after': s3ErrorReply(503, 'ServiceUnavailable', { 'x-amz-retry-after': '30' }),
  'a 500 with Retry-After': s3ErrorReply(500, 'InternalError', { 'Retry-After': '0.03' }),
  "S3's 400 RequestTimeout (a body sent too slowly)": s3ErrorReply(400, 'RequestTimeout'),
  'a dropped connection': 'drop',
} satisfies Record<string, Reply | 'drop'>;
type Fault = Reply | 'drop';

const rig = scriptedS3<Fault>((fault) => fault);
afterEach(() => jest.restoreAllMocks());

const sentFor = (key: string) => rig.front.seen.filter((request) => request.key === key);

/** How the client's strategy was asked to judge each failure: its kind, and whether a Retry-After hint came. */
async function watchJudgements(client: S3Client) {
  const strategy = (await client.config.retryStrategy()) as RetryStrategyV2;
  const refresh = jest.spyOn(strategy, 'refreshRetryTokenForRetry');
  return () => {
    const judged = refresh.mock.calls.map(([, info]) => ({
      type: info.errorType,
      hinted: info.retryAfterHint instanceof Date,
    }));
    refresh.mockClear();
    return judged;
  };
}

describe('each failure a PutObject meets, on the fast path and through S3Client.send', () => {
  it.each(Object.entries(FAULTS))(
    '%s, once: judged alike by the strategy, retried alike, by the fast path itself',
    async (_name, fault) => {
      const client = clientFor(rig.front.url);
      const put = createPutObject(client, 'fast-bucket');
      await put(putInput('warm.html', 'route resolved'));
      const judged = await watchJudgements(client);
      const sdkSends = jest.spyOn(client, 'send');

      rig.front.script.set('fast.html', [fault]);
      await put(putInput('fast.html', 'fast'));
      const fast = judged();
      const sentBySdk = sdkSends.mock.calls.length;
      rig.front.script.set('sdk.html', [fault]);
      await client.send(new PutObjectCommand(putInput('sdk.html', 'sdk')));
      const sdk = judged();

      expect(fast).toEqual(sdk);
      expect(sentFor('fast.html').map((request) => request.headers['amz-sdk-request'])).toEqual(
        sentFor('sdk.html').map((request) => request.headers['amz-sdk-request']),
      );
      // The retry was the fast path's own, not a second PutObject through the SDK.
      expect(sentBySdk).toBe(0);
      expect(rig.s3.object('fast-bucket', 'fast.html')?.body.toString()).toBe('fast');
      client.destroy();
    },
  );

  it.each(Object.entries({ ...FAULTS, 'a 400 BadDigest': s3ErrorReply(400, 'BadDigest') }))(
    '%s, every attempt: as many requests as S3Client.send, and the same error for the user',
    async (_name, fault) => {
      const client = clientFor(rig.front.url, { maxAttempts: 2 });
      const { fast, sdk } = await bothMeet(rig.front, client, [fault, fault, fault]);
      expect(failureSeen(fast)).toEqual(failureSeen(sdk));
      expect(sentFor('fast.html')).toHaveLength(sentFor('sdk.html').length);
      client.destroy();
    },
  );

  // An error answer with no S3 error XML (a proxy's page, an empty body) is retried alike; the user then
  // reads its HTTP status, where S3Client.send says "Unknown: UnknownError".
  it.each<[string, Reply, string]>([
    [
      "a proxy's 502 page",
      { status: 502, headers: { 'Content-Type': 'text/html' }, body: '<h1>Bad Gateway</h1>' },
      'HTTP 502',
    ],
    ['an empty 503', { status: 503, headers: {}, body: '' }, 'HTTP 503'],
  ])('%s, every attempt: retried as S3Client.send retries it, and named by its status', async (_name, fault, words) => {
    const client = clientFor(rig.front.url, { maxAttempts: 2 });
    const { fast, sdk } = await bothMeet(rig.front, client, [fault, fault]);
    expect(failureSeen(fast).attempts).toBe(failureSeen(sdk).attempts);
    expect(sentFor('fast.html')).toHaveLength(2);
    expect(failureSeen(fast).user).toContain(words);
    expect(failureSeen(sdk).user).toContain('UnknownError');
    client.destroy();
  });
});

describe('a runner clock 20 minutes slow (S3 refuses signatures 15 minutes off)', () => {
  // Not fixed: S3Client.send learns S3's time from the refusal's Date header and retries (2 requests); the
  // fast path hands the refusal to the SDK, whose own first request is refused alike (3 requests). Once per
  // deploy: later files are signed with the offset the SDK learnt (put-object.test.ts).
  it.failing('RequestTimeTooSkewed: as many requests as S3Client.send', async () => {
    const ahead = await startS3Server({ buckets: ['fast-bucket'], region: REGION, clockOffset: 20 * 60_000 });
    try {
      const sent = async (send: (client: S3Client) => Promise<unknown>) => {
        const client = clientFor(ahead.url);
        ahead.requests.length = 0;
        await send(client);
        client.destroy();
        return ahead.requests.filter((request) => request.operation === 'PutObject').map((request) => request.status);
      };
      const fast = await sent((client) => createPutObject(client, 'fast-bucket')(putInput('skewed.html', 'x')));
      const sdk = await sent((client) => client.send(new PutObjectCommand(putInput('skewed.html', 'x'))));
      expect(sdk).toEqual([403, 200]);
      expect(fast).toEqual(sdk);
    } finally {
      await ahead.close();
    }
  });
});

describe("the client's retry budget, shared with its other requests", () => {
  /** Enough PutObjects failing with a 500 on both of two attempts to spend the budget (14 a retry, of 500). */
  const spend = async (put: (key: string) => Promise<unknown>) => {
    const keys = Array.from({ length: 40 }, (_, index) => `spend/${index}.html`);
    for (const key of keys) rig.front.script.set(key, [FAULTS['a 500 InternalError'], FAULTS['a 500 InternalError']]);
    await Promise.all(keys.map((key) => put(key).catch(() => undefined)));
  };

  it('spent by the fast path, leaves S3Client.send no retry; spent by S3Client.send, leaves the fast path none', async () => {
    for (const spender of ['fast', 'sdk'] as const) {
      rig.front.script.clear();
      rig.front.seen.length = 0;
      const client = clientFor(rig.front.url, { maxAttempts: 2 });
      const put = createPutObject(client, 'fast-bucket');
      await put(putInput('warm.html', 'route resolved'));
      await spend((key) =>
        spender === 'fast' ? put(putInput(key, 'x')) : client.send(new PutObjectCommand(putInput(key, 'x'))),
      );
      rig.front.script.set('after.html', [FAULTS['a 500 InternalError']]);
      const after = await (
        spender === 'fast'
          ? client.send(new PutObjectCommand(putInput('after.html', 'x')))
          : put(putInput('after.html', 'x'))
      ).catch((e: unknown) => e);
      expect([spender, failureSeen(after).attempts, sentFor('after.html')]).toEqual([spender, 1, [expect.anything()]]);
      client.destroy();
    }
  });
});

describe('a failure between attempts', () => {
  it("asks the client's credentials again for a retry, as the SDK's signer does: a provider failing meanwhile fails both alike", async () => {
    let broken = false;
    // Expiring within the SDK's five-minute window, so the client asks the provider again for each signature.
    const credentials = () =>
      broken
        ? Promise.reject(
            Object.assign(new Error('the metadata service did not answer'), { name: 'CredentialsProviderError' }),
          )
        : Promise.resolve({ ...S3_CREDENTIALS, expiration: new Date(Date.now() + 60_000) });
    const client = clientFor(rig.front.url, { credentials });
    const put = createPutObject(client, 'fast-bucket');
    await put(putInput('warm.html', 'route resolved'));
    // The first attempt meets a 500, and the provider fails from then on.
    rig.front.onRequest = () => {
      broken = true;
    };
    const outcome = async (key: string, send: () => Promise<unknown>) => {
      broken = false;
      rig.front.script.set(key, [FAULTS['a 500 InternalError']]);
      const result = await send().then(
        () => 'stored',
        (error: unknown) => failureSeen(error),
      );
      return { result, sent: sentFor(key).length };
    };
    const sdk = await outcome('sdk.html', () => client.send(new PutObjectCommand(putInput('sdk.html', 'sdk'))));
    const fast = await outcome('fast.html', () => put(putInput('fast.html', 'fast')));
    expect(fast).toEqual(sdk);
    // The second attempt failed before it was sent.
    expect(fast).toMatchObject({ result: { name: 'CredentialsProviderError', attempts: 2 }, sent: 1 });
    client.destroy();
  });
});

describe('clients configured otherwise', () => {
  it('a legacy retry strategy (not V2): the same attempts and error as S3Client.send', async () => {
    const client = clientFor(rig.front.url, {
      retryStrategy: new DeprecatedStandardRetryStrategy(() => Promise.resolve(2)),
    });
    const fault = FAULTS['a 500 InternalError'];
    const { fast, sdk } = await bothMeet(rig.front, client, [fault, fault, fault]);
    expect(failureSeen(fast)).toEqual(failureSeen(sdk));
    expect(sentFor('fast.html').map((request) => request.headers['amz-sdk-request'])).toEqual([
      'attempt=1; max=2',
      'attempt=2; max=2',
    ]);
    client.destroy();
  });

  it('adaptive retry mode: the rate limiter asked and told as S3Client.send asks and tells it', async () => {
    const client = clientFor(rig.front.url, { retryMode: 'adaptive' });
    const put = createPutObject(client, 'fast-bucket');
    await put(putInput('warm.html', 'route resolved'));
    const { rateLimiter } = (await client.config.retryStrategy()) as unknown as {
      rateLimiter: { getSendToken: () => Promise<void>; updateClientSendingRate: (info: unknown) => void };
    };
    const asked = jest.spyOn(rateLimiter, 'getSendToken');
    const told = jest.spyOn(rateLimiter, 'updateClientSendingRate');
    const record = () => {
      const calls = {
        asked: asked.mock.calls.length,
        told: told.mock.calls.map(([info]) => (info as RetryErrorInfo).errorType),
      };
      asked.mockClear();
      told.mockClear();
      return calls;
    };
    rig.front.script.set('fast.html', [FAULTS['a 500 InternalError'], 'drop']);
    await put(putInput('fast.html', 'fast'));
    const fast = record();
    rig.front.script.set('sdk.html', [FAULTS['a 500 InternalError'], 'drop']);
    await client.send(new PutObjectCommand(putInput('sdk.html', 'sdk')));
    expect(fast).toEqual(record());
    expect(fast).toEqual({ asked: 3, told: ['TRANSIENT', 'TRANSIENT', undefined] });
    client.destroy();
  });

  it('AWS_MAX_ATTEMPTS, with no maxAttempts set: the same attempts as S3Client.send', async () => {
    const saved = process.env.AWS_MAX_ATTEMPTS;
    process.env.AWS_MAX_ATTEMPTS = '2';
    try {
      const client = new S3Client({
        endpoint: rig.front.url,
        region: REGION,
        forcePathStyle: true,
        credentials: S3_CREDENTIALS,
        retryMode: 'standard',
        requestChecksumCalculation: 'WHEN_REQUIRED',
      });
      const fault = FAULTS['a dropped connection'];
      const { fast, sdk } = await bothMeet(rig.front, client, [fault, fault, fault]);
      expect(failureSeen(fast)).toEqual(failureSeen(sdk));
      const attempts = (key: string) => sentFor(key).map((request) => request.headers['amz-sdk-request']);
      expect(attempts('fast.html')).toEqual(['attempt=1; max=2', 'attempt=2; max=2']);
      expect(attempts('fast.html')).toEqual(attempts('sdk.html'));
      client.destroy();
    } finally {
      if (saved === undefined) delete process.env.AWS_MAX_ATTEMPTS;
      else process.env.AWS_MAX_ATTEMPTS = saved;
    }
  });

  it('a request handler that throws something not an Error: retried or not as S3Client.send does', async () => {
    const client = clientFor(rig.front.url);
    const handler = client.config.requestHandler as { handle: (...args: unknown[]) => Promise<unknown> };
    const handle = handler.handle.bind(handler);
    const throws = new Map<string, unknown[]>();
    // Set on the instance: a wrapper the fast path calls too.
    handler.handle = (request: unknown, ...rest: unknown[]) => {
      const key = decodeURIComponent(
        String((request as { path: string }).path)
          .split('/')
          .slice(2)
          .join('/'),
      );
      const next = throws.get(key)?.shift();
      // Not an Error, on purpose: what the SDK's retry middleware wraps (its asSdkError).
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return next === undefined ? handle(request, ...rest) : Promise.reject(next);
    };
    const put = createPutObject(client, 'fast-bucket');
    const outcome = (promise: Promise<unknown>) =>
      promise.then(
        () => 'stored',
        (error: unknown) => failureSeen(error),
      );
    for (const thrown of [{ code: 'ECONNRESET', message: 'reset' }, 'a string']) {
      throws.set('fast.html', [thrown]);
      throws.set('sdk.html', [thrown]);
      const fast = await outcome(put(putInput('fast.html', 'x')));
      const sdk = await outcome(client.send(new PutObjectCommand(putInput('sdk.html', 'x'))));
      expect(fast).toEqual(sdk);
    }
    client.destroy();
  });
});

describe('two uploads at once', () => {
  it('each with its own token and invocation id, retried alike', async () => {
    const client = clientFor(rig.front.url);
    const put = createPutObject(client, 'fast-bucket');
    rig.front.script.set('one.html', [FAULTS['a 500 InternalError']]);
    rig.front.script.set('two.html', ['drop']);
    await Promise.all([put(putInput('one.html', '1')), put(putInput('two.html', '2'))]);
    for (const key of ['one.html', 'two.html']) {
      expect(sentFor(key).map((request) => request.headers['amz-sdk-request'])).toEqual([
        'attempt=1; max=6',
        'attempt=2; max=6',
      ]);
      expect(new Set(sentFor(key).map((request) => request.headers['amz-sdk-invocation-id'])).size).toBe(1);
    }
    expect(sentFor('one.html')[0]?.headers['amz-sdk-invocation-id']).not.toBe(
      sentFor('two.html')[0]?.headers['amz-sdk-invocation-id'],
    );
    expect(rig.s3.object('fast-bucket', 'two.html')?.body.toString()).toBe('2');
    client.destroy();
  });
});
