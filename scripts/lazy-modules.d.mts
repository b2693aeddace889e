export declare function lazyModules(source: string, fileName?: string): { code: string; lazy: number; kept: number };
