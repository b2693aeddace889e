import type { LocalFile } from '../src/local.js';
import { planSync } from '../src/plan.js';
import type { RemoteObject } from '../src/remote.js';

function local(key: string, md5: string, size = 10): LocalFile {
  return { key, absolutePath: `/src/${key}`, size, md5, contentType: 'text/html' };
}
function remote(...objects: Array<[string, string, number?]>): Map<string, RemoteObject> {
  return new Map(objects.map(([key, etag, size = 10]) => [key, { key, etag: `"${etag}"`, size }]));
}
const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

describe('planSync', () => {
  it('uploads nothing when every object has the same bytes, whatever the mtimes', () => {
    const plan = planSync([local('index.html', A), local('app.js', B)], remote(['index.html', A], ['app.js', B]), {
      delete: true,
    });
    expect(plan.uploads).toEqual([]);
    expect(plan.deletes).toEqual([]);
    expect(plan.unchanged.map((f) => f.key)).toEqual(['index.html', 'app.js']);
  });

  it('uploads new files and files whose size or bytes differ, with the reason', () => {
    const plan = planSync(
      [local('new.html', A), local('resized.css', A, 11), local('edited.js', B), local('same.png', A)],
      remote(['resized.css', A], ['edited.js', A], ['same.png', A]),
      { delete: false },
    );
    expect(plan.uploads.map((u) => [u.file.key, u.reason])).toEqual([
      ['new.html', 'new'],
      ['resized.css', 'changed'],
      ['edited.js', 'changed'],
    ]);
    expect(plan.unchanged.map((f) => f.key)).toEqual(['same.png']);
  });

  it('re-uploads once, labelled unverifiable, when the ETag is not comparable', () => {
    const plan = planSync([local('big.bin', A)], remote(['big.bin', `${B}-7`]), { delete: false });
    expect(plan.uploads.map((u) => u.reason)).toEqual(['unverifiable']);
  });

  it('deletes remote objects without a local file only when asked', () => {
    const objects = remote(['index.html', A], ['old.html', A], ['gone/page.html', B]);
    expect(planSync([local('index.html', A)], objects, { delete: false }).deletes).toEqual([]);
    expect(planSync([local('index.html', A)], objects, { delete: true }).deletes).toEqual(['gone/page.html', 'old.html']);
  });
});
