/**
 * Turning anything thrown into one sentence a user can act on.
 * AWS errors are translated by name; everything else keeps its own message.
 */

/** An error whose message is already written for the user (bad input, refused deploy, partial upload). */
export class ActionError extends Error {
  override name = 'ActionError';
}

/** What was being done when an AWS call failed, so the message can name the bucket or distribution. */
export interface AwsContext {
  service: 'S3' | 'CloudFront';
  bucket?: string;
  distributionId?: string;
}

export function errorMessage(error: unknown): string {
  // Duck-typed: an Error from another realm (a vm context, a worker) fails instanceof but has a message.
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

function errorName(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const named = error as { name?: unknown; Code?: unknown; code?: unknown };
  for (const candidate of [named.Code, named.name, named.code]) {
    if (typeof candidate === 'string' && candidate !== 'Error') return candidate;
  }
  return '';
}

function httpStatus(error: unknown): number | undefined {
  const meta = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return meta?.httpStatusCode;
}

const CREDENTIALS_HINT =
  'Check the credentials step before this one (aws-actions/configure-aws-credentials) and that its role or keys are current.';

/** S3 names what it refused in its error body (ArgumentName, ArgumentValue); the SDK copies them onto the error. */
function describeS3InvalidArgument(error: unknown, target: string, original: string): string {
  const { ArgumentName: name, ArgumentValue: value } = error as { ArgumentName?: unknown; ArgumentValue?: unknown };
  const argumentName = typeof name === 'string' ? name : '';
  const argument = argumentName
    ? ` (${argumentName}${typeof value === 'string' && value !== '' ? `: '${value}'` : ''})`
    : '';
  const hint = /encrypt|\bkms\b|\bsse\b|server-side/i.test(`${original} ${argumentName}`)
    ? " The bucket's encryption settings probably ask for server-side encryption this upload did not send: set 'server-side-encryption' (and 'sse-kms-key-id' for a particular KMS key) to match them."
    : ' Check the header rules (cache-control, content-type, content-encoding); an S3-compatible store may not support every header S3 does.';
  return `S3 refused a request to ${target} as invalid${argument}: ${original.replace(/\.$/, '')}.${hint}`;
}

/**
 * Explains a failed AWS call in the user's terms: what failed, on which resource, and what to check. What
 * went wrong on this side (an ActionError, a local file that could not be read) is not blamed on AWS.
 */
export function describeAwsError(error: unknown, context: AwsContext): string {
  if (error instanceof ActionError) return error.message;
  const { syscall, path } = error as { syscall?: string; path?: string };
  if (syscall && path) return `Could not read '${path}' (${errorMessage(error)}); run the deploy again.`;
  const name = errorName(error);
  const status = httpStatus(error);
  const original = errorMessage(error);
  const target =
    context.service === 'S3'
      ? `bucket '${context.bucket ?? '?'}'`
      : `CloudFront distribution '${context.distributionId ?? '?'}'`;

  switch (name) {
    case 'NoSuchBucket':
      return `Bucket '${context.bucket}' does not exist (or not in this account/endpoint). Check the 'bucket' input.`;
    case 'NoSuchDistribution':
      return `CloudFront distribution '${context.distributionId}' does not exist in this account. Check the 'distribution-id' input (it looks like E1A2B3C4D5E6F7).`;
    case 'AccessDenied':
    case 'AccessDeniedException':
    case 'Forbidden':
      return context.service === 'S3'
        ? `Access denied to ${target}. The role needs s3:ListBucket on the bucket and s3:PutObject, s3:GetObject, s3:DeleteObject and s3:AbortMultipartUpload on its objects (see the README's IAM policy). AWS said: ${original}`
        : `Access denied to ${target}. The role needs cloudfront:GetDistribution, cloudfront:CreateInvalidation and (with 'wait: true') cloudfront:GetInvalidation on it (see the README's IAM policy). AWS said: ${original}`;
    case 'AllAccessDisabled':
      return `All access to ${target} is disabled by AWS. AWS said: ${original}`;
    case 'InvalidAccessKeyId':
    case 'InvalidClientTokenId':
    case 'UnrecognizedClientException':
      return `AWS does not recognise the access key used for ${target}. ${CREDENTIALS_HINT}`;
    case 'SignatureDoesNotMatch':
      return `AWS rejected the request signature for ${target}: the secret key does not match the access key. ${CREDENTIALS_HINT}`;
    case 'ExpiredToken':
    case 'ExpiredTokenException':
    case 'TokenRefreshRequired':
      return `The AWS session token has expired while working on ${target}. ${CREDENTIALS_HINT}`;
    case 'CredentialsProviderError':
      return `No AWS credentials found. Add aws-actions/configure-aws-credentials before this step, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.`;
    case 'PermanentRedirect':
    case 'AuthorizationHeaderMalformed':
    case 'IllegalLocationConstraintException':
      return `${target} is in a different region than the one used. Set the 'region' input to the bucket's region. AWS said: ${original}`;
    case 'SlowDown':
    case 'Throttling':
    case 'ThrottlingException':
    case 'TooManyRequestsException':
    case 'RequestLimitExceeded':
      return `AWS kept throttling requests to ${target} after retries. Lower 'concurrency' or try again later.`;
    case 'TooManyInvalidationsInProgress':
      return `${target} still had too many invalidations in progress when 'wait-timeout' ran out (CloudFront allows 3,000 paths or 15 wildcards in progress at once). Let them finish, invalidate fewer paths ('paths: auto'), or raise 'wait-timeout'.`;
    case 'BatchTooLarge':
      return `Too many invalidation paths for ${target} in one request (CloudFront allows 3,000).`;
    case 'BadDigest':
      return `S3 received other bytes than were sent for ${target} (BadDigest), though they were the bytes planned: something between this runner and S3 (a proxy, a network device) alters request bodies. AWS said: ${original}`;
    case 'InvalidArgument':
      return context.service === 'S3'
        ? describeS3InvalidArgument(error, target, original)
        : `CloudFront rejected the invalidation for ${target}: ${original}. Check the 'paths' input (with 'paths: auto', report it: the paths come from the file names).`;
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
    case 'ECONNRESET':
      return `Could not reach ${context.service} for ${target} (${name}). Check the endpoint (AWS_ENDPOINT_URL_${context.service === 'S3' ? 'S3' : 'CLOUDFRONT'}) and the network. ${original}`;
  }
  if (name === 'Region' || /region is missing/i.test(original)) {
    return `No AWS region is set. Set the 'region' input or AWS_REGION.`;
  }
  const code = name ? `${name}: ` : '';
  const http = status ? ` (HTTP ${status})` : '';
  return `${context.service} request for ${target} failed${http}: ${code}${original}`;
}
