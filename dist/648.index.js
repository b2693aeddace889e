export const id = 648;
export const ids = [648];
export const modules = {

/***/ 2648:
/***/ function (__unused_webpack_module, __webpack_exports__, __webpack_require__) {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  createInvalidations: () => (/* binding */ createInvalidations),
  describeDistributions: () => (/* binding */ describeDistributions),
  readEdgePolicies: () => (/* binding */ readEdgePolicies),
  rootWhenNone: () => (/* binding */ rootWhenNone),
  waitForInvalidations: () => (/* binding */ waitForInvalidations)
});

// EXTERNAL MODULE: external "node:timers/promises"
var promises_ = __webpack_require__(8500);
// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 20 modules
var core = __webpack_require__(3218);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-cloudfront/dist-cjs/index.js
var dist_cjs = __webpack_require__(3169);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
;// CONCATENATED MODULE: ./src/cloudfront.ts
/** Creates a CloudFront invalidation and waits for it, within a deadline. */



const DIGEST_LENGTH = 32;
/**
 * CloudFront returns the existing invalidation when a CallerReference repeats with the same paths. That is
 * right only if the existing one was created after the content now served was last written, so the
 * reference names the deploy as well as the distribution, the deployed bucket and prefix, the paths, and
 * the content behind them: the same deploy retrying the same content gets its own invalidation back; any
 * other content (a matrix leg writing other bytes) gets another. Content alone would not do: a path that
 * went A -> B -> A (a revert) would get A's first invalidation back, created before B was cached.
 * Order does not matter: paths and changes are a set.
 */
function callerReference(batch) {
    const changes = batch.changes.map(({ key, content }) => JSON.stringify([key, content])).sort();
    const digest = (0,external_node_crypto_.createHash)('sha256')
        .update(JSON.stringify([batch.deploy, batch.distributionId, batch.deployed, [...batch.paths].sort(), changes]))
        .digest('hex')
        .slice(0, DIGEST_LENGTH);
    // CloudFront allows 128 characters: the deploy is there for people reading it, the digest decides.
    return `${batch.deploy.slice(0, 128 - DIGEST_LENGTH - 1)}-${digest}`;
}
/** CloudFront refuses new invalidations while too many paths are in progress; they finish in minutes. */
const BUSY_FIRST_DELAY_MS = 1000;
const BUSY_MAX_DELAY_MS = 30_000;
const defaultSleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * Creates the invalidation, backing off while CloudFront answers TooManyInvalidationsInProgress (throttling
 * is the SDK's own retry). Every attempt carries the same CallerReference, so none can create a second one.
 */
async function createInvalidation(client, request) {
    const paths = [...request.paths];
    const command = new dist_cjs/* CreateInvalidationCommand */.Yo6({
        DistributionId: request.distributionId,
        InvalidationBatch: {
            CallerReference: request.callerReference,
            Paths: { Quantity: paths.length, Items: paths },
        },
    });
    const sleep = request.sleep ?? defaultSleep;
    for (let attempt = 1;; attempt++) {
        try {
            const response = await client.send(command);
            const id = response.Invalidation?.Id;
            if (!id)
                throw new Error(`CloudFront answered CreateInvalidation for '${request.distributionId}' without an invalidation id.`);
            return { distributionId: request.distributionId, id, status: toStatus(response.Invalidation?.Status), paths };
        }
        catch (error) {
            const delay = Math.min(BUSY_MAX_DELAY_MS, BUSY_FIRST_DELAY_MS * 2 ** (attempt - 1));
            if (error.name !== 'TooManyInvalidationsInProgress' || Date.now() + delay > request.deadline)
                throw error;
            request.onRetry?.(`${request.distributionId} has too many invalidations in progress; trying again in ${delay / 1000} s (attempt ${attempt + 1}).`);
            await sleep(delay);
        }
    }
}
/** Between status checks: 2 s, doubling to 15 s. Most invalidations finish within a minute. */
const WAIT_FIRST_DELAY_MS = 2000;
const WAIT_MAX_DELAY_MS = 15_000;
/**
 * Checks the invalidation until it is Completed, the deadline passes or the signal aborts (another wait
 * failed), and returns the last status seen. The first check is made even past the deadline (creating may
 * have used it all), the last one at the deadline. Not the SDK's waiter: it retries every error silently
 * until its timeout (a missing cloudfront:GetInvalidation would be a long, silent wait), and after an
 * abort its pending sleep kept the process alive up to 15 s more and then polled once more.
 */
async function waitForInvalidation(client, invalidation, until) {
    const { deadline, abortSignal } = until;
    const input = { DistributionId: invalidation.distributionId, Id: invalidation.id };
    try {
        for (let delay = WAIT_FIRST_DELAY_MS;; delay = Math.min(delay * 2, WAIT_MAX_DELAY_MS)) {
            const response = await client.send(new dist_cjs/* GetInvalidationCommand */.Wwh(input), { abortSignal });
            if (toStatus(response.Invalidation?.Status) === 'Completed')
                return 'Completed';
            const remaining = deadline - Date.now();
            if (remaining <= 0)
                return 'InProgress';
            await (0,promises_.setTimeout)(Math.min(delay, remaining), undefined, { signal: abortSignal });
        }
    }
    catch (error) {
        if (abortSignal.aborted)
            return 'InProgress';
        throw error;
    }
}
async function describeDistribution(client, distributionId, bucket) {
    const response = await client.send(new dist_cjs/* GetDistributionCommand */.seO({ Id: distributionId }));
    const distribution = response.Distribution;
    const config = distribution?.DistributionConfig;
    const prefixes = bucketOrigins(config, bucket).map(originPrefix);
    return {
        originPrefixes: [...new Set(prefixes)],
        domain: config?.Aliases?.Items?.find((alias) => !alias.startsWith('*')) ?? distribution?.DomainName ?? '',
        config,
    };
}
/** The key prefix an origin maps to '/': its OriginPath without slashes around, then one '/'. */
function originPrefix(origin) {
    const originPath = (origin.OriginPath ?? '').replace(/^\/+|\/+$/g, '');
    return originPath ? `${originPath}/` : '';
}
function bucketOrigins(config, bucket) {
    return (config?.Origins?.Items ?? []).filter((candidate) => candidate.DomainName?.startsWith(`${bucket}.s3`));
}
/**
 * The ids a behaviour can target to serve the bucket, each with its key prefix: the bucket's origins, and
 * the origin groups (S3 failover) with one of them as a member. A group serves through its primary (listed
 * first) when that is on the bucket, else through the member that is.
 */
function bucketTargets(config, bucket) {
    const origins = new Map(bucketOrigins(config, bucket).map((origin) => [origin.Id, originPrefix(origin)]));
    const targets = new Map(origins);
    for (const group of config?.OriginGroups?.Items ?? []) {
        const prefix = (group.Members?.Items ?? [])
            .map((member) => origins.get(member.OriginId))
            .find((candidate) => candidate !== undefined);
        if (group.Id !== undefined && prefix !== undefined)
            targets.set(group.Id, prefix);
    }
    return targets;
}
/**
 * The managed cache policies an S3 origin is usually given, as AWS documents them ("Use managed cache
 * policies"): known without a GetCachePolicy, so without that permission.
 */
const MANAGED_CACHE_POLICIES = {
    '658327ea-f89d-4fab-a63d-7e88639e58f6': {
        name: 'Managed-CachingOptimized',
        ttls: { min: 1, default: 86_400, max: 31_536_000 },
    },
    'b2884449-e4de-46a7-ac36-70bc7f1ddd6d': {
        name: 'Managed-CachingOptimizedForUncompressedObjects',
        ttls: { min: 1, default: 86_400, max: 31_536_000 },
    },
    '4135ea2d-6df8-44a3-9df3-4b5a84be39ad': { name: 'Managed-CachingDisabled', ttls: { min: 0, default: 0, max: 0 } },
};
/**
 * The behaviours (default and ordered) whose TargetOriginId serves the bucket, an origin of it or an origin
 * group with one as a member, each with its TTL bounds: from its cache policy (GetCachePolicy, unless a
 * managed one AWS documents), or from the legacy MinTTL / DefaultTTL / MaxTTL of a behaviour without one.
 * Undefined when no origin serves the bucket. A policy that cannot be read is returned with its error,
 * never thrown.
 */
async function behavioursServing(client, config, bucket) {
    const targets = bucketTargets(config, bucket);
    if (!config || targets.size === 0)
        return undefined;
    const behaviours = [
        ...(config.CacheBehaviors?.Items ?? []).map((b) => [b.PathPattern ?? '', b]),
        ...(config.DefaultCacheBehavior ? [['*', config.DefaultCacheBehavior]] : []),
    ];
    const policies = new Map();
    const policy = (id) => {
        let read = policies.get(id);
        if (!read) {
            read = readCachePolicy(client, id);
            policies.set(id, read);
        }
        return read;
    };
    const patterns = behaviours.map(([pathPattern]) => pathPattern);
    return Promise.all(behaviours.flatMap(([pathPattern, behaviour], index) => {
        const prefix = targets.get(behaviour.TargetOriginId);
        if (prefix === undefined)
            return [];
        const where = { pathPattern, before: patterns.slice(0, index), originPrefix: prefix };
        return [serving(where, behaviour)];
    }));
    async function serving(where, behaviour) {
        const id = behaviour.CachePolicyId;
        if (!id) {
            // Legacy settings: CloudFront's defaults where a field is absent.
            const ttls = {
                min: behaviour.MinTTL ?? 0,
                default: behaviour.DefaultTTL ?? 86_400,
                max: behaviour.MaxTTL ?? 31_536_000,
            };
            return { ...where, source: 'legacy cache settings', ttls };
        }
        try {
            const { name, ttls } = await policy(id);
            return { ...where, source: `cache policy ${name}`, ttls };
        }
        catch (error) {
            return { ...where, source: `cache policy ${id}`, error };
        }
    }
}
async function readCachePolicy(client, id) {
    const managed = MANAGED_CACHE_POLICIES[id];
    if (managed)
        return managed;
    const config = (await client.send(new dist_cjs/* GetCachePolicyCommand */.EyA({ Id: id }))).CachePolicy?.CachePolicyConfig;
    const min = config?.MinTTL ?? 0;
    // CloudFront's documented defaults for fields left out.
    const fallback = Math.max(min, 86_400);
    const ttls = { min, default: config?.DefaultTTL ?? fallback, max: config?.MaxTTL ?? Math.max(31_536_000, fallback) };
    return { name: config?.Name ?? id, ttls };
}
function toStatus(status) {
    return status === 'Completed' ? 'Completed' : 'InProgress';
}

// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
// EXTERNAL MODULE: ./src/format.ts
var format = __webpack_require__(6264);
// EXTERNAL MODULE: ./src/http.ts
var http = __webpack_require__(6803);
// EXTERNAL MODULE: ./src/phase.ts
var phase = __webpack_require__(528);
// EXTERNAL MODULE: ./src/paths.ts
var src_paths = __webpack_require__(8431);
// EXTERNAL MODULE: ./src/run.ts
var run = __webpack_require__(9786);
;// CONCATENATED MODULE: ./src/invalidate.ts
/**
 * The CloudFront half of a deploy: the paths to invalidate (as given, or 'auto' from what changed), one
 * invalidation per distribution, then the wait. 'wait-timeout' starts when the first CreateInvalidation is
 * sent and bounds busy retries and the wait together. Creating and waiting are two calls, so the caller
 * can record what was created before waiting.
 */










/**
 * Attempts an invalidation on every target, even when another fails, and records each result in
 * report.invalidations (a failure as status 'Failed' with its error) before throwing one ActionError that
 * names every failure. `deploy` identifies this deploy in the CallerReference: pass the same value to
 * retry the same deploy (e.g. one recorded in the bucket), or leave the default, unique to this run.
 */
async function createInvalidations(targets, settings, report, deploy = (0,run/* newDeployId */.B)()) {
    const client = createCloudFrontClient();
    return (0,phase/* phase */.Oi)('Invalidate', async () => {
        // Every distribution's paths first, so the clock starts with the first CreateInvalidation, not before
        // a slow GetDistribution or a big change's collapsing.
        const paths = await Promise.allSettled(targets.map((target) => invalidationPaths(client, target, settings)));
        const deadline = Date.now() + settings.waitTimeoutSeconds * 1000;
        // Each answer is recorded as it comes: a cancelled run may have to report before the slowest one.
        report.invalidations = [];
        const invalidations = await Promise.all(targets.map(async (target, index) => {
            const invalidation = await invalidate(client, target, paths[index], { settings, deploy, deadline, report });
            report.invalidations.push(invalidation);
            return invalidation;
        }));
        report.invalidations = invalidations;
        const failed = invalidations.filter((invalidation) => invalidation.status === 'Failed');
        if (failed.length > 0) {
            const made = invalidations.filter((i) => i.id).map((i) => `${i.id} on ${i.distributionId}`);
            throw new errors/* ActionError */.lZ(`${[...new Set(failed.map((i) => i.error))].join(' ')} The files are deployed, but no invalidation was made on ` +
                `${failed.map((i) => i.distributionId).join(', ')}, which may serve the old files until they expire` +
                `${made.length > 0 ? ` (made: ${made.join(', ')})` : ''}; the paths are in the 'invalidations' output.`);
        }
        return { invalidations, deadline };
    });
}
/**
 * With 'wait: true', waits for every InProgress invalidation until the deadline. When one wait fails
 * (its status cannot be read), the others stop at once: the step fails either way. When `cancel` aborts
 * (the run is cancelled), every wait stops at once and this returns; the caller says why.
 */
async function waitForInvalidations(created, settings, report, cancel) {
    if (!settings.wait || settings.dryRun)
        return;
    const pending = created.invalidations.filter((invalidation) => invalidation.status === 'InProgress');
    if (pending.length === 0)
        return;
    const client = createCloudFrontClient();
    await (0,phase/* phase */.Oi)('Wait', async () => {
        const stop = new AbortController();
        cancel?.addEventListener('abort', () => stop.abort(), { once: true });
        if (cancel?.aborted)
            stop.abort();
        await Promise.all(pending.map(async (invalidation) => {
            const until = { deadline: created.deadline, abortSignal: stop.signal };
            try {
                invalidation.status = await waitForInvalidation(client, invalidation, until);
            }
            catch (error) {
                invalidation.error = explain(error, invalidation.distributionId);
                stop.abort();
            }
            const why = invalidation.error ? ` (${invalidation.error})` : '';
            core.info(`Invalidation ${invalidation.id} on ${invalidation.distributionId}: ${invalidation.status}${why}.`);
        }));
        report.invalidations = created.invalidations;
        if (cancel?.aborted)
            return;
        const unreadable = pending.filter((invalidation) => invalidation.error);
        if (unreadable.length > 0) {
            const others = pending.length > unreadable.length ? '; stopped waiting for the others' : '';
            throw new errors/* ActionError */.lZ(`${[...new Set(unreadable.map((i) => i.error))].join(' ')} Could not check invalidation ` +
                `${unreadable.map((i) => `${i.id} on ${i.distributionId}`).join(', ')}${others}. ` +
                `The files are deployed and the invalidations go on.`);
        }
        const late = pending.filter((invalidation) => invalidation.status !== 'Completed');
        if (late.length > 0) {
            throw new errors/* ActionError */.lZ(`Invalidation ${late.map((i) => `${i.id} on ${i.distributionId}`).join(', ')} is still InProgress ${(0,format/* formatSeconds */.Xo)(Date.now() - (created.deadline - settings.waitTimeoutSeconds * 1000))} after the first CreateInvalidation ('wait-timeout': ${settings.waitTimeoutSeconds} s). ` +
                `The files are deployed and the invalidation goes on; raise 'wait-timeout' or set 'wait: false' to not wait.`);
        }
    });
}
/** One distribution's invalidation; never throws: a failure is recorded as 'Failed' with its error. */
async function invalidate(client, target, computed, options) {
    const { distributionId } = target;
    const { settings } = options;
    const failed = (error, paths) => {
        const message = explain(error, distributionId);
        core.info(`✗ ${distributionId}: ${message}`);
        return { distributionId, id: '', status: 'Failed', paths, error: message };
    };
    if (computed.status === 'rejected')
        return failed(computed.reason, []);
    const paths = computed.value;
    if (paths.length === 0) {
        core.info(`${distributionId}: no invalidation, nothing CloudFront could have cached changed (only new files, or none).`);
        return { distributionId, id: '', status: 'Skipped', paths: [] };
    }
    if (settings.dryRun) {
        core.info(`${distributionId}: would invalidate ${paths.join(' ')}`);
        return { distributionId, id: '', status: 'Skipped', paths };
    }
    const create = async (sent) => {
        const reference = callerReference({
            deploy: options.deploy,
            distributionId,
            deployed: `s3://${settings.bucket}/${settings.prefix}`,
            paths: sent,
            changes: target.changes,
        });
        // From the moment it is sent until CloudFront answers, the invalidation may exist without this run
        // knowing its id; not while backing off from a busy distribution, which refused it.
        const { awaitingAnswer } = options.report;
        awaitingAnswer.set(distributionId, sent);
        const created = await createInvalidation(client, {
            distributionId,
            paths: sent,
            callerReference: reference,
            deadline: options.deadline,
            onRetry: core.info,
            sleep: async (ms) => {
                awaitingAnswer.delete(distributionId);
                await (0,promises_.setTimeout)(ms);
                awaitingAnswer.set(distributionId, sent);
            },
        }).finally(() => awaitingAnswer.delete(distributionId));
        core.info(`Invalidation ${created.id} on ${distributionId}: ${created.status} (${created.paths.join(' ')}).`);
        return created;
    };
    try {
        return await create(paths);
    }
    catch (error) {
        // Auto paths follow CloudFront's documented rules; should it still refuse one, a wider set of the
        // plainest paths covers the same URLs, rather than leaving every later deploy stuck on the same batch.
        if (settings.paths !== 'auto' || error.name !== 'InvalidArgument')
            return failed(error, paths);
        const wider = (0,src_paths/* collapsePaths */.Mq)((0,src_paths/* plainestPaths */.dD)(paths), settings.maxInvalidationPaths);
        core.warning(`${distributionId} refused the invalidation paths (${explain(error, distributionId)}); invalidating wider ones instead: ${wider.join(' ')}.`);
        try {
            return await create(wider);
        }
        catch (retryError) {
            return failed(retryError, wider);
        }
    }
}
/** Explicit paths are sent as given; 'auto' maps the changed keys through the origin path. */
async function invalidationPaths(client, target, settings) {
    if (settings.paths !== 'auto')
        return settings.paths.map(src_paths/* encodeInvalidationPath */.Ex);
    if (target.changes.length === 0)
        return [];
    const originPrefixes = target.originPrefixes ??
        rootWhenNone((await describeDistribution(client, target.distributionId, settings.bucket)).originPrefixes);
    const { paths, urls } = pathsForKeys(target.changes.map((change) => settings.prefix + change.key), originPrefixes, { max: settings.maxInvalidationPaths, spare: (target.spare ?? []).map((key) => settings.prefix + key) });
    if (paths.length < urls) {
        core.info(`${target.distributionId}: ${urls} changed URLs collapsed into ${paths.length} path(s) ('max-invalidation-paths': ${settings.maxInvalidationPaths}).`);
    }
    return paths;
}
/** Bucket keys -> the encoded URL paths that serve them, collapsed to at most `max`; `urls` counts them before. */
function pathsForKeys(keys, originPrefixes, collapse) {
    // A bucket served through several origins (a blue/green path, a second behaviour): every URL of each.
    const urlsOf = (of) => [
        ...new Set(originPrefixes.flatMap((originPrefix) => (0,src_paths/* autoInvalidationPaths */.UK)(of, originPrefix))),
    ];
    const exact = urlsOf(keys);
    return { paths: (0,src_paths/* collapsePaths */.Mq)(exact, collapse.max, urlsOf(collapse.spare)), urls: exact.length };
}
/**
 * Reads every distribution before the deploy writes anything: a wrong id fails the first deploy, not only
 * the one that first has something to invalidate (with 'paths: auto' and nothing changed, nothing else would
 * call CloudFront). One GetDistribution each, which 'paths: auto' needs anyway for the origin path.
 */
async function describeDistributions(distributionIds, bucket) {
    const client = createCloudFrontClient();
    const described = await Promise.all(distributionIds.map(async (distributionId) => {
        try {
            const info = await describeDistribution(client, distributionId, bucket);
            if (info.originPrefixes.length === 0) {
                core.warning(`${distributionId} has no origin on bucket '${bucket}'; 'paths: auto' assumes the bucket root is served at '/'.`);
            }
            return [distributionId, info];
        }
        catch (error) {
            const name = error.name;
            if (name === 'AccessDenied' || name === 'AccessDeniedException') {
                // A role scoped to one distribution answers AccessDenied for any other id, typo included.
                throw new errors/* ActionError */.lZ(`Could not read CloudFront distribution '${distributionId}': either the id is wrong, or the role lacks cloudfront:GetDistribution on it (see the README's IAM policy). Nothing was changed.`);
            }
            throw new errors/* ActionError */.lZ(`${explain(error, distributionId)} Nothing was changed.`);
        }
    }));
    return new Map(described);
}
/** The bucket root when no origin serves the bucket (a warning said so). */
function rootWhenNone(originPrefixes) {
    return originPrefixes.length > 0 ? originPrefixes : [''];
}
/**
 * With 'cache-control: auto': what each distribution's cache behaviours do with the bucket's headers (see
 * edge-cache.ts). Never rejects: what cannot be read is returned with its error.
 */
function readEdgePolicies(settings, distributions) {
    const client = createCloudFrontClient();
    return Promise.all(settings.distributionIds.map(async (distributionId) => {
        try {
            const config = distributions.get(distributionId)?.config;
            const behaviours = await behavioursServing(client, config, settings.bucket);
            return behaviours ? { distributionId, behaviours } : { distributionId };
        }
        catch (error) {
            return { distributionId, error };
        }
    }));
}
/** A failed CloudFront call in the user's terms; the stack only in debug logs. */
function explain(error, distributionId) {
    if (error instanceof Error && error.stack)
        core.debug(error.stack);
    return (0,errors/* describeAwsError */.Pp)(error, { service: 'CloudFront', distributionId });
}
/**
 * CloudFront is a global service, signed in us-east-1 whatever the bucket's region. Every step's client
 * shares one pair of agents (none is destroyed): one kept-alive connection, and one proxy tunnel, to the
 * one host, instead of a TLS handshake per step.
 */
function createCloudFrontClient() {
    cloudFrontAgents ??= (0,http/* requestHandlerOptions */.eS)();
    return new dist_cjs/* CloudFrontClient */.GHk({ region: 'us-east-1', maxAttempts: 6, requestHandler: cloudFrontAgents });
}
let cloudFrontAgents;
/**
 * The run, attempt, job and step, for people reading the reference in the console, and a random part:
 * matrix legs and repeated reusable-workflow calls share all four, and one of them may put back content
 * (A -> B -> A) whose first invalidation was created before B was cached. Retries inside this run reuse
 * the reference; a new process is a new deploy unless its caller passes the deploy it resumes.
 */


/***/ }

};
