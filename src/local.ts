/**
 * Walks and hashes the source folder: every file becomes a key (relative, '/'-separated), its size, MD5,
 * multipart ETag where it will go up in parts, and Content-Type. Each file's read and hash is digest.ts's;
 * which process runs it, hashers.ts's.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { type FileStamp, type Hashed } from './digest.js';
import { ActionError } from './errors.js';
import { hashPaths } from './hashers.js';
import { type HeaderRules, type ObjectHeaders, globMatcher, headersFor } from './headers.js';
import { RESERVED_NAMES } from './state.js';

export interface LocalFile {
  /** Relative to the source folder, '/'-separated, without the prefix. */
  key: string;
  absolutePath: string;
  size: number;
  /** Hex MD5 of the bytes. */
  md5: string;
  /** The S3 ETag this file gets when uploaded in the action's parts; only for files that use multipart. */
  multipartEtag?: string;
  /**
   * The binary MD5 of each of those parts, 16 bytes a part in order (the bytes multipartEtag hashes): each
   * part's Content-MD5 while the file's stamp says it is unchanged. Only for files that use multipart.
   */
  partMd5s?: Buffer;
  /** Base64 CRC64NVME of the bytes, computed only where an object must be compared by S3's checksum. */
  crc64nvme?: string;
  /** The file as the plan found it, just before reading it (see FileStamp); absent when not known. */
  stamp?: FileStamp;
  headers: ObjectHeaders;
}

export interface ScanOptions {
  /** Globs of keys to deploy; empty means all. */
  include: readonly string[];
  /** Globs of keys never deployed, on top of the built-in .git and .DS_Store (at any depth). */
  exclude: readonly string[];
  headerRules: HeaderRules;
}

export interface ScanResult {
  files: LocalFile[];
  /** Things skipped on the way, each a sentence for a warning. */
  warnings: string[];
}

/**
 * Never deployed, at any depth: version-control data (a nested repository's .git/ folder, or the .git file
 * that marks a submodule or worktree) and desktop litter. The walk does not even enter a .git/ folder.
 */
const SKIPPED_DIRECTORIES = new Set(['.git']);
export const DEFAULT_EXCLUDES = ['**/.git/**', '.DS_Store', ...RESERVED_NAMES];
/** Walks and hashes in one call: findFiles, then hashFiles. */
export async function scanSource(source: string, options: ScanOptions): Promise<ScanResult> {
  const { found, warnings } = await findFiles(source, options);
  return { files: await hashFiles(found, options), warnings };
}

/**
 * The selected files under source, not yet read (walking is cheap; hashing is the slow half, and the
 * caller overlaps it with the bucket listing). Fails with a user-facing message when the source folder is
 * missing or not a folder.
 */
export async function findFiles(
  source: string,
  options: Pick<ScanOptions, 'include' | 'exclude'>,
): Promise<{ found: FoundFile[]; warnings: string[] }> {
  const stat = await fs.stat(source).catch(() => undefined);
  if (!stat)
    throw new ActionError(
      `Input 'source': folder '${source}' does not exist. Did the build step run, and write to this folder?`,
    );
  if (!stat.isDirectory()) throw new ActionError(`Input 'source': '${source}' is a file, not a folder.`);

  const warnings: string[] = [];
  const selected = keySelector(options);
  const found = (await walk(source, warnings)).filter((file) => selected(file.key));
  return { found, warnings };
}

/** Size, MD5 (and multipart ETag) and headers of each file, sorted by key. */
export async function hashFiles(
  found: readonly FoundFile[],
  options: Pick<ScanOptions, 'headerRules'> & { log?: (message: string) => void; signal?: AbortSignal },
): Promise<LocalFile[]> {
  const hashed = await hashPaths(
    found.map((file) => file.absolutePath),
    options.log,
    options.signal,
  );
  const files = found.map((file, index) => ({
    ...file,
    ...(hashed[index] as Hashed),
    headers: headersFor(file.key, options.headerRules),
  }));
  files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return files;
}

export interface FoundFile {
  key: string;
  absolutePath: string;
}

/**
 * Lists the files under root. Symbolic links are followed only while they stay inside root (so a link can
 * never publish /etc/passwd), and each real folder is entered once (so link loops end).
 */
async function walk(root: string, warnings: string[]): Promise<FoundFile[]> {
  const realRoot = await fs.realpath(root);
  const visited = new Set<string>([realRoot]);
  const files: FoundFile[] = [];
  const pending = [root];

  while (pending.length > 0) {
    const directory = pending.pop() as string;
    for (const entry of await fs.readdir(directory, { withFileTypes: true })) {
      const absolutePath = path.join(directory, entry.name);
      const key = keyFromRelativePath(path.relative(root, absolutePath));
      if (key === undefined) {
        warnings.push(
          `Skipped '${path.relative(root, absolutePath)}': a backslash in a name cannot become an S3 key that works as a URL.`,
        );
        continue;
      }
      let kind: 'file' | 'directory' | 'other' = entry.isFile() ? 'file' : entry.isDirectory() ? 'directory' : 'other';
      if (entry.isSymbolicLink()) {
        const target = await fs.realpath(absolutePath).catch(() => undefined);
        if (!target || !isInside(realRoot, target)) {
          warnings.push(
            `Skipped '${key}': it is a symbolic link to ${target ?? 'nothing'}, outside the source folder.`,
          );
          continue;
        }
        const targetStat = await fs.stat(target);
        kind = targetStat.isFile() ? 'file' : targetStat.isDirectory() ? 'directory' : 'other';
        if (kind === 'directory') {
          if (visited.has(target)) continue;
          visited.add(target);
        }
      }
      if (kind === 'directory' && !SKIPPED_DIRECTORIES.has(entry.name)) {
        pending.push(absolutePath);
      } else if (kind === 'file') {
        files.push({ key, absolutePath });
      }
    }
  }
  return files;
}

/**
 * A file's key from its path relative to the source folder: '/'-separated on every OS (Windows paths too),
 * never with an empty, '.' or '..' segment or a backslash. Undefined when the path cannot be a safe key.
 */
export function keyFromRelativePath(relativePath: string, separator: string = path.sep): string | undefined {
  const segments = relativePath.split(separator);
  const unsafe = (segment: string) => segment === '' || segment === '.' || segment === '..' || /[\\/]/.test(segment);
  return segments.some(unsafe) ? undefined : segments.join('/');
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** Whether a key is part of the deploy: included (or no include given) and not excluded. */
export function keySelector({ include, exclude }: Pick<ScanOptions, 'include' | 'exclude'>): (key: string) => boolean {
  const included = include.map((glob) => globMatcher(glob, 'include'));
  const excluded = [...DEFAULT_EXCLUDES, ...exclude].map((glob) => globMatcher(glob, 'exclude'));
  return (key) => (included.length === 0 || included.some((m) => m(key))) && !excluded.some((m) => m(key));
}
