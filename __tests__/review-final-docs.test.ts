/**
 * Review (review-final): what action.yml tells users (the Marketplace page, editor tooltips, actionlint for
 * local use) against the README and the code. Fails today.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { NO_HEADER_RULES, headersFor } from '../src/headers.js';

const action = parse(fs.readFileSync(path.join(process.cwd(), 'action.yml'), 'utf8')) as {
  inputs: Record<string, { description: string }>;
  outputs: Record<string, { description: string }>;
};

describe("review-final: the Quick start and the README's trust policy work together", () => {
  // The Quick start's job has `environment: name: production` (for environment.url), so GitHub's OIDC token
  // says sub = 'repo:OWNER/REPO:environment:production'. The trust policy it links to ("the role's trust and
  // permission policies") only accepts 'repo:my-org/my-site:ref:refs/heads/main', so an adopter who copies
  // both fails at the credentials step with "Not authorized to perform sts:AssumeRoleWithWebIdentity"; the
  // sentence after the policy mentions the environment form, but the JSON that gets copied is the branch one.
  // Suggested fix: show the environment form in the JSON (the Quick start uses it), and the branch form in
  // the sentence.
  it("the trust policy's sub accepts the token of the Quick start's job", () => {
    const readme = fs.readFileSync(path.join(process.cwd(), 'README.md'), 'utf8');
    const quickStart = /## Quick start[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const workflow = parse(quickStart) as { jobs: Record<string, { environment?: { name?: string } | string }> };
    const job = Object.values(workflow.jobs)[0];
    const environment = typeof job?.environment === 'string' ? job.environment : job?.environment?.name;
    const sub = environment
      ? `repo:my-org/my-site:environment:${environment}`
      : 'repo:my-org/my-site:ref:refs/heads/main';
    const trust = /### The role's trust policy[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1] ?? '{}';
    const conditions = (
      JSON.parse(trust) as { Statement: Array<{ Condition: Record<string, Record<string, string | string[]>> }> }
    ).Statement[0]?.Condition;
    const allowed = [conditions?.StringEquals?.['token.actions.githubusercontent.com:sub'] ?? []].flat();
    expect(allowed).toContain(sub);
  });
});

describe('review-final: action.yml agrees with the code', () => {
  // action.yml says content-encoding rules are "for pre-compressed files without a .gz or .br extension
  // (those are detected)". The code (and the README) do the opposite: no file gets a Content-Encoding without a
  // rule, .gz and .br included. A user who trusts the tooltip ships app.js.gz as application/gzip with no
  // Content-Encoding, and browsers get a compressed script they cannot run.
  it("content-encoding's description does not promise .gz/.br detection", () => {
    expect(headersFor('assets/app.js.gz', NO_HEADER_RULES).contentEncoding).toBeUndefined();
    expect(action.inputs['content-encoding']?.description).not.toMatch(/detected/);
  });

  // The outputs' descriptions lag the README: 'invalidation-status' omits Failed, 'invalidations' omits the
  // 'error' field a failed distribution carries.
  it('output descriptions name every value the outputs can hold', () => {
    expect(action.outputs['invalidation-status']?.description).toMatch(/Failed/);
    expect(action.outputs.invalidations?.description).toMatch(/error/);
  });
});
