// `npm run local-action` (@github/local-action on src/main.ts) with the documented .env.example deploys the
// sample site to the local servers: the official way to run the action locally works as the README says.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startCloudFrontServer } from '../local/cloudfront-server.mjs';
import { startS3Server } from '../local/s3-server.mjs';

it('deploys demo/site with .env.example, outputs and invalidation included', async () => {
  const s3 = await startS3Server({ buckets: ['site-bucket'] });
  const cloudFront = await startCloudFrontServer({ completeAfterMs: 0, distributions: [{ id: 'E2EXAMPLE0000' }] });
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'local-action-'));
  try {
    // .env.example as written, on the ports these servers got instead of `npm run local-servers`' fixed ones.
    const example = await fs.readFile('.env.example', 'utf8');
    const envFile = path.join(folder, '.env');
    await fs.writeFile(
      envFile,
      example.replace('http://127.0.0.1:4566', s3.url).replace('http://127.0.0.1:4567', cloudFront.url),
    );
    // Twice: the second run finds everything in place (and nothing to invalidate).
    const run = () =>
      promisify(execFile)('node_modules/.bin/local-action', ['.', 'src/main.ts', envFile], {
        env: { PATH: process.env.PATH ?? '', HOME: folder },
      });
    const first = await run();
    expect(first.stdout).toContain('::set-output name=uploaded-count::6');

    const siteFiles = await fs.readdir('demo/site', { recursive: true, withFileTypes: true });
    const expected = siteFiles
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative('demo/site', path.join(entry.parentPath, entry.name)))
      .sort();
    expect(s3.keys('site-bucket').filter((key) => !key.startsWith('.'))).toEqual(expected);

    // A changed header rule reaches the HTML pages, which paths: auto then invalidates.
    await fs.appendFile(envFile, '\nINPUT_CACHE-CONTROL=**/*.html: no-cache\n');
    const second = await run();
    expect(second.stdout).toContain('::set-output name=updated-count::2');
    expect(second.stdout).toContain('::set-output name=invalidation-status::Completed');
    expect(cloudFront.invalidations('E2EXAMPLE0000')[0]?.paths).toContain('/index.html');
  } finally {
    await fs.rm(folder, { recursive: true, force: true });
    await Promise.all([s3.close(), cloudFront.close()]);
  }
}, 120_000);
