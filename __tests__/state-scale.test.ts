/**
 * Found in a hostile review, pure: the deploy state at its biggest and with the oddest names. These pass today; they
 * record what was attacked and found solid (and the figures), so a regression shows.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { NO_HEADER_RULES } from '../src/headers.js';
import { StateStore, cleanState, complete, journal, recordWrites, stateChanged } from '../src/state.js';

const store = () =>
  new StateStore({ client: {} as S3Client, bucket: 'my-site', prefix: 'site/' }, () => undefined, [
    'EDIST0000001',
    'EDIST0000002',
  ]);
const ODD = [
  'my page.html',
  'c++.html',
  '100%41.html',
  'faq?.html',
  'a#b.html',
  'café/index.html',
  '日本語/ページ.html',
  '🙂.html',
  '*',
  '"quoted".html',
  'back`tick.html',
  `${'very-long-name-'.repeat(60)}.html`, // 905 characters
  'line\nbreak.html',
];

describe('the state with 100,000 pending keys, removals and ETag records', () => {
  it('serialises and reads back whole: digests only, a few MB (figures printed, not asserted)', () => {
    const s = store();
    const keys = Array.from({ length: 100_000 }, (_, i) => `blog/2026/${String(i).padStart(6, '0')}-post/index.html`);
    let state = journal(cleanState(NO_HEADER_RULES), {
      distributionIds: ['EDIST0000001', 'EDIST0000002'],
      keys,
      rules: NO_HEADER_RULES,
      deployId: 'run-1',
      writesObjects: true,
      digest: (k) => s.digest(k),
    });
    state = recordWrites(state, (k) => s.digest(k), {
      written: keys.map((key, i) => ({ key, etag: `${(i + 1).toString(16).padStart(32, 'a')}`, md5: 'b'.repeat(32) })),
      deleted: [],
    });
    state = complete(state, {
      rules: NO_HEADER_RULES,
      removals: new Map(keys.map((k, i) => [s.digest(`assets/${k}`), 1_800_000_000_000 + i])),
      distributionIds: [],
      now: 1,
    });
    let started = performance.now();
    const body = s.serialize(state);
    const serializeMs = performance.now() - started;
    started = performance.now();
    const back = s.parse(body);
    const parseMs = performance.now() - started;
    console.log(
      `100k pending x 2 distributions + 100k removals + 100k ETag records: ${(body.length / 1e6).toFixed(1)} MB, serialise ${serializeMs.toFixed(0)} ms, parse ${parseMs.toFixed(0)} ms`,
    );
    expect(stateChanged(state, back)).toBe(false);
    expect(body.length).toBeLessThan(40e6);
  });
});

describe('odd names in pending keys and digests', () => {
  it('round-trips spaces, +, %, ?, #, quotes, unicode, emoji, a newline and a 905-character name', () => {
    const s = store();
    const state = journal(cleanState(NO_HEADER_RULES), {
      distributionIds: ['EDIST0000001'],
      keys: ODD,
      rules: NO_HEADER_RULES,
      deployId: 'run-1',
      writesObjects: true,
      digest: (k) => s.digest(k),
    });
    const body = s.serialize(state);
    for (const name of ['my page', 'c++', 'faq', 'café', 'ページ', 'very-long']) expect(body).not.toContain(name);
    expect([...(s.parse(body).pending.get('EDIST0000001') ?? [])].sort()).toEqual(ODD.map((k) => s.digest(k)).sort());
    expect(new Set(ODD.map((k) => s.digest(k))).size).toBe(ODD.length);
  });
});
