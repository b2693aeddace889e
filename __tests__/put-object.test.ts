import { createHash } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { jest } from '@jest/globals';
import { HttpRequest, HttpResponse } from '@smithy/core/protocols';
import { verifySignature } from '../local/s3-auth.mjs';
import { type LocalS3Server, S3_CREDENTIALS, startS3Server } from '../local/s3-server.mjs';
import { describeAwsError } from '../src/errors.js';
import { createPutObject } from '../src/put-object.js';
import { type Reply, type ScriptFront, s3ErrorReply } from './support/front.js';
import { REGION, clientFor, putInput, watchHandle, scriptedS3, bothMeet, failureSeen } from './support/put-input.js';

// The fast PutObject against the strict local S3, which verifies every signature and Content-MD5 as S3
// does, through a front that can answer a request itself: S3's 503 SlowDown, a dropped connection, a
// redirect to the bucket's region.

type Scripted = 'slow-down' | 'internal' | 'drop' | 'redirect';

/** The answer each scripted fault gets. */
const FAULT_REPLIES: Record<Scripted, Reply | 'drop'> = {
  'slow-down': s3ErrorReply(503, 'SlowDown'),
  internal: s3ErrorReply(500, 'InternalError'),
  redirect: s3ErrorReply(301, 'PermanentRedirect', { 'x-amz-bucket-region': 'ap-southeast-2' }),
  drop: 'drop',
};
type ScriptedFront = ScriptFront<Scripted>;

const attemptsOf = (front: ScriptedFront, key: string) =>
  front.seen.filter((request) => request.key === key).map((request) => request.headers['amz-sdk-request']);
const regionOf = (headers: http.IncomingHttpHeaders | Record<string, unknown>) =>
  /Credential=[^/]+\/\d+\/([^/]+)\//.exec(String(headers.authorization))?.[1];

const rig = scriptedS3<Scripted>((fault) => FAULT_REPLIES[fault]);

describe('createPutObject', () => {
  it('writes what the SDK writes: signature and Content-MD5 verified, bytes and headers stored, the same headers sent', async () => {
    const client = clientFor(rig.front.url);
    const put = createPutObject(client, 'fast-bucket');
    const key = 'docs/a b/été+(1)!.html';
    const result = await put(
      putInput(key, '<h1>fast</h1>', {
        CacheControl: 'public,  max-age=60',
        ContentEncoding: 'gzip',
        ServerSideEncryption: 'AES256',
      }),
    );
    const stored = rig.s3.object('fast-bucket', key);
    expect(stored?.body.toString()).toBe('<h1>fast</h1>');
    expect(stored?.headers).toMatchObject({
      'content-type': 'text/html',
      'cache-control': 'public,  max-age=60',
      'content-encoding': 'gzip',
    });
    expect(result).toEqual({ ETag: stored?.etag, ServerSideEncryption: 'AES256' });

    await client.send(
      new PutObjectCommand(
        putInput('by-the-sdk.html', 'sdk', {
          CacheControl: 'no-cache',
          ContentEncoding: 'gzip',
          ServerSideEncryption: 'AES256',
        }),
      ),
    );
    const [fast, sdk] = rig.front.seen.map((request) => request.headers);
    const names = (headers: http.IncomingHttpHeaders | undefined) => Object.keys(headers ?? {}).sort();
    expect(names(fast)).toEqual(names(sdk));
    for (const name of ['user-agent', 'x-amz-user-agent', 'host', 'amz-sdk-request'] as const) {
      expect(fast?.[name]).toBe(sdk?.[name]);
    }
    expect(fast?.['x-amz-content-sha256']).toBe(createHash('sha256').update('<h1>fast</h1>').digest('hex'));
    client.destroy();
  });

  it("retries 503 SlowDown and a dropped connection with the SDK's strategy, signing each attempt anew", async () => {
    const client = clientFor(rig.front.url);
    rig.front.script.set('retried.html', ['slow-down', 'drop']);
    await createPutObject(client, 'fast-bucket')(putInput('retried.html', 'third time'));
    expect(rig.s3.object('fast-bucket', 'retried.html')?.body.toString()).toBe('third time');
    expect(attemptsOf(rig.front, 'retried.html')).toEqual(['attempt=1; max=6', 'attempt=2; max=6', 'attempt=3; max=6']);
    const sent = rig.front.seen.map((request) => request.headers);
    expect(new Set(sent.map((headers) => headers['amz-sdk-invocation-id'])).size).toBe(1);
    expect(new Set(sent.map((headers) => headers.authorization)).size).toBe(3);
    client.destroy();
  });

  it("gives up after the client's attempts with the error S3 gave, as the user reads it", async () => {
    const client = clientFor(rig.front.url, { maxAttempts: 2 });
    rig.front.script.set('busy.html', ['slow-down', 'slow-down', 'slow-down']);
    const error = await createPutObject(client, 'fast-bucket')(putInput('busy.html', 'x')).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SlowDown', $metadata: { httpStatusCode: 503, attempts: 2 } });
    expect(describeAwsError(error, { service: 'S3', bucket: 'fast-bucket' })).toBe(
      "AWS kept throttling requests to bucket 'fast-bucket' after retries. Lower 'concurrency' or try again later.",
    );
    expect(attemptsOf(rig.front, 'busy.html')).toHaveLength(2);
    client.destroy();
  });

  it.each<Scripted>(['slow-down', 'internal', 'drop'])(
    'fails as S3Client.send fails when every attempt meets %s: the same error, the same message for the user',
    async (fault) => {
      const client = clientFor(rig.front.url, { maxAttempts: 2 });
      const { fast, sdk } = await bothMeet(rig.front, client, [fault, fault]);
      expect(failureSeen(fast)).toEqual(failureSeen(sdk));
      expect(attemptsOf(rig.front, 'fast.html')).toHaveLength(2);
      client.destroy();
    },
  );

  it("hands a refusal to the SDK, so the user reads the SDK's own error", async () => {
    const client = clientFor(rig.front.url, {
      credentials: { accessKeyId: 'AKIAUNKNOWN000000001', secretAccessKey: 'x' },
    });
    const error = await createPutObject(client, 'fast-bucket')(putInput('refused.html', 'x')).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidAccessKeyId', $metadata: { httpStatusCode: 403 } });
    expect(describeAwsError(error, { service: 'S3', bucket: 'fast-bucket' })).toMatch(
      /^AWS does not recognise the access key used for bucket 'fast-bucket'\./,
    );
    // One fast attempt, then the SDK's own.
    expect(attemptsOf(rig.front, 'refused.html')).toHaveLength(2);
    expect(rig.s3.object('fast-bucket', 'refused.html')).toBeUndefined();
    client.destroy();

    const missing = createPutObject(clientFor(rig.front.url), 'no-such-bucket');
    const noBucket = await missing({ ...putInput('x.html', 'x'), Bucket: 'no-such-bucket' }).catch((e: unknown) => e);
    expect(describeAwsError(noBucket, { service: 'S3', bucket: 'no-such-bucket' })).toBe(
      "Bucket 'no-such-bucket' does not exist (or not in this account/endpoint). Check the 'bucket' input.",
    );
  });

  it('answers BadDigest as S3 said it, once, and keeps the fast path for the files after it', async () => {
    const client = clientFor(rig.front.url);
    const sdkSends = jest.spyOn(client, 'send');
    const put = createPutObject(client, 'fast-bucket');
    // Bytes that are not the ones the Content-MD5 names: a file rewritten while it was being read.
    const raced = putInput('raced.html', 'new bytes', { ContentMD5: putInput('x', 'old bytes').ContentMD5 });
    const error = await put(raced).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'BadDigest', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    // Not sent again by the SDK (it would be refused alike), and nothing stored.
    expect(attemptsOf(rig.front, 'raced.html')).toHaveLength(1);
    expect(rig.s3.object('fast-bucket', 'raced.html')).toBeUndefined();

    await put(putInput('after.html', 'fine'));
    expect(rig.s3.object('fast-bucket', 'after.html')?.body.toString()).toBe('fine');
    // The SDK sent only the probe that prepared the route: the next file went the fast way.
    expect(sdkSends).toHaveBeenCalledTimes(1);
    client.destroy();
  });

  it("follows S3's redirect to the bucket's region through the SDK, and sends every later file through it", async () => {
    const elsewhere = await startS3Server({ buckets: ['fast-bucket'], region: 'ap-southeast-2' });
    const client = clientFor(elsewhere.url);
    try {
      const put = createPutObject(client, 'fast-bucket');
      await put(putInput('first.html', 'one'));
      // The fast attempt and the SDK's in eu-west-1 are redirected; the SDK's in the region S3 named is stored.
      const signed = () => elsewhere.requests.map((request) => [regionOf(request.headers), request.status]);
      expect(signed()).toEqual([
        [REGION, 301],
        [REGION, 301],
        ['ap-southeast-2', 200],
      ]);
      elsewhere.requests.length = 0;
      await put(putInput('second.html', 'two'));
      // Straight to the SDK, which (like S3Client.send alone) asks the endpoint first and follows its answer.
      expect(signed()).toEqual([
        [REGION, 301],
        ['ap-southeast-2', 200],
      ]);
      expect(elsewhere.object('fast-bucket', 'second.html')?.body.toString()).toBe('two');
    } finally {
      client.destroy();
      await elsewhere.close();
    }
  });

  it('signs with the credentials the client refreshes', async () => {
    const keys = [
      { accessKeyId: 'ASIAFIRST00000000001', secretAccessKey: 'first-secret' },
      { accessKeyId: 'ASIASECOND0000000002', secretAccessKey: 'second-secret' },
    ];
    for (const pair of keys) rig.s3.addCredentials(pair);
    let current = 0;
    // Expiring within the SDK's five-minute window, so the client asks the provider again before each request.
    const credentials = () =>
      Promise.resolve({
        ...keys[current]!,
        sessionToken: `token-${current}`,
        expiration: new Date(Date.now() + 60_000),
      });
    const client = clientFor(rig.front.url, { credentials });
    const put = createPutObject(client, 'fast-bucket');
    await put(putInput('one.html', '1'));
    current = 1;
    await put(putInput('two.html', '2'));
    const used = rig.front.seen.map(
      (request) => /Credential=([^/]+)\//.exec(String(request.headers.authorization))?.[1],
    );
    expect(used).toEqual(['ASIAFIRST00000000001', 'ASIASECOND0000000002']);
    expect(rig.front.seen.map((request) => request.headers['x-amz-security-token'])).toEqual(['token-0', 'token-1']);
    expect(rig.s3.object('fast-bucket', 'two.html')?.body.toString()).toBe('2');
    client.destroy();
  });

  it('leaves a body the SDK sends with Expect: 100-continue to the SDK', async () => {
    const client = clientFor(rig.front.url);
    const text = 'x'.repeat(2 * 1024 * 1024);
    await createPutObject(client, 'fast-bucket')(putInput('large.bin', text));
    expect(rig.front.seen.map((request) => request.headers.expect)).toEqual(['100-continue']);
    expect(rig.s3.object('fast-bucket', 'large.bin')?.size).toBe(text.length);
    client.destroy();
  });

  it("fails like the SDK where the SDK's endpoint rules refuse the bucket", async () => {
    const client = clientFor(rig.front.url);
    const arn = 'arn:aws:s3:eu-west-1:123456789012:accesspoint/site';
    const error = await createPutObject(
      client,
      arn,
    )({ ...putInput('x.html', 'x'), Bucket: arn }).catch((e: unknown) => e);
    expect(String((error as Error).message)).toMatch(/Path-style addressing cannot be used with ARN buckets/);
    expect(rig.front.seen).toEqual([]);
    client.destroy();
  });
});

describe('over HTTPS', () => {
  it('signs without hashing the body (UNSIGNED-PAYLOAD), which the strict local S3 accepts with its Content-MD5', async () => {
    const secure = await startS3Server({ buckets: ['fast-bucket'], tls: true, region: REGION });
    const { readFile } = await import('node:fs/promises');
    const ca = await readFile(secure.certFile as string, 'utf8');
    const client = clientFor(secure.url, { requestHandler: { httpsAgent: { ca, keepAlive: true } } });
    try {
      await createPutObject(client, 'fast-bucket')(putInput('secure.html', '<h1>tls</h1>'));
      expect(secure.url).toMatch(/^https:/);
      expect(secure.object('fast-bucket', 'secure.html')?.body.toString()).toBe('<h1>tls</h1>');
      const [request] = secure.requests;
      expect(request?.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
      expect(request?.status).toBe(200);

      // A body that does not match its Content-MD5 is refused, so nothing unverified is stored.
      const wrong = putInput('corrupt.html', 'the bytes', {
        ContentMD5: createHash('md5').update('other bytes').digest('base64'),
      });
      const error = await createPutObject(client, 'fast-bucket')(wrong).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'BadDigest' });
      expect(secure.object('fast-bucket', 'corrupt.html')).toBeUndefined();
    } finally {
      client.destroy();
      await secure.close();
    }
  });
});

/** The PutObject requests the strict local S3 received for a key: status and error code of each. */
const answersFor = (server: LocalS3Server, key: string) =>
  server.requests
    .filter((request) => request.operation === 'PutObject' && request.key === key)
    .map((request) => `${request.status}${request.code ? ` ${request.code}` : ''}`);

describe('over HTTPS, a store that wants the payload signed', () => {
  it('is written by the SDK from the first refusal on: one wasted request, not one per file', async () => {
    const strict = await startS3Server({
      buckets: ['fast-bucket'],
      tls: true,
      region: REGION,
      refuseUnsignedPayload: true,
    });
    const { readFile } = await import('node:fs/promises');
    const ca = await readFile(strict.certFile as string, 'utf8');
    const client = clientFor(strict.url, { requestHandler: { httpsAgent: { ca, keepAlive: true } } });
    try {
      const put = createPutObject(client, 'fast-bucket');
      for (const key of ['one.html', 'two.html', 'three.html']) await put(putInput(key, key));
      expect(strict.requests.map((request) => `${request.key} ${request.status}`)).toEqual([
        'one.html 400',
        'one.html 200',
        'two.html 200',
        'three.html 200',
      ]);
      expect(strict.object('fast-bucket', 'three.html')?.body.toString()).toBe('three.html');
    } finally {
      client.destroy();
      await strict.close();
    }
  });
});

describe("the client's own sockets", () => {
  afterEach(() => jest.restoreAllMocks());

  it('sends on connections the agent the client was given opens (its TLS settings), kept alive, not past it', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const opened = jest.spyOn(http.Agent.prototype, 'createConnection');
    const byThisAgent = () => opened.mock.contexts.filter((context) => context === agent).length;
    const client = clientFor(rig.front.url, { requestHandler: { httpAgent: agent } });
    const handle = watchHandle(client);
    const put = createPutObject(client, 'fast-bucket');
    for (const index of [1, 2, 3, 4]) await put(putInput(`agent/${index}.html`, `page ${index}`));

    // The handler made its agent on the first request (one connection); the others went out on one
    // connection the same agent opened, kept alive.
    expect(handle).toHaveBeenCalledTimes(1);
    expect(byThisAgent()).toBe(2);
    expect(rig.s3.object('fast-bucket', 'agent/4.html')?.body.toString()).toBe('page 4');
    client.destroy();
    agent.destroy();
  });

  it('sends through the agent itself when it has a proxy: its tunnels and absolute-form requests are kept', async () => {
    // Node 24 uses proxyEnv (the action sets it from HTTPS_PROXY and the like, http.ts); NO_PROXY lets this
    // test's requests reach the local S3 directly on any Node.
    const agent = new http.Agent({
      keepAlive: true,
      proxyEnv: { HTTP_PROXY: 'http://proxy.invalid:3128', NO_PROXY: '127.0.0.1' },
    });
    // addRequest is how every request takes a socket from an agent (not in @types/node).
    const throughAgent = jest.spyOn(agent as unknown as { addRequest: () => void }, 'addRequest');
    const client = clientFor(rig.front.url, { requestHandler: { httpAgent: agent } });
    const put = createPutObject(client, 'fast-bucket');
    for (const index of [1, 2, 3]) await put(putInput(`proxied/${index}.html`, `page ${index}`));
    expect(throughAgent).toHaveBeenCalledTimes(3);
    client.destroy();
    agent.destroy();
  });

  it("leaves every request to the SDK's handler when the client has a timeout, so its timers apply", async () => {
    const client = clientFor(rig.front.url, { requestHandler: { requestTimeout: 30_000, socketTimeout: 30_000 } });
    const handle = watchHandle(client);
    const put = createPutObject(client, 'fast-bucket');
    for (const index of [1, 2, 3]) await put(putInput(`timed/${index}.html`, `page ${index}`));
    expect(handle).toHaveBeenCalledTimes(3);
    client.destroy();
  });
});

describe('what the SDK would do, kept on the fast path', () => {
  it('signs odd keys as S3 verifies them: one request each, no fallback to the SDK', async () => {
    const keys = [
      'a b/c d.html',
      'plus+sign.html',
      '100%.html',
      '%41literal.html',
      'what?x=1&y=2.html',
      'frag#ment.html',
      'été/日本語/ü.html',
      'emoji-🚀.txt',
      'quote\'"back`tick.html',
      'star*(paren)!.html',
      'tilde~/semi;colon:=,@$.html',
      'brackets[{}]<>|^\\.html',
      'double//slash.html',
      'dot/./seg/../ments.html',
      ' leading-and-trailing ',
    ];
    const client = clientFor(rig.s3.url);
    const put = createPutObject(client, 'fast-bucket');
    rig.s3.requests.length = 0;
    for (const key of keys) await put(putInput(key, `body of ${key}`));
    for (const key of keys) {
      expect([key, answersFor(rig.s3, key)]).toEqual([key, ['200']]);
      expect(rig.s3.object('fast-bucket', key)?.body.toString()).toBe(`body of ${key}`);
    }
    client.destroy();
  });

  it("corrects a wrong clock as the SDK does (RequestTimeTooSkewed), and later files are signed with S3's time", async () => {
    // A runner whose clock is 20 minutes slow: S3 refuses signatures more than 15 minutes off.
    const ahead = await startS3Server({ buckets: ['fast-bucket'], region: REGION, clockOffset: 20 * 60_000 });
    const client = clientFor(ahead.url);
    try {
      const put = createPutObject(client, 'fast-bucket');
      await put(putInput('skewed-1.html', 'one'));
      // The fast attempt, the SDK's (which learns S3's time from the answer), the SDK's retry.
      expect(answersFor(ahead, 'skewed-1.html')).toEqual([
        '403 RequestTimeTooSkewed',
        '403 RequestTimeTooSkewed',
        '200',
      ]);
      await put(putInput('skewed-2.html', 'two'));
      expect(answersFor(ahead, 'skewed-2.html')).toEqual(['200']);
      expect(ahead.object('fast-bucket', 'skewed-2.html')?.body.toString()).toBe('two');
    } finally {
      client.destroy();
      await ahead.close();
    }
  });

  it('reaches the endpoint named in AWS_ENDPOINT_URL_S3', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_S3;
    process.env.AWS_ENDPOINT_URL_S3 = rig.s3.url;
    try {
      const client = new S3Client({
        region: REGION,
        forcePathStyle: true,
        credentials: S3_CREDENTIALS,
        requestChecksumCalculation: 'WHEN_REQUIRED',
      });
      rig.s3.requests.length = 0;
      await createPutObject(client, 'fast-bucket')(putInput('from-env.html', 'env'));
      expect(answersFor(rig.s3, 'from-env.html')).toEqual(['200']);
      expect(rig.s3.object('fast-bucket', 'from-env.html')?.body.toString()).toBe('env');
      client.destroy();
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_S3;
      else process.env.AWS_ENDPOINT_URL_S3 = saved;
    }
  });

  it('leaves to the SDK a client whose PutObject carries more than this path writes (a flexible checksum, a middleware)', async () => {
    const checksummed = clientFor(rig.s3.url, { requestChecksumCalculation: 'WHEN_SUPPORTED' });
    const tagged = clientFor(rig.s3.url);
    tagged.middlewareStack.add(
      (next) => (args) => {
        (args.request as { headers: Record<string, string> }).headers['x-team'] = 'docs';
        return next(args);
      },
      { step: 'build', name: 'teamHeader' },
    );
    rig.s3.requests.length = 0;
    await createPutObject(checksummed, 'fast-bucket')(putInput('checksummed.html', 'crc'));
    await createPutObject(tagged, 'fast-bucket')(putInput('tagged.html', 'tag'));
    const received = (key: string) => rig.s3.requests.filter((request) => request.key === key);
    expect(received('checksummed.html').map((request) => request.headers['x-amz-checksum-crc32'])).toEqual([
      expect.stringMatching(/^[A-Za-z0-9+/]+=*$/),
    ]);
    expect(received('tagged.html').map((request) => request.headers['x-team'])).toEqual(['docs']);
    expect(answersFor(rig.s3, 'tagged.html')).toEqual(['200']);
    checksummed.destroy();
    tagged.destroy();
  });
});

/** A request handler that answers every request 200 and keeps it, so endpoints that are not local can be read. */
function capturingHandler() {
  const requests: HttpRequest[] = [];
  const handler = {
    requests,
    handle: (request: HttpRequest) => {
      requests.push(HttpRequest.clone(request));
      const response = new HttpResponse({
        statusCode: 200,
        headers: { etag: '"0cc175b9c0f1b6a831c399e269772661"' },
        body: Readable.from([]),
      });
      return Promise.resolve({ response });
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  };
  return handler;
}

describe("the SDK's endpoint rules, decided by the SDK and kept", () => {
  const credentials = new Map([[S3_CREDENTIALS.accessKeyId, S3_CREDENTIALS.secretAccessKey]]);
  const cases: Array<[string, string, Partial<S3ClientConfig>]> = [
    ['virtual-hosted', 'fast-bucket', { region: 'eu-west-1' }],
    ['path style for a dotted name', 'fast.dotted.bucket', { region: 'eu-west-1' }],
    ['forcePathStyle', 'fast-bucket', { region: 'eu-west-1', forcePathStyle: true }],
    ['FIPS', 'fast-bucket', { region: 'us-east-1', useFipsEndpoint: true }],
    ['dual-stack', 'fast-bucket', { region: 'eu-west-1', useDualstackEndpoint: true }],
    [
      'GovCloud, FIPS and dual-stack',
      'fast-bucket',
      { region: 'us-gov-west-1', useFipsEndpoint: true, useDualstackEndpoint: true },
    ],
    ['the China partition', 'fast-bucket', { region: 'cn-north-1' }],
    ['an access point', 'arn:aws:s3:us-west-2:123456789012:accesspoint/site', { region: 'us-west-2' }],
  ];

  it.each(cases)(
    '%s: the host, path and signing scope the SDK chose, signed as S3 verifies',
    async (_name, bucket, config) => {
      const handler = capturingHandler();
      const client = new S3Client({
        credentials: S3_CREDENTIALS,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        requestHandler: handler,
        ...config,
      });
      const input = { ...putInput('docs/a b+c.html', 'rules'), Bucket: bucket };
      await client.send(new PutObjectCommand(input));
      const result = await createPutObject(client, bucket)(input);
      expect(result.ETag).toBe('"0cc175b9c0f1b6a831c399e269772661"');
      const [sdk, fast] = handler.requests;
      expect(handler.requests).toHaveLength(2);
      const line = (request: HttpRequest | undefined) =>
        `${request?.protocol}//${request?.hostname}:${request?.port ?? ''}${request?.path}`;
      expect(line(fast)).toBe(line(sdk));
      expect(fast?.headers.host).toBe(sdk?.headers.host);
      const scope = (request: HttpRequest | undefined) =>
        /Credential=[^/]+\/\d+\/([^,]+),/.exec(String(request?.headers.authorization))?.[1];
      expect(scope(fast)).toBe(scope(sdk));
      const verified = await verifySignature({
        method: 'PUT',
        url: `${fast?.path}?x-id=PutObject`,
        headers: fast?.headers ?? {},
        credentials,
      });
      expect(verified.scope.split('/').slice(1)).toEqual(scope(sdk)?.split('/'));
      client.destroy();
    },
  );

  it('gives a multi-region access point (SigV4a) to the SDK, whose own error the user reads', async () => {
    const handler = capturingHandler();
    const client = new S3Client({ region: 'us-east-1', credentials: S3_CREDENTIALS, requestHandler: handler });
    const bucket = 'arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap';
    const bySdk = await client
      .send(new PutObjectCommand({ ...putInput('x.html', 'x'), Bucket: bucket }))
      .catch((e: unknown) => e);
    const byFastPath = await createPutObject(
      client,
      bucket,
    )({ ...putInput('x.html', 'x'), Bucket: bucket }).catch((e: unknown) => e);
    expect(byFastPath).toBeInstanceOf(Error);
    expect((byFastPath as Error).message).toBe((bySdk as Error).message);
    expect(handler.requests).toEqual([]);
    client.destroy();
  });
});
