export type Version = [number, number, number];
export declare function parseVersion(text: string): Version | null;
export declare function compareVersions(a: Version, b: Version): number;
export declare function changelogEntry(changelog: string, version: string): string | null;
export declare function newestOfMajor(tags: string[], version: Version): string | null;
