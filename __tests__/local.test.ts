import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ActionError } from '../src/errors.js';
import { NO_HEADER_RULES, contentTypeFor } from '../src/headers.js';
import { type ScanOptions, keyFromRelativePath, scanSource } from '../src/local.js';

const defaults: ScanOptions = { include: [], exclude: [], headerRules: NO_HEADER_RULES };

let root: string;
let outside: string;

beforeAll(async () => {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'scan-'));
  root = path.join(base, 'site');
  outside = path.join(base, 'secret.txt');
  await fs.mkdir(path.join(root, 'assets/img'), { recursive: true });
  await fs.mkdir(path.join(root, '.git'), { recursive: true });
  await fs.mkdir(path.join(root, '.well-known'), { recursive: true });
  await fs.writeFile(path.join(root, 'index.html'), '<h1>hello</h1>');
  await fs.writeFile(path.join(root, 'assets/app.js'), 'console.log(1)');
  await fs.writeFile(path.join(root, 'assets/img/logo.svg'), '<svg/>');
  await fs.writeFile(path.join(root, 'my page.html'), 'spaces');
  await fs.writeFile(path.join(root, '.well-known/security.txt'), 'Contact: x');
  await fs.writeFile(path.join(root, '.git/HEAD'), 'ref');
  await fs.writeFile(path.join(root, '.DS_Store'), 'junk');
  await fs.mkdir(path.join(root, 'vendor/lib'), { recursive: true });
  await fs.writeFile(path.join(root, 'vendor/lib/.git'), 'gitdir: ../../.git/modules/lib'); // a submodule's marker
  await fs.writeFile(path.join(root, 'vendor/lib/lib.js'), 'lib()');
  await fs.mkdir(path.join(root, 'docs/.git'), { recursive: true }); // a nested repository
  await fs.writeFile(path.join(root, 'docs/.git/HEAD'), 'ref');
  await fs.writeFile(path.join(root, 'docs/.DS_Store'), 'junk');
  await fs.writeFile(path.join(root, 'docs/.gitignore'), 'tmp/');
  await fs.writeFile(outside, 'password');
  await fs.symlink(outside, path.join(root, 'leak.txt'));
  await fs.symlink(path.join(root, 'index.html'), path.join(root, 'home.html'));
  await fs.symlink(root, path.join(root, 'assets/loop'));
  const big = Buffer.alloc(17 * 1024 * 1024 + 5);
  for (let i = 0; i < big.length; i++) big[i] = i % 251;
  await fs.writeFile(path.join(root, 'assets/big.bin'), big);
});

describe('scanSource', () => {
  it('lists every deployable file as a /-separated key with its size, MD5 and type', async () => {
    const { files, warnings } = await scanSource(root, defaults);
    expect(files.map((f) => f.key)).toEqual([
      '.well-known/security.txt',
      'assets/app.js',
      'assets/big.bin',
      'assets/img/logo.svg',
      'docs/.gitignore',
      'home.html',
      'index.html',
      'my page.html',
      'vendor/lib/lib.js',
    ]);
    const index = files.find((f) => f.key === 'index.html');
    expect(index).toMatchObject({
      size: 14,
      md5: createHash('md5').update('<h1>hello</h1>').digest('hex'),
      headers: { contentType: 'text/html; charset=utf-8' },
    });
    expect(index?.multipartEtag).toBeUndefined();
    expect(files.find((f) => f.key === 'home.html')?.md5).toBe(index?.md5);
    expect(warnings).toEqual([expect.stringMatching(/Skipped 'leak.txt'.*outside the source folder/)]);
  });

  it('computes the multipart ETag of a large file in the same read', async () => {
    const { files } = await scanSource(root, defaults);
    expect(files.find((f) => f.key === 'assets/big.bin')).toMatchObject({
      md5: '312cbee60da9726dcefebd0273585e5e',
      multipartEtag: '790b520857a651dea4afc36fe222752d-3',
    });
  });

  it('selects files with include and exclude globs, .well-known like any folder', async () => {
    const { files } = await scanSource(root, {
      ...defaults,
      include: ['**/*.html', '.well-known/**'],
      exclude: ['my page.html'],
    });
    expect(files.map((f) => f.key)).toEqual(['.well-known/security.txt', 'home.html', 'index.html']);
  });

  it('gives each file the headers its rules say', async () => {
    const headerRules = {
      ...NO_HEADER_RULES,
      cacheControl: [
        { glob: '*.html', value: 'no-cache' },
        { glob: 'assets/**', value: 'public, max-age=31536000, immutable' },
      ],
    };
    const { files } = await scanSource(root, { ...defaults, headerRules });
    const headers = Object.fromEntries(files.map((f) => [f.key, f.headers.cacheControl]));
    expect(headers).toMatchObject({
      'index.html': 'no-cache',
      'my page.html': 'no-cache',
      'assets/app.js': 'public, max-age=31536000, immutable',
      '.well-known/security.txt': undefined,
    });
  });

  it('refuses a missing folder and a file, naming the input', async () => {
    await expect(scanSource(path.join(root, 'nope'), defaults)).rejects.toThrow(ActionError);
    await expect(scanSource(path.join(root, 'nope'), defaults)).rejects.toThrow(
      /Input 'source': folder .* does not exist/,
    );
    await expect(scanSource(path.join(root, 'index.html'), defaults)).rejects.toThrow(/is a file, not a folder/);
  });
});

describe('keyFromRelativePath', () => {
  it.each<[string, string, string | undefined]>([
    ['assets/app.js', path.posix.sep, 'assets/app.js'],
    ['assets\\img\\logo.png', path.win32.sep, 'assets/img/logo.png'],
    ['docs\\my page.html', path.win32.sep, 'docs/my page.html'],
    ['a\\b.txt', path.posix.sep, undefined],
    ['../etc/passwd', path.posix.sep, undefined],
    ['..\\secret', path.win32.sep, undefined],
    ['a/./b', path.posix.sep, undefined],
    ['a//b', path.posix.sep, undefined],
  ])('%p with separator %p -> %p', (relative, separator, expected) => {
    expect(keyFromRelativePath(relative, separator)).toBe(expected);
  });
});

describe('contentTypeFor', () => {
  it.each([
    ['index.html', 'text/html; charset=utf-8'],
    ['app.js', 'text/javascript; charset=utf-8'],
    ['style.css', 'text/css; charset=utf-8'],
    ['data.json', 'application/json; charset=utf-8'],
    ['logo.svg', 'image/svg+xml; charset=utf-8'],
    ['photo.JPG', 'image/jpeg'],
    ['font.woff2', 'font/woff2'],
    ['app.wasm', 'application/wasm'],
    ['site.webmanifest', 'application/manifest+json; charset=utf-8'],
    ['LICENSE', 'application/octet-stream'],
  ])('%s -> %s', (key, type) => {
    expect(contentTypeFor(key)).toBe(type);
  });
});
