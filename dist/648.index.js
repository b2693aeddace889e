export const id = 648;
export const ids = [648];
export const modules = {

/***/ 2648:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  invalidateAndWait: () => (/* binding */ invalidateAndWait)
});

// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 18 modules
var core = __webpack_require__(6257);
// EXTERNAL MODULE: ./node_modules/@actions/github/lib/github.js + 22 modules
var github = __webpack_require__(2413);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-cloudfront/dist-cjs/index.js
var dist_cjs = __webpack_require__(3169);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
;// CONCATENATED MODULE: ./src/cloudfront.ts
/** Creates a CloudFront invalidation and waits for it with the SDK's own waiter, within a deadline. */


/**
 * CloudFront returns the existing invalidation when a CallerReference repeats with the same paths, so a
 * reference built from the run, the attempt, the step and the batch (distribution, deployed bucket and
 * prefix, paths) makes every retry of the same request (by the SDK or by a re-run of the attempt) create at
 * most one invalidation. The bucket and prefix keep matrix jobs, which share the run, job and step, apart.
 */
function callerReference(run, batch) {
    const digest = (0,external_node_crypto_.createHash)('sha256')
        .update([batch.distributionId, batch.deployed, ...batch.paths].join('\n'))
        .digest('hex')
        .slice(0, 16);
    // CloudFront allows 128 characters: shorten the names, never the digest.
    const names = [run.runId, run.runAttempt, run.job, run.step].join('-').slice(0, 128 - digest.length - 1);
    return `${names}-${digest}`;
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
            CallerReference: callerReference(request.run, { ...request, paths }),
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
/** The waiter's first poll, and a small delay between polls: most invalidations finish within a minute. */
const WAIT_MIN_DELAY_SECONDS = 2;
const WAIT_MAX_DELAY_SECONDS = 15;
/**
 * Waits until the invalidation is Completed or the deadline passes, and returns the last status seen.
 * The first look is a plain GetInvalidation: the waiter retries every error until its timeout, which
 * would turn a missing cloudfront:GetInvalidation permission into a long, silent wait.
 */
async function waitForInvalidation(client, invalidation, deadline) {
    const input = { DistributionId: invalidation.distributionId, Id: invalidation.id };
    const first = await client.send(new dist_cjs/* GetInvalidationCommand */.Wwh(input));
    if (toStatus(first.Invalidation?.Status) === 'Completed')
        return 'Completed';
    const remainingSeconds = (deadline - Date.now()) / 1000;
    if (remainingSeconds <= WAIT_MIN_DELAY_SECONDS)
        return 'InProgress';
    try {
        await (0,dist_cjs/* waitUntilInvalidationCompleted */.pgE)({ client, maxWaitTime: remainingSeconds, minDelay: WAIT_MIN_DELAY_SECONDS, maxDelay: WAIT_MAX_DELAY_SECONDS }, input);
        return 'Completed';
    }
    catch (error) {
        if (error.name === 'TimeoutError')
            return 'InProgress';
        throw error;
    }
}
/**
 * The key prefix that the distribution maps to '/': the OriginPath of the origin serving this bucket
 * (its domain starts with '<bucket>.s3', REST or website endpoint). Undefined when no origin serves it.
 */
async function originPrefixFor(client, distributionId, bucket) {
    const response = await client.send(new dist_cjs/* GetDistributionConfigCommand */.wNI({ Id: distributionId }));
    const origins = response.DistributionConfig?.Origins?.Items ?? [];
    const origin = origins.find((candidate) => candidate.DomainName?.startsWith(`${bucket}.s3`));
    if (!origin)
        return undefined;
    const originPath = (origin.OriginPath ?? '').replace(/^\/+|\/+$/g, '');
    return originPath ? `${originPath}/` : '';
}
function toStatus(status) {
    return status === 'Completed' ? 'Completed' : 'InProgress';
}

// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
// EXTERNAL MODULE: ./src/http.ts
var http = __webpack_require__(6803);
// EXTERNAL MODULE: ./src/phase.ts
var phase = __webpack_require__(528);
// EXTERNAL MODULE: ./src/plan.ts
var src_plan = __webpack_require__(2464);
// EXTERNAL MODULE: ./src/paths.ts
var src_paths = __webpack_require__(8431);
;// CONCATENATED MODULE: ./src/invalidate.ts
/**
 * The CloudFront half of a deploy: the paths to invalidate (as given, or 'auto' from what changed), one
 * invalidation per distribution, and the wait, all within 'wait-timeout'.
 */









async function invalidateAndWait(plan, settings, report) {
    const cloudFront = createCloudFrontClient();
    // wait-timeout bounds everything from here: retries while CloudFront is busy, and the wait itself.
    const deadline = Date.now() + settings.waitTimeoutSeconds * 1000;
    const invalidations = await (0,phase/* phase */.O)('Invalidate', () => Promise.all(settings.distributionIds.map((id) => invalidate(cloudFront, id, plan, settings, deadline))));
    report.invalidations = invalidations;
    if (!settings.wait || settings.dryRun)
        return;
    const pending = invalidations.filter((invalidation) => invalidation.status === 'InProgress');
    if (pending.length === 0)
        return;
    await (0,phase/* phase */.O)('Wait', async () => {
        await Promise.all(pending.map(async (invalidation) => {
            invalidation.status = await (0,phase/* translateAwsErrors */.L)(cloudFrontContext(invalidation.distributionId), () => waitForInvalidation(cloudFront, invalidation, deadline));
            core/* info */.pq(`Invalidation ${invalidation.id} on ${invalidation.distributionId}: ${invalidation.status}.`);
        }));
        const late = pending.filter((invalidation) => invalidation.status !== 'Completed');
        if (late.length > 0) {
            throw new errors/* ActionError */.lZ(`Invalidation ${late.map((i) => `${i.id} on ${i.distributionId}`).join(', ')} is still InProgress after ${settings.waitTimeoutSeconds} s ('wait-timeout'). ` +
                `The files are deployed and the invalidation goes on; raise 'wait-timeout' or set 'wait: false' to not wait.`);
        }
    });
}
async function invalidate(client, distributionId, plan, settings, deadline) {
    const context = cloudFrontContext(distributionId);
    const paths = await (0,phase/* translateAwsErrors */.L)(context, () => invalidationPaths(client, distributionId, plan, settings));
    if (paths.length === 0) {
        core/* info */.pq(`${distributionId}: no invalidation, nothing CloudFront could have cached changed (only new files, or none).`);
        return { distributionId, id: '', status: 'Skipped', paths: [] };
    }
    if (settings.dryRun) {
        core/* info */.pq(`${distributionId}: would invalidate ${paths.join(' ')}`);
        return { distributionId, id: '', status: 'Skipped', paths };
    }
    const created = await (0,phase/* translateAwsErrors */.L)(context, () => createInvalidation(client, {
        distributionId,
        deployed: `s3://${settings.bucket}/${settings.prefix}`,
        paths,
        run: runIdentity(),
        deadline,
        onRetry: core/* info */.pq,
    }));
    core/* info */.pq(`Invalidation ${created.id} on ${distributionId}: ${created.status} (${created.paths.join(' ')}).`);
    return created;
}
/** Explicit paths are sent as given; 'auto' maps the changed keys through the origin path, then collapses. */
async function invalidationPaths(client, distributionId, plan, settings) {
    if (settings.paths !== 'auto')
        return settings.paths.map(src_paths/* encodeInvalidationPath */.Ex);
    const keys = (0,src_plan/* changedKeys */.F$)(plan);
    if (keys.length === 0)
        return [];
    const originPrefix = await readOriginPrefix(client, distributionId, settings.bucket);
    const fullKeys = keys.map((key) => settings.prefix + key);
    const exact = (0,src_paths/* autoInvalidationPaths */.UK)(fullKeys, originPrefix);
    const paths = (0,src_paths/* collapsePaths */.Mq)(exact, settings.maxInvalidationPaths);
    if (paths.length < new Set(exact).size) {
        core/* info */.pq(`${distributionId}: ${new Set(exact).size} changed URLs collapsed into ${paths.length} path(s) ('max-invalidation-paths': ${settings.maxInvalidationPaths}).`);
    }
    return paths;
}
async function readOriginPrefix(client, distributionId, bucket) {
    try {
        const prefix = await originPrefixFor(client, distributionId, bucket);
        if (prefix === undefined) {
            core/* warning */.$e(`${distributionId} has no origin on bucket '${bucket}'; 'paths: auto' assumes the bucket root is served at '/'.`);
            return '';
        }
        return prefix;
    }
    catch (error) {
        const name = error.name;
        if (name !== 'AccessDenied' && name !== 'AccessDeniedException')
            throw error;
        core/* warning */.$e(`Not allowed to read ${distributionId}'s origin (cloudfront:GetDistributionConfig); 'paths: auto' assumes the bucket root is served at '/'.`);
        return '';
    }
}
function cloudFrontContext(distributionId) {
    return { service: 'CloudFront', distributionId };
}
/** CloudFront is a global service, signed in us-east-1 whatever the bucket's region. */
function createCloudFrontClient() {
    return new dist_cjs/* CloudFrontClient */.GHk({ region: 'us-east-1', maxAttempts: 6, requestHandler: (0,http/* requestHandlerOptions */.eS)() });
}
function runIdentity() {
    const { runId, runAttempt, job, action } = github/* context */._;
    if (!runId) {
        // Outside Actions (a local run) there is no run to be idempotent with.
        return { runId: `local${Date.now()}`, runAttempt: '1', job: 'local', step: 'local' };
    }
    return { runId: String(runId), runAttempt: String(runAttempt || 1), job, step: action };
}


/***/ })

};
