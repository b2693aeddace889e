import type { IncomingMessage, ServerResponse } from 'node:http';
/** The only access key pair the server accepts (SigV4 is verified in strict mode). */
export declare const S3_CREDENTIALS: { accessKeyId: string; secretAccessKey: string };

export interface S3ServerOptions {
  /** Buckets that exist from the start (default ['site-bucket']); CreateBucket makes more. */
  buckets?: string[];
  port?: number;
  host?: string;
  /**
   * The region every bucket is in ('us-east-1' by default). In strict mode a request signed for another
   * region answers 301 PermanentRedirect with x-amz-bucket-region, as S3's regional endpoints do.
   */
  region?: string;
  /** Kept for compatibility; the server prints nothing. */
  silent?: boolean;
  /**
   * 'strict' (default): SigV4, x-amz-content-sha256, Content-MD5, x-amz-checksum-* and aws-chunked
   * trailers verified on every request; DeleteObjects refused without Content-MD5 (400 MissingContentMD5,
   * as MinIO answers); every object's checksum computed at write time.
   * 'fast': none of that verification and checksums only when asked for, so the server costs as little CPU
   * per request as it can (for benchmarks); ETags, listings, conditions and errors are the same.
   */
  mode?: 'strict' | 'fast';
  /**
   * 'md5' (default): S3's ETags (MD5 of the bytes; md5(part MD5s)-N for multipart), SSE-S3 (AES256).
   * 'kms': an SSE-KMS bucket: `x-amz-server-side-encryption: aws:kms` and ETags of 32 random hex digits
   * (`-N` for multipart) that are not MD5s; two uploads of the same bytes get different ETags.
   * 'opaque': a store whose ETags are not MD5s at all (a quoted UUID).
   * A write sent with `x-amz-server-side-encryption: aws:kms` makes that object behave as 'kms'.
   */
  etags?: 'md5' | 'kms' | 'opaque';
  /** Answer 400 InvalidArgument to aws-chunked bodies, as stores without aws-chunked support do. */
  refuseAwsChunked?: boolean;
  /** Answer 400 InvalidRequest to `x-amz-content-sha256: UNSIGNED-PAYLOAD`, as stores that want it signed do. */
  refuseUnsignedPayload?: boolean;
  /**
   * A bucket with ACLs enabled: ACL headers are accepted (and ignored) instead of answering 400
   * AccessControlListNotSupported. Default false. For tools that always send one (rclone 1.60: x-amz-acl private).
   */
  acceptAcls?: boolean;
  /** false: a store that ignores If-None-Match / If-Match on writes and deletes (default true). */
  conditionalWrites?: boolean;
  /**
   * Deletes refused as S3 Object Lock refuses them: DeleteObject 403 AccessDenied, DeleteObjects a per-key
   * AccessDenied error. true for every key, or a predicate.
   */
  objectLock?: boolean | ((bucket: string, key: string) => boolean);
  /** More access key pairs to accept, besides S3_CREDENTIALS. */
  credentials?: Array<{ accessKeyId: string; secretAccessKey: string }>;
  /**
   * Serve https:// with a self-signed loopback certificate made at start (local/tls.mjs), so HTTPS-only
   * client behaviour (unsigned payloads) is exercised; clients trust `certFile` (NODE_EXTRA_CA_CERTS,
   * AWS_CA_BUNDLE). Default false.
   */
  tls?: boolean;
  /** Keep every request in `requests` (default: in strict mode only, so benchmarks do not grow memory). */
  logRequests?: boolean;
  /**
   * How far S3's clock is ahead of this machine's, in ms (default 0): signatures are judged by it (more
   * than 15 minutes off answers 403 RequestTimeTooSkewed, with ServerTime) and the Date header gives it,
   * so a client whose clock is wrong can be tested.
   */
  clockOffset?: number;
}

export interface ReceivedRequest {
  /** S3 operation name, e.g. 'PutObject', 'DeleteObjects' (see s3Operation in s3-proxy.mjs). */
  operation: string;
  method: string;
  /** The raw request URL (path and query, as sent). */
  url: string;
  bucket: string;
  key: string;
  /** Request headers, lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  /** The status answered (0 while in progress). */
  status: number;
  /** The S3 error code answered, if any. */
  code?: string;
}

export interface StoredObject {
  body: Buffer;
  size: number;
  /** Quoted, as S3 returns it. */
  etag: string;
  lastModified: Date;
  /** content-type, cache-control, content-encoding, content-disposition, x-amz-server-side-encryption, ... */
  headers: Record<string, string>;
  /** User metadata (x-amz-meta-* without the prefix). */
  metadata: Record<string, string>;
  /** The object's checksum; `value` is computed on first use in fast mode. */
  checksum: { algorithm: string; type: 'FULL_OBJECT' | 'COMPOSITE'; value?: string };
}

export interface LocalS3Server {
  url: string;
  port: number;
  /** With `tls`: the certificate's PEM file, for clients to trust. */
  certFile: string | undefined;
  /** The options in force (change them with configure). */
  options: Required<Omit<S3ServerOptions, 'buckets' | 'port' | 'host' | 'silent' | 'credentials'>>;
  /** Every request received, in order (when logRequests). */
  requests: ReceivedRequest[];
  /** The request handler, for a front in the same process (local/s3-proxy.mjs's `handler`). */
  handle: (request: IncomingMessage, response: ServerResponse) => void;
  /** A stored object, read without HTTP. */
  object(bucket: string, key: string): StoredObject | undefined;
  /** A bucket's keys in listing order. */
  keys(bucket: string): string[];
  /** Multipart uploads started and neither completed nor aborted. */
  multipartUploads(bucket: string): Array<{ uploadId: string; key: string; initiated: Date; parts: number }>;
  /** Moves an object's Last-Modified (a lock left long ago, say). */
  setLastModified(bucket: string, key: string, date: Date): void;
  /** The next `times` (default 1) conditional writes or deletes of this key answer 409 ConditionalRequestConflict. */
  conflictNextConditionalWrite(bucket: string, key: string, times?: number): void;
  /** Accepts one more access key pair (e.g. a test's own secret). */
  addCredentials(credentials: { accessKeyId: string; secretAccessKey: string }): void;
  /** Changes options of the running server (e.g. objectLock, conditionalWrites). */
  configure(changes: Partial<Omit<S3ServerOptions, 'buckets' | 'port' | 'host' | 'credentials'>>): void;
  close(): Promise<void>;
}

export declare function startS3Server(options?: S3ServerOptions): Promise<LocalS3Server>;
