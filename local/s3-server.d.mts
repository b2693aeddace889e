export declare const S3_CREDENTIALS: { accessKeyId: string; secretAccessKey: string };
export interface LocalS3Server {
  url: string;
  port: number;
  directory: string;
  close(): Promise<void>;
}
export declare function startS3Server(options?: {
  buckets?: string[];
  port?: number;
  silent?: boolean;
}): Promise<LocalS3Server>;
