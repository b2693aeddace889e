/** What a verified signature's Authorization header named. */
export interface VerifiedSigning {
  longDate: string;
  /** yyyymmdd/region/service/aws4_request */
  scope: string;
  signature: string;
  payloadHash: string;
}

/**
 * Verifies a request's SigV4 Authorization header against `credentials` (access key id -> secret), as S3
 * does (service s3, the clock within S3's skew); throws S3's error otherwise. The payload hash is read
 * from x-amz-content-sha256, not checked against a body.
 */
export declare function verifySignature(request: {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  credentials: Map<string, string>;
  /** S3's clock, in ms since the epoch (default: this machine's). */
  now?: number;
}): Promise<VerifiedSigning>;
