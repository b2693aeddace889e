import { checkBrokenBuild, checkEmptySource } from '../src/guards.js';
import { NO_HEADER_RULES, rulesForBuild } from '../src/headers.js';

const pages = (count: number, folder = 'blog') => Array.from({ length: count }, (_, i) => `${folder}/post-${i}.html`);
const check = (local: string[], remote: string[], share = 50, removed: string[] = []) =>
  checkBrokenBuild(
    {
      localKeys: new Set(local),
      remoteKeys: remote,
      alreadyRemoved: (key) => removed.includes(key),
      classify: rulesForBuild(NO_HEADER_RULES, local).classify,
    },
    share,
    's3://b/',
  );

describe('the broken-build guard', () => {
  it('refuses a build that still has one file of a 51-file site, naming the share and the input', () => {
    const site = ['index.html', ...pages(50)];
    expect(() => check(['index.html'], site)).toThrow(
      /lacks 50 of the 51 pages and other files .* 98% \(e.g. 'blog\/post-0.html'\), more than 'max-delete-share' \(50%\)/,
    );
  });

  it('lets a dependency bump that renames every hashed chunk through', () => {
    const oldChunks = Array.from({ length: 200 }, (_, i) => `assets/chunk-${i}-Ab3dEf9h.js`);
    const newChunks = Array.from({ length: 200 }, (_, i) => `assets/chunk-${i}-Zz9yXw1v.js`);
    const site = ['index.html', ...pages(20)];
    expect(() => check([...site, ...newChunks], [...site, ...oldChunks])).not.toThrow();
  });

  it('allows what the user allows, ignores small sites and files already removed', () => {
    const site = ['index.html', ...pages(50)];
    expect(() => check(['index.html'], site, 100)).not.toThrow();
    expect(() => check(['index.html'], ['index.html', ...pages(8)])).not.toThrow();
    expect(() => check(['index.html', ...pages(10)], site, 50, pages(50).slice(10))).not.toThrow();
  });
});

describe('an empty source', () => {
  it('is refused with delete, and only warned about without', () => {
    expect(() => checkEmptySource(0, { delete: true, source: '/w/dist' }, 's3://b/')).toThrow(
      /has no files and 'delete' is true/,
    );
    expect(checkEmptySource(0, { delete: false, source: '/w/dist' }, 's3://b/')).toMatch(/has no files/);
    expect(checkEmptySource(3, { delete: true, source: '/w/dist' }, 's3://b/')).toBeUndefined();
  });
});
