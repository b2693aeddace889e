// A wire-level CloudFront API server (REST-XML, API version 2020-05-31) for tests and the demo: the
// invalidation operations, GetDistribution, GetDistributionConfig and GetCachePolicy, as the JS SDK v3 and
// the AWS CLI speak them.
// Run alone: node local/cloudfront-server.mjs [--port N] [--complete-after-ms N]
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

const API = '/2020-05-31';
const NAMESPACE = 'http://cloudfront.amazonaws.com/doc/2020-05-31/';
/** CloudFront's documented limits (see shared FACTS.md). */
const MAX_PATHS_PER_REQUEST = 3000;
const MAX_FILE_PATHS_IN_PROGRESS = 3000;
const MAX_WILDCARDS_IN_PROGRESS = 15;
const MAX_PATH_LENGTH = 4000;
/**
 * Characters CloudFront refuses raw in an invalidation path ("invalid invalidation paths"): RFC 1738's unsafe
 * characters and controls, which it documents must be URL-encoded ('~': aws/aws-sdk#525; '[' and a space:
 * middleman-cloudfront PR 15). (Raw non-ASCII is documented as "encode it", not as refused: let through.)
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it must refuse
const REFUSED_RAW = /[\s"<>#{}|\\^~[\]`\u0000-\u001f\u007f]/;

/** HTTP status of each error code the server can answer with, as CloudFront sends them. */
const ERROR_STATUS = {
  AccessDenied: 403,
  BatchTooLarge: 413,
  ExpiredToken: 403,
  InconsistentQuantities: 400,
  InternalError: 500,
  InvalidArgument: 400,
  InvalidClientTokenId: 403,
  InvalidationBatchAlreadyExists: 409,
  MalformedInput: 400,
  MissingAuthenticationToken: 403,
  MissingBody: 400,
  NoSuchCachePolicy: 404,
  NoSuchDistribution: 404,
  NoSuchInvalidation: 404,
  NoSuchResource: 404,
  ServiceUnavailable: 503,
  SignatureDoesNotMatch: 403,
  Throttling: 400,
  TooManyInvalidationsInProgress: 400,
};

class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const xml = new XMLParser({ isArray: (name) => name === 'Path', parseTagValue: false, trimValues: true });

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function element(name, content) {
  return `<${name}>${content}</${name}>`;
}

/** A bad %-escape in the URL must answer 400, not throw out of the request handler and kill the process. */
function decodeSegment(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError('InvalidArgument', `Malformed URL segment: ${segment}`);
  }
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** Real invalidation ids are 'I' + 13 upper-case alphanumerics, e.g. I2J0I21PCUYOIK. */
const newInvalidationId = () => `I${Array.from(randomBytes(13), (byte) => ID_ALPHABET[byte % 36]).join('')}`;

/** The managed cache policies as AWS documents them ("Use managed cache policies"); GetCachePolicy returns them. */
const MANAGED_CACHE_POLICIES = [
  {
    id: '658327ea-f89d-4fab-a63d-7e88639e58f6',
    name: 'Managed-CachingOptimized',
    minTtl: 1,
    defaultTtl: 86400,
    maxTtl: 31536000,
  },
  {
    id: 'b2884449-e4de-46a7-ac36-70bc7f1ddd6d',
    name: 'Managed-CachingOptimizedForUncompressedObjects',
    minTtl: 1,
    defaultTtl: 86400,
    maxTtl: 31536000,
  },
  { id: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', name: 'Managed-CachingDisabled', minTtl: 0, defaultTtl: 0, maxTtl: 0 },
];
/** A new distribution's default behaviour in the console: CachingOptimized. */
const DEFAULT_CACHE_POLICY_ID = MANAGED_CACHE_POLICIES[0].id;

/**
 * @param {import('./cloudfront-server.d.mts').CloudFrontServerOptions} [options]
 */
export async function startCloudFrontServer({
  port = 0,
  host = '127.0.0.1',
  completeAfterMs = 1000,
  quiet = true,
  distributions = [{ id: 'E2EXAMPLE0000' }],
  cachePolicies = [],
} = {}) {
  const known = new Map(
    distributions.map((d) => [
      d.id,
      {
        id: d.id,
        bucketDomain: d.bucketDomain ?? 'site-bucket.s3.us-east-1.amazonaws.com',
        originPath: d.originPath ?? '',
        domainName: d.domainName ?? `d${d.id.toLowerCase().slice(0, 13)}.cloudfront.net`,
        aliases: d.aliases ?? [],
        completeAfterMs: d.completeAfterMs ?? completeAfterMs,
        defaultBehavior: d.defaultBehavior ?? { cachePolicyId: DEFAULT_CACHE_POLICY_ID },
        behaviors: d.behaviors ?? [],
        invalidations: [],
      },
    ]),
  );
  const policies = new Map([...MANAGED_CACHE_POLICIES, ...cachePolicies].map((policy) => [policy.id, policy]));
  const requests = [];
  const injected = new Map(); // operation -> [{ code, times, distributionId, afterHandling }]
  const delays = new Map(); // operation -> [{ ms, times, distributionId }]

  const statusOf = (invalidation) =>
    Date.now() - invalidation.created >= invalidation.completeAfterMs ? 'Completed' : 'InProgress';

  function distribution(id) {
    const found = known.get(id);
    if (!found) throw new ApiError('NoSuchDistribution', 'The specified distribution does not exist.');
    return found;
  }

  function invalidationXml(invalidation) {
    const items = invalidation.paths.map((p) => element('Path', escape(p))).join('');
    return (
      `<?xml version="1.0" encoding="UTF-8"?>\n<Invalidation xmlns="${NAMESPACE}">` +
      element('Id', invalidation.id) +
      element('Status', statusOf(invalidation)) +
      element('CreateTime', new Date(invalidation.created).toISOString()) +
      element(
        'InvalidationBatch',
        element('Paths', element('Quantity', invalidation.paths.length) + element('Items', items)) +
          element('CallerReference', escape(invalidation.callerReference)),
      ) +
      '</Invalidation>'
    );
  }

  function createInvalidation(target, body) {
    if (!body.trim()) throw new ApiError('MissingBody', 'The request is missing a body.');
    // The parser is lenient (an unclosed tag still parses), so validate first as CloudFront would.
    if (XMLValidator.validate(body) !== true)
      throw new ApiError('MalformedInput', 'The XML document is not well-formed.');
    const batch = xml.parse(body).InvalidationBatch;
    const callerReference = batch?.CallerReference;
    const quantity = Number(batch?.Paths?.Quantity);
    const paths = batch?.Paths?.Items?.Path ?? [];
    if (!batch?.Paths || !callerReference) {
      throw new ApiError('InvalidArgument', 'An InvalidationBatch needs Paths and a CallerReference.');
    }
    if (quantity !== paths.length) {
      throw new ApiError(
        'InconsistentQuantities',
        `Quantity ${quantity} does not match the ${paths.length} paths given.`,
      );
    }
    if (paths.length > MAX_PATHS_PER_REQUEST) {
      throw new ApiError('BatchTooLarge', `Your request contains more than ${MAX_PATHS_PER_REQUEST} paths.`);
    }
    for (const path of paths) {
      const star = path.indexOf('*');
      if (
        !path.startsWith('/') ||
        (star !== -1 && star !== path.length - 1) ||
        path.length > MAX_PATH_LENGTH ||
        REFUSED_RAW.test(path)
      ) {
        throw new ApiError('InvalidArgument', `Your request contains one or more invalid invalidation paths: ${path}`);
      }
    }
    const existing = target.invalidations.find((i) => i.callerReference === callerReference);
    if (existing) {
      const same =
        existing.paths.length === paths.length &&
        [...existing.paths].sort().join('\n') === [...paths].sort().join('\n');
      if (!same) {
        throw new ApiError(
          'InvalidationBatchAlreadyExists',
          'A different invalidation batch with this CallerReference already exists.',
        );
      }
      return existing;
    }
    const inProgress = target.invalidations.filter((i) => statusOf(i) === 'InProgress').flatMap((i) => i.paths);
    const all = [...inProgress, ...paths];
    const wildcards = all.filter((p) => p.endsWith('*')).length;
    if (wildcards > MAX_WILDCARDS_IN_PROGRESS || all.length - wildcards > MAX_FILE_PATHS_IN_PROGRESS) {
      throw new ApiError(
        'TooManyInvalidationsInProgress',
        'Processing your request would cause the maximum number of in-progress invalidations to be exceeded.',
      );
    }
    const invalidation = {
      id: newInvalidationId(),
      callerReference,
      paths,
      created: Date.now(),
      completeAfterMs: target.completeAfterMs,
    };
    target.invalidations.push(invalidation);
    return invalidation;
  }

  /** A cache behaviour's settings: a cache policy id, or the legacy TTLs with ForwardedValues. */
  function behaviorXml(behavior) {
    const settings = behavior.cachePolicyId
      ? element('CachePolicyId', escape(behavior.cachePolicyId))
      : element(
          'ForwardedValues',
          element('QueryString', 'false') +
            element('Cookies', element('Forward', 'none')) +
            element('Headers', element('Quantity', 0)) +
            element('QueryStringCacheKeys', element('Quantity', 0)),
        ) +
        element('MinTTL', behavior.legacyTtls?.min ?? 0) +
        (behavior.legacyTtls?.default === undefined ? '' : element('DefaultTTL', behavior.legacyTtls.default)) +
        (behavior.legacyTtls?.max === undefined ? '' : element('MaxTTL', behavior.legacyTtls.max));
    return (
      element('TargetOriginId', escape(behavior.targetOriginId ?? 's3-origin')) +
      element('ViewerProtocolPolicy', 'redirect-to-https') +
      settings
    );
  }

  function cachePolicyXml(policy) {
    const parameters =
      element('EnableAcceptEncodingGzip', 'true') +
      element('EnableAcceptEncodingBrotli', 'true') +
      element('HeadersConfig', element('HeaderBehavior', 'none')) +
      element('CookiesConfig', element('CookieBehavior', 'none')) +
      element('QueryStringsConfig', element('QueryStringBehavior', 'none'));
    return (
      `<?xml version="1.0" encoding="UTF-8"?>\n<CachePolicy xmlns="${NAMESPACE}">` +
      element('Id', escape(policy.id)) +
      element('LastModifiedTime', new Date(0).toISOString()) +
      element(
        'CachePolicyConfig',
        element('Comment', '') +
          element('Name', escape(policy.name)) +
          element('DefaultTTL', policy.defaultTtl) +
          element('MaxTTL', policy.maxTtl) +
          element('MinTTL', policy.minTtl) +
          element('ParametersInCacheKeyAndForwardedToOrigin', parameters),
      ) +
      '</CachePolicy>'
    );
  }

  function distributionConfigXml(target) {
    const origin =
      element('Id', 's3-origin') +
      element('DomainName', escape(target.bucketDomain)) +
      element('OriginPath', escape(target.originPath)) +
      element('CustomHeaders', element('Quantity', 0)) +
      element('S3OriginConfig', element('OriginAccessIdentity', '')) +
      element('ConnectionAttempts', 3) +
      element('ConnectionTimeout', 10);
    return (
      `<?xml version="1.0" encoding="UTF-8"?>\n<DistributionConfig xmlns="${NAMESPACE}">` +
      element('CallerReference', `local-${target.id}`) +
      element(
        'Aliases',
        element('Quantity', target.aliases.length) +
          (target.aliases.length
            ? element('Items', target.aliases.map((alias) => element('CNAME', escape(alias))).join(''))
            : ''),
      ) +
      element('DefaultRootObject', 'index.html') +
      element('Origins', element('Quantity', 1) + element('Items', element('Origin', origin))) +
      element('DefaultCacheBehavior', behaviorXml(target.defaultBehavior)) +
      (target.behaviors.length > 0
        ? element(
            'CacheBehaviors',
            element('Quantity', target.behaviors.length) +
              element(
                'Items',
                target.behaviors
                  .map((b) => element('CacheBehavior', element('PathPattern', escape(b.pathPattern)) + behaviorXml(b)))
                  .join(''),
              ),
          )
        : '') +
      element('Comment', 'local CloudFront API server') +
      element('Enabled', 'true') +
      '</DistributionConfig>'
    );
  }

  /** Routes a request to [operation, handler]; the handler returns { status, body, headers }. */
  function route(method, path, body) {
    let match;
    if ((match = /^\/2020-05-31\/distribution\/([^/]+)\/invalidation$/.exec(path))) {
      const target = () => distribution(decodeSegment(match[1]));
      if (method === 'POST') {
        return [
          'CreateInvalidation',
          () => {
            const found = target();
            const invalidation = createInvalidation(found, body);
            const location = `${url}${API}/distribution/${found.id}/invalidation/${invalidation.id}`;
            return { status: 201, body: invalidationXml(invalidation), headers: { Location: location } };
          },
        ];
      }
      if (method === 'GET') {
        return [
          'ListInvalidations',
          () => {
            const items = [...target().invalidations].reverse();
            const summaries = items
              .map((i) =>
                element(
                  'InvalidationSummary',
                  element('Id', i.id) +
                    element('CreateTime', new Date(i.created).toISOString()) +
                    element('Status', statusOf(i)),
                ),
              )
              .join('');
            const listXml =
              `<?xml version="1.0" encoding="UTF-8"?>\n<InvalidationList xmlns="${NAMESPACE}">` +
              element('Marker', '') +
              element('MaxItems', 100) +
              element('IsTruncated', 'false') +
              element('Quantity', items.length) +
              (items.length ? element('Items', summaries) : '') +
              '</InvalidationList>';
            return { status: 200, body: listXml };
          },
        ];
      }
    }
    if (method === 'GET' && (match = /^\/2020-05-31\/distribution\/([^/]+)\/invalidation\/([^/]+)$/.exec(path))) {
      return [
        'GetInvalidation',
        () => {
          const target = distribution(decodeSegment(match[1]));
          const invalidation = target.invalidations.find((i) => i.id === decodeSegment(match[2]));
          if (!invalidation) throw new ApiError('NoSuchInvalidation', 'The specified invalidation does not exist.');
          return { status: 200, body: invalidationXml(invalidation) };
        },
      ];
    }
    if (method === 'GET' && (match = /^\/2020-05-31\/distribution\/([^/]+)$/.exec(path))) {
      return [
        'GetDistribution',
        () => {
          const target = distribution(decodeSegment(match[1]));
          const config = distributionConfigXml(target)
            .replace(/^<\?xml[^>]*>\n/, '')
            .replace(` xmlns="${NAMESPACE}"`, '');
          const inProgress = target.invalidations.filter((i) => statusOf(i) === 'InProgress').length;
          const body =
            `<?xml version="1.0" encoding="UTF-8"?>\n<Distribution xmlns="${NAMESPACE}">` +
            element('Id', target.id) +
            element('ARN', `arn:aws:cloudfront::000000000000:distribution/${target.id}`) +
            element('Status', 'Deployed') +
            element('LastModifiedTime', new Date(0).toISOString()) +
            element('InProgressInvalidationBatches', inProgress) +
            element('DomainName', escape(target.domainName)) +
            element('ActiveTrustedSigners', element('Enabled', 'false') + element('Quantity', 0)) +
            config +
            '</Distribution>';
          return { status: 200, body, headers: { ETag: `E${target.id.slice(1, 13)}CFG` } };
        },
      ];
    }
    if (method === 'GET' && (match = /^\/2020-05-31\/distribution\/([^/]+)\/config$/.exec(path))) {
      return [
        'GetDistributionConfig',
        () => {
          const target = distribution(decodeSegment(match[1]));
          return {
            status: 200,
            body: distributionConfigXml(target),
            headers: { ETag: `E${target.id.slice(1, 13)}CFG` },
          };
        },
      ];
    }
    if (method === 'GET' && (match = /^\/2020-05-31\/cache-policy\/([^/]+)$/.exec(path))) {
      return [
        'GetCachePolicy',
        () => {
          const policy = policies.get(decodeSegment(match[1]));
          if (!policy) throw new ApiError('NoSuchCachePolicy', 'The cache policy does not exist.');
          return { status: 200, body: cachePolicyXml(policy), headers: { ETag: 'E1CACHEPOLICY' } };
        },
      ];
    }
    return [
      'Unknown',
      () => {
        throw new ApiError('NoSuchResource', `No such resource: ${method} ${path}`);
      },
    ];
  }

  /** The action must sign CloudFront requests for us-east-1 and the cloudfront service. */
  function authenticate(authorization) {
    const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization ?? '');
    if (!authorization?.startsWith('AWS4-HMAC-SHA256') || !scope) {
      throw new ApiError('MissingAuthenticationToken', 'Request is missing Authentication Token');
    }
    const [, accessKey, region, service] = scope;
    if (region !== 'us-east-1' || service !== 'cloudfront') {
      throw new ApiError(
        'SignatureDoesNotMatch',
        `Credential should be scoped to a valid region and service: got ${region}/${service}, expected us-east-1/cloudfront.`,
      );
    }
    if (accessKey === 'INVALIDKEY')
      throw new ApiError('InvalidClientTokenId', 'The security token included in the request is invalid.');
  }

  /** Takes the next queued fault of this operation that applies to this distribution, if any. */
  function takeNext(queues, operation, distributionId) {
    const queue = queues.get(operation) ?? [];
    const index = queue.findIndex((entry) => !entry.distributionId || entry.distributionId === distributionId);
    const next = queue[index];
    if (!next) return undefined;
    next.times -= 1;
    if (next.times <= 0) queue.splice(index, 1);
    return next;
  }

  /** Queues a fault: `times` as a number (the original signature) or in an options object. */
  function enqueue(queues, operation, entry, timesOrOptions) {
    const options = typeof timesOrOptions === 'number' ? { times: timesOrOptions } : (timesOrOptions ?? {});
    queues.set(operation, [
      ...(queues.get(operation) ?? []),
      {
        ...entry,
        times: options.times ?? 1,
        distributionId: options.distributionId,
        afterHandling: options.afterHandling,
      },
    ]);
  }

  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      requests.push({ method: request.method ?? '', path, headers: request.headers, body, at: Date.now() });
      const requestId = randomUUID();
      const [operation, handle] = route(request.method, path, body);
      const distributionId = /^\/2020-05-31\/distribution\/([^/]+)\//.exec(path)?.[1];
      const delay = takeNext(delays, operation, distributionId);
      let result;
      try {
        authenticate(request.headers.authorization);
        const failure = takeNext(injected, operation, distributionId);
        if (failure && !failure.afterHandling) throw new ApiError(failure.code, `Injected ${failure.code}`);
        result = handle();
        // The operation took effect, but its answer is an error, as when a response is lost on the way.
        if (failure) throw new ApiError(failure.code, `Injected ${failure.code} after handling`);
      } catch (thrown) {
        // A bug in this server must show up as a 500 in the test that hit it, not crash the test run.
        if (!(thrown instanceof ApiError)) console.error(thrown);
        const error = thrown instanceof ApiError ? thrown : new ApiError('InternalError', String(thrown));
        const type = ERROR_STATUS[error.code] >= 500 ? 'Receiver' : 'Sender';
        result = {
          status: ERROR_STATUS[error.code] ?? 400,
          body:
            `<?xml version="1.0"?>\n<ErrorResponse xmlns="${NAMESPACE}">` +
            element(
              'Error',
              element('Type', type) + element('Code', error.code) + element('Message', escape(error.message)),
            ) +
            element('RequestId', requestId) +
            '</ErrorResponse>',
        };
      }
      if (!quiet) console.log(`${request.method} ${path} -> ${result.status}`);
      const answer = () => {
        response.writeHead(result.status, {
          'Content-Type': 'text/xml',
          'Content-Length': Buffer.byteLength(result.body),
          'x-amzn-RequestId': requestId,
          ...result.headers,
        });
        response.end(result.body);
      };
      if (delay) setTimeout(answer, delay.ms);
      else answer();
    });
  });

  await new Promise((resolve) => server.listen(port, host, resolve));
  const url = `http://${host}:${server.address().port}`;
  return {
    url,
    port: server.address().port,
    requests,
    invalidations(distributionId) {
      return distribution(distributionId).invalidations.map((i) => ({
        id: i.id,
        status: statusOf(i),
        callerReference: i.callerReference,
        paths: [...i.paths],
        createTime: new Date(i.created),
      }));
    },
    /** Drops every injected error and delay still queued. */
    clearFailures() {
      injected.clear();
      delays.clear();
    },
    failNext(operation, errorCode, timesOrOptions = 1) {
      if (!(errorCode in ERROR_STATUS)) throw new Error(`Unknown error code ${errorCode}`);
      enqueue(injected, operation, { code: errorCode }, timesOrOptions);
    },
    delayNext(operation, ms, options = {}) {
      enqueue(delays, operation, { ms }, options);
    },
    close() {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = (name, fallback) => {
    const index = process.argv.indexOf(name);
    return index === -1 ? fallback : Number(process.argv[index + 1]);
  };
  const server = await startCloudFrontServer({
    port: flag('--port', 0),
    completeAfterMs: flag('--complete-after-ms', 1000),
    quiet: false,
  });
  console.log(`CloudFront API listening on ${server.url}`);
}
