import { ActionError, describeAwsError, errorMessage } from '../src/errors.js';

function awsError(name: string, status: number, message = 'AWS message'): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

describe('describeAwsError', () => {
  const s3 = { service: 'S3', bucket: 'my-site' } as const;
  const cf = { service: 'CloudFront', distributionId: 'E1A2B3C4D5E6F7' } as const;

  it.each<[Error, typeof s3 | typeof cf, RegExp]>([
    [awsError('NoSuchBucket', 404), s3, /Bucket 'my-site' does not exist.*'bucket' input/],
    [awsError('AccessDenied', 403), s3, /Access denied to bucket 'my-site'.*s3:ListBucket.*IAM/],
    [
      awsError('AccessDenied', 403),
      cf,
      /Access denied to CloudFront distribution 'E1A2B3C4D5E6F7'.*cloudfront:CreateInvalidation/,
    ],
    [awsError('NoSuchDistribution', 404), cf, /distribution 'E1A2B3C4D5E6F7' does not exist.*'distribution-id'/],
    [awsError('InvalidAccessKeyId', 403), s3, /does not recognise the access key.*configure-aws-credentials/],
    [awsError('InvalidClientTokenId', 403), cf, /does not recognise the access key/],
    [awsError('SignatureDoesNotMatch', 403), s3, /secret key does not match/],
    [awsError('ExpiredToken', 400), s3, /session token has expired/],
    [
      awsError('CredentialsProviderError', 0, 'Could not load credentials from any providers'),
      s3,
      /No AWS credentials found/,
    ],
    [awsError('SlowDown', 503), s3, /kept throttling.*'concurrency'/],
    [awsError('InvalidArgument', 400, 'bad path'), cf, /CloudFront rejected the invalidation.*'paths' input/],
    [
      Object.assign(awsError('InvalidArgument', 400, 'The encryption method specified is not supported.'), {
        ArgumentName: 'x-amz-server-side-encryption',
        ArgumentValue: 'AES512',
      }),
      s3,
      /^S3 refused a request to bucket 'my-site' as invalid \(x-amz-server-side-encryption: 'AES512'\): The encryption method specified is not supported\. .*'server-side-encryption'.*'sse-kms-key-id'/,
    ],
    [
      awsError(
        'InvalidArgument',
        400,
        'Requests specifying Server Side Encryption with AWS KMS managed keys require AWS Signature Version 4.',
      ),
      s3,
      /S3 refused a request to bucket 'my-site' as invalid: Requests specifying .*'server-side-encryption'/,
    ],
    [
      Object.assign(awsError('InvalidArgument', 400, 'Invalid storage class.'), {
        ArgumentName: 'x-amz-storage-class',
      }),
      s3,
      /^S3 refused a request to bucket 'my-site' as invalid \(x-amz-storage-class\): Invalid storage class\. Check the header rules(?!.*CloudFront)(?!.*encryption)/,
    ],
    [awsError('TooManyInvalidationsInProgress', 400), cf, /too many invalidations in progress/],
    [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
      s3,
      /Could not reach S3.*AWS_ENDPOINT_URL_S3/,
    ],
    [
      awsError('WeirdError', 500, 'something odd'),
      s3,
      /S3 request for bucket 'my-site' failed \(HTTP 500\): WeirdError: something odd/,
    ],
  ])('translates case %# into a message a user can act on', (error, context, pattern) => {
    expect(describeAwsError(error, context)).toMatch(pattern);
  });

  it('does not blame AWS for what went wrong on this side', () => {
    expect(describeAwsError(new ActionError("'a.txt' changed while the deploy was running"), s3)).toBe(
      "'a.txt' changed while the deploy was running",
    );
    const missing = Object.assign(new Error("ENOENT: no such file or directory, open '/site/a.txt'"), {
      code: 'ENOENT',
      syscall: 'open',
      path: '/site/a.txt',
    });
    expect(describeAwsError(missing, s3)).toBe(
      "Could not read '/site/a.txt' (ENOENT: no such file or directory, open '/site/a.txt'); run the deploy again.",
    );
  });
});

describe('errorMessage', () => {
  it('never loses a thrown non-Error', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage({ code: 7 })).toBe('{"code":7}');
    expect(errorMessage(undefined)).toBe('undefined');
  });
});
