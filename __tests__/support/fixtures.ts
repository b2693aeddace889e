/** The generator output lists in __tests__/fixtures/generators (see its README). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FileClass } from '../../src/classify.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'generators');

export interface ListedFile {
  /** The class the generator's naming scheme gives the file. */
  expected: FileClass;
  /** The first 12 hex digits of its MD5: the same in two lists means the same bytes. */
  md5: string;
  size: number;
  key: string;
}

export function readFixture(name: string): ListedFile[] {
  return fs
    .readFileSync(path.join(FIXTURES, `${name}.tsv`), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [expected, md5, size, key] = line.split('\t') as [FileClass, string, string, string];
      return { expected, md5, size: Number(size), key };
    });
}
