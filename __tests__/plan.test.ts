import { type HeaderRules, NO_HEADER_RULES, headersFor } from '../src/headers.js';
import type { LocalFile } from '../src/local.js';
import { type PlanOptions, changedKeys, planSync } from '../src/plan.js';
import type { RemoteObject } from '../src/remote.js';

function local(key: string, md5: string, size = 10, cacheControl?: string): LocalFile {
  const { contentType } = headersFor(key, NO_HEADER_RULES);
  return {
    key,
    absolutePath: `/src/${key}`,
    size,
    md5,
    headers: cacheControl ? { contentType, cacheControl } : { contentType },
  };
}
const options = (more: Partial<PlanOptions> = {}): PlanOptions => ({
  delete: false,
  force: false,
  previousRules: NO_HEADER_RULES,
  ...more,
});
function remote(...objects: Array<[string, string, number?]>): Map<string, RemoteObject> {
  return new Map(objects.map(([key, etag, size = 10]) => [key, { key, etag: `"${etag}"`, size }]));
}
const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

describe('planSync', () => {
  it('uploads nothing when every object has the same bytes, whatever the mtimes', () => {
    const plan = planSync(
      [local('index.html', A), local('app.js', B)],
      remote(['index.html', A], ['app.js', B]),
      options({ delete: true }),
    );
    expect(plan.uploads).toEqual([]);
    expect(plan.deletes).toEqual([]);
    expect(plan.unchanged.map((f) => f.key)).toEqual(['index.html', 'app.js']);
  });

  it('uploads new files and files whose size or bytes differ, with the reason, entry points last', () => {
    const plan = planSync(
      [local('new.html', A), local('resized.css', A, 11), local('edited.js', B), local('same.png', A)],
      remote(['resized.css', A], ['edited.js', A], ['same.png', A]),
      options(),
    );
    expect(plan.uploads.map((u) => [u.file.key, u.reason])).toEqual([
      ['resized.css', 'changed'],
      ['edited.js', 'changed'],
      ['new.html', 'new'],
    ]);
    expect(plan.unchanged.map((f) => f.key)).toEqual(['same.png']);
  });

  it('re-uploads once, labelled unverifiable, when the ETag is not comparable', () => {
    const plan = planSync([local('big.bin', A)], remote(['big.bin', `${B}-7`]), options());
    expect(plan.uploads.map((u) => u.reason)).toEqual(['unverifiable']);
  });

  it('deletes remote objects without a local file only when asked', () => {
    const objects = remote(['index.html', A], ['old.html', A], ['gone/page.html', B]);
    expect(planSync([local('index.html', A)], objects, options()).deletes).toEqual([]);
    expect(planSync([local('index.html', A)], objects, options({ delete: true })).deletes).toEqual([
      'gone/page.html',
      'old.html',
    ]);
  });

  it('uploads everything with force', () => {
    const plan = planSync([local('a.html', A)], remote(['a.html', A]), options({ force: true }));
    expect(plan.uploads.map((u) => [u.file.key, u.reason])).toEqual([['a.html', 'forced']]);
  });

  it('rewrites headers in place when a rule changed but the bytes did not', () => {
    const previousRules: HeaderRules = { ...NO_HEADER_RULES, cacheControl: [{ glob: '*.html', value: 'max-age=60' }] };
    const files = [local('a.html', A, 10, 'no-cache'), local('b.bin', B)];
    const plan = planSync(files, remote(['a.html', A], ['b.bin', B]), options({ previousRules }));
    expect(plan.uploads).toEqual([]);
    expect(plan.headerUpdates.map((f) => f.key)).toEqual(['a.html']);
    expect(plan.unchanged.map((f) => f.key)).toEqual(['b.bin']);
  });

  it('uploads assets before entry points', () => {
    const files = [
      'index.html',
      'app.js',
      'blog/index.html',
      'sitemap.xml',
      'img/logo.png',
      'site.webmanifest',
      'feed.xml',
    ].map((key) => local(key, A));
    const plan = planSync(files, remote(), options());
    expect(plan.uploads.map((u) => u.file.key)).toEqual([
      'app.js',
      'img/logo.png',
      'index.html',
      'blog/index.html',
      'sitemap.xml',
      'site.webmanifest',
      'feed.xml',
    ]);
  });

  it('lists overwritten, re-headered and deleted keys as changed, never new ones', () => {
    const previousRules: HeaderRules = { ...NO_HEADER_RULES, cacheControl: [{ glob: '*.html', value: 'max-age=60' }] };
    const files = [local('new.js', A), local('edited.js', B), local('page.html', A), local('same.js', A)];
    const plan = planSync(
      files,
      remote(['edited.js', A], ['page.html', A], ['same.js', A], ['gone.css', A]),
      options({ delete: true, previousRules }),
    );
    expect(changedKeys(plan)).toEqual(['edited.js', 'page.html', 'gone.css']);
  });
});
