import type { IncomingMessage, ServerResponse } from 'node:http';
export interface ProxiedRequest {
  operation: string;
  method: string;
  path: string;
  /** The query string, without '?'. */
  query: string;
  headers: Record<string, string | string[] | undefined>;
  bytesIn: number;
  /** With hashBodies(true): base64 MD5 of the body as it went through, once it has. */
  bodyMd5?: string;
  /** performance.now() when the request arrived and when its answer closed. */
  start: number;
  end?: number;
}
export interface Faults {
  /** Share of requests answered 503 SlowDown or 500 InternalError. */
  errorRate?: number;
  /** Share of requests whose connection is cut before any answer. */
  dropRate?: number;
  seed?: number;
  /** 'bucket/key' paths whose writes always answer 500. */
  failKeys?: string[];
}
export interface S3Proxy {
  url: string;
  /** With `tls`: the loopback certificate's PEM file, for clients to trust. */
  certFile: string | undefined;
  requests: ProxiedRequest[];
  counts(): Record<string, number>;
  /** The most requests that were open at the same moment since the last reset. */
  peakInFlight(): number;
  reset(): void;
  /** Changes the latency added to every request from now on. */
  setLatency(ms: number): void;
  setFaults(faults: Faults): void;
  /** Called with each request's record as it arrives, before it is forwarded; undefined removes it. */
  onRequest(hook: ((request: ProxiedRequest) => void) | undefined): void;
  /** Whether each request's body MD5 is recorded (bodyMd5) from now on; off by default (the benchmark). */
  hashBodies(on: boolean): void;
  injected: { errors: number; drops: number };
  close(): Promise<void>;
}
export declare function s3Operation(method: string, url: string, headers: Record<string, unknown>): string;
export declare function startS3Proxy(options: {
  /**
   * The S3 server's URL; or `handler`, its request handler in this process (no second HTTP hop), which must
   * listen to the request's body before it returns (local/s3-server.mjs's `handle` does): the front's own
   * byte count starts the body flowing on the next tick, and a listener added later misses what went by.
   */
  target?: string;
  handler?: (request: IncomingMessage, response: ServerResponse) => void;
  latencyMs?: number;
  faults?: Faults;
  /** Serve https:// with the loopback certificate (local/tls.mjs); requests go on to `target` as they came. */
  tls?: boolean;
}): Promise<S3Proxy>;
/** mulberry32: numbers in [0, 1), the same sequence for the same seed. */
export declare function seededRandom(seed: number): () => number;
