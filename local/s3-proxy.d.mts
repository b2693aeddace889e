export interface ProxiedRequest {
  operation: string;
  method: string;
  path: string;
  bytesIn: number;
}
export interface S3Proxy {
  url: string;
  requests: ProxiedRequest[];
  counts(): Record<string, number>;
  reset(): void;
  close(): Promise<void>;
}
export declare function s3Operation(method: string, url: string, headers: Record<string, unknown>): string;
export declare function startS3Proxy(options: { target: string; latencyMs?: number }): Promise<S3Proxy>;
