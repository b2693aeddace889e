/**
 * PutObject for whole-file uploads without the SDK's per-command work. `S3Client.send` rebuilds a
 * middleware stack, resolves the endpoint, selects an auth scheme, serialises through schemas and signs
 * through several layers for every request: 1.3-1.7 ms of CPU per PutObject on a 2-core runner, where
 * the request itself needs a fifth of that. Here the SDK decides once per bucket, with its own endpoint
 * resolver and auth scheme (so AWS_ENDPOINT_URL_S3, FIPS, dual-stack, access points and path style are its
 * decisions), and each request reuses what it decided: the SDK's user agent, the client's credentials
 * (refreshed as the SDK refreshes them) and clock offset, the client's retry strategy, driven as the SDK's
 * retry middleware drives it (backoff on 5xx, throttling, S3's RequestTimeout and dropped connections,
 * within the client's retry budget) and the client's own HTTP handler's agents, sockets and proxy
 * (send-request.ts). SigV4 is computed by sigv4.ts, equal to the SDK's signer.
 *
 * Anything unusual is handed to `S3Client.send` with the same input, so the SDK's full behaviour applies
 * where it matters: any answer other than success or a retryable error (a redirect to the bucket's region,
 * a clock-skew correction, the SDK's own error for a refusal), bodies large enough for the SDK to send
 * `Expect: 100-continue`, and buckets whose auth scheme is not plain SigV4 (multi-region access points,
 * S3 Express directory buckets), and clients whose PutObject would carry a header this path does not write
 * (a flexible checksum, a middleware of their own). After a region redirect, or a refusal that the SDK's own
 * request then got past (a store that wants the payload signed), every later request goes through the SDK.
 *
 * Over HTTPS the payload is not hashed for the signature (UNSIGNED-PAYLOAD): TLS protects the bytes in
 * transit and S3 checks them against their Content-MD5, which every upload carries.
 */
import { createHash } from 'node:crypto';
import {
  PutObjectCommand,
  type PutObjectCommandInput,
  type PutObjectCommandOutput,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { HttpRequest, extendedEncodeURIComponent } from '@smithy/core/protocols';
import {
  INVOCATION_ID_HEADER,
  REQUEST_HEADER,
  getRetryAfterHint,
  isServerError,
  isThrottlingError,
  isTransientError,
  retryMiddleware,
} from '@smithy/core/retry';
import { v4 } from '@smithy/core/serde';
import type {
  EndpointV2,
  FinalizeHandler,
  HttpResponse,
  RequestHandler,
  RetryErrorInfo,
  RetryStrategyV2,
  RetryToken,
} from '@smithy/types';
import { senderFor } from './send-request.js';
import { type Credentials, sign } from './sigv4.js';

/** What a whole-file upload sends: a buffer with its Content-MD5, headers and encryption. */
export type PutObjectInput = Pick<
  PutObjectCommandInput,
  | 'Bucket'
  | 'Key'
  | 'ContentMD5'
  | 'ContentType'
  | 'CacheControl'
  | 'ContentEncoding'
  | 'ServerSideEncryption'
  | 'SSEKMSKeyId'
> & { Body: Buffer; ContentLength: number };

export type PutObjectResult = Pick<PutObjectCommandOutput, 'ETag' | 'ServerSideEncryption'>;

export type PutObject = (input: PutObjectInput) => Promise<PutObjectResult>;

/** The key of the PutObject the SDK prepares (and never sends) to show what it decided. */
const PROBE_KEY = 'probe';

/** The query the SDK sends with PutObject, in canonical form for signing. */
const QUERY = 'x-id=PutObject';

/**
 * The headers the SDK puts on a plain PutObject, each of which this file writes itself. A probe with any
 * other (a flexible checksum with WHEN_SUPPORTED, Lambda's trace id, a middleware someone added to the
 * client) means the SDK would send something this path does not: every upload then goes through the SDK.
 */
const KNOWN_HEADERS = new Set([
  'host',
  'content-type',
  'content-length',
  'user-agent',
  'x-amz-user-agent',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
  'authorization',
]);

/** The request headers each input member is sent as (the names S3's model gives them). */
const HEADERS = {
  ContentMD5: 'content-md5',
  ContentType: 'content-type',
  CacheControl: 'cache-control',
  ContentEncoding: 'content-encoding',
  ServerSideEncryption: 'x-amz-server-side-encryption',
  SSEKMSKeyId: 'x-amz-server-side-encryption-aws-kms-key-id',
} as const satisfies Partial<Record<keyof PutObjectInput, string>>;

/** The parts of the client's resolved configuration used here (all of them the SDK's own). */
interface ClientConfig {
  credentials: () => Promise<Credentials>;
  requestHandler: RequestHandler<unknown, HttpResponse>;
  systemClockOffset: number;
  expectContinueHeader?: boolean | number;
  retryStrategy: () => Promise<RetryStrategyV2 | object>;
  maxAttempts: () => Promise<number>;
}

interface AuthScheme {
  name: string;
  /** S3 signs the path as sent; a scheme that encodes it again is left to the SDK. */
  disableDoubleEncoding?: boolean;
  signingName: string;
  signingRegion: string;
  properties?: Record<string, unknown>;
}

type Answer = PutObjectResult & { $metadata: object };

/** An error as the SDK's retry classifiers take it. */
type SdkError = Parameters<typeof isThrottlingError>[0];

/** What the SDK decided for one bucket, reused by every request to it. */
interface Route {
  protocol: string;
  hostname: string;
  port: number | undefined;
  /** The endpoint's path ('' or '/bucket' for path style), to which '/' and the key are appended. */
  basePath: string;
  host: string;
  authScheme: AuthScheme;
  /** The SDK's user agent headers, as its middleware wrote them for PutObject. */
  userAgent: Record<string, string>;
  /** Bodies from this length on get `Expect: 100-continue` from the SDK, so the SDK sends them. */
  maxBodyLength: number;
  /** Over TLS the body is protected in transit and by Content-MD5: no SHA-256 of it in the signature. */
  unsignedPayload: boolean;
  send: (args: { input: PutObjectInput; request: HttpRequest }) => Promise<{ output: PutObjectResult }>;
}

function serverSideEncryption({ ServerSideEncryption }: PutObjectResult): PutObjectResult {
  return ServerSideEncryption ? { ServerSideEncryption } : {};
}

/** Thrown inside a request for an answer the SDK should handle; carries nothing the caller sees. */
class HandToSdk extends Error {
  constructor(
    readonly redirected: boolean,
    /** S3's error code, if the answer had one. */
    readonly code: string | undefined,
  ) {
    super('handed to the SDK');
  }
}

/** Refusals that say nothing about this path: the SDK corrects the clock. */
const PASSING_REFUSALS = new Set(['RequestTimeTooSkewed']);

const putters = new WeakMap<S3Client, Map<string, PutObject>>();

/** The PutObject for this client and bucket, decided once and kept. */
export function putObjectFor(client: S3Client, bucket: string): PutObject {
  let byBucket = putters.get(client);
  if (!byBucket) putters.set(client, (byBucket = new Map<string, PutObject>()));
  let put = byBucket.get(bucket);
  if (!put) byBucket.set(bucket, (put = createPutObject(client, bucket)));
  return put;
}

export function createPutObject(client: S3Client, bucket: string): PutObject {
  const viaSdk = async (input: PutObjectInput): Promise<PutObjectResult> => {
    const output = await client.send(new PutObjectCommand(input));
    return { ...(output.ETag === undefined ? {} : { ETag: output.ETag }), ...serverSideEncryption(output) };
  };
  let route: Promise<Route | undefined> | undefined;
  let sdkOnly = false;
  let probeFailures = 0;

  return async (input) => {
    if (input.Bucket !== bucket) throw new Error(`This PutObject is for bucket '${bucket}', not '${input.Bucket}'.`);
    if (sdkOnly) return viaSdk(input);
    // Whatever stops the route from resolving (an endpoint the rules refuse) the SDK says for each file. A
    // passing failure (the credential provider timed out once) must not turn this path off for the whole
    // deploy: the next file probes again, up to three times.
    route ??= resolveRoute(client, bucket).catch(() => {
      if (++probeFailures < 3) route = undefined;
      return undefined;
    });
    const resolved = await route;
    if (!resolved || input.ContentLength >= resolved.maxBodyLength) return viaSdk(input);
    try {
      const { output } = await resolved.send({ input, request: buildRequest(resolved, input) });
      return { ...(output.ETag === undefined ? {} : { ETag: output.ETag }), ...serverSideEncryption(output) };
    } catch (error) {
      if (!(error instanceof HandToSdk)) throw error;
      if (error.redirected) sdkOnly = true;
      const result = await viaSdk(input);
      // The SDK's own request was taken where this one was refused (a store that wants the payload hashed,
      // say): this path is wrong for this store, so the SDK sends the rest.
      if (!PASSING_REFUSALS.has(error.code ?? '')) sdkOnly = true;
      return result;
    }
  };
}

/**
 * The endpoint, auth scheme and user agent for PutObject to this bucket, as the SDK decides them: the
 * client's own middleware stack prepares one PutObject (endpoint rules, auth scheme, user agent, all of
 * it) and is stopped before anything is sent. Undefined when the SDK should send every request itself (an
 * auth scheme other than SigV4, or an endpoint that adds headers of its own).
 */
async function resolveRoute(client: S3Client, bucket: string): Promise<Route | undefined> {
  const config = client.config as unknown as ClientConfig;
  const probe = await prepareWithSdk(client, bucket);
  const endpoint = probe.endpoint;
  const authScheme = probe.authScheme;
  if (!endpoint || authScheme?.name !== 'sigv4' || authScheme.disableDoubleEncoding !== true) return undefined;
  if (Object.keys(endpoint.headers ?? {}).length > 0) return undefined;
  if (Object.keys(probe.headers).some((name) => !KNOWN_HEADERS.has(name.toLowerCase()))) return undefined;
  if (Object.entries(probe.query).join() !== 'x-id,PutObject') return undefined;
  const { url } = endpoint;
  const basePath = url.pathname === '/' ? '' : url.pathname;
  // Keys go where the SDK put the probe's: otherwise its path scheme is not the one this file knows.
  if (probe.path !== `${basePath}/${PROBE_KEY}`) return undefined;
  const route: Omit<Route, 'send'> = {
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    basePath,
    host: url.host,
    authScheme,
    userAgent: pick(probe.headers, ['user-agent', 'x-amz-user-agent']),
    unsignedPayload: url.protocol === 'https:',
    maxBodyLength: expectContinueFrom(config.expectContinueHeader),
  };
  const sendRequest = senderFor(config.requestHandler);
  const attempt: FinalizeHandler<PutObjectInput, Answer> = async ({ request }) => {
    // Each attempt is signed anew (a fresh date, refreshed credentials), as the SDK signs after its retry step.
    const signed = request as HttpRequest;
    sign(
      { method: 'PUT', path: signed.path, query: QUERY, headers: signed.headers },
      {
        credentials: await config.credentials(),
        region: authScheme.signingRegion,
        service: authScheme.signingName,
        date: new Date(Date.now() + config.systemClockOffset),
      },
    );
    const response = await sendRequest(signed);
    return { response, output: await readAnswer(response, authScheme.signingRegion) };
  };
  const strategy = await config.retryStrategy();
  const send: Route['send'] = isRetryStrategyV2(strategy)
    ? withRetries(attempt, strategy, await config.maxAttempts())
    : retryMiddleware(client.config)<Answer>(attempt, {});
  return { ...route, send };
}

function isRetryStrategyV2(strategy: object): strategy is RetryStrategyV2 {
  const { acquireInitialRetryToken, refreshRetryTokenForRetry, recordSuccess } = strategy as Partial<RetryStrategyV2>;
  return [acquireInitialRetryToken, refreshRetryTokenForRetry, recordSuccess].every((f) => typeof f === 'function');
}

/**
 * What the SDK's retry middleware (@smithy/core/retry's retryMiddleware, for a client with a RetryStrategyV2)
 * does around each request, done here for this path's requests: the client's own strategy (so its retry
 * budget), the same headers, backoff and $metadata. The middleware resolves the strategy and the attempts
 * anew for each request and races an abort signal this path never has: 0.06 ms of CPU per PutObject on
 * this project's 2-core machine, 0.31 against 0.37 ms (bench/request-cost.mjs --tls --latency 20, 8
 * alternated runs). review-retries.test holds this beside S3Client.send for each kind of failure.
 */
function withRetries(
  attempt: FinalizeHandler<PutObjectInput, Answer>,
  strategy: RetryStrategyV2,
  maxAttempts: number,
): Route['send'] {
  return async (args) => {
    const { request } = args;
    let token: RetryToken & { $retryLog?: { acquisitionDelay?: number } } = await strategy.acquireInitialRetryToken('');
    request.headers[INVOCATION_ID_HEADER] = v4();
    let attempts = 0;
    let totalRetryDelay = 0;
    for (;;) {
      request.headers[REQUEST_HEADER] = `attempt=${attempts + 1}; max=${maxAttempts}`;
      try {
        const { output } = (await attempt(args)) as { output: Answer };
        strategy.recordSuccess(token);
        Object.assign(output.$metadata, { attempts: attempts + 1, totalRetryDelay });
        return { output };
      } catch (error) {
        const failure = asSdkError(error);
        try {
          token = await strategy.refreshRetryTokenForRetry(token, retryErrorInfo(error));
        } catch {
          const withMetadata = failure as Error & { $metadata?: Record<string, unknown> };
          withMetadata.$metadata ??= {};
          Object.assign(withMetadata.$metadata, { attempts: attempts + 1, totalRetryDelay });
          throw failure;
        }
        attempts = token.getRetryCount();
        const delay = token.getRetryDelay();
        totalRetryDelay += (token.$retryLog?.acquisitionDelay ?? 0) + delay;
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };
}

/** The error the SDK's retry middleware throws for what a request threw (its asSdkError, not exported). */
function asSdkError(error: unknown): Error {
  if (error instanceof Error) return error;
  if (error instanceof Object) return Object.assign(new Error(), error);
  if (typeof error === 'string') return new Error(error);
  return new Error(`AWS SDK error wrapper for ${String(error)}`);
}

/** How the SDK's retry middleware sorts an error for its strategy (its getRetryErrorInfo, not exported). */
function retryErrorInfo(error: unknown): RetryErrorInfo {
  const retryAfterHint = getRetryAfterHint((error as { $response?: unknown }).$response);
  return { error: error as SdkError, errorType: errorTypeOf(error), ...(retryAfterHint ? { retryAfterHint } : {}) };
}

/** The kind of failure the SDK's retry strategy judges; every kind but CLIENT_ERROR is retried. */
function errorTypeOf(error: unknown): RetryErrorInfo['errorType'] {
  const sdkError = error as SdkError;
  if (isThrottlingError(sdkError)) return 'THROTTLING';
  if (isTransientError(sdkError)) return 'TRANSIENT';
  return isServerError(sdkError) ? 'SERVER_ERROR' : 'CLIENT_ERROR';
}

/** The body length from which the SDK's middleware adds `Expect: 100-continue` (2 MiB by default). */
function expectContinueFrom(setting: boolean | number | undefined): number {
  if (typeof setting === 'number') return setting;
  return setting === false ? Number.POSITIVE_INFINITY : 0;
}

/** Stops the probe once the SDK has prepared its request. */
class Prepared extends Error {}

type PreparedRequest = {
  endpoint?: EndpointV2;
  authScheme?: AuthScheme;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
};

/** What the SDK decides for a PutObject to this bucket, read just before its retry step would send it. */
async function prepareWithSdk(client: S3Client, bucket: string): Promise<PreparedRequest> {
  const command = new PutObjectCommand({ Bucket: bucket, Key: PROBE_KEY, Body: new Uint8Array(0) });
  let prepared: PreparedRequest | undefined;
  command.middlewareStack.add(
    (_next, context) => (args) => {
      const { endpointV2, authSchemes } = context as { endpointV2?: EndpointV2; authSchemes?: AuthScheme[] };
      prepared = {
        ...(endpointV2 ? { endpoint: endpointV2 } : {}),
        ...(authSchemes?.[0] ? { authScheme: authSchemes[0] } : {}),
        path: (args.request as HttpRequest).path,
        query: { ...(args.request as HttpRequest).query },
        headers: { ...(args.request as HttpRequest).headers },
      };
      return Promise.reject(new Prepared());
    },
    { step: 'finalizeRequest', priority: 'high', name: 'preparedPutObject' },
  );
  await client.send(command).catch((error: unknown) => {
    if (!(error instanceof Prepared)) throw error;
  });
  if (!prepared) throw new Error('The SDK prepared no PutObject request.');
  return prepared;
}

function pick(headers: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (headers[name] === undefined ? [] : [[name, headers[name]]])));
}

function buildRequest(route: Route, input: PutObjectInput): HttpRequest {
  const headers: Record<string, string> = {
    host: route.host,
    ...route.userAgent,
    'content-length': String(input.ContentLength),
  };
  for (const [member, header] of Object.entries(HEADERS) as Array<[keyof typeof HEADERS, string]>) {
    const value = input[member];
    if (value !== undefined && value !== '') headers[header] = value;
  }
  headers['x-amz-content-sha256'] = route.unsignedPayload
    ? 'UNSIGNED-PAYLOAD'
    : createHash('sha256').update(input.Body).digest('hex');
  return new HttpRequest({
    method: 'PUT',
    protocol: route.protocol,
    hostname: route.hostname,
    ...(route.port === undefined ? {} : { port: route.port }),
    path: `${route.basePath}/${(input.Key ?? '').split('/').map(extendedEncodeURIComponent).join('/')}`,
    query: { 'x-id': 'PutObject' },
    headers,
    body: input.Body,
  });
}

/**
 * The result of a 2xx answer. A 5xx, or a 4xx the SDK's retry strategy retries (429, S3's 400
 * RequestTimeout), becomes an S3 error the strategy judges (and retries with backoff, within the client's
 * budget), as does BadDigest (never retried); any other answer is handed to the SDK, which knows
 * redirects, clock skew and every error's own shape.
 */
async function readAnswer(response: HttpResponse, signingRegion: string): Promise<Answer> {
  const { statusCode, headers } = response;
  if (statusCode >= 200 && statusCode < 300) {
    (response.body as NodeJS.ReadableStream | undefined)?.resume();
    return {
      $metadata: { httpStatusCode: statusCode, requestId: headers['x-amz-request-id'] },
      ...(headers.etag === undefined ? {} : { ETag: headers.etag }),
      ...(headers['x-amz-server-side-encryption']
        ? { ServerSideEncryption: headers['x-amz-server-side-encryption'] as PutObjectResult['ServerSideEncryption'] }
        : {}),
    };
  }
  const body = await readText(response.body as NodeJS.ReadableStream | undefined);
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
  const name = code ?? (statusCode === 503 ? 'ServiceUnavailable' : 'InternalError');
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? `HTTP ${statusCode}`;
  const requestId = headers['x-amz-request-id'];
  const extendedRequestId = headers['x-amz-id-2'];
  const error = Object.assign(
    new S3ServiceException({
      name,
      $fault: statusCode < 500 ? 'client' : 'server',
      message,
      $metadata: {
        httpStatusCode: statusCode,
        ...(requestId ? { requestId } : {}),
        ...(extendedRequestId ? { extendedRequestId } : {}),
      },
    }),
    { Code: name, $response: response },
  );
  // A refusal the SDK's strategy retries as it stands (429, S3's 400 RequestTimeout) is retried here as the
  // SDK retries it: handed over, it would be sent again at once, outside the budget, its attempts counted
  // anew. BadDigest is about these bytes, not this path: the SDK would send the same body and be refused alike.
  if (statusCode < 500 && errorTypeOf(error) === 'CLIENT_ERROR' && code !== 'BadDigest') {
    const bucketRegion = headers['x-amz-bucket-region'];
    const redirected =
      statusCode === 301 || statusCode === 307 || (bucketRegion !== undefined && bucketRegion !== signingRegion);
    throw new HandToSdk(redirected, code);
  }
  return Promise.reject(error);
}

/** An error answer's body (S3's are a few hundred bytes; at most 64 KiB is kept). */
async function readText(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) return '';
  let text = '';
  for await (const chunk of stream) if (text.length < 65_536) text += chunk.toString();
  return text;
}
