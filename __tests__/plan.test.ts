import { type HeaderRules, NO_HEADER_RULES, headersFor, parseCacheControl, rulesForBuild } from '../src/headers.js';
import type { LocalFile } from '../src/local.js';
import { type PlanInput, type PlanOptions, keysToInspect, planDeploy, removalsDecided } from '../src/plan.js';
import type { RemoteObject } from '../src/remote.js';
import { type DeployState, cleanState, emptyState } from '../src/state.js';

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
const DAY = 86_400_000;
const NOW = 1_800_000_000_000;
const options = (more: Partial<PlanOptions> = {}): PlanOptions => ({
  delete: false,
  force: false,
  classify: rulesForBuild(NO_HEADER_RULES, []).classify,
  deleteAfterMs: 7 * DAY,
  maxDeletes: 1000,
  distributionIds: [],
  now: NOW,
  ...more,
});
function remote(...objects: Array<[string, string, number?]>): Map<string, RemoteObject> {
  return new Map(objects.map(([key, etag, size = 10]) => [key, { key, etag: `"${etag}"`, size }]));
}
/** Digests as the plan sees them; the real ones are salted hashes (see state.test.ts). */
const digest = (key: string) => `#${key}`;
function input(
  files: LocalFile[],
  objects: Map<string, RemoteObject>,
  state: DeployState = cleanState(NO_HEADER_RULES),
): PlanInput {
  return { local: files, remote: objects, state, digest };
}
const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

describe('planDeploy: content', () => {
  it('uploads nothing when every object has the same bytes, whatever the mtimes', () => {
    const plan = planDeploy(
      input([local('index.html', A), local('app.js', B)], remote(['index.html', A], ['app.js', B])),
      options({ delete: true }),
    );
    expect(plan.uploads).toEqual([]);
    expect(plan.deletes).toEqual([]);
    expect(plan.unchanged.map((f) => f.key)).toEqual(['index.html', 'app.js']);
    expect(plan.invalidate).toEqual([]);
  });

  it('uploads new files and files whose size or bytes differ, with the reason, entry points last', () => {
    const plan = planDeploy(
      input(
        [local('new.html', A), local('resized.css', A, 11), local('edited.js', B), local('same.png', A)],
        remote(['resized.css', A], ['edited.js', A], ['same.png', A]),
      ),
      options(),
    );
    expect(plan.uploads.map((u) => [u.file.key, u.reason])).toEqual([
      ['resized.css', 'changed'],
      ['edited.js', 'changed'],
      ['new.html', 'new'],
    ]);
    expect(plan.unchanged.map((f) => f.key)).toEqual(['same.png']);
    // New objects were never cached: only the overwritten ones are invalidated.
    expect(plan.invalidate).toEqual(['resized.css', 'edited.js']);
  });

  it('uploads once, labelled unverifiable, when neither the ETag nor a checksum can compare', () => {
    const keys = keysToInspect(input([local('big.bin', A)], remote(['big.bin', `${B}-7`])), { force: false });
    expect(keys).toEqual({ content: ['big.bin'], headers: [] });
    const plan = planDeploy(input([local('big.bin', A)], remote(['big.bin', `${B}-7`])), options());
    expect(plan.uploads.map((u) => u.reason)).toEqual(['unverifiable']);
  });

  it("trusts the state's record of what was written while the listed ETag is the one recorded (SSE-KMS)", () => {
    const kmsEtag = 'f'.repeat(32); // looks like an MD5, is not one
    const state = cleanState(NO_HEADER_RULES);
    state.written.set('#app.js', { etag: kmsEtag, md5: A });
    state.written.set('#old.js', { etag: kmsEtag, md5: A });
    const plan = planDeploy(
      input(
        [local('app.js', A), local('old.js', A), local('edited.js', B)],
        remote(['app.js', kmsEtag], ['old.js', 'e'.repeat(32)], ['edited.js', kmsEtag]),
        state,
      ),
      options(),
    );
    expect(plan.unchanged.map((f) => f.key)).toEqual(['app.js']);
    // Another ETag than recorded: someone else wrote it; an unrecorded non-MD5 ETag: not assumed equal.
    expect(plan.uploads.map((u) => [u.file.key, u.reason])).toEqual([
      ['old.js', 'changed'],
      ['edited.js', 'changed'],
    ]);
  });

  it("compares S3's CRC64NVME where the ETag cannot, and learns the object's ETag for next time", () => {
    const files = [
      { ...local('same.bin', A), crc64nvme: 'AAAAAAAAAAA=' },
      { ...local('other.bin', B), crc64nvme: 'AAAAAAAAAAA=' },
    ];
    const objects = remote(['same.bin', 'opaque-1'], ['other.bin', 'opaque-2']);
    const inspected = new Map([
      ['same.bin', { headers: files[0]!.headers, crc64nvme: 'AAAAAAAAAAA=' }],
      ['other.bin', { headers: files[1]!.headers, crc64nvme: 'BBBBBBBBBBB=' }],
    ]);
    const plan = planDeploy({ ...input(files, objects), inspected }, options());
    expect(plan.unchanged.map((f) => f.key)).toEqual(['same.bin']);
    expect(plan.uploads.map((u) => [u.file.key, u.reason])).toEqual([['other.bin', 'changed']]);
    expect(plan.learned).toEqual([{ key: 'same.bin', etag: 'opaque-1', md5: A }]);
  });

  it('uploads everything with force', () => {
    const plan = planDeploy(input([local('a.html', A)], remote(['a.html', A])), options({ force: true }));
    expect(plan.uploads.map((u) => [u.file.key, u.reason])).toEqual([['a.html', 'forced']]);
  });

  it('uploads assets, then entry points, then service workers', () => {
    const files = ['sw.js', 'index.html', 'workbox-9c191d2f.js', 'assets/app-B3kd9Xz1.js'].map((key) => local(key, A));
    const plan = planDeploy(input(files, remote()), options());
    expect(plan.uploads.map((u) => u.file.key)).toEqual([
      'workbox-9c191d2f.js',
      'assets/app-B3kd9Xz1.js',
      'index.html',
      'sw.js',
    ]);
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
    const plan = planDeploy(input(files, remote()), options());
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
});

describe('planDeploy: headers', () => {
  const html60: HeaderRules = { ...NO_HEADER_RULES, cacheControl: [{ glob: '*.html', value: 'max-age=60' }] };
  const htmlNoCache: HeaderRules = { ...NO_HEADER_RULES, cacheControl: [{ glob: '*.html', value: 'no-cache' }] };

  it('rewrites headers in place when a rule changed but the bytes did not', () => {
    const files = [local('a.html', A, 10, 'no-cache'), local('b.bin', B)];
    const plan = planDeploy(input(files, remote(['a.html', A], ['b.bin', B]), cleanState(html60)), options());
    expect(plan.uploads).toEqual([]);
    expect(plan.headerUpdates.map((f) => f.key)).toEqual(['a.html']);
    expect(plan.unchanged.map((f) => f.key)).toEqual(['b.bin']);
    expect(plan.invalidate).toEqual(['a.html']);
  });

  it('re-headers whatever may carry either rule set of a change that did not finish', () => {
    // R1 (no-cache) -> R2 (max-age=60) failed half-way -> back to R1: a.html may carry either.
    const state: DeployState = { ...cleanState(htmlNoCache), ruleSets: [htmlNoCache, html60] };
    const files = [local('a.html', A, 10, 'no-cache'), local('b.bin', B)];
    const plan = planDeploy(input(files, remote(['a.html', A], ['b.bin', B]), state), options());
    expect(plan.headerUpdates.map((f) => f.key)).toEqual(['a.html']);
    expect(plan.unchanged.map((f) => f.key)).toEqual(['b.bin']);
  });

  it('asks HEAD for the headers when there is no state, and fixes only the wrong ones', () => {
    const files = [local('app.mjs', A), local('index.html', B)];
    const objects = remote(['app.mjs', A], ['index.html', B]);
    expect(keysToInspect(input(files, objects, emptyState()), { force: false })).toEqual({
      content: [],
      headers: ['app.mjs', 'index.html'],
    });
    const inspected = new Map([
      ['app.mjs', { headers: { contentType: 'binary/octet-stream' } }],
      ['index.html', { headers: files[1]!.headers }],
    ]);
    const plan = planDeploy({ ...input(files, objects, emptyState()), inspected }, options());
    expect(plan.headerUpdates.map((f) => f.key)).toEqual(['app.mjs']);
    expect(plan.unchanged.map((f) => f.key)).toEqual(['index.html']);
  });
});

describe("planDeploy: 'cache-control: auto' like any rule set", () => {
  const keys = ['index.html', 'sw.js', 'logo.png', 'assets/app-B3kd9Xz1.js', 'assets/app-C8pQ2mXa.css'];
  const objects = () => remote(...keys.map((key): [string, string] => [key, A]));
  const withRules = (rules: HeaderRules) => {
    const build = rulesForBuild(rules, keys);
    const files = keys.map((key) => ({ ...local(key, A), headers: headersFor(key, build.rules) }));
    return { build, files };
  };
  const auto = (text = 'auto') => ({ ...NO_HEADER_RULES, ...parseCacheControl(text, 'cache-control') });

  it('switching it on rewrites the headers of unchanged objects in place, invalidating all but the fingerprinted ones', () => {
    const { build, files } = withRules(auto());
    const plan = planDeploy(
      input(files, objects(), cleanState(NO_HEADER_RULES)),
      options({ classify: build.classify }),
    );
    expect(plan.uploads).toEqual([]);
    expect(plan.headerUpdates.map((f) => f.key).sort()).toEqual([...keys].sort());
    // A hashed name never changed its bytes: the edges may keep it, with the old headers, until it expires.
    expect(plan.invalidate.sort()).toEqual(['index.html', 'logo.png', 'sw.js']);
  });

  it('a changed default (a later release) or a changed class reaches exactly the objects of that class', () => {
    const { build, files } = withRules(auto());
    const now = build.rules;
    const olderRelease: HeaderRules = {
      ...now,
      cacheControlAuto: { ...now.cacheControlAuto!, values: { ...now.cacheControlAuto!.values, other: 'max-age=60' } },
    };
    // The rules are replayed from the state's JSON, as a later deploy reads them.
    const stored = JSON.parse(JSON.stringify(olderRelease)) as HeaderRules;
    const plan = planDeploy(input(files, objects(), cleanState(stored)), options({ classify: build.classify }));
    expect(plan.headerUpdates.map((f) => f.key)).toEqual(['logo.png']);
    expect(plan.unchanged).toHaveLength(keys.length - 1);
    expect(keysToInspect(input(files, objects(), cleanState(stored)), { force: false }).headers).toEqual([]);

    const same = planDeploy(
      input(files, objects(), cleanState(JSON.parse(JSON.stringify(now)) as HeaderRules)),
      options(),
    );
    expect(same.headerUpdates).toEqual([]);
  });

  it('reads the headers back (HEAD) once when another classifier version derived them', () => {
    const { files, build } = withRules(auto());
    const older: HeaderRules = {
      ...build.rules,
      cacheControlAuto: { ...build.rules.cacheControlAuto!, classifier: 0 },
    };
    expect(keysToInspect(input(files, objects(), cleanState(older)), { force: false }).headers).toEqual(
      files.map((f) => f.key),
    );
  });

  it('deletes a removed service worker at once, like a page', () => {
    const { build } = withRules(auto());
    const plan = planDeploy(
      input([local('index.html', A)], remote(['index.html', A], ['sw.js', A], ['logo.png', A])),
      options({ delete: true, classify: build.classify }),
    );
    expect(plan.deletes).toEqual(['sw.js']);
    expect(plan.kept).toEqual(['logo.png']);
  });
});

describe('planDeploy: removed files', () => {
  const site = () => [local('index.html', A), local('assets/app-B3kd9Xz1.js', A)];
  const bucket = () =>
    remote(
      ['index.html', A],
      ['assets/app-B3kd9Xz1.js', A],
      ['assets/app-Old8Xz1q.js', A],
      ['old/page.html', A],
      ['img/old.png', A],
    );

  it('deletes nothing unless asked', () => {
    const plan = planDeploy(input(site(), bucket()), options());
    expect(plan.deletes).toEqual([]);
    expect(plan.kept).toEqual([]);
  });

  it('deletes removed pages at once and keeps removed assets, unannounced, for the grace period', () => {
    const plan = planDeploy(input(site(), bucket()), options({ delete: true }));
    expect(plan.deletes).toEqual(['old/page.html']);
    expect(plan.kept).toEqual(['assets/app-Old8Xz1q.js', 'img/old.png']);
    expect([...plan.removals]).toEqual([
      ['#assets/app-Old8Xz1q.js', 0],
      ['#img/old.png', 0],
    ]);
    // The deleted page is invalidated; the kept assets did not change, so they are not.
    expect(plan.invalidate).toEqual(['old/page.html']);
    expect(removalsDecided(plan)).toBe(3);
  });

  it('deletes a kept asset once its grace period has run, invalidating it unless its name is fingerprinted', () => {
    const state = cleanState(NO_HEADER_RULES);
    state.removals.set('#assets/app-Old8Xz1q.js', NOW - 8 * DAY);
    state.removals.set('#img/old.png', NOW - 8 * DAY);
    const plan = planDeploy(input(site(), bucket(), state), options({ delete: true }));
    expect(plan.deletes).toEqual(['assets/app-Old8Xz1q.js', 'img/old.png', 'old/page.html']);
    expect(plan.expired).toEqual(['assets/app-Old8Xz1q.js', 'img/old.png']);
    expect(plan.invalidate.sort()).toEqual(['img/old.png', 'old/page.html']);
    expect(plan.removals.size).toBe(0);
    // Their removal was decided by the deploy that scheduled them.
    expect(removalsDecided(plan)).toBe(1);
  });

  it('keeps the clock still while its start is unknown or an invalidation is pending', () => {
    const state = cleanState(NO_HEADER_RULES);
    state.removals.set('#img/old.png', 0);
    state.removals.set('#assets/app-Old8Xz1q.js', NOW - 8 * DAY);
    state.pending.set('EDIST', new Set(['index.html']));
    const plan = planDeploy(input(site(), bucket(), state), options({ delete: true, distributionIds: ['EDIST'] }));
    expect(plan.deletes).toEqual(['old/page.html']);
    expect(plan.kept).toEqual(['assets/app-Old8Xz1q.js', 'img/old.png']);
  });

  it('spreads expired deletes over deploys within max-deletes instead of failing', () => {
    const state = cleanState(NO_HEADER_RULES);
    const objects = remote(['index.html', A]);
    for (let i = 0; i < 5; i++) {
      objects.set(`img/${i}.png`, { key: `img/${i}.png`, etag: `"${A}"`, size: 10 });
      state.removals.set(`#img/${i}.png`, NOW - 8 * DAY);
    }
    const plan = planDeploy(input([local('index.html', A)], objects, state), options({ delete: true, maxDeletes: 2 }));
    expect(plan.deletes).toEqual(['img/0.png', 'img/1.png']);
    expect(plan.postponed).toEqual(['img/2.png', 'img/3.png', 'img/4.png']);
    expect([...plan.removals.keys()]).toEqual(['#img/2.png', '#img/3.png', '#img/4.png']);
  });

  it('forgets a removal when the file comes back (a rollback)', () => {
    const state = cleanState(NO_HEADER_RULES);
    state.removals.set('#img/old.png', NOW - DAY);
    const plan = planDeploy(
      input([...site(), local('img/old.png', A)], remote(['index.html', A], ['img/old.png', A]), state),
      options({ delete: true }),
    );
    expect(plan.removals.size).toBe(0);
    expect(plan.unchanged.map((f) => f.key)).toContain('img/old.png');
  });

  it('deletes every removed file at once with delete-after 0', () => {
    const plan = planDeploy(input(site(), bucket()), options({ delete: true, deleteAfterMs: 0 }));
    expect(plan.deletes).toEqual(['assets/app-Old8Xz1q.js', 'img/old.png', 'old/page.html']);
    expect(plan.kept).toEqual([]);
  });

  it('removes everything in a teardown, grace period or not', () => {
    const state = cleanState(NO_HEADER_RULES);
    state.removals.set('#img/old.png', NOW);
    const plan = planDeploy(input([], bucket(), state), options({ delete: true, teardown: true }));
    expect(plan.deletes).toEqual([...bucket().keys()].sort());
    expect(plan.invalidate).toEqual([...bucket().keys()].sort());
  });

  it('never deletes what include/exclude leave out', () => {
    const plan = planDeploy(
      input(site(), bucket()),
      options({ delete: true, deleteAfterMs: 0, isSelected: (key) => !key.startsWith('img/') }),
    );
    expect(plan.deletes).toEqual(['assets/app-Old8Xz1q.js', 'old/page.html']);
  });
});
