/** An S3 answer's XML document: `<root xmlns=...>` with each defined value as an element (arrays repeat it). */
export declare function xmlDocument(root: string, content: unknown): string;
