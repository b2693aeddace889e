export const id = 205;
export const ids = [205];
export const modules = {

/***/ 9659:
/***/ (function(__unused_webpack_module, exports, __webpack_require__) {


/* eslint-disable @typescript-eslint/no-explicit-any */
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
var __awaiter = (this && this.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};
Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.HttpClient = exports.HttpClientResponse = exports.HttpClientError = exports.MediaTypes = exports.Headers = exports.HttpCodes = void 0;
exports.getProxyUrl = getProxyUrl;
exports.isHttps = isHttps;
const http = __importStar(__webpack_require__(8611));
const https = __importStar(__webpack_require__(5692));
const pm = __importStar(__webpack_require__(3335));
const tunnel = __importStar(__webpack_require__(770));
const undici_1 = __webpack_require__(6752);
var HttpCodes;
(function (HttpCodes) {
    HttpCodes[HttpCodes["OK"] = 200] = "OK";
    HttpCodes[HttpCodes["MultipleChoices"] = 300] = "MultipleChoices";
    HttpCodes[HttpCodes["MovedPermanently"] = 301] = "MovedPermanently";
    HttpCodes[HttpCodes["ResourceMoved"] = 302] = "ResourceMoved";
    HttpCodes[HttpCodes["SeeOther"] = 303] = "SeeOther";
    HttpCodes[HttpCodes["NotModified"] = 304] = "NotModified";
    HttpCodes[HttpCodes["UseProxy"] = 305] = "UseProxy";
    HttpCodes[HttpCodes["SwitchProxy"] = 306] = "SwitchProxy";
    HttpCodes[HttpCodes["TemporaryRedirect"] = 307] = "TemporaryRedirect";
    HttpCodes[HttpCodes["PermanentRedirect"] = 308] = "PermanentRedirect";
    HttpCodes[HttpCodes["BadRequest"] = 400] = "BadRequest";
    HttpCodes[HttpCodes["Unauthorized"] = 401] = "Unauthorized";
    HttpCodes[HttpCodes["PaymentRequired"] = 402] = "PaymentRequired";
    HttpCodes[HttpCodes["Forbidden"] = 403] = "Forbidden";
    HttpCodes[HttpCodes["NotFound"] = 404] = "NotFound";
    HttpCodes[HttpCodes["MethodNotAllowed"] = 405] = "MethodNotAllowed";
    HttpCodes[HttpCodes["NotAcceptable"] = 406] = "NotAcceptable";
    HttpCodes[HttpCodes["ProxyAuthenticationRequired"] = 407] = "ProxyAuthenticationRequired";
    HttpCodes[HttpCodes["RequestTimeout"] = 408] = "RequestTimeout";
    HttpCodes[HttpCodes["Conflict"] = 409] = "Conflict";
    HttpCodes[HttpCodes["Gone"] = 410] = "Gone";
    HttpCodes[HttpCodes["TooManyRequests"] = 429] = "TooManyRequests";
    HttpCodes[HttpCodes["InternalServerError"] = 500] = "InternalServerError";
    HttpCodes[HttpCodes["NotImplemented"] = 501] = "NotImplemented";
    HttpCodes[HttpCodes["BadGateway"] = 502] = "BadGateway";
    HttpCodes[HttpCodes["ServiceUnavailable"] = 503] = "ServiceUnavailable";
    HttpCodes[HttpCodes["GatewayTimeout"] = 504] = "GatewayTimeout";
})(HttpCodes || (exports.HttpCodes = HttpCodes = {}));
var Headers;
(function (Headers) {
    Headers["Accept"] = "accept";
    Headers["ContentType"] = "content-type";
})(Headers || (exports.Headers = Headers = {}));
var MediaTypes;
(function (MediaTypes) {
    MediaTypes["ApplicationJson"] = "application/json";
})(MediaTypes || (exports.MediaTypes = MediaTypes = {}));
/**
 * Returns the proxy URL, depending upon the supplied url and proxy environment variables.
 * @param serverUrl  The server URL where the request will be sent. For example, https://api.github.com
 */
function getProxyUrl(serverUrl) {
    const proxyUrl = pm.getProxyUrl(new URL(serverUrl));
    return proxyUrl ? proxyUrl.href : '';
}
const HttpRedirectCodes = [
    HttpCodes.MovedPermanently,
    HttpCodes.ResourceMoved,
    HttpCodes.SeeOther,
    HttpCodes.TemporaryRedirect,
    HttpCodes.PermanentRedirect
];
const HttpResponseRetryCodes = [
    HttpCodes.BadGateway,
    HttpCodes.ServiceUnavailable,
    HttpCodes.GatewayTimeout
];
const RetryableHttpVerbs = ['OPTIONS', 'GET', 'DELETE', 'HEAD'];
const ExponentialBackoffCeiling = 10;
const ExponentialBackoffTimeSlice = 5;
class HttpClientError extends Error {
    constructor(message, statusCode) {
        super(message);
        this.name = 'HttpClientError';
        this.statusCode = statusCode;
        Object.setPrototypeOf(this, HttpClientError.prototype);
    }
}
exports.HttpClientError = HttpClientError;
class HttpClientResponse {
    constructor(message) {
        this.message = message;
    }
    readBody() {
        return __awaiter(this, void 0, void 0, function* () {
            return new Promise((resolve) => __awaiter(this, void 0, void 0, function* () {
                let output = Buffer.alloc(0);
                this.message.on('data', (chunk) => {
                    output = Buffer.concat([output, chunk]);
                });
                this.message.on('end', () => {
                    resolve(output.toString());
                });
            }));
        });
    }
    readBodyBuffer() {
        return __awaiter(this, void 0, void 0, function* () {
            return new Promise((resolve) => __awaiter(this, void 0, void 0, function* () {
                const chunks = [];
                this.message.on('data', (chunk) => {
                    chunks.push(chunk);
                });
                this.message.on('end', () => {
                    resolve(Buffer.concat(chunks));
                });
            }));
        });
    }
}
exports.HttpClientResponse = HttpClientResponse;
function isHttps(requestUrl) {
    const parsedUrl = new URL(requestUrl);
    return parsedUrl.protocol === 'https:';
}
class HttpClient {
    constructor(userAgent, handlers, requestOptions) {
        this._ignoreSslError = false;
        this._allowRedirects = true;
        this._allowRedirectDowngrade = false;
        this._maxRedirects = 50;
        this._allowRetries = false;
        this._maxRetries = 1;
        this._keepAlive = false;
        this._disposed = false;
        this.userAgent = this._getUserAgentWithOrchestrationId(userAgent);
        this.handlers = handlers || [];
        this.requestOptions = requestOptions;
        if (requestOptions) {
            if (requestOptions.ignoreSslError != null) {
                this._ignoreSslError = requestOptions.ignoreSslError;
            }
            this._socketTimeout = requestOptions.socketTimeout;
            if (requestOptions.allowRedirects != null) {
                this._allowRedirects = requestOptions.allowRedirects;
            }
            if (requestOptions.allowRedirectDowngrade != null) {
                this._allowRedirectDowngrade = requestOptions.allowRedirectDowngrade;
            }
            if (requestOptions.maxRedirects != null) {
                this._maxRedirects = Math.max(requestOptions.maxRedirects, 0);
            }
            if (requestOptions.keepAlive != null) {
                this._keepAlive = requestOptions.keepAlive;
            }
            if (requestOptions.allowRetries != null) {
                this._allowRetries = requestOptions.allowRetries;
            }
            if (requestOptions.maxRetries != null) {
                this._maxRetries = requestOptions.maxRetries;
            }
        }
    }
    options(requestUrl, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('OPTIONS', requestUrl, null, additionalHeaders || {});
        });
    }
    get(requestUrl, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('GET', requestUrl, null, additionalHeaders || {});
        });
    }
    del(requestUrl, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('DELETE', requestUrl, null, additionalHeaders || {});
        });
    }
    post(requestUrl, data, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('POST', requestUrl, data, additionalHeaders || {});
        });
    }
    patch(requestUrl, data, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('PATCH', requestUrl, data, additionalHeaders || {});
        });
    }
    put(requestUrl, data, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('PUT', requestUrl, data, additionalHeaders || {});
        });
    }
    head(requestUrl, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('HEAD', requestUrl, null, additionalHeaders || {});
        });
    }
    sendStream(verb, requestUrl, stream, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request(verb, requestUrl, stream, additionalHeaders);
        });
    }
    /**
     * Gets a typed object from an endpoint
     * Be aware that not found returns a null.  Other errors (4xx, 5xx) reject the promise
     */
    getJson(requestUrl_1) {
        return __awaiter(this, arguments, void 0, function* (requestUrl, additionalHeaders = {}) {
            additionalHeaders[Headers.Accept] = this._getExistingOrDefaultHeader(additionalHeaders, Headers.Accept, MediaTypes.ApplicationJson);
            const res = yield this.get(requestUrl, additionalHeaders);
            return this._processResponse(res, this.requestOptions);
        });
    }
    postJson(requestUrl_1, obj_1) {
        return __awaiter(this, arguments, void 0, function* (requestUrl, obj, additionalHeaders = {}) {
            const data = JSON.stringify(obj, null, 2);
            additionalHeaders[Headers.Accept] = this._getExistingOrDefaultHeader(additionalHeaders, Headers.Accept, MediaTypes.ApplicationJson);
            additionalHeaders[Headers.ContentType] =
                this._getExistingOrDefaultContentTypeHeader(additionalHeaders, MediaTypes.ApplicationJson);
            const res = yield this.post(requestUrl, data, additionalHeaders);
            return this._processResponse(res, this.requestOptions);
        });
    }
    putJson(requestUrl_1, obj_1) {
        return __awaiter(this, arguments, void 0, function* (requestUrl, obj, additionalHeaders = {}) {
            const data = JSON.stringify(obj, null, 2);
            additionalHeaders[Headers.Accept] = this._getExistingOrDefaultHeader(additionalHeaders, Headers.Accept, MediaTypes.ApplicationJson);
            additionalHeaders[Headers.ContentType] =
                this._getExistingOrDefaultContentTypeHeader(additionalHeaders, MediaTypes.ApplicationJson);
            const res = yield this.put(requestUrl, data, additionalHeaders);
            return this._processResponse(res, this.requestOptions);
        });
    }
    patchJson(requestUrl_1, obj_1) {
        return __awaiter(this, arguments, void 0, function* (requestUrl, obj, additionalHeaders = {}) {
            const data = JSON.stringify(obj, null, 2);
            additionalHeaders[Headers.Accept] = this._getExistingOrDefaultHeader(additionalHeaders, Headers.Accept, MediaTypes.ApplicationJson);
            additionalHeaders[Headers.ContentType] =
                this._getExistingOrDefaultContentTypeHeader(additionalHeaders, MediaTypes.ApplicationJson);
            const res = yield this.patch(requestUrl, data, additionalHeaders);
            return this._processResponse(res, this.requestOptions);
        });
    }
    /**
     * Makes a raw http request.
     * All other methods such as get, post, patch, and request ultimately call this.
     * Prefer get, del, post and patch
     */
    request(verb, requestUrl, data, headers) {
        return __awaiter(this, void 0, void 0, function* () {
            if (this._disposed) {
                throw new Error('Client has already been disposed.');
            }
            const parsedUrl = new URL(requestUrl);
            let info = this._prepareRequest(verb, parsedUrl, headers);
            // Only perform retries on reads since writes may not be idempotent.
            const maxTries = this._allowRetries && RetryableHttpVerbs.includes(verb)
                ? this._maxRetries + 1
                : 1;
            let numTries = 0;
            let response;
            do {
                response = yield this.requestRaw(info, data);
                // Check if it's an authentication challenge
                if (response &&
                    response.message &&
                    response.message.statusCode === HttpCodes.Unauthorized) {
                    let authenticationHandler;
                    for (const handler of this.handlers) {
                        if (handler.canHandleAuthentication(response)) {
                            authenticationHandler = handler;
                            break;
                        }
                    }
                    if (authenticationHandler) {
                        return authenticationHandler.handleAuthentication(this, info, data);
                    }
                    else {
                        // We have received an unauthorized response but have no handlers to handle it.
                        // Let the response return to the caller.
                        return response;
                    }
                }
                let redirectsRemaining = this._maxRedirects;
                while (response.message.statusCode &&
                    HttpRedirectCodes.includes(response.message.statusCode) &&
                    this._allowRedirects &&
                    redirectsRemaining > 0) {
                    const redirectUrl = response.message.headers['location'];
                    if (!redirectUrl) {
                        // if there's no location to redirect to, we won't
                        break;
                    }
                    const parsedRedirectUrl = new URL(redirectUrl);
                    if (parsedUrl.protocol === 'https:' &&
                        parsedUrl.protocol !== parsedRedirectUrl.protocol &&
                        !this._allowRedirectDowngrade) {
                        throw new Error('Redirect from HTTPS to HTTP protocol. This downgrade is not allowed for security reasons. If you want to allow this behavior, set the allowRedirectDowngrade option to true.');
                    }
                    // we need to finish reading the response before reassigning response
                    // which will leak the open socket.
                    yield response.readBody();
                    // strip authorization header if redirected to a different hostname
                    if (parsedRedirectUrl.hostname !== parsedUrl.hostname) {
                        for (const header in headers) {
                            // header names are case insensitive
                            if (header.toLowerCase() === 'authorization') {
                                delete headers[header];
                            }
                        }
                    }
                    // let's make the request with the new redirectUrl
                    info = this._prepareRequest(verb, parsedRedirectUrl, headers);
                    response = yield this.requestRaw(info, data);
                    redirectsRemaining--;
                }
                if (!response.message.statusCode ||
                    !HttpResponseRetryCodes.includes(response.message.statusCode)) {
                    // If not a retry code, return immediately instead of retrying
                    return response;
                }
                numTries += 1;
                if (numTries < maxTries) {
                    yield response.readBody();
                    yield this._performExponentialBackoff(numTries);
                }
            } while (numTries < maxTries);
            return response;
        });
    }
    /**
     * Needs to be called if keepAlive is set to true in request options.
     */
    dispose() {
        if (this._agent) {
            this._agent.destroy();
        }
        this._disposed = true;
    }
    /**
     * Raw request.
     * @param info
     * @param data
     */
    requestRaw(info, data) {
        return __awaiter(this, void 0, void 0, function* () {
            return new Promise((resolve, reject) => {
                function callbackForResult(err, res) {
                    if (err) {
                        reject(err);
                    }
                    else if (!res) {
                        // If `err` is not passed, then `res` must be passed.
                        reject(new Error('Unknown error'));
                    }
                    else {
                        resolve(res);
                    }
                }
                this.requestRawWithCallback(info, data, callbackForResult);
            });
        });
    }
    /**
     * Raw request with callback.
     * @param info
     * @param data
     * @param onResult
     */
    requestRawWithCallback(info, data, onResult) {
        if (typeof data === 'string') {
            if (!info.options.headers) {
                info.options.headers = {};
            }
            info.options.headers['Content-Length'] = Buffer.byteLength(data, 'utf8');
        }
        let callbackCalled = false;
        function handleResult(err, res) {
            if (!callbackCalled) {
                callbackCalled = true;
                onResult(err, res);
            }
        }
        const req = info.httpModule.request(info.options, (msg) => {
            const res = new HttpClientResponse(msg);
            handleResult(undefined, res);
        });
        let socket;
        req.on('socket', sock => {
            socket = sock;
        });
        // If we ever get disconnected, we want the socket to timeout eventually
        req.setTimeout(this._socketTimeout || 3 * 60000, () => {
            if (socket) {
                socket.end();
            }
            handleResult(new Error(`Request timeout: ${info.options.path}`));
        });
        req.on('error', function (err) {
            // err has statusCode property
            // res should have headers
            handleResult(err);
        });
        if (data && typeof data === 'string') {
            req.write(data, 'utf8');
        }
        if (data && typeof data !== 'string') {
            data.on('close', function () {
                req.end();
            });
            data.pipe(req);
        }
        else {
            req.end();
        }
    }
    /**
     * Gets an http agent. This function is useful when you need an http agent that handles
     * routing through a proxy server - depending upon the url and proxy environment variables.
     * @param serverUrl  The server URL where the request will be sent. For example, https://api.github.com
     */
    getAgent(serverUrl) {
        const parsedUrl = new URL(serverUrl);
        return this._getAgent(parsedUrl);
    }
    getAgentDispatcher(serverUrl) {
        const parsedUrl = new URL(serverUrl);
        const proxyUrl = pm.getProxyUrl(parsedUrl);
        const useProxy = proxyUrl && proxyUrl.hostname;
        if (!useProxy) {
            return;
        }
        return this._getProxyAgentDispatcher(parsedUrl, proxyUrl);
    }
    _prepareRequest(method, requestUrl, headers) {
        const info = {};
        info.parsedUrl = requestUrl;
        const usingSsl = info.parsedUrl.protocol === 'https:';
        info.httpModule = usingSsl ? https : http;
        const defaultPort = usingSsl ? 443 : 80;
        info.options = {};
        info.options.host = info.parsedUrl.hostname;
        info.options.port = info.parsedUrl.port
            ? parseInt(info.parsedUrl.port)
            : defaultPort;
        info.options.path =
            (info.parsedUrl.pathname || '') + (info.parsedUrl.search || '');
        info.options.method = method;
        info.options.headers = this._mergeHeaders(headers);
        if (this.userAgent != null) {
            info.options.headers['user-agent'] = this.userAgent;
        }
        info.options.agent = this._getAgent(info.parsedUrl);
        // gives handlers an opportunity to participate
        if (this.handlers) {
            for (const handler of this.handlers) {
                handler.prepareRequest(info.options);
            }
        }
        return info;
    }
    _mergeHeaders(headers) {
        if (this.requestOptions && this.requestOptions.headers) {
            return Object.assign({}, lowercaseKeys(this.requestOptions.headers), lowercaseKeys(headers || {}));
        }
        return lowercaseKeys(headers || {});
    }
    /**
     * Gets an existing header value or returns a default.
     * Handles converting number header values to strings since HTTP headers must be strings.
     * Note: This returns string | string[] since some headers can have multiple values.
     * For headers that must always be a single string (like Content-Type), use the
     * specialized _getExistingOrDefaultContentTypeHeader method instead.
     */
    _getExistingOrDefaultHeader(additionalHeaders, header, _default) {
        let clientHeader;
        if (this.requestOptions && this.requestOptions.headers) {
            const headerValue = lowercaseKeys(this.requestOptions.headers)[header];
            if (headerValue) {
                clientHeader =
                    typeof headerValue === 'number' ? headerValue.toString() : headerValue;
            }
        }
        const additionalValue = additionalHeaders[header];
        if (additionalValue !== undefined) {
            return typeof additionalValue === 'number'
                ? additionalValue.toString()
                : additionalValue;
        }
        if (clientHeader !== undefined) {
            return clientHeader;
        }
        return _default;
    }
    /**
     * Specialized version of _getExistingOrDefaultHeader for Content-Type header.
     * Always returns a single string (not an array) since Content-Type should be a single value.
     * Converts arrays to comma-separated strings and numbers to strings to ensure type safety.
     * This was split from _getExistingOrDefaultHeader to provide stricter typing for callers
     * that assign the result to places expecting a string (e.g., additionalHeaders[Headers.ContentType]).
     */
    _getExistingOrDefaultContentTypeHeader(additionalHeaders, _default) {
        let clientHeader;
        if (this.requestOptions && this.requestOptions.headers) {
            const headerValue = lowercaseKeys(this.requestOptions.headers)[Headers.ContentType];
            if (headerValue) {
                if (typeof headerValue === 'number') {
                    clientHeader = String(headerValue);
                }
                else if (Array.isArray(headerValue)) {
                    clientHeader = headerValue.join(', ');
                }
                else {
                    clientHeader = headerValue;
                }
            }
        }
        const additionalValue = additionalHeaders[Headers.ContentType];
        // Return the first non-undefined value, converting numbers or arrays to strings if necessary
        if (additionalValue !== undefined) {
            if (typeof additionalValue === 'number') {
                return String(additionalValue);
            }
            else if (Array.isArray(additionalValue)) {
                return additionalValue.join(', ');
            }
            else {
                return additionalValue;
            }
        }
        if (clientHeader !== undefined) {
            return clientHeader;
        }
        return _default;
    }
    _getAgent(parsedUrl) {
        let agent;
        const proxyUrl = pm.getProxyUrl(parsedUrl);
        const useProxy = proxyUrl && proxyUrl.hostname;
        if (this._keepAlive && useProxy) {
            agent = this._proxyAgent;
        }
        if (!useProxy) {
            agent = this._agent;
        }
        // if agent is already assigned use that agent.
        if (agent) {
            return agent;
        }
        const usingSsl = parsedUrl.protocol === 'https:';
        let maxSockets = 100;
        if (this.requestOptions) {
            maxSockets = this.requestOptions.maxSockets || http.globalAgent.maxSockets;
        }
        // This is `useProxy` again, but we need to check `proxyURl` directly for TypeScripts's flow analysis.
        if (proxyUrl && proxyUrl.hostname) {
            const agentOptions = {
                maxSockets,
                keepAlive: this._keepAlive,
                proxy: Object.assign(Object.assign({}, ((proxyUrl.username || proxyUrl.password) && {
                    proxyAuth: `${proxyUrl.username}:${proxyUrl.password}`
                })), { host: proxyUrl.hostname, port: proxyUrl.port })
            };
            let tunnelAgent;
            const overHttps = proxyUrl.protocol === 'https:';
            if (usingSsl) {
                tunnelAgent = overHttps ? tunnel.httpsOverHttps : tunnel.httpsOverHttp;
            }
            else {
                tunnelAgent = overHttps ? tunnel.httpOverHttps : tunnel.httpOverHttp;
            }
            agent = tunnelAgent(agentOptions);
            this._proxyAgent = agent;
        }
        // if tunneling agent isn't assigned create a new agent
        if (!agent) {
            const options = { keepAlive: this._keepAlive, maxSockets };
            agent = usingSsl ? new https.Agent(options) : new http.Agent(options);
            this._agent = agent;
        }
        if (usingSsl && this._ignoreSslError) {
            // we don't want to set NODE_TLS_REJECT_UNAUTHORIZED=0 since that will affect request for entire process
            // http.RequestOptions doesn't expose a way to modify RequestOptions.agent.options
            // we have to cast it to any and change it directly
            agent.options = Object.assign(agent.options || {}, {
                rejectUnauthorized: false
            });
        }
        return agent;
    }
    _getProxyAgentDispatcher(parsedUrl, proxyUrl) {
        let proxyAgent;
        if (this._keepAlive) {
            proxyAgent = this._proxyAgentDispatcher;
        }
        // if agent is already assigned use that agent.
        if (proxyAgent) {
            return proxyAgent;
        }
        const usingSsl = parsedUrl.protocol === 'https:';
        proxyAgent = new undici_1.ProxyAgent(Object.assign({ uri: proxyUrl.href, pipelining: !this._keepAlive ? 0 : 1 }, ((proxyUrl.username || proxyUrl.password) && {
            token: `Basic ${Buffer.from(`${proxyUrl.username}:${proxyUrl.password}`).toString('base64')}`
        })));
        this._proxyAgentDispatcher = proxyAgent;
        if (usingSsl && this._ignoreSslError) {
            // we don't want to set NODE_TLS_REJECT_UNAUTHORIZED=0 since that will affect request for entire process
            // http.RequestOptions doesn't expose a way to modify RequestOptions.agent.options
            // we have to cast it to any and change it directly
            proxyAgent.options = Object.assign(proxyAgent.options.requestTls || {}, {
                rejectUnauthorized: false
            });
        }
        return proxyAgent;
    }
    _getUserAgentWithOrchestrationId(userAgent) {
        const baseUserAgent = userAgent || 'actions/http-client';
        const orchId = process.env['ACTIONS_ORCHESTRATION_ID'];
        if (orchId) {
            // Sanitize the orchestration ID to ensure it contains only valid characters
            // Valid characters: 0-9, a-z, _, -, .
            const sanitizedId = orchId.replace(/[^a-z0-9_.-]/gi, '_');
            return `${baseUserAgent} actions_orchestration_id/${sanitizedId}`;
        }
        return baseUserAgent;
    }
    _performExponentialBackoff(retryNumber) {
        return __awaiter(this, void 0, void 0, function* () {
            retryNumber = Math.min(ExponentialBackoffCeiling, retryNumber);
            const ms = ExponentialBackoffTimeSlice * Math.pow(2, retryNumber);
            return new Promise(resolve => setTimeout(() => resolve(), ms));
        });
    }
    _processResponse(res, options) {
        return __awaiter(this, void 0, void 0, function* () {
            return new Promise((resolve, reject) => __awaiter(this, void 0, void 0, function* () {
                const statusCode = res.message.statusCode || 0;
                const response = {
                    statusCode,
                    result: null,
                    headers: {}
                };
                // not found leads to null obj returned
                if (statusCode === HttpCodes.NotFound) {
                    resolve(response);
                }
                // get the result from the body
                function dateTimeDeserializer(key, value) {
                    if (typeof value === 'string') {
                        const a = new Date(value);
                        if (!isNaN(a.valueOf())) {
                            return a;
                        }
                    }
                    return value;
                }
                let obj;
                let contents;
                try {
                    contents = yield res.readBody();
                    if (contents && contents.length > 0) {
                        if (options && options.deserializeDates) {
                            obj = JSON.parse(contents, dateTimeDeserializer);
                        }
                        else {
                            obj = JSON.parse(contents);
                        }
                        response.result = obj;
                    }
                    response.headers = res.message.headers;
                }
                catch (err) {
                    // Invalid resource (contents not json);  leaving result obj null
                }
                // note that 3xx redirects are handled by the http layer.
                if (statusCode > 299) {
                    let msg;
                    // if exception/error in body, attempt to get better error
                    if (obj && obj.message) {
                        msg = obj.message;
                    }
                    else if (contents && contents.length > 0) {
                        // it may be the case that the exception is in the body message as string
                        msg = contents;
                    }
                    else {
                        msg = `Failed request: (${statusCode})`;
                    }
                    const err = new HttpClientError(msg, statusCode);
                    err.result = response.result;
                    reject(err);
                }
                else {
                    resolve(response);
                }
            }));
        });
    }
}
exports.HttpClient = HttpClient;
const lowercaseKeys = (obj) => Object.keys(obj).reduce((c, k) => ((c[k.toLowerCase()] = obj[k]), c), {});
//# sourceMappingURL=index.js.map

/***/ }),

/***/ 3335:
/***/ ((__unused_webpack_module, exports) => {


Object.defineProperty(exports, "__esModule", ({ value: true }));
exports.getProxyUrl = getProxyUrl;
exports.checkBypass = checkBypass;
function getProxyUrl(reqUrl) {
    const usingSsl = reqUrl.protocol === 'https:';
    if (checkBypass(reqUrl)) {
        return undefined;
    }
    const proxyVar = (() => {
        if (usingSsl) {
            return process.env['https_proxy'] || process.env['HTTPS_PROXY'];
        }
        else {
            return process.env['http_proxy'] || process.env['HTTP_PROXY'];
        }
    })();
    if (proxyVar) {
        try {
            return new DecodedURL(proxyVar);
        }
        catch (_a) {
            if (!proxyVar.startsWith('http://') && !proxyVar.startsWith('https://'))
                return new DecodedURL(`http://${proxyVar}`);
        }
    }
    else {
        return undefined;
    }
}
function checkBypass(reqUrl) {
    if (!reqUrl.hostname) {
        return false;
    }
    const reqHost = reqUrl.hostname;
    if (isLoopbackAddress(reqHost)) {
        return true;
    }
    const noProxy = process.env['no_proxy'] || process.env['NO_PROXY'] || '';
    if (!noProxy) {
        return false;
    }
    // Determine the request port
    let reqPort;
    if (reqUrl.port) {
        reqPort = Number(reqUrl.port);
    }
    else if (reqUrl.protocol === 'http:') {
        reqPort = 80;
    }
    else if (reqUrl.protocol === 'https:') {
        reqPort = 443;
    }
    // Format the request hostname and hostname with port
    const upperReqHosts = [reqUrl.hostname.toUpperCase()];
    if (typeof reqPort === 'number') {
        upperReqHosts.push(`${upperReqHosts[0]}:${reqPort}`);
    }
    // Compare request host against noproxy
    for (const upperNoProxyItem of noProxy
        .split(',')
        .map(x => x.trim().toUpperCase())
        .filter(x => x)) {
        if (upperNoProxyItem === '*' ||
            upperReqHosts.some(x => x === upperNoProxyItem ||
                x.endsWith(`.${upperNoProxyItem}`) ||
                (upperNoProxyItem.startsWith('.') &&
                    x.endsWith(`${upperNoProxyItem}`)))) {
            return true;
        }
    }
    return false;
}
function isLoopbackAddress(host) {
    const hostLower = host.toLowerCase();
    return (hostLower === 'localhost' ||
        hostLower.startsWith('127.') ||
        hostLower.startsWith('[::1]') ||
        hostLower.startsWith('[0:0:0:0:0:0:0:1]'));
}
class DecodedURL extends URL {
    constructor(url, base) {
        super(url, base);
        this._decodedUsername = decodeURIComponent(super.username);
        this._decodedPassword = decodeURIComponent(super.password);
    }
    get username() {
        return this._decodedUsername;
    }
    get password() {
        return this._decodedPassword;
    }
}
//# sourceMappingURL=proxy.js.map

/***/ }),

/***/ 3169:
/***/ ((__unused_webpack_module, exports, __webpack_require__) => {

var __webpack_unused_export__;
const { awsEndpointFunctions, emitWarningIfUnsupportedVersion: emitWarningIfUnsupportedVersion$1, createDefaultUserAgentProvider, getDefaultSocketTimeout, NODE_APP_ID_CONFIG_OPTIONS, getAwsRegionExtensionConfiguration, resolveAwsRegionExtensionConfiguration, resolveUserAgentConfig, resolveHostHeaderConfig, getUserAgentPlugin, getHostHeaderPlugin, getLoggerPlugin, getRecursionDetectionPlugin } = __webpack_require__(5152);
const { getHttpAuthSchemeEndpointRuleSetPlugin, DefaultIdentityProviderConfig, getHttpSigningPlugin, createPaginator } = __webpack_require__(402);
const { normalizeProvider, getSmithyContext, ServiceException, NoOpLogger, emitWarningIfUnsupportedVersion, loadConfigsForDefaultMode, getDefaultExtensionConfiguration, resolveDefaultRuntimeConfig, Client, makeBuilder, createWaiter, checkExceptions, WaiterState, createAggregatedClient } = __webpack_require__(2658);
const { Command: $Command } = __webpack_require__(2658);
__webpack_unused_export__ = $Command;
__webpack_unused_export__ = Client;
const { resolveDefaultsModeConfig, loadConfig, NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS, NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS, NODE_REGION_CONFIG_OPTIONS, NODE_REGION_CONFIG_FILE_OPTIONS, resolveRegionConfig } = __webpack_require__(7291);
const { BinaryDecisionDiagram, EndpointCache, decideEndpoint, customEndpointFunctions, resolveEndpointConfig, getEndpointPlugin } = __webpack_require__(2085);
const { parseUrl, getHttpHandlerExtensionConfiguration, resolveHttpHandlerRuntimeConfig, getContentLengthPlugin } = __webpack_require__(3422);
const { DEFAULT_RETRY_MODE, NODE_RETRY_MODE_CONFIG_OPTIONS, NODE_MAX_ATTEMPT_CONFIG_OPTIONS, resolveRetryConfig, getRetryPlugin } = __webpack_require__(3609);
const { TypeRegistry, getSchemaSerdePlugin } = __webpack_require__(6890);
const { resolveAwsSdkSigV4Config, AwsSdkSigV4Signer, NODE_AUTH_SCHEME_PREFERENCE_OPTIONS } = __webpack_require__(7523);
const { defaultProvider } = __webpack_require__(5861);
const { toUtf8, fromUtf8, toBase64, fromBase64, calculateBodyLength } = __webpack_require__(2430);
const { streamCollector, NodeHttpHandler } = __webpack_require__(1279);
const { AwsRestXmlProtocol } = __webpack_require__(7288);
const { Sha256 } = __webpack_require__(9542);

const defaultCloudFrontHttpAuthSchemeParametersProvider = async (config, context, input) => {
    return {
        operation: getSmithyContext(context).operation,
        region: await normalizeProvider(config.region)() || (() => {
            throw new Error("expected `region` to be configured for `aws.auth#sigv4`");
        })(),
    };
};
function createAwsAuthSigv4HttpAuthOption(authParameters) {
    return {
        schemeId: "aws.auth#sigv4",
        signingProperties: {
            name: "cloudfront",
            region: authParameters.region,
        },
        propertiesExtractor: (config, context) => ({
            signingProperties: {
                config,
                context,
            },
        }),
    };
}
const defaultCloudFrontHttpAuthSchemeProvider = (authParameters) => {
    const options = [];
    switch (authParameters.operation) {
        default: {
            options.push(createAwsAuthSigv4HttpAuthOption(authParameters));
        }
    }
    return options;
};
const resolveHttpAuthSchemeConfig = (config) => {
    const config_0 = resolveAwsSdkSigV4Config(config);
    return Object.assign(config_0, {
        authSchemePreference: normalizeProvider(config.authSchemePreference ?? []),
    });
};

const resolveClientEndpointParameters = (options) => {
    return Object.assign(options, {
        useDualstackEndpoint: options.useDualstackEndpoint ?? false,
        useFipsEndpoint: options.useFipsEndpoint ?? false,
        defaultSigningName: "cloudfront",
    });
};
const commonParams = {
    UseFIPS: { type: "builtInParams", name: "useFipsEndpoint" },
    Endpoint: { type: "builtInParams", name: "endpoint" },
    Region: { type: "builtInParams", name: "region" },
    UseDualStack: { type: "builtInParams", name: "useDualstackEndpoint" },
};

var version = "3.1163.0";
var packageInfo = {
	version: version};

const o = "ref", p = "authSchemes", q = "name", s = "signingRegion";
const a = -1, b = true, c = "isSet", d = "PartitionResult", e = "booleanEquals", f = "stringEquals", g = "getAttr", h = { [o]: "Endpoint" }, i = { "fn": g, "argv": [{ [o]: d }, "name"] }, j = { [o]: d }, k = { [p]: [{ [q]: "sigv4", [s]: "us-east-1" }] }, l = { [p]: [{ [q]: "sigv4", [s]: "cn-northwest-1" }] }, m = { [p]: [{ [q]: "sigv4", [s]: "{PartitionResult#implicitGlobalRegion}" }] }, n = [{ [o]: "Region" }];
const _data = {
    conditions: [
        [c, [h]],
        [c, n],
        ["aws.partition", n, d],
        [e, [{ [o]: "UseFIPS" }, b]],
        [e, [{ [o]: "UseDualStack" }, b]],
        [f, [i, "aws"]],
        [f, [i, "aws-cn"]],
        [e, [{ fn: g, argv: [j, "supportsDualStack"] }, b]],
        [e, [{ fn: g, argv: [j, "supportsFIPS"] }, b]]
    ],
    results: [
        [a],
        [a, "Invalid Configuration: FIPS and custom endpoint are not supported"],
        [a, "Invalid Configuration: Dualstack and custom endpoint are not supported"],
        [h, {}],
        ["https://cloudfront.global.api.aws", k],
        ["https://cloudfront-fips.global.api.aws", k],
        ["https://cloudfront.cn-northwest-1.amazonaws.com.cn", l],
        ["https://cloudfront-fips.cn-northwest-1.amazonaws.com.cn", l],
        ["https://cloudfront-fips.{PartitionResult#dualStackDnsSuffix}", m],
        [a, "FIPS and DualStack are enabled, but this partition does not support one or both"],
        ["https://cloudfront-fips.{PartitionResult#dnsSuffix}", m],
        [a, "FIPS is enabled but this partition does not support FIPS"],
        ["https://cloudfront.{PartitionResult#dualStackDnsSuffix}", m],
        [a, "DualStack is enabled but this partition does not support DualStack"],
        ["https://cloudfront.{PartitionResult#dnsSuffix}", m],
        [a, "Invalid Configuration: Missing Region"]
    ]
};
const root = 2;
const r = 100_000_000;
const nodes = new Int32Array([
    -1, 1, -1,
    0, 16, 3,
    1, 4, r + 15,
    2, 5, r + 15,
    3, 10, 6,
    4, 8, 7,
    6, r + 6, r + 14,
    5, r + 4, 9,
    7, r + 12, r + 13,
    4, 13, 11,
    6, r + 7, 12,
    8, r + 10, r + 11,
    5, r + 5, 14,
    7, 15, r + 9,
    8, r + 8, r + 9,
    3, r + 1, 17,
    4, r + 2, r + 3,
]);
const bdd = BinaryDecisionDiagram.from(nodes, root, _data.conditions, _data.results);

const cache = new EndpointCache({
    size: 50,
    params: ["Endpoint", "Region", "UseDualStack", "UseFIPS"],
});
const defaultEndpointResolver = (endpointParams, context = {}) => {
    return cache.get(endpointParams, () => decideEndpoint(bdd, {
        endpointParams: endpointParams,
        logger: context.logger,
    }));
};
customEndpointFunctions.aws = awsEndpointFunctions;

class CloudFrontServiceException extends ServiceException {
    static shapeId = "smithy.ts.sdk.synthetic.com.amazonaws.cloudfront#CloudFrontServiceException";
    constructor(options) {
        super(options);
        Object.setPrototypeOf(this, CloudFrontServiceException.prototype);
    }
}

class AccessDenied extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#AccessDenied";
    name = "AccessDenied";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "AccessDenied",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, AccessDenied.prototype);
        this.Message = opts.Message;
    }
}
class IllegalUpdate extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#IllegalUpdate";
    name = "IllegalUpdate";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "IllegalUpdate",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, IllegalUpdate.prototype);
        this.Message = opts.Message;
    }
}
class InvalidArgument extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidArgument";
    name = "InvalidArgument";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidArgument",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidArgument.prototype);
        this.Message = opts.Message;
    }
}
class NoSuchDistribution extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#NoSuchDistribution";
    name = "NoSuchDistribution";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "NoSuchDistribution",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, NoSuchDistribution.prototype);
        this.Message = opts.Message;
    }
}
class TooManyDistributionCNAMEs extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyDistributionCNAMEs";
    name = "TooManyDistributionCNAMEs";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyDistributionCNAMEs",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyDistributionCNAMEs.prototype);
        this.Message = opts.Message;
    }
}
class EntityLimitExceeded extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#EntityLimitExceeded";
    name = "EntityLimitExceeded";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "EntityLimitExceeded",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, EntityLimitExceeded.prototype);
        this.Message = opts.Message;
    }
}
class EntityNotFound extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#EntityNotFound";
    name = "EntityNotFound";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "EntityNotFound",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, EntityNotFound.prototype);
        this.Message = opts.Message;
    }
}
class InvalidIfMatchVersion extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidIfMatchVersion";
    name = "InvalidIfMatchVersion";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidIfMatchVersion",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidIfMatchVersion.prototype);
        this.Message = opts.Message;
    }
}
class PreconditionFailed extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#PreconditionFailed";
    name = "PreconditionFailed";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "PreconditionFailed",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, PreconditionFailed.prototype);
        this.Message = opts.Message;
    }
}
class BatchTooLarge extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#BatchTooLarge";
    name = "BatchTooLarge";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "BatchTooLarge",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, BatchTooLarge.prototype);
        this.Message = opts.Message;
    }
}
class CachePolicyAlreadyExists extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#CachePolicyAlreadyExists";
    name = "CachePolicyAlreadyExists";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "CachePolicyAlreadyExists",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, CachePolicyAlreadyExists.prototype);
        this.Message = opts.Message;
    }
}
class CachePolicyInUse extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#CachePolicyInUse";
    name = "CachePolicyInUse";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "CachePolicyInUse",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, CachePolicyInUse.prototype);
        this.Message = opts.Message;
    }
}
class CannotChangeImmutablePublicKeyFields extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#CannotChangeImmutablePublicKeyFields";
    name = "CannotChangeImmutablePublicKeyFields";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "CannotChangeImmutablePublicKeyFields",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, CannotChangeImmutablePublicKeyFields.prototype);
        this.Message = opts.Message;
    }
}
class CannotDeleteEntityWhileInUse extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#CannotDeleteEntityWhileInUse";
    name = "CannotDeleteEntityWhileInUse";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "CannotDeleteEntityWhileInUse",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, CannotDeleteEntityWhileInUse.prototype);
        this.Message = opts.Message;
    }
}
class CannotUpdateEntityWhileInUse extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#CannotUpdateEntityWhileInUse";
    name = "CannotUpdateEntityWhileInUse";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "CannotUpdateEntityWhileInUse",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, CannotUpdateEntityWhileInUse.prototype);
        this.Message = opts.Message;
    }
}
class CNAMEAlreadyExists extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#CNAMEAlreadyExists";
    name = "CNAMEAlreadyExists";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "CNAMEAlreadyExists",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, CNAMEAlreadyExists.prototype);
        this.Message = opts.Message;
    }
}
class DistributionAlreadyExists extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#DistributionAlreadyExists";
    name = "DistributionAlreadyExists";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "DistributionAlreadyExists",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, DistributionAlreadyExists.prototype);
        this.Message = opts.Message;
    }
}
class IllegalFieldLevelEncryptionConfigAssociationWithCacheBehavior extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#IllegalFieldLevelEncryptionConfigAssociationWithCacheBehavior";
    name = "IllegalFieldLevelEncryptionConfigAssociationWithCacheBehavior";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "IllegalFieldLevelEncryptionConfigAssociationWithCacheBehavior",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, IllegalFieldLevelEncryptionConfigAssociationWithCacheBehavior.prototype);
        this.Message = opts.Message;
    }
}
class InconsistentQuantities extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InconsistentQuantities";
    name = "InconsistentQuantities";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InconsistentQuantities",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InconsistentQuantities.prototype);
        this.Message = opts.Message;
    }
}
class InvalidDefaultRootObject extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidDefaultRootObject";
    name = "InvalidDefaultRootObject";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidDefaultRootObject",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidDefaultRootObject.prototype);
        this.Message = opts.Message;
    }
}
class InvalidErrorCode extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidErrorCode";
    name = "InvalidErrorCode";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidErrorCode",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidErrorCode.prototype);
        this.Message = opts.Message;
    }
}
class InvalidForwardCookies extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidForwardCookies";
    name = "InvalidForwardCookies";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidForwardCookies",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidForwardCookies.prototype);
        this.Message = opts.Message;
    }
}
class InvalidFunctionAssociation extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidFunctionAssociation";
    name = "InvalidFunctionAssociation";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidFunctionAssociation",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidFunctionAssociation.prototype);
        this.Message = opts.Message;
    }
}
class InvalidGeoRestrictionParameter extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidGeoRestrictionParameter";
    name = "InvalidGeoRestrictionParameter";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidGeoRestrictionParameter",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidGeoRestrictionParameter.prototype);
        this.Message = opts.Message;
    }
}
class InvalidHeadersForS3Origin extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidHeadersForS3Origin";
    name = "InvalidHeadersForS3Origin";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidHeadersForS3Origin",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidHeadersForS3Origin.prototype);
        this.Message = opts.Message;
    }
}
class InvalidLambdaFunctionAssociation extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidLambdaFunctionAssociation";
    name = "InvalidLambdaFunctionAssociation";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidLambdaFunctionAssociation",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidLambdaFunctionAssociation.prototype);
        this.Message = opts.Message;
    }
}
class InvalidLocationCode extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidLocationCode";
    name = "InvalidLocationCode";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidLocationCode",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidLocationCode.prototype);
        this.Message = opts.Message;
    }
}
class InvalidMinimumProtocolVersion extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidMinimumProtocolVersion";
    name = "InvalidMinimumProtocolVersion";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidMinimumProtocolVersion",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidMinimumProtocolVersion.prototype);
        this.Message = opts.Message;
    }
}
class InvalidOrigin extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidOrigin";
    name = "InvalidOrigin";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidOrigin",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidOrigin.prototype);
        this.Message = opts.Message;
    }
}
class InvalidOriginAccessControl extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidOriginAccessControl";
    name = "InvalidOriginAccessControl";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidOriginAccessControl",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidOriginAccessControl.prototype);
        this.Message = opts.Message;
    }
}
class InvalidOriginAccessIdentity extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidOriginAccessIdentity";
    name = "InvalidOriginAccessIdentity";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidOriginAccessIdentity",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidOriginAccessIdentity.prototype);
        this.Message = opts.Message;
    }
}
class InvalidOriginKeepaliveTimeout extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidOriginKeepaliveTimeout";
    name = "InvalidOriginKeepaliveTimeout";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidOriginKeepaliveTimeout",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidOriginKeepaliveTimeout.prototype);
        this.Message = opts.Message;
    }
}
class InvalidOriginReadTimeout extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidOriginReadTimeout";
    name = "InvalidOriginReadTimeout";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidOriginReadTimeout",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidOriginReadTimeout.prototype);
        this.Message = opts.Message;
    }
}
class InvalidProtocolSettings extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidProtocolSettings";
    name = "InvalidProtocolSettings";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidProtocolSettings",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidProtocolSettings.prototype);
        this.Message = opts.Message;
    }
}
class InvalidQueryStringParameters extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidQueryStringParameters";
    name = "InvalidQueryStringParameters";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidQueryStringParameters",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidQueryStringParameters.prototype);
        this.Message = opts.Message;
    }
}
class InvalidRelativePath extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidRelativePath";
    name = "InvalidRelativePath";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidRelativePath",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidRelativePath.prototype);
        this.Message = opts.Message;
    }
}
class InvalidRequiredProtocol extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidRequiredProtocol";
    name = "InvalidRequiredProtocol";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidRequiredProtocol",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidRequiredProtocol.prototype);
        this.Message = opts.Message;
    }
}
class InvalidResponseCode extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidResponseCode";
    name = "InvalidResponseCode";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidResponseCode",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidResponseCode.prototype);
        this.Message = opts.Message;
    }
}
class InvalidTTLOrder extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidTTLOrder";
    name = "InvalidTTLOrder";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidTTLOrder",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidTTLOrder.prototype);
        this.Message = opts.Message;
    }
}
class InvalidViewerCertificate extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidViewerCertificate";
    name = "InvalidViewerCertificate";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidViewerCertificate",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidViewerCertificate.prototype);
        this.Message = opts.Message;
    }
}
class InvalidWebACLId extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidWebACLId";
    name = "InvalidWebACLId";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidWebACLId",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidWebACLId.prototype);
        this.Message = opts.Message;
    }
}
class MissingBody extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#MissingBody";
    name = "MissingBody";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "MissingBody",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, MissingBody.prototype);
        this.Message = opts.Message;
    }
}
class NoSuchCachePolicy extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#NoSuchCachePolicy";
    name = "NoSuchCachePolicy";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "NoSuchCachePolicy",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, NoSuchCachePolicy.prototype);
        this.Message = opts.Message;
    }
}
class NoSuchFieldLevelEncryptionConfig extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#NoSuchFieldLevelEncryptionConfig";
    name = "NoSuchFieldLevelEncryptionConfig";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "NoSuchFieldLevelEncryptionConfig",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, NoSuchFieldLevelEncryptionConfig.prototype);
        this.Message = opts.Message;
    }
}
class NoSuchOrigin extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#NoSuchOrigin";
    name = "NoSuchOrigin";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "NoSuchOrigin",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, NoSuchOrigin.prototype);
        this.Message = opts.Message;
    }
}
class NoSuchOriginRequestPolicy extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#NoSuchOriginRequestPolicy";
    name = "NoSuchOriginRequestPolicy";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "NoSuchOriginRequestPolicy",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, NoSuchOriginRequestPolicy.prototype);
        this.Message = opts.Message;
    }
}
class NoSuchRealtimeLogConfig extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#NoSuchRealtimeLogConfig";
    name = "NoSuchRealtimeLogConfig";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "NoSuchRealtimeLogConfig",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, NoSuchRealtimeLogConfig.prototype);
        this.Message = opts.Message;
    }
}
class NoSuchResponseHeadersPolicy extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#NoSuchResponseHeadersPolicy";
    name = "NoSuchResponseHeadersPolicy";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "NoSuchResponseHeadersPolicy",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, NoSuchResponseHeadersPolicy.prototype);
        this.Message = opts.Message;
    }
}
class RealtimeLogConfigOwnerMismatch extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#RealtimeLogConfigOwnerMismatch";
    name = "RealtimeLogConfigOwnerMismatch";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "RealtimeLogConfigOwnerMismatch",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, RealtimeLogConfigOwnerMismatch.prototype);
        this.Message = opts.Message;
    }
}
class TooManyCacheBehaviors extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyCacheBehaviors";
    name = "TooManyCacheBehaviors";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyCacheBehaviors",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyCacheBehaviors.prototype);
        this.Message = opts.Message;
    }
}
class TooManyCertificates extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyCertificates";
    name = "TooManyCertificates";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyCertificates",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyCertificates.prototype);
        this.Message = opts.Message;
    }
}
class TooManyCookieNamesInWhiteList extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyCookieNamesInWhiteList";
    name = "TooManyCookieNamesInWhiteList";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyCookieNamesInWhiteList",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyCookieNamesInWhiteList.prototype);
        this.Message = opts.Message;
    }
}
class TooManyDistributions extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyDistributions";
    name = "TooManyDistributions";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyDistributions",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyDistributions.prototype);
        this.Message = opts.Message;
    }
}
class TooManyDistributionsAssociatedToCachePolicy extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyDistributionsAssociatedToCachePolicy";
    name = "TooManyDistributionsAssociatedToCachePolicy";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyDistributionsAssociatedToCachePolicy",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyDistributionsAssociatedToCachePolicy.prototype);
        this.Message = opts.Message;
    }
}
class TooManyDistributionsAssociatedToFieldLevelEncryptionConfig extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyDistributionsAssociatedToFieldLevelEncryptionConfig";
    name = "TooManyDistributionsAssociatedToFieldLevelEncryptionConfig";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyDistributionsAssociatedToFieldLevelEncryptionConfig",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyDistributionsAssociatedToFieldLevelEncryptionConfig.prototype);
        this.Message = opts.Message;
    }
}
class TooManyDistributionsAssociatedToKeyGroup extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyDistributionsAssociatedToKeyGroup";
    name = "TooManyDistributionsAssociatedToKeyGroup";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyDistributionsAssociatedToKeyGroup",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyDistributionsAssociatedToKeyGroup.prototype);
        this.Message = opts.Message;
    }
}
class TooManyDistributionsAssociatedToOriginAccessControl extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyDistributionsAssociatedToOriginAccessControl";
    name = "TooManyDistributionsAssociatedToOriginAccessControl";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyDistributionsAssociatedToOriginAccessControl",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyDistributionsAssociatedToOriginAccessControl.prototype);
        this.Message = opts.Message;
    }
}
class TooManyDistributionsAssociatedToOriginRequestPolicy extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyDistributionsAssociatedToOriginRequestPolicy";
    name = "TooManyDistributionsAssociatedToOriginRequestPolicy";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyDistributionsAssociatedToOriginRequestPolicy",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyDistributionsAssociatedToOriginRequestPolicy.prototype);
        this.Message = opts.Message;
    }
}
class TooManyDistributionsAssociatedToResponseHeadersPolicy extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyDistributionsAssociatedToResponseHeadersPolicy";
    name = "TooManyDistributionsAssociatedToResponseHeadersPolicy";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyDistributionsAssociatedToResponseHeadersPolicy",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyDistributionsAssociatedToResponseHeadersPolicy.prototype);
        this.Message = opts.Message;
    }
}
class TooManyDistributionsWithFunctionAssociations extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyDistributionsWithFunctionAssociations";
    name = "TooManyDistributionsWithFunctionAssociations";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyDistributionsWithFunctionAssociations",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyDistributionsWithFunctionAssociations.prototype);
        this.Message = opts.Message;
    }
}
class TooManyDistributionsWithLambdaAssociations extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyDistributionsWithLambdaAssociations";
    name = "TooManyDistributionsWithLambdaAssociations";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyDistributionsWithLambdaAssociations",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyDistributionsWithLambdaAssociations.prototype);
        this.Message = opts.Message;
    }
}
class TooManyDistributionsWithSingleFunctionARN extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyDistributionsWithSingleFunctionARN";
    name = "TooManyDistributionsWithSingleFunctionARN";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyDistributionsWithSingleFunctionARN",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyDistributionsWithSingleFunctionARN.prototype);
        this.Message = opts.Message;
    }
}
class TooManyFunctionAssociations extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyFunctionAssociations";
    name = "TooManyFunctionAssociations";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyFunctionAssociations",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyFunctionAssociations.prototype);
        this.Message = opts.Message;
    }
}
class TooManyHeadersInForwardedValues extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyHeadersInForwardedValues";
    name = "TooManyHeadersInForwardedValues";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyHeadersInForwardedValues",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyHeadersInForwardedValues.prototype);
        this.Message = opts.Message;
    }
}
class TooManyKeyGroupsAssociatedToDistribution extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyKeyGroupsAssociatedToDistribution";
    name = "TooManyKeyGroupsAssociatedToDistribution";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyKeyGroupsAssociatedToDistribution",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyKeyGroupsAssociatedToDistribution.prototype);
        this.Message = opts.Message;
    }
}
class TooManyLambdaFunctionAssociations extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyLambdaFunctionAssociations";
    name = "TooManyLambdaFunctionAssociations";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyLambdaFunctionAssociations",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyLambdaFunctionAssociations.prototype);
        this.Message = opts.Message;
    }
}
class TooManyOriginCustomHeaders extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyOriginCustomHeaders";
    name = "TooManyOriginCustomHeaders";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyOriginCustomHeaders",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyOriginCustomHeaders.prototype);
        this.Message = opts.Message;
    }
}
class TooManyOriginGroupsPerDistribution extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyOriginGroupsPerDistribution";
    name = "TooManyOriginGroupsPerDistribution";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyOriginGroupsPerDistribution",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyOriginGroupsPerDistribution.prototype);
        this.Message = opts.Message;
    }
}
class TooManyOrigins extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyOrigins";
    name = "TooManyOrigins";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyOrigins",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyOrigins.prototype);
        this.Message = opts.Message;
    }
}
class TooManyQueryStringParameters extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyQueryStringParameters";
    name = "TooManyQueryStringParameters";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyQueryStringParameters",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyQueryStringParameters.prototype);
        this.Message = opts.Message;
    }
}
class TooManyTrustedSigners extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyTrustedSigners";
    name = "TooManyTrustedSigners";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyTrustedSigners",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyTrustedSigners.prototype);
        this.Message = opts.Message;
    }
}
class TrustedKeyGroupDoesNotExist extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TrustedKeyGroupDoesNotExist";
    name = "TrustedKeyGroupDoesNotExist";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TrustedKeyGroupDoesNotExist",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TrustedKeyGroupDoesNotExist.prototype);
        this.Message = opts.Message;
    }
}
class TrustedSignerDoesNotExist extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TrustedSignerDoesNotExist";
    name = "TrustedSignerDoesNotExist";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TrustedSignerDoesNotExist",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TrustedSignerDoesNotExist.prototype);
        this.Message = opts.Message;
    }
}
class EntityAlreadyExists extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#EntityAlreadyExists";
    name = "EntityAlreadyExists";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "EntityAlreadyExists",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, EntityAlreadyExists.prototype);
        this.Message = opts.Message;
    }
}
class InvalidTagging extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidTagging";
    name = "InvalidTagging";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidTagging",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidTagging.prototype);
        this.Message = opts.Message;
    }
}
class UnsupportedOperation extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#UnsupportedOperation";
    name = "UnsupportedOperation";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "UnsupportedOperation",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, UnsupportedOperation.prototype);
        this.Message = opts.Message;
    }
}
class TooManyCachePolicies extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyCachePolicies";
    name = "TooManyCachePolicies";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyCachePolicies",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyCachePolicies.prototype);
        this.Message = opts.Message;
    }
}
class TooManyCookiesInCachePolicy extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyCookiesInCachePolicy";
    name = "TooManyCookiesInCachePolicy";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyCookiesInCachePolicy",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyCookiesInCachePolicy.prototype);
        this.Message = opts.Message;
    }
}
class TooManyHeadersInCachePolicy extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyHeadersInCachePolicy";
    name = "TooManyHeadersInCachePolicy";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyHeadersInCachePolicy",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyHeadersInCachePolicy.prototype);
        this.Message = opts.Message;
    }
}
class TooManyQueryStringsInCachePolicy extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyQueryStringsInCachePolicy";
    name = "TooManyQueryStringsInCachePolicy";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyQueryStringsInCachePolicy",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyQueryStringsInCachePolicy.prototype);
        this.Message = opts.Message;
    }
}
class CloudFrontOriginAccessIdentityAlreadyExists extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#CloudFrontOriginAccessIdentityAlreadyExists";
    name = "CloudFrontOriginAccessIdentityAlreadyExists";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "CloudFrontOriginAccessIdentityAlreadyExists",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, CloudFrontOriginAccessIdentityAlreadyExists.prototype);
        this.Message = opts.Message;
    }
}
class TooManyCloudFrontOriginAccessIdentities extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyCloudFrontOriginAccessIdentities";
    name = "TooManyCloudFrontOriginAccessIdentities";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyCloudFrontOriginAccessIdentities",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyCloudFrontOriginAccessIdentities.prototype);
        this.Message = opts.Message;
    }
}
class EntitySizeLimitExceeded extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#EntitySizeLimitExceeded";
    name = "EntitySizeLimitExceeded";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "EntitySizeLimitExceeded",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, EntitySizeLimitExceeded.prototype);
        this.Message = opts.Message;
    }
}
class ContinuousDeploymentPolicyAlreadyExists extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#ContinuousDeploymentPolicyAlreadyExists";
    name = "ContinuousDeploymentPolicyAlreadyExists";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "ContinuousDeploymentPolicyAlreadyExists",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, ContinuousDeploymentPolicyAlreadyExists.prototype);
        this.Message = opts.Message;
    }
}
class StagingDistributionInUse extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#StagingDistributionInUse";
    name = "StagingDistributionInUse";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "StagingDistributionInUse",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, StagingDistributionInUse.prototype);
        this.Message = opts.Message;
    }
}
class TooManyContinuousDeploymentPolicies extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyContinuousDeploymentPolicies";
    name = "TooManyContinuousDeploymentPolicies";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyContinuousDeploymentPolicies",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyContinuousDeploymentPolicies.prototype);
        this.Message = opts.Message;
    }
}
class ContinuousDeploymentPolicyInUse extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#ContinuousDeploymentPolicyInUse";
    name = "ContinuousDeploymentPolicyInUse";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "ContinuousDeploymentPolicyInUse",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, ContinuousDeploymentPolicyInUse.prototype);
        this.Message = opts.Message;
    }
}
class IllegalOriginAccessConfiguration extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#IllegalOriginAccessConfiguration";
    name = "IllegalOriginAccessConfiguration";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "IllegalOriginAccessConfiguration",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, IllegalOriginAccessConfiguration.prototype);
        this.Message = opts.Message;
    }
}
class InvalidDomainNameForOriginAccessControl extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidDomainNameForOriginAccessControl";
    name = "InvalidDomainNameForOriginAccessControl";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidDomainNameForOriginAccessControl",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidDomainNameForOriginAccessControl.prototype);
        this.Message = opts.Message;
    }
}
class NoSuchContinuousDeploymentPolicy extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#NoSuchContinuousDeploymentPolicy";
    name = "NoSuchContinuousDeploymentPolicy";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "NoSuchContinuousDeploymentPolicy",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, NoSuchContinuousDeploymentPolicy.prototype);
        this.Message = opts.Message;
    }
}
class InvalidAssociation extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#InvalidAssociation";
    name = "InvalidAssociation";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "InvalidAssociation",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, InvalidAssociation.prototype);
        this.Message = opts.Message;
    }
}
class FieldLevelEncryptionConfigAlreadyExists extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#FieldLevelEncryptionConfigAlreadyExists";
    name = "FieldLevelEncryptionConfigAlreadyExists";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "FieldLevelEncryptionConfigAlreadyExists",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, FieldLevelEncryptionConfigAlreadyExists.prototype);
        this.Message = opts.Message;
    }
}
class NoSuchFieldLevelEncryptionProfile extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#NoSuchFieldLevelEncryptionProfile";
    name = "NoSuchFieldLevelEncryptionProfile";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "NoSuchFieldLevelEncryptionProfile",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, NoSuchFieldLevelEncryptionProfile.prototype);
        this.Message = opts.Message;
    }
}
class QueryArgProfileEmpty extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#QueryArgProfileEmpty";
    name = "QueryArgProfileEmpty";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "QueryArgProfileEmpty",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, QueryArgProfileEmpty.prototype);
        this.Message = opts.Message;
    }
}
class TooManyFieldLevelEncryptionConfigs extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyFieldLevelEncryptionConfigs";
    name = "TooManyFieldLevelEncryptionConfigs";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyFieldLevelEncryptionConfigs",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyFieldLevelEncryptionConfigs.prototype);
        this.Message = opts.Message;
    }
}
class TooManyFieldLevelEncryptionContentTypeProfiles extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyFieldLevelEncryptionContentTypeProfiles";
    name = "TooManyFieldLevelEncryptionContentTypeProfiles";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyFieldLevelEncryptionContentTypeProfiles",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyFieldLevelEncryptionContentTypeProfiles.prototype);
        this.Message = opts.Message;
    }
}
class TooManyFieldLevelEncryptionQueryArgProfiles extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyFieldLevelEncryptionQueryArgProfiles";
    name = "TooManyFieldLevelEncryptionQueryArgProfiles";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyFieldLevelEncryptionQueryArgProfiles",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyFieldLevelEncryptionQueryArgProfiles.prototype);
        this.Message = opts.Message;
    }
}
class FieldLevelEncryptionProfileAlreadyExists extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#FieldLevelEncryptionProfileAlreadyExists";
    name = "FieldLevelEncryptionProfileAlreadyExists";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "FieldLevelEncryptionProfileAlreadyExists",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, FieldLevelEncryptionProfileAlreadyExists.prototype);
        this.Message = opts.Message;
    }
}
class FieldLevelEncryptionProfileSizeExceeded extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#FieldLevelEncryptionProfileSizeExceeded";
    name = "FieldLevelEncryptionProfileSizeExceeded";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "FieldLevelEncryptionProfileSizeExceeded",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, FieldLevelEncryptionProfileSizeExceeded.prototype);
        this.Message = opts.Message;
    }
}
class NoSuchPublicKey extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#NoSuchPublicKey";
    name = "NoSuchPublicKey";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "NoSuchPublicKey",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, NoSuchPublicKey.prototype);
        this.Message = opts.Message;
    }
}
class TooManyFieldLevelEncryptionEncryptionEntities extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyFieldLevelEncryptionEncryptionEntities";
    name = "TooManyFieldLevelEncryptionEncryptionEntities";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyFieldLevelEncryptionEncryptionEntities",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyFieldLevelEncryptionEncryptionEntities.prototype);
        this.Message = opts.Message;
    }
}
class TooManyFieldLevelEncryptionFieldPatterns extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyFieldLevelEncryptionFieldPatterns";
    name = "TooManyFieldLevelEncryptionFieldPatterns";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyFieldLevelEncryptionFieldPatterns",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyFieldLevelEncryptionFieldPatterns.prototype);
        this.Message = opts.Message;
    }
}
class TooManyFieldLevelEncryptionProfiles extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyFieldLevelEncryptionProfiles";
    name = "TooManyFieldLevelEncryptionProfiles";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyFieldLevelEncryptionProfiles",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyFieldLevelEncryptionProfiles.prototype);
        this.Message = opts.Message;
    }
}
class FunctionAlreadyExists extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#FunctionAlreadyExists";
    name = "FunctionAlreadyExists";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "FunctionAlreadyExists",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, FunctionAlreadyExists.prototype);
        this.Message = opts.Message;
    }
}
class FunctionSizeLimitExceeded extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#FunctionSizeLimitExceeded";
    name = "FunctionSizeLimitExceeded";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "FunctionSizeLimitExceeded",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, FunctionSizeLimitExceeded.prototype);
        this.Message = opts.Message;
    }
}
class TooManyFunctions extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyFunctions";
    name = "TooManyFunctions";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyFunctions",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyFunctions.prototype);
        this.Message = opts.Message;
    }
}
class TooManyInvalidationsInProgress extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyInvalidationsInProgress";
    name = "TooManyInvalidationsInProgress";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyInvalidationsInProgress",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyInvalidationsInProgress.prototype);
        this.Message = opts.Message;
    }
}
class KeyGroupAlreadyExists extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#KeyGroupAlreadyExists";
    name = "KeyGroupAlreadyExists";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "KeyGroupAlreadyExists",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, KeyGroupAlreadyExists.prototype);
        this.Message = opts.Message;
    }
}
class TooManyKeyGroups extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyKeyGroups";
    name = "TooManyKeyGroups";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyKeyGroups",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyKeyGroups.prototype);
        this.Message = opts.Message;
    }
}
class TooManyPublicKeysInKeyGroup extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyPublicKeysInKeyGroup";
    name = "TooManyPublicKeysInKeyGroup";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyPublicKeysInKeyGroup",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyPublicKeysInKeyGroup.prototype);
        this.Message = opts.Message;
    }
}
class MonitoringSubscriptionAlreadyExists extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#MonitoringSubscriptionAlreadyExists";
    name = "MonitoringSubscriptionAlreadyExists";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "MonitoringSubscriptionAlreadyExists",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, MonitoringSubscriptionAlreadyExists.prototype);
        this.Message = opts.Message;
    }
}
class OriginAccessControlAlreadyExists extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#OriginAccessControlAlreadyExists";
    name = "OriginAccessControlAlreadyExists";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "OriginAccessControlAlreadyExists",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, OriginAccessControlAlreadyExists.prototype);
        this.Message = opts.Message;
    }
}
class TooManyOriginAccessControls extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyOriginAccessControls";
    name = "TooManyOriginAccessControls";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyOriginAccessControls",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyOriginAccessControls.prototype);
        this.Message = opts.Message;
    }
}
class OriginRequestPolicyAlreadyExists extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#OriginRequestPolicyAlreadyExists";
    name = "OriginRequestPolicyAlreadyExists";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "OriginRequestPolicyAlreadyExists",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, OriginRequestPolicyAlreadyExists.prototype);
        this.Message = opts.Message;
    }
}
class TooManyCookiesInOriginRequestPolicy extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyCookiesInOriginRequestPolicy";
    name = "TooManyCookiesInOriginRequestPolicy";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyCookiesInOriginRequestPolicy",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyCookiesInOriginRequestPolicy.prototype);
        this.Message = opts.Message;
    }
}
class TooManyHeadersInOriginRequestPolicy extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyHeadersInOriginRequestPolicy";
    name = "TooManyHeadersInOriginRequestPolicy";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyHeadersInOriginRequestPolicy",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyHeadersInOriginRequestPolicy.prototype);
        this.Message = opts.Message;
    }
}
class TooManyOriginRequestPolicies extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyOriginRequestPolicies";
    name = "TooManyOriginRequestPolicies";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyOriginRequestPolicies",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyOriginRequestPolicies.prototype);
        this.Message = opts.Message;
    }
}
class TooManyQueryStringsInOriginRequestPolicy extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyQueryStringsInOriginRequestPolicy";
    name = "TooManyQueryStringsInOriginRequestPolicy";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyQueryStringsInOriginRequestPolicy",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyQueryStringsInOriginRequestPolicy.prototype);
        this.Message = opts.Message;
    }
}
class PublicKeyAlreadyExists extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#PublicKeyAlreadyExists";
    name = "PublicKeyAlreadyExists";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "PublicKeyAlreadyExists",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, PublicKeyAlreadyExists.prototype);
        this.Message = opts.Message;
    }
}
class TooManyPublicKeys extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyPublicKeys";
    name = "TooManyPublicKeys";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyPublicKeys",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyPublicKeys.prototype);
        this.Message = opts.Message;
    }
}
class RealtimeLogConfigAlreadyExists extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#RealtimeLogConfigAlreadyExists";
    name = "RealtimeLogConfigAlreadyExists";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "RealtimeLogConfigAlreadyExists",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, RealtimeLogConfigAlreadyExists.prototype);
        this.Message = opts.Message;
    }
}
class TooManyRealtimeLogConfigs extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyRealtimeLogConfigs";
    name = "TooManyRealtimeLogConfigs";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyRealtimeLogConfigs",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyRealtimeLogConfigs.prototype);
        this.Message = opts.Message;
    }
}
class ResponseHeadersPolicyAlreadyExists extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#ResponseHeadersPolicyAlreadyExists";
    name = "ResponseHeadersPolicyAlreadyExists";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "ResponseHeadersPolicyAlreadyExists",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, ResponseHeadersPolicyAlreadyExists.prototype);
        this.Message = opts.Message;
    }
}
class TooLongCSPInResponseHeadersPolicy extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooLongCSPInResponseHeadersPolicy";
    name = "TooLongCSPInResponseHeadersPolicy";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooLongCSPInResponseHeadersPolicy",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooLongCSPInResponseHeadersPolicy.prototype);
        this.Message = opts.Message;
    }
}
class TooManyCustomHeadersInResponseHeadersPolicy extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyCustomHeadersInResponseHeadersPolicy";
    name = "TooManyCustomHeadersInResponseHeadersPolicy";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyCustomHeadersInResponseHeadersPolicy",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyCustomHeadersInResponseHeadersPolicy.prototype);
        this.Message = opts.Message;
    }
}
class TooManyRemoveHeadersInResponseHeadersPolicy extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyRemoveHeadersInResponseHeadersPolicy";
    name = "TooManyRemoveHeadersInResponseHeadersPolicy";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyRemoveHeadersInResponseHeadersPolicy",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyRemoveHeadersInResponseHeadersPolicy.prototype);
        this.Message = opts.Message;
    }
}
class TooManyResponseHeadersPolicies extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyResponseHeadersPolicies";
    name = "TooManyResponseHeadersPolicies";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyResponseHeadersPolicies",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyResponseHeadersPolicies.prototype);
        this.Message = opts.Message;
    }
}
class StreamingDistributionAlreadyExists extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#StreamingDistributionAlreadyExists";
    name = "StreamingDistributionAlreadyExists";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "StreamingDistributionAlreadyExists",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, StreamingDistributionAlreadyExists.prototype);
        this.Message = opts.Message;
    }
}
class TooManyStreamingDistributionCNAMEs extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyStreamingDistributionCNAMEs";
    name = "TooManyStreamingDistributionCNAMEs";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyStreamingDistributionCNAMEs",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyStreamingDistributionCNAMEs.prototype);
        this.Message = opts.Message;
    }
}
class TooManyStreamingDistributions extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TooManyStreamingDistributions";
    name = "TooManyStreamingDistributions";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "TooManyStreamingDistributions",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, TooManyStreamingDistributions.prototype);
        this.Message = opts.Message;
    }
}
class IllegalDelete extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#IllegalDelete";
    name = "IllegalDelete";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "IllegalDelete",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, IllegalDelete.prototype);
        this.Message = opts.Message;
    }
}
class CloudFrontOriginAccessIdentityInUse extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#CloudFrontOriginAccessIdentityInUse";
    name = "CloudFrontOriginAccessIdentityInUse";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "CloudFrontOriginAccessIdentityInUse",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, CloudFrontOriginAccessIdentityInUse.prototype);
        this.Message = opts.Message;
    }
}
class NoSuchCloudFrontOriginAccessIdentity extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#NoSuchCloudFrontOriginAccessIdentity";
    name = "NoSuchCloudFrontOriginAccessIdentity";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "NoSuchCloudFrontOriginAccessIdentity",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, NoSuchCloudFrontOriginAccessIdentity.prototype);
        this.Message = opts.Message;
    }
}
class ResourceNotDisabled extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#ResourceNotDisabled";
    name = "ResourceNotDisabled";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "ResourceNotDisabled",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, ResourceNotDisabled.prototype);
        this.Message = opts.Message;
    }
}
class DistributionNotDisabled extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#DistributionNotDisabled";
    name = "DistributionNotDisabled";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "DistributionNotDisabled",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, DistributionNotDisabled.prototype);
        this.Message = opts.Message;
    }
}
class ResourceInUse extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#ResourceInUse";
    name = "ResourceInUse";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "ResourceInUse",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, ResourceInUse.prototype);
        this.Message = opts.Message;
    }
}
class FieldLevelEncryptionConfigInUse extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#FieldLevelEncryptionConfigInUse";
    name = "FieldLevelEncryptionConfigInUse";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "FieldLevelEncryptionConfigInUse",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, FieldLevelEncryptionConfigInUse.prototype);
        this.Message = opts.Message;
    }
}
class FieldLevelEncryptionProfileInUse extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#FieldLevelEncryptionProfileInUse";
    name = "FieldLevelEncryptionProfileInUse";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "FieldLevelEncryptionProfileInUse",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, FieldLevelEncryptionProfileInUse.prototype);
        this.Message = opts.Message;
    }
}
class FunctionInUse extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#FunctionInUse";
    name = "FunctionInUse";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "FunctionInUse",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, FunctionInUse.prototype);
        this.Message = opts.Message;
    }
}
class NoSuchFunctionExists extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#NoSuchFunctionExists";
    name = "NoSuchFunctionExists";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "NoSuchFunctionExists",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, NoSuchFunctionExists.prototype);
        this.Message = opts.Message;
    }
}
class NoSuchResource extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#NoSuchResource";
    name = "NoSuchResource";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "NoSuchResource",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, NoSuchResource.prototype);
        this.Message = opts.Message;
    }
}
class NoSuchMonitoringSubscription extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#NoSuchMonitoringSubscription";
    name = "NoSuchMonitoringSubscription";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "NoSuchMonitoringSubscription",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, NoSuchMonitoringSubscription.prototype);
        this.Message = opts.Message;
    }
}
class NoSuchOriginAccessControl extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#NoSuchOriginAccessControl";
    name = "NoSuchOriginAccessControl";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "NoSuchOriginAccessControl",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, NoSuchOriginAccessControl.prototype);
        this.Message = opts.Message;
    }
}
class OriginAccessControlInUse extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#OriginAccessControlInUse";
    name = "OriginAccessControlInUse";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "OriginAccessControlInUse",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, OriginAccessControlInUse.prototype);
        this.Message = opts.Message;
    }
}
class OriginRequestPolicyInUse extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#OriginRequestPolicyInUse";
    name = "OriginRequestPolicyInUse";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "OriginRequestPolicyInUse",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, OriginRequestPolicyInUse.prototype);
        this.Message = opts.Message;
    }
}
class PublicKeyInUse extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#PublicKeyInUse";
    name = "PublicKeyInUse";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "PublicKeyInUse",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, PublicKeyInUse.prototype);
        this.Message = opts.Message;
    }
}
class RealtimeLogConfigInUse extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#RealtimeLogConfigInUse";
    name = "RealtimeLogConfigInUse";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "RealtimeLogConfigInUse",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, RealtimeLogConfigInUse.prototype);
        this.Message = opts.Message;
    }
}
class ResponseHeadersPolicyInUse extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#ResponseHeadersPolicyInUse";
    name = "ResponseHeadersPolicyInUse";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "ResponseHeadersPolicyInUse",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, ResponseHeadersPolicyInUse.prototype);
        this.Message = opts.Message;
    }
}
class NoSuchStreamingDistribution extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#NoSuchStreamingDistribution";
    name = "NoSuchStreamingDistribution";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "NoSuchStreamingDistribution",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, NoSuchStreamingDistribution.prototype);
        this.Message = opts.Message;
    }
}
class StreamingDistributionNotDisabled extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#StreamingDistributionNotDisabled";
    name = "StreamingDistributionNotDisabled";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "StreamingDistributionNotDisabled",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, StreamingDistributionNotDisabled.prototype);
        this.Message = opts.Message;
    }
}
class NoSuchInvalidation extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#NoSuchInvalidation";
    name = "NoSuchInvalidation";
    $fault = "client";
    Message;
    constructor(opts) {
        super({
            name: "NoSuchInvalidation",
            $fault: "client",
            ...opts,
        });
        Object.setPrototypeOf(this, NoSuchInvalidation.prototype);
        this.Message = opts.Message;
    }
}
class TestFunctionFailed extends CloudFrontServiceException {
    static shapeId = "com.amazonaws.cloudfront#TestFunctionFailed";
    name = "TestFunctionFailed";
    $fault = "server";
    Message;
    constructor(opts) {
        super({
            name: "TestFunctionFailed",
            $fault: "server",
            ...opts,
        });
        Object.setPrototypeOf(this, TestFunctionFailed.prototype);
        this.Message = opts.Message;
    }
}

const _A = "Aliases";
const _AA = "AssociateAlias";
const _AAN = "AwsAccountNumber";
const _AANL = "AwsAccountNumberList";
const _AAR = "AssociateAliasRequest";
const _ACAC = "AccessControlAllowCredentials";
const _ACAH = "AccessControlAllowHeaders";
const _ACAHL = "AccessControlAllowHeadersList";
const _ACAM = "AccessControlAllowMethods";
const _ACAML = "AccessControlAllowMethodsList";
const _ACAO = "AccessControlAllowOrigins";
const _ACAOL = "AccessControlAllowOriginsList";
const _ACEH = "AccessControlExposeHeaders";
const _ACEHL = "AccessControlExposeHeadersList";
const _ACMAS = "AccessControlMaxAgeSec";
const _ACMCA = "ACMCertificateArn";
const _AD = "AccessDenied";
const _ADTWACL = "AssociateDistributionTenantWebACL";
const _ADTWACLR = "AssociateDistributionTenantWebACLRequest";
const _ADTWACLRs = "AssociateDistributionTenantWebACLResult";
const _ADWACL = "AssociateDistributionWebACL";
const _ADWACLR = "AssociateDistributionWebACLRequest";
const _ADWACLRs = "AssociateDistributionWebACLResult";
const _AF = "AssociationFilter";
const _AI = "AnycastIps";
const _AICPR = "AliasICPRecordal";
const _AICPRl = "AliasICPRecordals";
const _AIL = "AnycastIpList";
const _AILC = "AnycastIpListCollection";
const _AILI = "AnycastIpListId";
const _AILS = "AnycastIpListSummary";
const _AILSn = "AnycastIpListSummaries";
const _AILn = "AnycastIpLists";
const _AIc = "AccountId";
const _AIn = "AnycastIp";
const _AL = "AliasList";
const _AM = "AllowedMethods";
const _ARN = "ARN";
const _ATKG = "ActiveTrustedKeyGroups";
const _ATS = "ActiveTrustedSigners";
const _ATSCN = "AdvertiseTrustStoreCaNames";
const _Ac = "Action";
const _Al = "Alias";
const _Ar = "Arn";
const _B = "Bucket";
const _BTL = "BatchTooLarge";
const _C = "Compress";
const _CA = "ConflictingAlias";
const _CAIL = "CreateAnycastIpList";
const _CAILR = "CreateAnycastIpListRequest";
const _CAILRr = "CreateAnycastIpListResult";
const _CAL = "ConflictingAliasesList";
const _CAe = "CertificateArn";
const _CAo = "ConnectionAttempts";
const _CAon = "ConflictingAliases";
const _CB = "CacheBehavior";
const _CBL = "CacheBehaviorList";
const _CBa = "CacheBehaviors";
const _CBo = "CookieBehavior";
const _CC = "CookiesConfig";
const _CCA = "ClientCertificateArn";
const _CCBS = "CaCertificatesBundleSource";
const _CCBSL = "CaCertificatesBundleS3Location";
const _CCDP = "CreateContinuousDeploymentPolicy";
const _CCDPR = "CreateContinuousDeploymentPolicyRequest";
const _CCDPRr = "CreateContinuousDeploymentPolicyResult";
const _CCF = "CreateConnectionFunction";
const _CCFOAI = "CreateCloudFrontOriginAccessIdentity";
const _CCFOAIR = "CreateCloudFrontOriginAccessIdentityRequest";
const _CCFOAIRr = "CreateCloudFrontOriginAccessIdentityResult";
const _CCFR = "CreateConnectionFunctionRequest";
const _CCFRr = "CreateConnectionFunctionResult";
const _CCG = "CreateConnectionGroup";
const _CCGR = "CreateConnectionGroupRequest";
const _CCGRr = "CreateConnectionGroupResult";
const _CCIPKF = "CannotChangeImmutablePublicKeyFields";
const _CCP = "CreateCachePolicy";
const _CCPR = "CreateCachePolicyRequest";
const _CCPRr = "CreateCachePolicyResult";
const _CCo = "CorsConfig";
const _CD = "CopyDistribution";
const _CDEWIU = "CannotDeleteEntityWhileInUse";
const _CDP = "ContinuousDeploymentPolicy";
const _CDPAE = "ContinuousDeploymentPolicyAlreadyExists";
const _CDPC = "ContinuousDeploymentPolicyConfig";
const _CDPI = "ContinuousDeploymentPolicyId";
const _CDPIU = "ContinuousDeploymentPolicyInUse";
const _CDPL = "ContinuousDeploymentPolicyList";
const _CDPS = "ContinuousDeploymentPolicySummary";
const _CDPSL = "ContinuousDeploymentPolicySummaryList";
const _CDR = "CopyDistributionRequest";
const _CDRo = "CopyDistributionResult";
const _CDRr = "CreateDistributionRequest";
const _CDRre = "CreateDistributionResult";
const _CDSHC = "ContinuousDeploymentSingleHeaderConfig";
const _CDSWC = "ContinuousDeploymentSingleWeightConfig";
const _CDT = "CreateDistributionTenant";
const _CDTR = "CreateDistributionTenantRequest";
const _CDTRr = "CreateDistributionTenantResult";
const _CDWT = "CreateDistributionWithTags";
const _CDWTR = "CreateDistributionWithTagsRequest";
const _CDWTRr = "CreateDistributionWithTagsResult";
const _CDr = "CreateDistribution";
const _CER = "CustomErrorResponse";
const _CERL = "CustomErrorResponseList";
const _CERu = "CustomErrorResponses";
const _CF = "ConnectionFunctions";
const _CFA = "ConnectionFunctionAssociation";
const _CFAo = "ConnectionFunctionArn";
const _CFC = "ConnectionFunctionConfig";
const _CFCo = "ConnectionFunctionCode";
const _CFDC = "CloudFrontDefaultCertificate";
const _CFEL = "ConnectionFunctionExecutionLogs";
const _CFEM = "ConnectionFunctionErrorMessage";
const _CFI = "ConnectionFunctionIdentifier";
const _CFLEC = "CreateFieldLevelEncryptionConfig";
const _CFLECR = "CreateFieldLevelEncryptionConfigRequest";
const _CFLECRr = "CreateFieldLevelEncryptionConfigResult";
const _CFLEP = "CreateFieldLevelEncryptionProfile";
const _CFLEPR = "CreateFieldLevelEncryptionProfileRequest";
const _CFLEPRr = "CreateFieldLevelEncryptionProfileResult";
const _CFO = "ConnectionFunctionOutput";
const _CFOAI = "CloudFrontOriginAccessIdentity";
const _CFOAIAE = "CloudFrontOriginAccessIdentityAlreadyExists";
const _CFOAIC = "CloudFrontOriginAccessIdentityConfig";
const _CFOAIIU = "CloudFrontOriginAccessIdentityInUse";
const _CFOAIL = "CloudFrontOriginAccessIdentityList";
const _CFOAIS = "CloudFrontOriginAccessIdentitySummary";
const _CFOAISL = "CloudFrontOriginAccessIdentitySummaryList";
const _CFR = "CreateFunctionRequest";
const _CFRr = "CreateFunctionResult";
const _CFS = "ConnectionFunctionSummary";
const _CFSL = "ConnectionFunctionSummaryList";
const _CFTR = "ConnectionFunctionTestResult";
const _CFr = "CreateFunction";
const _CG = "ConnectionGroup";
const _CGAF = "ConnectionGroupAssociationFilter";
const _CGI = "ConnectionGroupId";
const _CGS = "ConnectionGroupSummary";
const _CGSL = "ConnectionGroupSummaryList";
const _CGo = "ConnectionGroups";
const _CH = "CustomHeaders";
const _CHC = "CustomHeadersConfig";
const _CI = "CreateInvalidation";
const _CIFDT = "CreateInvalidationForDistributionTenant";
const _CIFDTR = "CreateInvalidationForDistributionTenantRequest";
const _CIFDTRr = "CreateInvalidationForDistributionTenantResult";
const _CIR = "CreateInvalidationRequest";
const _CIRr = "CreateInvalidationResult";
const _CKG = "CreateKeyGroup";
const _CKGR = "CreateKeyGroupRequest";
const _CKGRr = "CreateKeyGroupResult";
const _CKVS = "CreateKeyValueStore";
const _CKVSR = "CreateKeyValueStoreRequest";
const _CKVSRr = "CreateKeyValueStoreResult";
const _CM = "CachedMethods";
const _CMS = "CreateMonitoringSubscription";
const _CMSR = "CreateMonitoringSubscriptionRequest";
const _CMSRr = "CreateMonitoringSubscriptionResult";
const _CMo = "ConnectionMode";
const _CN = "CookieNames";
const _CNAME = "CNAME";
const _CNAMEAE = "CNAMEAlreadyExists";
const _CNL = "CookieNameList";
const _CO = "ConnectionObject";
const _COAC = "CreateOriginAccessControl";
const _COACR = "CreateOriginAccessControlRequest";
const _COACRr = "CreateOriginAccessControlResult";
const _COC = "CustomOriginConfig";
const _CORP = "CreateOriginRequestPolicy";
const _CORPR = "CreateOriginRequestPolicyRequest";
const _CORPRr = "CreateOriginRequestPolicyResult";
const _CP = "CachePolicy";
const _CPAE = "CachePolicyAlreadyExists";
const _CPC = "CachePolicyConfig";
const _CPCC = "CachePolicyCookiesConfig";
const _CPHC = "CachePolicyHeadersConfig";
const _CPI = "CachePolicyId";
const _CPIU = "CachePolicyInUse";
const _CPK = "CreatePublicKey";
const _CPKR = "CreatePublicKeyRequest";
const _CPKRr = "CreatePublicKeyResult";
const _CPL = "CachePolicyList";
const _CPQSC = "CachePolicyQueryStringsConfig";
const _CPS = "CachePolicySummary";
const _CPSL = "CachePolicySummaryList";
const _CPo = "CookiePreference";
const _CR = "CallerReference";
const _CRHP = "CreateResponseHeadersPolicy";
const _CRHPR = "CreateResponseHeadersPolicyRequest";
const _CRHPRr = "CreateResponseHeadersPolicyResult";
const _CRLC = "CreateRealtimeLogConfig";
const _CRLCR = "CreateRealtimeLogConfigRequest";
const _CRLCRr = "CreateRealtimeLogConfigResult";
const _CS = "CertificateStatus";
const _CSD = "CreateStreamingDistribution";
const _CSDR = "CreateStreamingDistributionRequest";
const _CSDRr = "CreateStreamingDistributionResult";
const _CSDWT = "CreateStreamingDistributionWithTags";
const _CSDWTR = "CreateStreamingDistributionWithTagsRequest";
const _CSDWTRr = "CreateStreamingDistributionWithTagsResult";
const _CSP = "ContentSecurityPolicy";
const _CSe = "CertificateSource";
const _CT = "CommentType";
const _CTC = "CacheTagConfig";
const _CTLP = "CertificateTransparencyLoggingPreference";
const _CTO = "ContentTypeOptions";
const _CTP = "ContentTypeProfile";
const _CTPC = "ContentTypeProfileConfig";
const _CTPL = "ContentTypeProfileList";
const _CTPo = "ContentTypeProfiles";
const _CTS = "CreateTrustStore";
const _CTSR = "CreateTrustStoreRequest";
const _CTSRr = "CreateTrustStoreResult";
const _CT_ = "Content-Type";
const _CTo = "ContentType";
const _CTon = "ConnectionTimeout";
const _CTr = "CreatedTime";
const _CTre = "CreateTime";
const _CU = "ComputeUtilization";
const _CUEWIU = "CannotUpdateEntityWhileInUse";
const _CVO = "CreateVpcOrigin";
const _CVOR = "CreateVpcOriginRequest";
const _CVORr = "CreateVpcOriginResult";
const _Ce = "Certificate";
const _Ci = "Cidr";
const _Co = "Comment";
const _Coo = "Cookies";
const _Cu = "Customizations";
const _D = "Distribution";
const _DAE = "DistributionAlreadyExists";
const _DAIL = "DeleteAnycastIpList";
const _DAILR = "DeleteAnycastIpListRequest";
const _DC = "DistributionConfig";
const _DCB = "DefaultCacheBehavior";
const _DCDP = "DeleteContinuousDeploymentPolicy";
const _DCDPR = "DeleteContinuousDeploymentPolicyRequest";
const _DCF = "DeleteConnectionFunction";
const _DCFOAI = "DeleteCloudFrontOriginAccessIdentity";
const _DCFOAIR = "DeleteCloudFrontOriginAccessIdentityRequest";
const _DCFR = "DeleteConnectionFunctionRequest";
const _DCFRe = "DescribeConnectionFunctionRequest";
const _DCFRes = "DescribeConnectionFunctionResult";
const _DCFe = "DescribeConnectionFunction";
const _DCG = "DeleteConnectionGroup";
const _DCGR = "DeleteConnectionGroupRequest";
const _DCL = "DnsConfigurationList";
const _DCLo = "DomainConflictsList";
const _DCP = "DeleteCachePolicy";
const _DCPR = "DeleteCachePolicyRequest";
const _DCVR = "DomainControlValidationResource";
const _DCWT = "DistributionConfigWithTags";
const _DCn = "DnsConfiguration";
const _DCo = "DomainConflict";
const _DCom = "DomainConflicts";
const _DD = "DeleteDistribution";
const _DDR = "DeleteDistributionRequest";
const _DDT = "DeleteDistributionTenant";
const _DDTR = "DeleteDistributionTenantRequest";
const _DDTWACL = "DisassociateDistributionTenantWebACL";
const _DDTWACLR = "DisassociateDistributionTenantWebACLRequest";
const _DDTWACLRi = "DisassociateDistributionTenantWebACLResult";
const _DDWACL = "DisassociateDistributionWebACL";
const _DDWACLR = "DisassociateDistributionWebACLRequest";
const _DDWACLRi = "DisassociateDistributionWebACLResult";
const _DF = "DeleteFunction";
const _DFLEC = "DeleteFieldLevelEncryptionConfig";
const _DFLECR = "DeleteFieldLevelEncryptionConfigRequest";
const _DFLEP = "DeleteFieldLevelEncryptionProfile";
const _DFLEPR = "DeleteFieldLevelEncryptionProfileRequest";
const _DFR = "DeleteFunctionRequest";
const _DFRe = "DescribeFunctionRequest";
const _DFRes = "DescribeFunctionResult";
const _DFe = "DescribeFunction";
const _DI = "DistributionId";
const _DIL = "DistributionIdList";
const _DILS = "DistributionIdListSummary";
const _DIO = "DistributionIdOwner";
const _DIOIL = "DistributionIdOwnerItemList";
const _DIOL = "DistributionIdOwnerList";
const _DIo = "DomainItem";
const _DKG = "DeleteKeyGroup";
const _DKGR = "DeleteKeyGroupRequest";
const _DKVS = "DeleteKeyValueStore";
const _DKVSR = "DeleteKeyValueStoreRequest";
const _DKVSRe = "DescribeKeyValueStoreRequest";
const _DKVSRes = "DescribeKeyValueStoreResult";
const _DKVSe = "DescribeKeyValueStore";
const _DL = "DistributionList";
const _DLo = "DomainList";
const _DMS = "DeleteMonitoringSubscription";
const _DMSR = "DeleteMonitoringSubscriptionRequest";
const _DMSRe = "DeleteMonitoringSubscriptionResult";
const _DN = "DomainName";
const _DND = "DistributionNotDisabled";
const _DNn = "DnsName";
const _DOAC = "DeleteOriginAccessControl";
const _DOACR = "DeleteOriginAccessControlRequest";
const _DORP = "DeleteOriginRequestPolicy";
const _DORPR = "DeleteOriginRequestPolicyRequest";
const _DPK = "DeletePublicKey";
const _DPKR = "DeletePublicKeyRequest";
const _DR = "DomainResult";
const _DRHP = "DeleteResponseHeadersPolicy";
const _DRHPR = "DeleteResponseHeadersPolicyRequest";
const _DRI = "DistributionResourceId";
const _DRL = "DomainResultList";
const _DRLC = "DeleteRealtimeLogConfig";
const _DRLCR = "DeleteRealtimeLogConfigRequest";
const _DRO = "DefaultRootObject";
const _DRP = "DeleteResourcePolicy";
const _DRPR = "DeleteResourcePolicyRequest";
const _DS = "DistributionSummary";
const _DSD = "DeleteStreamingDistribution";
const _DSDR = "DeleteStreamingDistributionRequest";
const _DSL = "DistributionSummaryList";
const _DT = "DistributionTenant";
const _DTAF = "DistributionTenantAssociationFilter";
const _DTI = "DistributionTenantId";
const _DTL = "DistributionTenantList";
const _DTS = "DistributionTenantSummary";
const _DTSR = "DeleteTrustStoreRequest";
const _DTSe = "DeleteTrustStore";
const _DTTL = "DefaultTTL";
const _DV = "DefaultValue";
const _DVO = "DeleteVpcOrigin";
const _DVOR = "DeleteVpcOriginRequest";
const _DVORe = "DeleteVpcOriginResult";
const _De = "Description";
const _Def = "Definition";
const _Do = "Domains";
const _Dom = "Domain";
const _E = "Enabled";
const _EAE = "EntityAlreadyExists";
const _EAEB = "EnableAcceptEncodingBrotli";
const _EAEG = "EnableAcceptEncodingGzip";
const _EC = "ErrorCode";
const _ECMTTL = "ErrorCachingMinTTL";
const _EE = "EncryptionEntities";
const _EEL = "EncryptionEntityList";
const _EEn = "EncryptionEntity";
const _EK = "EncodedKey";
const _ELE = "EntityLimitExceeded";
const _ENF = "EntityNotFound";
const _EO = "EventObject";
const _EP = "EndPoints";
const _EPL = "EndPointList";
const _EPn = "EndPoint";
const _ESLE = "EntitySizeLimitExceeded";
const _ET = "ETag";
const _ETt = "ETtag";
const _ETv = "EventType";
const _F = "Format";
const _FA = "FunctionAssociations";
const _FAE = "FunctionAlreadyExists";
const _FAL = "FunctionAssociationList";
const _FARN = "FunctionARN";
const _FAu = "FunctionAssociation";
const _FB = "FunctionBlob";
const _FC = "FunctionConfig";
const _FCa = "FailoverCriteria";
const _FCu = "FunctionCode";
const _FEL = "FunctionExecutionLogs";
const _FELL = "FunctionExecutionLogList";
const _FEM = "FunctionErrorMessage";
const _FEO = "FunctionEventObject";
const _FIU = "FunctionInUse";
const _FL = "FunctionList";
const _FLE = "FieldLevelEncryption";
const _FLEC = "FieldLevelEncryptionConfig";
const _FLECAE = "FieldLevelEncryptionConfigAlreadyExists";
const _FLECIU = "FieldLevelEncryptionConfigInUse";
const _FLEI = "FieldLevelEncryptionId";
const _FLEL = "FieldLevelEncryptionList";
const _FLEP = "FieldLevelEncryptionProfile";
const _FLEPAE = "FieldLevelEncryptionProfileAlreadyExists";
const _FLEPC = "FieldLevelEncryptionProfileConfig";
const _FLEPIU = "FieldLevelEncryptionProfileInUse";
const _FLEPL = "FieldLevelEncryptionProfileList";
const _FLEPS = "FieldLevelEncryptionProfileSummary";
const _FLEPSE = "FieldLevelEncryptionProfileSizeExceeded";
const _FLEPSL = "FieldLevelEncryptionProfileSummaryList";
const _FLES = "FieldLevelEncryptionSummary";
const _FLESL = "FieldLevelEncryptionSummaryList";
const _FLi = "FieldList";
const _FM = "FunctionMetadata";
const _FO = "FrameOption";
const _FOr = "FrameOptions";
const _FOu = "FunctionOutput";
const _FP = "FieldPatterns";
const _FPL = "FieldPatternList";
const _FPi = "FieldPattern";
const _FS = "FunctionSummary";
const _FSL = "FunctionSummaryList";
const _FSLE = "FunctionSizeLimitExceeded";
const _FV = "ForwardedValues";
const _FWCTIU = "ForwardWhenContentTypeIsUnknown";
const _FWQAPIU = "ForwardWhenQueryArgProfileIsUnknown";
const _Fi = "Fields";
const _Fie = "Field";
const _Fo = "Forward";
const _GAIL = "GetAnycastIpList";
const _GAILR = "GetAnycastIpListRequest";
const _GAILRe = "GetAnycastIpListResult";
const _GC = "GrpcConfig";
const _GCDP = "GetContinuousDeploymentPolicy";
const _GCDPC = "GetContinuousDeploymentPolicyConfig";
const _GCDPCR = "GetContinuousDeploymentPolicyConfigRequest";
const _GCDPCRe = "GetContinuousDeploymentPolicyConfigResult";
const _GCDPR = "GetContinuousDeploymentPolicyRequest";
const _GCDPRe = "GetContinuousDeploymentPolicyResult";
const _GCF = "GetConnectionFunction";
const _GCFOAI = "GetCloudFrontOriginAccessIdentity";
const _GCFOAIC = "GetCloudFrontOriginAccessIdentityConfig";
const _GCFOAICR = "GetCloudFrontOriginAccessIdentityConfigRequest";
const _GCFOAICRe = "GetCloudFrontOriginAccessIdentityConfigResult";
const _GCFOAIR = "GetCloudFrontOriginAccessIdentityRequest";
const _GCFOAIRe = "GetCloudFrontOriginAccessIdentityResult";
const _GCFR = "GetConnectionFunctionRequest";
const _GCFRe = "GetConnectionFunctionResult";
const _GCG = "GetConnectionGroup";
const _GCGBRE = "GetConnectionGroupByRoutingEndpoint";
const _GCGBRER = "GetConnectionGroupByRoutingEndpointRequest";
const _GCGBRERe = "GetConnectionGroupByRoutingEndpointResult";
const _GCGR = "GetConnectionGroupRequest";
const _GCGRe = "GetConnectionGroupResult";
const _GCP = "GetCachePolicy";
const _GCPC = "GetCachePolicyConfig";
const _GCPCR = "GetCachePolicyConfigRequest";
const _GCPCRe = "GetCachePolicyConfigResult";
const _GCPR = "GetCachePolicyRequest";
const _GCPRe = "GetCachePolicyResult";
const _GD = "GetDistribution";
const _GDC = "GetDistributionConfig";
const _GDCR = "GetDistributionConfigRequest";
const _GDCRe = "GetDistributionConfigResult";
const _GDR = "GetDistributionRequest";
const _GDRe = "GetDistributionResult";
const _GDT = "GetDistributionTenant";
const _GDTBD = "GetDistributionTenantByDomain";
const _GDTBDR = "GetDistributionTenantByDomainRequest";
const _GDTBDRe = "GetDistributionTenantByDomainResult";
const _GDTR = "GetDistributionTenantRequest";
const _GDTRe = "GetDistributionTenantResult";
const _GF = "GetFunction";
const _GFLE = "GetFieldLevelEncryption";
const _GFLEC = "GetFieldLevelEncryptionConfig";
const _GFLECR = "GetFieldLevelEncryptionConfigRequest";
const _GFLECRe = "GetFieldLevelEncryptionConfigResult";
const _GFLEP = "GetFieldLevelEncryptionProfile";
const _GFLEPC = "GetFieldLevelEncryptionProfileConfig";
const _GFLEPCR = "GetFieldLevelEncryptionProfileConfigRequest";
const _GFLEPCRe = "GetFieldLevelEncryptionProfileConfigResult";
const _GFLEPR = "GetFieldLevelEncryptionProfileRequest";
const _GFLEPRe = "GetFieldLevelEncryptionProfileResult";
const _GFLER = "GetFieldLevelEncryptionRequest";
const _GFLERe = "GetFieldLevelEncryptionResult";
const _GFR = "GetFunctionRequest";
const _GFRe = "GetFunctionResult";
const _GI = "GetInvalidation";
const _GIFDT = "GetInvalidationForDistributionTenant";
const _GIFDTR = "GetInvalidationForDistributionTenantRequest";
const _GIFDTRe = "GetInvalidationForDistributionTenantResult";
const _GIR = "GetInvalidationRequest";
const _GIRe = "GetInvalidationResult";
const _GKG = "GetKeyGroup";
const _GKGC = "GetKeyGroupConfig";
const _GKGCR = "GetKeyGroupConfigRequest";
const _GKGCRe = "GetKeyGroupConfigResult";
const _GKGR = "GetKeyGroupRequest";
const _GKGRe = "GetKeyGroupResult";
const _GMCD = "GetManagedCertificateDetails";
const _GMCDR = "GetManagedCertificateDetailsRequest";
const _GMCDRe = "GetManagedCertificateDetailsResult";
const _GMS = "GetMonitoringSubscription";
const _GMSR = "GetMonitoringSubscriptionRequest";
const _GMSRe = "GetMonitoringSubscriptionResult";
const _GOAC = "GetOriginAccessControl";
const _GOACC = "GetOriginAccessControlConfig";
const _GOACCR = "GetOriginAccessControlConfigRequest";
const _GOACCRe = "GetOriginAccessControlConfigResult";
const _GOACR = "GetOriginAccessControlRequest";
const _GOACRe = "GetOriginAccessControlResult";
const _GORP = "GetOriginRequestPolicy";
const _GORPC = "GetOriginRequestPolicyConfig";
const _GORPCR = "GetOriginRequestPolicyConfigRequest";
const _GORPCRe = "GetOriginRequestPolicyConfigResult";
const _GORPR = "GetOriginRequestPolicyRequest";
const _GORPRe = "GetOriginRequestPolicyResult";
const _GPK = "GetPublicKey";
const _GPKC = "GetPublicKeyConfig";
const _GPKCR = "GetPublicKeyConfigRequest";
const _GPKCRe = "GetPublicKeyConfigResult";
const _GPKR = "GetPublicKeyRequest";
const _GPKRe = "GetPublicKeyResult";
const _GR = "GeoRestrictions";
const _GRC = "GeoRestrictionCustomization";
const _GRHP = "GetResponseHeadersPolicy";
const _GRHPC = "GetResponseHeadersPolicyConfig";
const _GRHPCR = "GetResponseHeadersPolicyConfigRequest";
const _GRHPCRe = "GetResponseHeadersPolicyConfigResult";
const _GRHPR = "GetResponseHeadersPolicyRequest";
const _GRHPRe = "GetResponseHeadersPolicyResult";
const _GRLC = "GetRealtimeLogConfig";
const _GRLCR = "GetRealtimeLogConfigRequest";
const _GRLCRe = "GetRealtimeLogConfigResult";
const _GRP = "GetResourcePolicy";
const _GRPR = "GetResourcePolicyRequest";
const _GRPRe = "GetResourcePolicyResult";
const _GRe = "GeoRestriction";
const _GSD = "GetStreamingDistribution";
const _GSDC = "GetStreamingDistributionConfig";
const _GSDCR = "GetStreamingDistributionConfigRequest";
const _GSDCRe = "GetStreamingDistributionConfigResult";
const _GSDR = "GetStreamingDistributionRequest";
const _GSDRe = "GetStreamingDistributionResult";
const _GTS = "GetTrustStore";
const _GTSR = "GetTrustStoreRequest";
const _GTSRe = "GetTrustStoreResult";
const _GVO = "GetVpcOrigin";
const _GVOR = "GetVpcOriginRequest";
const _GVORe = "GetVpcOriginResult";
const _H = "Headers";
const _HB = "HeaderBehavior";
const _HC = "HeadersConfig";
const _HL = "HeaderList";
const _HN = "HeaderName";
const _HTTPP = "HTTPPort";
const _HTTPSP = "HTTPSPort";
const _HV = "HttpVersion";
const _HVe = "HeaderValue";
const _He = "Header";
const _I = "Items";
const _IA = "InvalidArgument";
const _IAMCI = "IAMCertificateId";
const _IAT = "IpAddressType";
const _IAn = "InvalidAssociation";
const _IB = "InvalidationBatch";
const _IBn = "IncludeBody";
const _IC = "IpCount";
const _ICC = "IpamCidrConfigs";
const _ICCL = "IpamCidrConfigList";
const _ICCp = "IpamCidrConfig";
const _ICE = "IgnoreCertificateExpiry";
const _ICPRS = "ICPRecordalStatus";
const _ICn = "IncludeCookies";
const _ICp = "IpamConfig";
const _ID = "IllegalDelete";
const _IDNFOAC = "InvalidDomainNameForOriginAccessControl";
const _IDRO = "InvalidDefaultRootObject";
const _IDs = "IsDefault";
const _IE = "Ipv6Enabled";
const _IEC = "InvalidErrorCode";
const _IFA = "InvalidFunctionAssociation";
const _IFC = "InvalidForwardCookies";
const _IFLECAWCB = "IllegalFieldLevelEncryptionConfigAssociationWithCacheBehavior";
const _IGRP = "InvalidGeoRestrictionParameter";
const _IHFSO = "InvalidHeadersForS3Origin";
const _IIMV = "InvalidIfMatchVersion";
const _IIPVE = "IsIPV6Enabled";
const _IL = "InvalidationList";
const _ILC = "InvalidLocationCode";
const _ILFA = "InvalidLambdaFunctionAssociation";
const _IM = "IfMatch";
const _IMPV = "InvalidMinimumProtocolVersion";
const _IM_ = "If-Match";
const _IO = "InvalidOrigin";
const _IOAC = "IllegalOriginAccessConfiguration";
const _IOACn = "InvalidOriginAccessControl";
const _IOAI = "InvalidOriginAccessIdentity";
const _IOKT = "InvalidOriginKeepaliveTimeout";
const _IORT = "InvalidOriginReadTimeout";
const _IPA = "IpamPoolArn";
const _IPIB = "InProgressInvalidationBatches";
const _IPS = "InvalidProtocolSettings";
const _IQ = "InconsistentQuantities";
const _IQSP = "InvalidQueryStringParameters";
const _IRC = "InvalidResponseCode";
const _IRP = "InvalidRelativePath";
const _IRPn = "InvalidRequiredProtocol";
const _IS = "ImportSource";
const _ISL = "InvalidationSummaryList";
const _ISn = "InvalidationSummary";
const _ISnc = "IncludeSubdomains";
const _IT = "InvalidTagging";
const _ITTL = "IdleTTL";
const _ITTLO = "InvalidTTLOrder";
const _ITs = "IsTruncated";
const _IU = "IllegalUpdate";
const _IVC = "InvalidViewerCertificate";
const _IWACLI = "InvalidWebACLId";
const _Id = "Id";
const _Ide = "Identifier";
const _In = "Invalidation";
const _K = "Key";
const _KG = "KeyGroup";
const _KGAE = "KeyGroupAlreadyExists";
const _KGC = "KeyGroupConfig";
const _KGI = "KeyGroupId";
const _KGKPI = "KGKeyPairIds";
const _KGKPIL = "KGKeyPairIdsList";
const _KGL = "KeyGroupList";
const _KGS = "KeyGroupSummary";
const _KGSL = "KeyGroupSummaryList";
const _KPI = "KeyPairIds";
const _KPIL = "KeyPairIdList";
const _KPIe = "KeyPairId";
const _KSC = "KinesisStreamConfig";
const _KVS = "KeyValueStore";
const _KVSA = "KeyValueStoreAssociations";
const _KVSAL = "KeyValueStoreAssociationList";
const _KVSARN = "KeyValueStoreARN";
const _KVSAe = "KeyValueStoreAssociation";
const _KVSL = "KeyValueStoreList";
const _KVSSL = "KeyValueStoreSummaryList";
const _L = "Location";
const _LAIL = "ListAnycastIpLists";
const _LAILR = "ListAnycastIpListsRequest";
const _LAILRi = "ListAnycastIpListsResult";
const _LC = "LoggingConfig";
const _LCA = "ListConflictingAliases";
const _LCAR = "ListConflictingAliasesRequest";
const _LCARi = "ListConflictingAliasesResult";
const _LCDP = "ListContinuousDeploymentPolicies";
const _LCDPR = "ListContinuousDeploymentPoliciesRequest";
const _LCDPRi = "ListContinuousDeploymentPoliciesResult";
const _LCF = "ListConnectionFunctions";
const _LCFOAI = "ListCloudFrontOriginAccessIdentities";
const _LCFOAIR = "ListCloudFrontOriginAccessIdentitiesRequest";
const _LCFOAIRi = "ListCloudFrontOriginAccessIdentitiesResult";
const _LCFR = "ListConnectionFunctionsRequest";
const _LCFRi = "ListConnectionFunctionsResult";
const _LCG = "ListConnectionGroups";
const _LCGR = "ListConnectionGroupsRequest";
const _LCGRi = "ListConnectionGroupsResult";
const _LCP = "ListCachePolicies";
const _LCPR = "ListCachePoliciesRequest";
const _LCPRi = "ListCachePoliciesResult";
const _LD = "ListDistributions";
const _LDBAILI = "ListDistributionsByAnycastIpListId";
const _LDBAILIR = "ListDistributionsByAnycastIpListIdRequest";
const _LDBAILIRi = "ListDistributionsByAnycastIpListIdResult";
const _LDBCF = "ListDistributionsByConnectionFunction";
const _LDBCFR = "ListDistributionsByConnectionFunctionRequest";
const _LDBCFRi = "ListDistributionsByConnectionFunctionResult";
const _LDBCM = "ListDistributionsByConnectionMode";
const _LDBCMR = "ListDistributionsByConnectionModeRequest";
const _LDBCMRi = "ListDistributionsByConnectionModeResult";
const _LDBCPI = "ListDistributionsByCachePolicyId";
const _LDBCPIR = "ListDistributionsByCachePolicyIdRequest";
const _LDBCPIRi = "ListDistributionsByCachePolicyIdResult";
const _LDBKG = "ListDistributionsByKeyGroup";
const _LDBKGR = "ListDistributionsByKeyGroupRequest";
const _LDBKGRi = "ListDistributionsByKeyGroupResult";
const _LDBOR = "ListDistributionsByOwnedResource";
const _LDBORPI = "ListDistributionsByOriginRequestPolicyId";
const _LDBORPIR = "ListDistributionsByOriginRequestPolicyIdRequest";
const _LDBORPIRi = "ListDistributionsByOriginRequestPolicyIdResult";
const _LDBORR = "ListDistributionsByOwnedResourceRequest";
const _LDBORRi = "ListDistributionsByOwnedResourceResult";
const _LDBRHPI = "ListDistributionsByResponseHeadersPolicyId";
const _LDBRHPIR = "ListDistributionsByResponseHeadersPolicyIdRequest";
const _LDBRHPIRi = "ListDistributionsByResponseHeadersPolicyIdResult";
const _LDBRLC = "ListDistributionsByRealtimeLogConfig";
const _LDBRLCR = "ListDistributionsByRealtimeLogConfigRequest";
const _LDBRLCRi = "ListDistributionsByRealtimeLogConfigResult";
const _LDBTS = "ListDistributionsByTrustStore";
const _LDBTSR = "ListDistributionsByTrustStoreRequest";
const _LDBTSRi = "ListDistributionsByTrustStoreResult";
const _LDBVOI = "ListDistributionsByVpcOriginId";
const _LDBVOIR = "ListDistributionsByVpcOriginIdRequest";
const _LDBVOIRi = "ListDistributionsByVpcOriginIdResult";
const _LDBWACLI = "ListDistributionsByWebACLId";
const _LDBWACLIR = "ListDistributionsByWebACLIdRequest";
const _LDBWACLIRi = "ListDistributionsByWebACLIdResult";
const _LDC = "ListDomainConflicts";
const _LDCR = "ListDomainConflictsRequest";
const _LDCRi = "ListDomainConflictsResult";
const _LDR = "ListDistributionsRequest";
const _LDRi = "ListDistributionsResult";
const _LDT = "ListDistributionTenants";
const _LDTBC = "ListDistributionTenantsByCustomization";
const _LDTBCR = "ListDistributionTenantsByCustomizationRequest";
const _LDTBCRi = "ListDistributionTenantsByCustomizationResult";
const _LDTR = "ListDistributionTenantsRequest";
const _LDTRi = "ListDistributionTenantsResult";
const _LF = "ListFunctions";
const _LFA = "LambdaFunctionAssociations";
const _LFAL = "LambdaFunctionAssociationList";
const _LFARN = "LambdaFunctionARN";
const _LFAa = "LambdaFunctionAssociation";
const _LFLEC = "ListFieldLevelEncryptionConfigs";
const _LFLECR = "ListFieldLevelEncryptionConfigsRequest";
const _LFLECRi = "ListFieldLevelEncryptionConfigsResult";
const _LFLEP = "ListFieldLevelEncryptionProfiles";
const _LFLEPR = "ListFieldLevelEncryptionProfilesRequest";
const _LFLEPRi = "ListFieldLevelEncryptionProfilesResult";
const _LFR = "ListFunctionsRequest";
const _LFRi = "ListFunctionsResult";
const _LI = "ListInvalidations";
const _LIFDT = "ListInvalidationsForDistributionTenant";
const _LIFDTR = "ListInvalidationsForDistributionTenantRequest";
const _LIFDTRi = "ListInvalidationsForDistributionTenantResult";
const _LIR = "ListInvalidationsRequest";
const _LIRi = "ListInvalidationsResult";
const _LKG = "ListKeyGroups";
const _LKGR = "ListKeyGroupsRequest";
const _LKGRi = "ListKeyGroupsResult";
const _LKVS = "ListKeyValueStores";
const _LKVSR = "ListKeyValueStoresRequest";
const _LKVSRi = "ListKeyValueStoresResult";
const _LL = "LocationList";
const _LMT = "LastModifiedTime";
const _LOAC = "ListOriginAccessControls";
const _LOACR = "ListOriginAccessControlsRequest";
const _LOACRi = "ListOriginAccessControlsResult";
const _LORP = "ListOriginRequestPolicies";
const _LORPR = "ListOriginRequestPoliciesRequest";
const _LORPRi = "ListOriginRequestPoliciesResult";
const _LPK = "ListPublicKeys";
const _LPKR = "ListPublicKeysRequest";
const _LPKRi = "ListPublicKeysResult";
const _LRHP = "ListResponseHeadersPolicies";
const _LRHPR = "ListResponseHeadersPoliciesRequest";
const _LRHPRi = "ListResponseHeadersPoliciesResult";
const _LRLC = "ListRealtimeLogConfigs";
const _LRLCR = "ListRealtimeLogConfigsRequest";
const _LRLCRi = "ListRealtimeLogConfigsResult";
const _LSD = "ListStreamingDistributions";
const _LSDR = "ListStreamingDistributionsRequest";
const _LSDRi = "ListStreamingDistributionsResult";
const _LTFR = "ListTagsForResource";
const _LTFRR = "ListTagsForResourceRequest";
const _LTFRRi = "ListTagsForResourceResult";
const _LTS = "ListTrustStores";
const _LTSR = "ListTrustStoresRequest";
const _LTSRi = "ListTrustStoresResult";
const _LVO = "ListVpcOrigins";
const _LVOR = "ListVpcOriginsRequest";
const _LVORi = "ListVpcOriginsResult";
const _Lo = "Logging";
const _Loc = "Locations";
const _M = "Message";
const _MB = "MissingBody";
const _MBo = "ModeBlock";
const _MCD = "ManagedCertificateDetails";
const _MCR = "ManagedCertificateRequest";
const _MI = "MaxItems";
const _ML = "MethodsList";
const _MPV = "MinimumProtocolVersion";
const _MS = "MonitoringSubscription";
const _MSAE = "MonitoringSubscriptionAlreadyExists";
const _MTTL = "MinTTL";
const _MTTLa = "MaxTTL";
const _MTTLax = "MaximumTTL";
const _Ma = "Marker";
const _Me = "Members";
const _Met = "Method";
const _Mo = "Mode";
const _N = "Name";
const _NM = "NextMarker";
const _NOCC = "NumberOfCaCertificates";
const _NSCDP = "NoSuchContinuousDeploymentPolicy";
const _NSCFOAI = "NoSuchCloudFrontOriginAccessIdentity";
const _NSCP = "NoSuchCachePolicy";
const _NSD = "NoSuchDistribution";
const _NSFE = "NoSuchFunctionExists";
const _NSFLEC = "NoSuchFieldLevelEncryptionConfig";
const _NSFLEP = "NoSuchFieldLevelEncryptionProfile";
const _NSI = "NoSuchInvalidation";
const _NSMS = "NoSuchMonitoringSubscription";
const _NSO = "NoSuchOrigin";
const _NSOAC = "NoSuchOriginAccessControl";
const _NSORP = "NoSuchOriginRequestPolicy";
const _NSPK = "NoSuchPublicKey";
const _NSR = "NoSuchResource";
const _NSRHP = "NoSuchResponseHeadersPolicy";
const _NSRLC = "NoSuchRealtimeLogConfig";
const _NSSD = "NoSuchStreamingDistribution";
const _O = "Origins";
const _OAC = "OriginAccessControl";
const _OACAE = "OriginAccessControlAlreadyExists";
const _OACC = "OriginAccessControlConfig";
const _OACI = "OriginAccessControlId";
const _OACIU = "OriginAccessControlInUse";
const _OACL = "OriginAccessControlList";
const _OACOT = "OriginAccessControlOriginType";
const _OACS = "OriginAccessControlSummary";
const _OACSL = "OriginAccessControlSummaryList";
const _OAI = "OwnerAccountId";
const _OAIr = "OriginAccessIdentity";
const _OCH = "OriginCustomHeader";
const _OCHL = "OriginCustomHeadersList";
const _OEA = "OriginEndpointArn";
const _OG = "OriginGroups";
const _OGFC = "OriginGroupFailoverCriteria";
const _OGL = "OriginGroupList";
const _OGM = "OriginGroupMember";
const _OGML = "OriginGroupMemberList";
const _OGMr = "OriginGroupMembers";
const _OGr = "OriginGroup";
const _OI = "OriginId";
const _OKT = "OriginKeepaliveTimeout";
const _OL = "OriginList";
const _OMC = "OriginMtlsConfig";
const _OO = "OriginOverride";
const _OP = "OriginPath";
const _OPP = "OriginProtocolPolicy";
const _ORP = "OriginRequestPolicy";
const _ORPAE = "OriginRequestPolicyAlreadyExists";
const _ORPC = "OriginRequestPolicyConfig";
const _ORPCC = "OriginRequestPolicyCookiesConfig";
const _ORPHC = "OriginRequestPolicyHeadersConfig";
const _ORPI = "OriginRequestPolicyId";
const _ORPIU = "OriginRequestPolicyInUse";
const _ORPL = "OriginRequestPolicyList";
const _ORPQSC = "OriginRequestPolicyQueryStringsConfig";
const _ORPS = "OriginRequestPolicySummary";
const _ORPSL = "OriginRequestPolicySummaryList";
const _ORT = "OriginReadTimeout";
const _OS = "OriginShield";
const _OSP = "OriginSslProtocols";
const _OSR = "OriginShieldRegion";
const _Or = "Origin";
const _Ov = "Override";
const _P = "Parameters";
const _PC = "PriceClass";
const _PCF = "PublishConnectionFunction";
const _PCFR = "PublishConnectionFunctionRequest";
const _PCFRu = "PublishConnectionFunctionResult";
const _PD = "PolicyDocument";
const _PDI = "PrimaryDistributionId";
const _PDN = "PrimaryDomainName";
const _PDS = "ParameterDefinitionSchema";
const _PDa = "ParameterDefinition";
const _PDar = "ParameterDefinitions";
const _PF = "PreconditionFailed";
const _PFR = "PublishFunctionRequest";
const _PFRu = "PublishFunctionResult";
const _PFu = "PublishFunction";
const _PI = "ProfileId";
const _PICKAFTO = "ParametersInCacheKeyAndForwardedToOrigin";
const _PIr = "ProviderId";
const _PK = "PublicKey";
const _PKAE = "PublicKeyAlreadyExists";
const _PKC = "PublicKeyConfig";
const _PKI = "PublicKeyId";
const _PKIL = "PublicKeyIdList";
const _PKIU = "PublicKeyInUse";
const _PKL = "PublicKeyList";
const _PKS = "PublicKeySummary";
const _PKSL = "PublicKeySummaryList";
const _PL = "PathList";
const _PP = "PathPattern";
const _PRP = "PutResourcePolicy";
const _PRPR = "PutResourcePolicyRequest";
const _PRPRu = "PutResourcePolicyResult";
const _Pa = "Paths";
const _Par = "Parameter";
const _Pat = "Path";
const _Pr = "Prefix";
const _Pre = "Preload";
const _Pro = "Protection";
const _Q = "Quantity";
const _QA = "QueryArg";
const _QAP = "QueryArgProfile";
const _QAPC = "QueryArgProfileConfig";
const _QAPE = "QueryArgProfileEmpty";
const _QAPL = "QueryArgProfileList";
const _QAPu = "QueryArgProfiles";
const _QS = "QueryStrings";
const _QSB = "QueryStringBehavior";
const _QSC = "QueryStringsConfig";
const _QSCK = "QueryStringCacheKeys";
const _QSCKL = "QueryStringCacheKeysList";
const _QSN = "QueryStringNames";
const _QSNL = "QueryStringNamesList";
const _QSu = "QueryString";
const _R = "Region";
const _RA = "ResourceArn";
const _RARN = "RoleARN";
const _RC = "ResponseCode";
const _RCT = "ResponseCompletionTimeout";
const _RE = "RoutingEndpoint";
const _RF = "RedirectFrom";
const _RHC = "RemoveHeadersConfig";
const _RHP = "ResponseHeadersPolicy";
const _RHPACAH = "ResponseHeadersPolicyAccessControlAllowHeaders";
const _RHPACAM = "ResponseHeadersPolicyAccessControlAllowMethods";
const _RHPACAO = "ResponseHeadersPolicyAccessControlAllowOrigins";
const _RHPACEH = "ResponseHeadersPolicyAccessControlExposeHeaders";
const _RHPAE = "ResponseHeadersPolicyAlreadyExists";
const _RHPC = "ResponseHeadersPolicyConfig";
const _RHPCC = "ResponseHeadersPolicyCorsConfig";
const _RHPCH = "ResponseHeadersPolicyCustomHeader";
const _RHPCHC = "ResponseHeadersPolicyCustomHeadersConfig";
const _RHPCHL = "ResponseHeadersPolicyCustomHeaderList";
const _RHPCSP = "ResponseHeadersPolicyContentSecurityPolicy";
const _RHPCTO = "ResponseHeadersPolicyContentTypeOptions";
const _RHPFO = "ResponseHeadersPolicyFrameOptions";
const _RHPI = "ResponseHeadersPolicyId";
const _RHPIU = "ResponseHeadersPolicyInUse";
const _RHPL = "ResponseHeadersPolicyList";
const _RHPRH = "ResponseHeadersPolicyRemoveHeader";
const _RHPRHC = "ResponseHeadersPolicyRemoveHeadersConfig";
const _RHPRHL = "ResponseHeadersPolicyRemoveHeaderList";
const _RHPRP = "ResponseHeadersPolicyReferrerPolicy";
const _RHPS = "ResponseHeadersPolicySummary";
const _RHPSHC = "ResponseHeadersPolicySecurityHeadersConfig";
const _RHPSL = "ResponseHeadersPolicySummaryList";
const _RHPSTHC = "ResponseHeadersPolicyServerTimingHeadersConfig";
const _RHPSTS = "ResponseHeadersPolicyStrictTransportSecurity";
const _RHPXSSP = "ResponseHeadersPolicyXSSProtection";
const _RI = "ResourceId";
const _RIU = "ResourceInUse";
const _RLC = "RealtimeLogConfig";
const _RLCA = "RealtimeLogConfigArn";
const _RLCAE = "RealtimeLogConfigAlreadyExists";
const _RLCIU = "RealtimeLogConfigInUse";
const _RLCL = "RealtimeLogConfigList";
const _RLCN = "RealtimeLogConfigName";
const _RLCOM = "RealtimeLogConfigOwnerMismatch";
const _RLCe = "RealtimeLogConfigs";
const _RMSC = "RealtimeMetricsSubscriptionConfig";
const _RMSS = "RealtimeMetricsSubscriptionStatus";
const _RND = "ResourceNotDisabled";
const _RP = "ReferrerPolicy";
const _RPP = "ResponsePagePath";
const _RT = "ResourceType";
const _RTe = "RestrictionType";
const _RTed = "RedirectTo";
const _RU = "ReportUri";
const _Re = "Restrictions";
const _Rea = "Reason";
const _Req = "Required";
const _Res = "Resource";
const _Ru = "Runtime";
const _S = "Status";
const _SARN = "SourceARN";
const _SARNt = "StreamARN";
const _SB = "SigningBehavior";
const _SC = "SelectionCriteria";
const _SCL = "StatusCodeList";
const _SCUI = "S3CanonicalUserId";
const _SCt = "StatusCodes";
const _SCta = "StatusCode";
const _SD = "StreamingDistribution";
const _SDAE = "StreamingDistributionAlreadyExists";
const _SDC = "StreamingDistributionConfig";
const _SDCWT = "StreamingDistributionConfigWithTags";
const _SDDN = "StagingDistributionDnsNames";
const _SDDNL = "StagingDistributionDnsNameList";
const _SDI = "StagingDistributionId";
const _SDIU = "StagingDistributionInUse";
const _SDL = "StreamingDistributionList";
const _SDND = "StreamingDistributionNotDisabled";
const _SDS = "StreamingDistributionSummary";
const _SDSL = "StreamingDistributionSummaryList";
const _SHC = "SecurityHeadersConfig";
const _SHCi = "SingleHeaderConfig";
const _SL = "SignerList";
const _SLC = "StreamingLoggingConfig";
const _SO = "S3Origin";
const _SOC = "S3OriginConfig";
const _SP = "SigningProtocol";
const _SPL = "SslProtocolsList";
const _SPs = "SslProtocol";
const _SR = "SamplingRate";
const _SS = "SmoothStreaming";
const _SSC = "SessionStickinessConfig";
const _SSCt = "StringSchemaConfig";
const _SSLSM = "SSLSupportMethod";
const _SSt = "StringSchema";
const _ST = "StreamType";
const _STHC = "ServerTimingHeadersConfig";
const _STS = "StrictTransportSecurity";
const _STo = "SourceType";
const _SWC = "SingleWeightConfig";
const _Si = "Signer";
const _St = "Stage";
const _Sta = "Staging";
const _T = "Type";
const _TC = "TrafficConfig";
const _TCF = "TestConnectionFunction";
const _TCFR = "TestConnectionFunctionRequest";
const _TCFRe = "TestConnectionFunctionResult";
const _TCe = "TenantConfig";
const _TDI = "TargetDistributionId";
const _TF = "TestFunction";
const _TFF = "TestFunctionFailed";
const _TFR = "TestFunctionRequest";
const _TFRe = "TestFunctionResult";
const _TK = "TagKeys";
const _TKG = "TrustedKeyGroups";
const _TKGDNE = "TrustedKeyGroupDoesNotExist";
const _TKGIL = "TrustedKeyGroupIdList";
const _TKL = "TagKeyList";
const _TL = "TagList";
const _TLCSPIRHP = "TooLongCSPInResponseHeadersPolicy";
const _TMC = "TooManyCertificates";
const _TMCB = "TooManyCacheBehaviors";
const _TMCDP = "TooManyContinuousDeploymentPolicies";
const _TMCFOAI = "TooManyCloudFrontOriginAccessIdentities";
const _TMCHIRHP = "TooManyCustomHeadersInResponseHeadersPolicy";
const _TMCICP = "TooManyCookiesInCachePolicy";
const _TMCIORP = "TooManyCookiesInOriginRequestPolicy";
const _TMCNIWL = "TooManyCookieNamesInWhiteList";
const _TMCP = "TooManyCachePolicies";
const _TMD = "TooManyDistributions";
const _TMDATCP = "TooManyDistributionsAssociatedToCachePolicy";
const _TMDATFLEC = "TooManyDistributionsAssociatedToFieldLevelEncryptionConfig";
const _TMDATKG = "TooManyDistributionsAssociatedToKeyGroup";
const _TMDATOAC = "TooManyDistributionsAssociatedToOriginAccessControl";
const _TMDATORP = "TooManyDistributionsAssociatedToOriginRequestPolicy";
const _TMDATRHP = "TooManyDistributionsAssociatedToResponseHeadersPolicy";
const _TMDCNAME = "TooManyDistributionCNAMEs";
const _TMDWFA = "TooManyDistributionsWithFunctionAssociations";
const _TMDWLA = "TooManyDistributionsWithLambdaAssociations";
const _TMDWSFARN = "TooManyDistributionsWithSingleFunctionARN";
const _TMF = "TooManyFunctions";
const _TMFA = "TooManyFunctionAssociations";
const _TMFLEC = "TooManyFieldLevelEncryptionConfigs";
const _TMFLECTP = "TooManyFieldLevelEncryptionContentTypeProfiles";
const _TMFLEEE = "TooManyFieldLevelEncryptionEncryptionEntities";
const _TMFLEFP = "TooManyFieldLevelEncryptionFieldPatterns";
const _TMFLEP = "TooManyFieldLevelEncryptionProfiles";
const _TMFLEQAP = "TooManyFieldLevelEncryptionQueryArgProfiles";
const _TMHICP = "TooManyHeadersInCachePolicy";
const _TMHIFV = "TooManyHeadersInForwardedValues";
const _TMHIORP = "TooManyHeadersInOriginRequestPolicy";
const _TMIIP = "TooManyInvalidationsInProgress";
const _TMKG = "TooManyKeyGroups";
const _TMKGATD = "TooManyKeyGroupsAssociatedToDistribution";
const _TMLFA = "TooManyLambdaFunctionAssociations";
const _TMO = "TooManyOrigins";
const _TMOAC = "TooManyOriginAccessControls";
const _TMOCH = "TooManyOriginCustomHeaders";
const _TMOGPD = "TooManyOriginGroupsPerDistribution";
const _TMORP = "TooManyOriginRequestPolicies";
const _TMPK = "TooManyPublicKeys";
const _TMPKIKG = "TooManyPublicKeysInKeyGroup";
const _TMQSICP = "TooManyQueryStringsInCachePolicy";
const _TMQSIORP = "TooManyQueryStringsInOriginRequestPolicy";
const _TMQSP = "TooManyQueryStringParameters";
const _TMRHIRHP = "TooManyRemoveHeadersInResponseHeadersPolicy";
const _TMRHP = "TooManyResponseHeadersPolicies";
const _TMRLC = "TooManyRealtimeLogConfigs";
const _TMSD = "TooManyStreamingDistributions";
const _TMSDCNAME = "TooManyStreamingDistributionCNAMEs";
const _TMTS = "TooManyTrustedSigners";
const _TOI = "TargetOriginId";
const _TR = "TestResult";
const _TRR = "TagResourceRequest";
const _TRa = "TargetResource";
const _TRag = "TagResource";
const _TS = "TrustedSigners";
const _TSC = "TrustStoreConfig";
const _TSDNE = "TrustedSignerDoesNotExist";
const _TSI = "TrustStoreIdentifier";
const _TSIr = "TrustStoreId";
const _TSL = "TrustStoreList";
const _TSS = "TrustStoreSummary";
const _TSr = "TrustStore";
const _Ta = "Tags";
const _Tag = "Tag";
const _UAIL = "UpdateAnycastIpList";
const _UAILR = "UpdateAnycastIpListRequest";
const _UAILRp = "UpdateAnycastIpListResult";
const _UCCOCSPE = "UseClientCertificateOCSPEndpoint";
const _UCDP = "UpdateContinuousDeploymentPolicy";
const _UCDPR = "UpdateContinuousDeploymentPolicyRequest";
const _UCDPRp = "UpdateContinuousDeploymentPolicyResult";
const _UCF = "UpdateConnectionFunction";
const _UCFOAI = "UpdateCloudFrontOriginAccessIdentity";
const _UCFOAIR = "UpdateCloudFrontOriginAccessIdentityRequest";
const _UCFOAIRp = "UpdateCloudFrontOriginAccessIdentityResult";
const _UCFR = "UpdateConnectionFunctionRequest";
const _UCFRp = "UpdateConnectionFunctionResult";
const _UCG = "UpdateConnectionGroup";
const _UCGR = "UpdateConnectionGroupRequest";
const _UCGRp = "UpdateConnectionGroupResult";
const _UCP = "UpdateCachePolicy";
const _UCPR = "UpdateCachePolicyRequest";
const _UCPRp = "UpdateCachePolicyResult";
const _UD = "UpdateDistribution";
const _UDA = "UpdateDomainAssociation";
const _UDAR = "UpdateDomainAssociationRequest";
const _UDARp = "UpdateDomainAssociationResult";
const _UDR = "UpdateDistributionRequest";
const _UDRp = "UpdateDistributionResult";
const _UDT = "UpdateDistributionTenant";
const _UDTR = "UpdateDistributionTenantRequest";
const _UDTRp = "UpdateDistributionTenantResult";
const _UDWSC = "UpdateDistributionWithStagingConfig";
const _UDWSCR = "UpdateDistributionWithStagingConfigRequest";
const _UDWSCRp = "UpdateDistributionWithStagingConfigResult";
const _UF = "UpdateFunction";
const _UFLEC = "UpdateFieldLevelEncryptionConfig";
const _UFLECR = "UpdateFieldLevelEncryptionConfigRequest";
const _UFLECRp = "UpdateFieldLevelEncryptionConfigResult";
const _UFLEP = "UpdateFieldLevelEncryptionProfile";
const _UFLEPR = "UpdateFieldLevelEncryptionProfileRequest";
const _UFLEPRp = "UpdateFieldLevelEncryptionProfileResult";
const _UFR = "UpdateFunctionRequest";
const _UFRp = "UpdateFunctionResult";
const _UKG = "UpdateKeyGroup";
const _UKGR = "UpdateKeyGroupRequest";
const _UKGRp = "UpdateKeyGroupResult";
const _UKVS = "UpdateKeyValueStore";
const _UKVSR = "UpdateKeyValueStoreRequest";
const _UKVSRp = "UpdateKeyValueStoreResult";
const _UO = "UnsupportedOperation";
const _UOAC = "UpdateOriginAccessControl";
const _UOACR = "UpdateOriginAccessControlRequest";
const _UOACRp = "UpdateOriginAccessControlResult";
const _UORP = "UpdateOriginRequestPolicy";
const _UORPR = "UpdateOriginRequestPolicyRequest";
const _UORPRp = "UpdateOriginRequestPolicyResult";
const _UPK = "UpdatePublicKey";
const _UPKR = "UpdatePublicKeyRequest";
const _UPKRp = "UpdatePublicKeyResult";
const _UR = "UntagResource";
const _URHP = "UpdateResponseHeadersPolicy";
const _URHPR = "UpdateResponseHeadersPolicyRequest";
const _URHPRp = "UpdateResponseHeadersPolicyResult";
const _URLC = "UpdateRealtimeLogConfig";
const _URLCR = "UpdateRealtimeLogConfigRequest";
const _URLCRp = "UpdateRealtimeLogConfigResult";
const _URR = "UntagResourceRequest";
const _USD = "UpdateStreamingDistribution";
const _USDR = "UpdateStreamingDistributionRequest";
const _USDRp = "UpdateStreamingDistributionResult";
const _UTS = "UpdateTrustStore";
const _UTSR = "UpdateTrustStoreRequest";
const _UTSRp = "UpdateTrustStoreResult";
const _UVO = "UpdateVpcOrigin";
const _UVOR = "UpdateVpcOriginRequest";
const _UVORp = "UpdateVpcOriginResult";
const _V = "Version";
const _VC = "ViewerCertificate";
const _VDC = "VerifyDnsConfiguration";
const _VDCR = "VerifyDnsConfigurationRequest";
const _VDCRe = "VerifyDnsConfigurationResult";
const _VMC = "ViewerMtlsConfig";
const _VO = "VpcOrigin";
const _VOC = "VpcOriginConfig";
const _VOEC = "VpcOriginEndpointConfig";
const _VOI = "VpcOriginId";
const _VOL = "VpcOriginList";
const _VOS = "VpcOriginSummary";
const _VOSL = "VpcOriginSummaryList";
const _VPP = "ViewerProtocolPolicy";
const _VTD = "ValidationTokenDetails";
const _VTDL = "ValidationTokenDetailList";
const _VTDa = "ValidationTokenDetail";
const _VTH = "ValidationTokenHost";
const _Va = "Value";
const _W = "Weight";
const _WA = "WebAcl";
const _WAC = "WebAclCustomization";
const _WACLA = "WebACLArn";
const _WACLI = "WebACLId";
const _WN = "WhitelistedNames";
const _XSSP = "XSSProtection";
const _c = "client";
const _d = "domain";
const _e = "error";
const _h = "http";
const _hE = "httpError";
const _hH = "httpHeader";
const _hP = "httpPayload";
const _hQ = "httpQuery";
const _s = "smithy.ts.sdk.synthetic.com.amazonaws.cloudfront";
const _sST = "sensitiveStringType";
const _se = "server";
const _xN = "xmlName";
const n0 = "com.amazonaws.cloudfront";
const _s_registry = new TypeRegistry(_s);
var CloudFrontServiceException$ = [-3, _s, "CloudFrontServiceException", 0, [], []];
_s_registry.registerError(CloudFrontServiceException$, CloudFrontServiceException);
const n0_registry = new TypeRegistry(n0);
var AccessDenied$ = [-3, n0, _AD,
    { [_e]: _c, [_hE]: 403 },
    [_M],
    [0]
];
n0_registry.registerError(AccessDenied$, AccessDenied);
var BatchTooLarge$ = [-3, n0, _BTL,
    { [_e]: _c, [_hE]: 413 },
    [_M],
    [0]
];
n0_registry.registerError(BatchTooLarge$, BatchTooLarge);
var CachePolicyAlreadyExists$ = [-3, n0, _CPAE,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(CachePolicyAlreadyExists$, CachePolicyAlreadyExists);
var CachePolicyInUse$ = [-3, n0, _CPIU,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(CachePolicyInUse$, CachePolicyInUse);
var CannotChangeImmutablePublicKeyFields$ = [-3, n0, _CCIPKF,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(CannotChangeImmutablePublicKeyFields$, CannotChangeImmutablePublicKeyFields);
var CannotDeleteEntityWhileInUse$ = [-3, n0, _CDEWIU,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(CannotDeleteEntityWhileInUse$, CannotDeleteEntityWhileInUse);
var CannotUpdateEntityWhileInUse$ = [-3, n0, _CUEWIU,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(CannotUpdateEntityWhileInUse$, CannotUpdateEntityWhileInUse);
var CloudFrontOriginAccessIdentityAlreadyExists$ = [-3, n0, _CFOAIAE,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(CloudFrontOriginAccessIdentityAlreadyExists$, CloudFrontOriginAccessIdentityAlreadyExists);
var CloudFrontOriginAccessIdentityInUse$ = [-3, n0, _CFOAIIU,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(CloudFrontOriginAccessIdentityInUse$, CloudFrontOriginAccessIdentityInUse);
var CNAMEAlreadyExists$ = [-3, n0, _CNAMEAE,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(CNAMEAlreadyExists$, CNAMEAlreadyExists);
var ContinuousDeploymentPolicyAlreadyExists$ = [-3, n0, _CDPAE,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(ContinuousDeploymentPolicyAlreadyExists$, ContinuousDeploymentPolicyAlreadyExists);
var ContinuousDeploymentPolicyInUse$ = [-3, n0, _CDPIU,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(ContinuousDeploymentPolicyInUse$, ContinuousDeploymentPolicyInUse);
var DistributionAlreadyExists$ = [-3, n0, _DAE,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(DistributionAlreadyExists$, DistributionAlreadyExists);
var DistributionNotDisabled$ = [-3, n0, _DND,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(DistributionNotDisabled$, DistributionNotDisabled);
var EntityAlreadyExists$ = [-3, n0, _EAE,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(EntityAlreadyExists$, EntityAlreadyExists);
var EntityLimitExceeded$ = [-3, n0, _ELE,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(EntityLimitExceeded$, EntityLimitExceeded);
var EntityNotFound$ = [-3, n0, _ENF,
    { [_e]: _c, [_hE]: 404 },
    [_M],
    [0]
];
n0_registry.registerError(EntityNotFound$, EntityNotFound);
var EntitySizeLimitExceeded$ = [-3, n0, _ESLE,
    { [_e]: _c, [_hE]: 413 },
    [_M],
    [0]
];
n0_registry.registerError(EntitySizeLimitExceeded$, EntitySizeLimitExceeded);
var FieldLevelEncryptionConfigAlreadyExists$ = [-3, n0, _FLECAE,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(FieldLevelEncryptionConfigAlreadyExists$, FieldLevelEncryptionConfigAlreadyExists);
var FieldLevelEncryptionConfigInUse$ = [-3, n0, _FLECIU,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(FieldLevelEncryptionConfigInUse$, FieldLevelEncryptionConfigInUse);
var FieldLevelEncryptionProfileAlreadyExists$ = [-3, n0, _FLEPAE,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(FieldLevelEncryptionProfileAlreadyExists$, FieldLevelEncryptionProfileAlreadyExists);
var FieldLevelEncryptionProfileInUse$ = [-3, n0, _FLEPIU,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(FieldLevelEncryptionProfileInUse$, FieldLevelEncryptionProfileInUse);
var FieldLevelEncryptionProfileSizeExceeded$ = [-3, n0, _FLEPSE,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(FieldLevelEncryptionProfileSizeExceeded$, FieldLevelEncryptionProfileSizeExceeded);
var FunctionAlreadyExists$ = [-3, n0, _FAE,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(FunctionAlreadyExists$, FunctionAlreadyExists);
var FunctionInUse$ = [-3, n0, _FIU,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(FunctionInUse$, FunctionInUse);
var FunctionSizeLimitExceeded$ = [-3, n0, _FSLE,
    { [_e]: _c, [_hE]: 413 },
    [_M],
    [0]
];
n0_registry.registerError(FunctionSizeLimitExceeded$, FunctionSizeLimitExceeded);
var IllegalDelete$ = [-3, n0, _ID,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(IllegalDelete$, IllegalDelete);
var IllegalFieldLevelEncryptionConfigAssociationWithCacheBehavior$ = [-3, n0, _IFLECAWCB,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(IllegalFieldLevelEncryptionConfigAssociationWithCacheBehavior$, IllegalFieldLevelEncryptionConfigAssociationWithCacheBehavior);
var IllegalOriginAccessConfiguration$ = [-3, n0, _IOAC,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(IllegalOriginAccessConfiguration$, IllegalOriginAccessConfiguration);
var IllegalUpdate$ = [-3, n0, _IU,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(IllegalUpdate$, IllegalUpdate);
var InconsistentQuantities$ = [-3, n0, _IQ,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InconsistentQuantities$, InconsistentQuantities);
var InvalidArgument$ = [-3, n0, _IA,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidArgument$, InvalidArgument);
var InvalidAssociation$ = [-3, n0, _IAn,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidAssociation$, InvalidAssociation);
var InvalidDefaultRootObject$ = [-3, n0, _IDRO,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidDefaultRootObject$, InvalidDefaultRootObject);
var InvalidDomainNameForOriginAccessControl$ = [-3, n0, _IDNFOAC,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidDomainNameForOriginAccessControl$, InvalidDomainNameForOriginAccessControl);
var InvalidErrorCode$ = [-3, n0, _IEC,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidErrorCode$, InvalidErrorCode);
var InvalidForwardCookies$ = [-3, n0, _IFC,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidForwardCookies$, InvalidForwardCookies);
var InvalidFunctionAssociation$ = [-3, n0, _IFA,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidFunctionAssociation$, InvalidFunctionAssociation);
var InvalidGeoRestrictionParameter$ = [-3, n0, _IGRP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidGeoRestrictionParameter$, InvalidGeoRestrictionParameter);
var InvalidHeadersForS3Origin$ = [-3, n0, _IHFSO,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidHeadersForS3Origin$, InvalidHeadersForS3Origin);
var InvalidIfMatchVersion$ = [-3, n0, _IIMV,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidIfMatchVersion$, InvalidIfMatchVersion);
var InvalidLambdaFunctionAssociation$ = [-3, n0, _ILFA,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidLambdaFunctionAssociation$, InvalidLambdaFunctionAssociation);
var InvalidLocationCode$ = [-3, n0, _ILC,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidLocationCode$, InvalidLocationCode);
var InvalidMinimumProtocolVersion$ = [-3, n0, _IMPV,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidMinimumProtocolVersion$, InvalidMinimumProtocolVersion);
var InvalidOrigin$ = [-3, n0, _IO,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidOrigin$, InvalidOrigin);
var InvalidOriginAccessControl$ = [-3, n0, _IOACn,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidOriginAccessControl$, InvalidOriginAccessControl);
var InvalidOriginAccessIdentity$ = [-3, n0, _IOAI,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidOriginAccessIdentity$, InvalidOriginAccessIdentity);
var InvalidOriginKeepaliveTimeout$ = [-3, n0, _IOKT,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidOriginKeepaliveTimeout$, InvalidOriginKeepaliveTimeout);
var InvalidOriginReadTimeout$ = [-3, n0, _IORT,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidOriginReadTimeout$, InvalidOriginReadTimeout);
var InvalidProtocolSettings$ = [-3, n0, _IPS,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidProtocolSettings$, InvalidProtocolSettings);
var InvalidQueryStringParameters$ = [-3, n0, _IQSP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidQueryStringParameters$, InvalidQueryStringParameters);
var InvalidRelativePath$ = [-3, n0, _IRP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidRelativePath$, InvalidRelativePath);
var InvalidRequiredProtocol$ = [-3, n0, _IRPn,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidRequiredProtocol$, InvalidRequiredProtocol);
var InvalidResponseCode$ = [-3, n0, _IRC,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidResponseCode$, InvalidResponseCode);
var InvalidTagging$ = [-3, n0, _IT,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidTagging$, InvalidTagging);
var InvalidTTLOrder$ = [-3, n0, _ITTLO,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidTTLOrder$, InvalidTTLOrder);
var InvalidViewerCertificate$ = [-3, n0, _IVC,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidViewerCertificate$, InvalidViewerCertificate);
var InvalidWebACLId$ = [-3, n0, _IWACLI,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(InvalidWebACLId$, InvalidWebACLId);
var KeyGroupAlreadyExists$ = [-3, n0, _KGAE,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(KeyGroupAlreadyExists$, KeyGroupAlreadyExists);
var MissingBody$ = [-3, n0, _MB,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(MissingBody$, MissingBody);
var MonitoringSubscriptionAlreadyExists$ = [-3, n0, _MSAE,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(MonitoringSubscriptionAlreadyExists$, MonitoringSubscriptionAlreadyExists);
var NoSuchCachePolicy$ = [-3, n0, _NSCP,
    { [_e]: _c, [_hE]: 404 },
    [_M],
    [0]
];
n0_registry.registerError(NoSuchCachePolicy$, NoSuchCachePolicy);
var NoSuchCloudFrontOriginAccessIdentity$ = [-3, n0, _NSCFOAI,
    { [_e]: _c, [_hE]: 404 },
    [_M],
    [0]
];
n0_registry.registerError(NoSuchCloudFrontOriginAccessIdentity$, NoSuchCloudFrontOriginAccessIdentity);
var NoSuchContinuousDeploymentPolicy$ = [-3, n0, _NSCDP,
    { [_e]: _c, [_hE]: 404 },
    [_M],
    [0]
];
n0_registry.registerError(NoSuchContinuousDeploymentPolicy$, NoSuchContinuousDeploymentPolicy);
var NoSuchDistribution$ = [-3, n0, _NSD,
    { [_e]: _c, [_hE]: 404 },
    [_M],
    [0]
];
n0_registry.registerError(NoSuchDistribution$, NoSuchDistribution);
var NoSuchFieldLevelEncryptionConfig$ = [-3, n0, _NSFLEC,
    { [_e]: _c, [_hE]: 404 },
    [_M],
    [0]
];
n0_registry.registerError(NoSuchFieldLevelEncryptionConfig$, NoSuchFieldLevelEncryptionConfig);
var NoSuchFieldLevelEncryptionProfile$ = [-3, n0, _NSFLEP,
    { [_e]: _c, [_hE]: 404 },
    [_M],
    [0]
];
n0_registry.registerError(NoSuchFieldLevelEncryptionProfile$, NoSuchFieldLevelEncryptionProfile);
var NoSuchFunctionExists$ = [-3, n0, _NSFE,
    { [_e]: _c, [_hE]: 404 },
    [_M],
    [0]
];
n0_registry.registerError(NoSuchFunctionExists$, NoSuchFunctionExists);
var NoSuchInvalidation$ = [-3, n0, _NSI,
    { [_e]: _c, [_hE]: 404 },
    [_M],
    [0]
];
n0_registry.registerError(NoSuchInvalidation$, NoSuchInvalidation);
var NoSuchMonitoringSubscription$ = [-3, n0, _NSMS,
    { [_e]: _c, [_hE]: 404 },
    [_M],
    [0]
];
n0_registry.registerError(NoSuchMonitoringSubscription$, NoSuchMonitoringSubscription);
var NoSuchOrigin$ = [-3, n0, _NSO,
    { [_e]: _c, [_hE]: 404 },
    [_M],
    [0]
];
n0_registry.registerError(NoSuchOrigin$, NoSuchOrigin);
var NoSuchOriginAccessControl$ = [-3, n0, _NSOAC,
    { [_e]: _c, [_hE]: 404 },
    [_M],
    [0]
];
n0_registry.registerError(NoSuchOriginAccessControl$, NoSuchOriginAccessControl);
var NoSuchOriginRequestPolicy$ = [-3, n0, _NSORP,
    { [_e]: _c, [_hE]: 404 },
    [_M],
    [0]
];
n0_registry.registerError(NoSuchOriginRequestPolicy$, NoSuchOriginRequestPolicy);
var NoSuchPublicKey$ = [-3, n0, _NSPK,
    { [_e]: _c, [_hE]: 404 },
    [_M],
    [0]
];
n0_registry.registerError(NoSuchPublicKey$, NoSuchPublicKey);
var NoSuchRealtimeLogConfig$ = [-3, n0, _NSRLC,
    { [_e]: _c, [_hE]: 404 },
    [_M],
    [0]
];
n0_registry.registerError(NoSuchRealtimeLogConfig$, NoSuchRealtimeLogConfig);
var NoSuchResource$ = [-3, n0, _NSR,
    { [_e]: _c, [_hE]: 404 },
    [_M],
    [0]
];
n0_registry.registerError(NoSuchResource$, NoSuchResource);
var NoSuchResponseHeadersPolicy$ = [-3, n0, _NSRHP,
    { [_e]: _c, [_hE]: 404 },
    [_M],
    [0]
];
n0_registry.registerError(NoSuchResponseHeadersPolicy$, NoSuchResponseHeadersPolicy);
var NoSuchStreamingDistribution$ = [-3, n0, _NSSD,
    { [_e]: _c, [_hE]: 404 },
    [_M],
    [0]
];
n0_registry.registerError(NoSuchStreamingDistribution$, NoSuchStreamingDistribution);
var OriginAccessControlAlreadyExists$ = [-3, n0, _OACAE,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(OriginAccessControlAlreadyExists$, OriginAccessControlAlreadyExists);
var OriginAccessControlInUse$ = [-3, n0, _OACIU,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(OriginAccessControlInUse$, OriginAccessControlInUse);
var OriginRequestPolicyAlreadyExists$ = [-3, n0, _ORPAE,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(OriginRequestPolicyAlreadyExists$, OriginRequestPolicyAlreadyExists);
var OriginRequestPolicyInUse$ = [-3, n0, _ORPIU,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(OriginRequestPolicyInUse$, OriginRequestPolicyInUse);
var PreconditionFailed$ = [-3, n0, _PF,
    { [_e]: _c, [_hE]: 412 },
    [_M],
    [0]
];
n0_registry.registerError(PreconditionFailed$, PreconditionFailed);
var PublicKeyAlreadyExists$ = [-3, n0, _PKAE,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(PublicKeyAlreadyExists$, PublicKeyAlreadyExists);
var PublicKeyInUse$ = [-3, n0, _PKIU,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(PublicKeyInUse$, PublicKeyInUse);
var QueryArgProfileEmpty$ = [-3, n0, _QAPE,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(QueryArgProfileEmpty$, QueryArgProfileEmpty);
var RealtimeLogConfigAlreadyExists$ = [-3, n0, _RLCAE,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(RealtimeLogConfigAlreadyExists$, RealtimeLogConfigAlreadyExists);
var RealtimeLogConfigInUse$ = [-3, n0, _RLCIU,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(RealtimeLogConfigInUse$, RealtimeLogConfigInUse);
var RealtimeLogConfigOwnerMismatch$ = [-3, n0, _RLCOM,
    { [_e]: _c, [_hE]: 401 },
    [_M],
    [0]
];
n0_registry.registerError(RealtimeLogConfigOwnerMismatch$, RealtimeLogConfigOwnerMismatch);
var ResourceInUse$ = [-3, n0, _RIU,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(ResourceInUse$, ResourceInUse);
var ResourceNotDisabled$ = [-3, n0, _RND,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(ResourceNotDisabled$, ResourceNotDisabled);
var ResponseHeadersPolicyAlreadyExists$ = [-3, n0, _RHPAE,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(ResponseHeadersPolicyAlreadyExists$, ResponseHeadersPolicyAlreadyExists);
var ResponseHeadersPolicyInUse$ = [-3, n0, _RHPIU,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(ResponseHeadersPolicyInUse$, ResponseHeadersPolicyInUse);
var StagingDistributionInUse$ = [-3, n0, _SDIU,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(StagingDistributionInUse$, StagingDistributionInUse);
var StreamingDistributionAlreadyExists$ = [-3, n0, _SDAE,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(StreamingDistributionAlreadyExists$, StreamingDistributionAlreadyExists);
var StreamingDistributionNotDisabled$ = [-3, n0, _SDND,
    { [_e]: _c, [_hE]: 409 },
    [_M],
    [0]
];
n0_registry.registerError(StreamingDistributionNotDisabled$, StreamingDistributionNotDisabled);
var TestFunctionFailed$ = [-3, n0, _TFF,
    { [_e]: _se, [_hE]: 500 },
    [_M],
    [0]
];
n0_registry.registerError(TestFunctionFailed$, TestFunctionFailed);
var TooLongCSPInResponseHeadersPolicy$ = [-3, n0, _TLCSPIRHP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooLongCSPInResponseHeadersPolicy$, TooLongCSPInResponseHeadersPolicy);
var TooManyCacheBehaviors$ = [-3, n0, _TMCB,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyCacheBehaviors$, TooManyCacheBehaviors);
var TooManyCachePolicies$ = [-3, n0, _TMCP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyCachePolicies$, TooManyCachePolicies);
var TooManyCertificates$ = [-3, n0, _TMC,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyCertificates$, TooManyCertificates);
var TooManyCloudFrontOriginAccessIdentities$ = [-3, n0, _TMCFOAI,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyCloudFrontOriginAccessIdentities$, TooManyCloudFrontOriginAccessIdentities);
var TooManyContinuousDeploymentPolicies$ = [-3, n0, _TMCDP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyContinuousDeploymentPolicies$, TooManyContinuousDeploymentPolicies);
var TooManyCookieNamesInWhiteList$ = [-3, n0, _TMCNIWL,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyCookieNamesInWhiteList$, TooManyCookieNamesInWhiteList);
var TooManyCookiesInCachePolicy$ = [-3, n0, _TMCICP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyCookiesInCachePolicy$, TooManyCookiesInCachePolicy);
var TooManyCookiesInOriginRequestPolicy$ = [-3, n0, _TMCIORP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyCookiesInOriginRequestPolicy$, TooManyCookiesInOriginRequestPolicy);
var TooManyCustomHeadersInResponseHeadersPolicy$ = [-3, n0, _TMCHIRHP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyCustomHeadersInResponseHeadersPolicy$, TooManyCustomHeadersInResponseHeadersPolicy);
var TooManyDistributionCNAMEs$ = [-3, n0, _TMDCNAME,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyDistributionCNAMEs$, TooManyDistributionCNAMEs);
var TooManyDistributions$ = [-3, n0, _TMD,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyDistributions$, TooManyDistributions);
var TooManyDistributionsAssociatedToCachePolicy$ = [-3, n0, _TMDATCP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyDistributionsAssociatedToCachePolicy$, TooManyDistributionsAssociatedToCachePolicy);
var TooManyDistributionsAssociatedToFieldLevelEncryptionConfig$ = [-3, n0, _TMDATFLEC,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyDistributionsAssociatedToFieldLevelEncryptionConfig$, TooManyDistributionsAssociatedToFieldLevelEncryptionConfig);
var TooManyDistributionsAssociatedToKeyGroup$ = [-3, n0, _TMDATKG,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyDistributionsAssociatedToKeyGroup$, TooManyDistributionsAssociatedToKeyGroup);
var TooManyDistributionsAssociatedToOriginAccessControl$ = [-3, n0, _TMDATOAC,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyDistributionsAssociatedToOriginAccessControl$, TooManyDistributionsAssociatedToOriginAccessControl);
var TooManyDistributionsAssociatedToOriginRequestPolicy$ = [-3, n0, _TMDATORP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyDistributionsAssociatedToOriginRequestPolicy$, TooManyDistributionsAssociatedToOriginRequestPolicy);
var TooManyDistributionsAssociatedToResponseHeadersPolicy$ = [-3, n0, _TMDATRHP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyDistributionsAssociatedToResponseHeadersPolicy$, TooManyDistributionsAssociatedToResponseHeadersPolicy);
var TooManyDistributionsWithFunctionAssociations$ = [-3, n0, _TMDWFA,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyDistributionsWithFunctionAssociations$, TooManyDistributionsWithFunctionAssociations);
var TooManyDistributionsWithLambdaAssociations$ = [-3, n0, _TMDWLA,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyDistributionsWithLambdaAssociations$, TooManyDistributionsWithLambdaAssociations);
var TooManyDistributionsWithSingleFunctionARN$ = [-3, n0, _TMDWSFARN,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyDistributionsWithSingleFunctionARN$, TooManyDistributionsWithSingleFunctionARN);
var TooManyFieldLevelEncryptionConfigs$ = [-3, n0, _TMFLEC,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyFieldLevelEncryptionConfigs$, TooManyFieldLevelEncryptionConfigs);
var TooManyFieldLevelEncryptionContentTypeProfiles$ = [-3, n0, _TMFLECTP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyFieldLevelEncryptionContentTypeProfiles$, TooManyFieldLevelEncryptionContentTypeProfiles);
var TooManyFieldLevelEncryptionEncryptionEntities$ = [-3, n0, _TMFLEEE,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyFieldLevelEncryptionEncryptionEntities$, TooManyFieldLevelEncryptionEncryptionEntities);
var TooManyFieldLevelEncryptionFieldPatterns$ = [-3, n0, _TMFLEFP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyFieldLevelEncryptionFieldPatterns$, TooManyFieldLevelEncryptionFieldPatterns);
var TooManyFieldLevelEncryptionProfiles$ = [-3, n0, _TMFLEP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyFieldLevelEncryptionProfiles$, TooManyFieldLevelEncryptionProfiles);
var TooManyFieldLevelEncryptionQueryArgProfiles$ = [-3, n0, _TMFLEQAP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyFieldLevelEncryptionQueryArgProfiles$, TooManyFieldLevelEncryptionQueryArgProfiles);
var TooManyFunctionAssociations$ = [-3, n0, _TMFA,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyFunctionAssociations$, TooManyFunctionAssociations);
var TooManyFunctions$ = [-3, n0, _TMF,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyFunctions$, TooManyFunctions);
var TooManyHeadersInCachePolicy$ = [-3, n0, _TMHICP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyHeadersInCachePolicy$, TooManyHeadersInCachePolicy);
var TooManyHeadersInForwardedValues$ = [-3, n0, _TMHIFV,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyHeadersInForwardedValues$, TooManyHeadersInForwardedValues);
var TooManyHeadersInOriginRequestPolicy$ = [-3, n0, _TMHIORP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyHeadersInOriginRequestPolicy$, TooManyHeadersInOriginRequestPolicy);
var TooManyInvalidationsInProgress$ = [-3, n0, _TMIIP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyInvalidationsInProgress$, TooManyInvalidationsInProgress);
var TooManyKeyGroups$ = [-3, n0, _TMKG,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyKeyGroups$, TooManyKeyGroups);
var TooManyKeyGroupsAssociatedToDistribution$ = [-3, n0, _TMKGATD,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyKeyGroupsAssociatedToDistribution$, TooManyKeyGroupsAssociatedToDistribution);
var TooManyLambdaFunctionAssociations$ = [-3, n0, _TMLFA,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyLambdaFunctionAssociations$, TooManyLambdaFunctionAssociations);
var TooManyOriginAccessControls$ = [-3, n0, _TMOAC,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyOriginAccessControls$, TooManyOriginAccessControls);
var TooManyOriginCustomHeaders$ = [-3, n0, _TMOCH,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyOriginCustomHeaders$, TooManyOriginCustomHeaders);
var TooManyOriginGroupsPerDistribution$ = [-3, n0, _TMOGPD,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyOriginGroupsPerDistribution$, TooManyOriginGroupsPerDistribution);
var TooManyOriginRequestPolicies$ = [-3, n0, _TMORP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyOriginRequestPolicies$, TooManyOriginRequestPolicies);
var TooManyOrigins$ = [-3, n0, _TMO,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyOrigins$, TooManyOrigins);
var TooManyPublicKeys$ = [-3, n0, _TMPK,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyPublicKeys$, TooManyPublicKeys);
var TooManyPublicKeysInKeyGroup$ = [-3, n0, _TMPKIKG,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyPublicKeysInKeyGroup$, TooManyPublicKeysInKeyGroup);
var TooManyQueryStringParameters$ = [-3, n0, _TMQSP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyQueryStringParameters$, TooManyQueryStringParameters);
var TooManyQueryStringsInCachePolicy$ = [-3, n0, _TMQSICP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyQueryStringsInCachePolicy$, TooManyQueryStringsInCachePolicy);
var TooManyQueryStringsInOriginRequestPolicy$ = [-3, n0, _TMQSIORP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyQueryStringsInOriginRequestPolicy$, TooManyQueryStringsInOriginRequestPolicy);
var TooManyRealtimeLogConfigs$ = [-3, n0, _TMRLC,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyRealtimeLogConfigs$, TooManyRealtimeLogConfigs);
var TooManyRemoveHeadersInResponseHeadersPolicy$ = [-3, n0, _TMRHIRHP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyRemoveHeadersInResponseHeadersPolicy$, TooManyRemoveHeadersInResponseHeadersPolicy);
var TooManyResponseHeadersPolicies$ = [-3, n0, _TMRHP,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyResponseHeadersPolicies$, TooManyResponseHeadersPolicies);
var TooManyStreamingDistributionCNAMEs$ = [-3, n0, _TMSDCNAME,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyStreamingDistributionCNAMEs$, TooManyStreamingDistributionCNAMEs);
var TooManyStreamingDistributions$ = [-3, n0, _TMSD,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyStreamingDistributions$, TooManyStreamingDistributions);
var TooManyTrustedSigners$ = [-3, n0, _TMTS,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TooManyTrustedSigners$, TooManyTrustedSigners);
var TrustedKeyGroupDoesNotExist$ = [-3, n0, _TKGDNE,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TrustedKeyGroupDoesNotExist$, TrustedKeyGroupDoesNotExist);
var TrustedSignerDoesNotExist$ = [-3, n0, _TSDNE,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(TrustedSignerDoesNotExist$, TrustedSignerDoesNotExist);
var UnsupportedOperation$ = [-3, n0, _UO,
    { [_e]: _c, [_hE]: 400 },
    [_M],
    [0]
];
n0_registry.registerError(UnsupportedOperation$, UnsupportedOperation);
const errorTypeRegistries = [
    _s_registry,
    n0_registry,
];
var CommentType = [0, n0, _CT, 8, 0];
var FunctionBlob = [0, n0, _FB, 8, 21];
var FunctionEventObject = [0, n0, _FEO, 8, 21];
var sensitiveStringType = [0, n0, _sST, 8, 0];
var ActiveTrustedKeyGroups$ = [3, n0, _ATKG,
    0,
    [_E, _Q, _I],
    [2, 1, [() => KGKeyPairIdsList, 0]], 2
];
var ActiveTrustedSigners$ = [3, n0, _ATS,
    0,
    [_E, _Q, _I],
    [2, 1, [() => SignerList, 0]], 2
];
var Aliases$ = [3, n0, _A,
    0,
    [_Q, _I],
    [1, [() => AliasList, 0]], 1
];
var AliasICPRecordal$ = [3, n0, _AICPR,
    0,
    [_CNAME, _ICPRS],
    [0, 0]
];
var AllowedMethods$ = [3, n0, _AM,
    0,
    [_Q, _I, _CM],
    [1, [() => MethodsList, 0], [() => CachedMethods$, 0]], 2
];
var AnycastIpList$ = [3, n0, _AIL,
    0,
    [_Id, _N, _S, _Ar, _AI, _IC, _LMT, _IAT, _ICp],
    [0, 0, 0, 0, [() => AnycastIps, 0], 1, 4, 0, [() => IpamConfig$, 0]], 7
];
var AnycastIpListCollection$ = [3, n0, _AILC,
    0,
    [_Ma, _MI, _ITs, _Q, _I, _NM],
    [0, 1, 2, 1, [() => AnycastIpListSummaries, 0], 0], 4
];
var AnycastIpListSummary$ = [3, n0, _AILS,
    0,
    [_Id, _N, _S, _Ar, _IC, _LMT, _IAT, _ET, _ICp],
    [0, 0, 0, 0, 1, 4, 0, 0, [() => IpamConfig$, 0]], 6
];
var AssociateAliasRequest$ = [3, n0, _AAR,
    0,
    [_TDI, _Al],
    [[0, 1], [0, { [_hQ]: _Al }]], 2
];
var AssociateDistributionTenantWebACLRequest$ = [3, n0, _ADTWACLR,
    0,
    [_Id, _WACLA, _IM],
    [[0, 1], 0, [0, { [_hH]: _IM_ }]], 2
];
var AssociateDistributionTenantWebACLResult$ = [3, n0, _ADTWACLRs,
    0,
    [_Id, _WACLA, _ET],
    [0, 0, [0, { [_hH]: _ET }]]
];
var AssociateDistributionWebACLRequest$ = [3, n0, _ADWACLR,
    0,
    [_Id, _WACLA, _IM],
    [[0, 1], 0, [0, { [_hH]: _IM_ }]], 2
];
var AssociateDistributionWebACLResult$ = [3, n0, _ADWACLRs,
    0,
    [_Id, _WACLA, _ET],
    [0, 0, [0, { [_hH]: _ET }]]
];
var CaCertificatesBundleS3Location$ = [3, n0, _CCBSL,
    0,
    [_B, _K, _R, _V],
    [0, 0, 0, 0], 3
];
var CacheBehavior$ = [3, n0, _CB,
    0,
    [_PP, _TOI, _VPP, _TS, _TKG, _AM, _SS, _C, _LFA, _FA, _FLEI, _RLCA, _CPI, _ORPI, _RHPI, _GC, _FV, _MTTL, _DTTL, _MTTLa],
    [0, 0, 0, [() => TrustedSigners$, 0], [() => TrustedKeyGroups$, 0], [() => AllowedMethods$, 0], 2, 2, [() => LambdaFunctionAssociations$, 0], [() => FunctionAssociations$, 0], 0, 0, 0, 0, 0, () => GrpcConfig$, [() => ForwardedValues$, 0], 1, 1, 1], 3
];
var CacheBehaviors$ = [3, n0, _CBa,
    0,
    [_Q, _I],
    [1, [() => CacheBehaviorList, 0]], 1
];
var CachedMethods$ = [3, n0, _CM,
    0,
    [_Q, _I],
    [1, [() => MethodsList, 0]], 2
];
var CachePolicy$ = [3, n0, _CP,
    0,
    [_Id, _LMT, _CPC],
    [0, 4, [() => CachePolicyConfig$, 0]], 3
];
var CachePolicyConfig$ = [3, n0, _CPC,
    0,
    [_N, _MTTL, _Co, _DTTL, _MTTLa, _PICKAFTO],
    [0, 1, 0, 1, 1, [() => ParametersInCacheKeyAndForwardedToOrigin$, 0]], 2
];
var CachePolicyCookiesConfig$ = [3, n0, _CPCC,
    0,
    [_CBo, _Coo],
    [0, [() => CookieNames$, 0]], 1
];
var CachePolicyHeadersConfig$ = [3, n0, _CPHC,
    0,
    [_HB, _H],
    [0, [() => Headers$, 0]], 1
];
var CachePolicyList$ = [3, n0, _CPL,
    0,
    [_MI, _Q, _NM, _I],
    [1, 1, 0, [() => CachePolicySummaryList, 0]], 2
];
var CachePolicyQueryStringsConfig$ = [3, n0, _CPQSC,
    0,
    [_QSB, _QS],
    [0, [() => QueryStringNames$, 0]], 1
];
var CachePolicySummary$ = [3, n0, _CPS,
    0,
    [_T, _CP],
    [0, [() => CachePolicy$, 0]], 2
];
var CacheTagConfig$ = [3, n0, _CTC,
    0,
    [_HN],
    [0], 1
];
var Certificate$ = [3, n0, _Ce,
    0,
    [_Ar],
    [0], 1
];
var CloudFrontOriginAccessIdentity$ = [3, n0, _CFOAI,
    0,
    [_Id, _SCUI, _CFOAIC],
    [0, 0, () => CloudFrontOriginAccessIdentityConfig$], 2
];
var CloudFrontOriginAccessIdentityConfig$ = [3, n0, _CFOAIC,
    0,
    [_CR, _Co],
    [0, 0], 2
];
var CloudFrontOriginAccessIdentityList$ = [3, n0, _CFOAIL,
    0,
    [_Ma, _MI, _ITs, _Q, _NM, _I],
    [0, 1, 2, 1, 0, [() => CloudFrontOriginAccessIdentitySummaryList, 0]], 4
];
var CloudFrontOriginAccessIdentitySummary$ = [3, n0, _CFOAIS,
    0,
    [_Id, _SCUI, _Co],
    [0, 0, 0], 3
];
var ConflictingAlias$ = [3, n0, _CA,
    0,
    [_Al, _DI, _AIc],
    [0, 0, 0]
];
var ConflictingAliasesList$ = [3, n0, _CAL,
    0,
    [_NM, _MI, _Q, _I],
    [0, 1, 1, [() => ConflictingAliases, 0]]
];
var ConnectionFunctionAssociation$ = [3, n0, _CFA,
    0,
    [_Id],
    [0], 1
];
var ConnectionFunctionSummary$ = [3, n0, _CFS,
    0,
    [_N, _Id, _CFC, _CFAo, _S, _St, _CTr, _LMT],
    [0, 0, [() => FunctionConfig$, 0], 0, 0, 0, 4, 4], 8
];
var ConnectionFunctionTestResult$ = [3, n0, _CFTR,
    0,
    [_CFS, _CU, _CFEL, _CFEM, _CFO],
    [[() => ConnectionFunctionSummary$, 0], 0, [() => FunctionExecutionLogList, 0], [() => sensitiveStringType, 0], [() => sensitiveStringType, 0]]
];
var ConnectionGroup$ = [3, n0, _CG,
    0,
    [_Id, _N, _Ar, _CTr, _LMT, _Ta, _IE, _RE, _AILI, _S, _E, _IDs],
    [0, 0, 0, 4, 4, [() => Tags$, 0], 2, 0, 0, 0, 2, 2]
];
var ConnectionGroupAssociationFilter$ = [3, n0, _CGAF,
    0,
    [_AILI],
    [0]
];
var ConnectionGroupSummary$ = [3, n0, _CGS,
    0,
    [_Id, _N, _Ar, _RE, _CTr, _LMT, _ET, _AILI, _E, _S, _IDs],
    [0, 0, 0, 0, 4, 4, 0, 0, 2, 0, 2], 7
];
var ContentTypeProfile$ = [3, n0, _CTP,
    0,
    [_F, _CTo, _PI],
    [0, 0, 0], 2
];
var ContentTypeProfileConfig$ = [3, n0, _CTPC,
    0,
    [_FWCTIU, _CTPo],
    [2, [() => ContentTypeProfiles$, 0]], 1
];
var ContentTypeProfiles$ = [3, n0, _CTPo,
    0,
    [_Q, _I],
    [1, [() => ContentTypeProfileList, 0]], 1
];
var ContinuousDeploymentPolicy$ = [3, n0, _CDP,
    0,
    [_Id, _LMT, _CDPC],
    [0, 4, [() => ContinuousDeploymentPolicyConfig$, 0]], 3
];
var ContinuousDeploymentPolicyConfig$ = [3, n0, _CDPC,
    0,
    [_SDDN, _E, _TC],
    [[() => StagingDistributionDnsNames$, 0], 2, () => TrafficConfig$], 2
];
var ContinuousDeploymentPolicyList$ = [3, n0, _CDPL,
    0,
    [_MI, _Q, _NM, _I],
    [1, 1, 0, [() => ContinuousDeploymentPolicySummaryList, 0]], 2
];
var ContinuousDeploymentPolicySummary$ = [3, n0, _CDPS,
    0,
    [_CDP],
    [[() => ContinuousDeploymentPolicy$, 0]], 1
];
var ContinuousDeploymentSingleHeaderConfig$ = [3, n0, _CDSHC,
    0,
    [_He, _Va],
    [0, 0], 2
];
var ContinuousDeploymentSingleWeightConfig$ = [3, n0, _CDSWC,
    0,
    [_W, _SSC],
    [1, () => SessionStickinessConfig$], 1
];
var CookieNames$ = [3, n0, _CN,
    0,
    [_Q, _I],
    [1, [() => CookieNameList, 0]], 1
];
var CookiePreference$ = [3, n0, _CPo,
    0,
    [_Fo, _WN],
    [0, [() => CookieNames$, 0]], 1
];
var CopyDistributionRequest$ = [3, n0, _CDR,
    0,
    [_PDI, _CR, _Sta, _IM, _E],
    [[0, 1], 0, [2, { [_hH]: _Sta }], [0, { [_hH]: _IM_ }], 2], 2
];
var CopyDistributionResult$ = [3, n0, _CDRo,
    0,
    [_D, _L, _ET],
    [[() => Distribution$, 16], [0, { [_hH]: _L }], [0, { [_hH]: _ET }]]
];
var CreateAnycastIpListRequest$ = [3, n0, _CAILR,
    0,
    [_N, _IC, _Ta, _IAT, _ICC],
    [0, 1, [() => Tags$, 0], 0, [() => IpamCidrConfigList, 0]], 2
];
var CreateAnycastIpListResult$ = [3, n0, _CAILRr,
    0,
    [_AIL, _ET],
    [[() => AnycastIpList$, 16], [0, { [_hH]: _ET }]]
];
var CreateCachePolicyRequest$ = [3, n0, _CCPR,
    0,
    [_CPC],
    [[() => CachePolicyConfig$, { [_hP]: 1, [_xN]: _CPC }]], 1
];
var CreateCachePolicyResult$ = [3, n0, _CCPRr,
    0,
    [_CP, _L, _ET],
    [[() => CachePolicy$, 16], [0, { [_hH]: _L }], [0, { [_hH]: _ET }]]
];
var CreateCloudFrontOriginAccessIdentityRequest$ = [3, n0, _CCFOAIR,
    0,
    [_CFOAIC],
    [[() => CloudFrontOriginAccessIdentityConfig$, { [_hP]: 1, [_xN]: _CFOAIC }]], 1
];
var CreateCloudFrontOriginAccessIdentityResult$ = [3, n0, _CCFOAIRr,
    0,
    [_CFOAI, _L, _ET],
    [[() => CloudFrontOriginAccessIdentity$, 16], [0, { [_hH]: _L }], [0, { [_hH]: _ET }]]
];
var CreateConnectionFunctionRequest$ = [3, n0, _CCFR,
    0,
    [_N, _CFC, _CFCo, _Ta],
    [0, [() => FunctionConfig$, 0], [() => FunctionBlob, 0], [() => Tags$, 0]], 3
];
var CreateConnectionFunctionResult$ = [3, n0, _CCFRr,
    0,
    [_CFS, _L, _ET],
    [[() => ConnectionFunctionSummary$, 16], [0, { [_hH]: _L }], [0, { [_hH]: _ET }]]
];
var CreateConnectionGroupRequest$ = [3, n0, _CCGR,
    0,
    [_N, _IE, _Ta, _AILI, _E],
    [0, 2, [() => Tags$, 0], 0, 2], 1
];
var CreateConnectionGroupResult$ = [3, n0, _CCGRr,
    0,
    [_CG, _ET],
    [[() => ConnectionGroup$, 16], [0, { [_hH]: _ET }]]
];
var CreateContinuousDeploymentPolicyRequest$ = [3, n0, _CCDPR,
    0,
    [_CDPC],
    [[() => ContinuousDeploymentPolicyConfig$, { [_hP]: 1, [_xN]: _CDPC }]], 1
];
var CreateContinuousDeploymentPolicyResult$ = [3, n0, _CCDPRr,
    0,
    [_CDP, _L, _ET],
    [[() => ContinuousDeploymentPolicy$, 16], [0, { [_hH]: _L }], [0, { [_hH]: _ET }]]
];
var CreateDistributionRequest$ = [3, n0, _CDRr,
    0,
    [_DC],
    [[() => DistributionConfig$, { [_hP]: 1, [_xN]: _DC }]], 1
];
var CreateDistributionResult$ = [3, n0, _CDRre,
    0,
    [_D, _L, _ET],
    [[() => Distribution$, 16], [0, { [_hH]: _L }], [0, { [_hH]: _ET }]]
];
var CreateDistributionTenantRequest$ = [3, n0, _CDTR,
    0,
    [_DI, _N, _Do, _Ta, _Cu, _P, _CGI, _MCR, _E],
    [0, 0, () => DomainList, [() => Tags$, 0], [() => Customizations$, 0], () => _Parameters, 0, () => ManagedCertificateRequest$, 2], 3
];
var CreateDistributionTenantResult$ = [3, n0, _CDTRr,
    0,
    [_DT, _ET],
    [[() => DistributionTenant$, 16], [0, { [_hH]: _ET }]]
];
var CreateDistributionWithTagsRequest$ = [3, n0, _CDWTR,
    0,
    [_DCWT],
    [[() => DistributionConfigWithTags$, { [_hP]: 1, [_xN]: _DCWT }]], 1
];
var CreateDistributionWithTagsResult$ = [3, n0, _CDWTRr,
    0,
    [_D, _L, _ET],
    [[() => Distribution$, 16], [0, { [_hH]: _L }], [0, { [_hH]: _ET }]]
];
var CreateFieldLevelEncryptionConfigRequest$ = [3, n0, _CFLECR,
    0,
    [_FLEC],
    [[() => FieldLevelEncryptionConfig$, { [_hP]: 1, [_xN]: _FLEC }]], 1
];
var CreateFieldLevelEncryptionConfigResult$ = [3, n0, _CFLECRr,
    0,
    [_FLE, _L, _ET],
    [[() => FieldLevelEncryption$, 16], [0, { [_hH]: _L }], [0, { [_hH]: _ET }]]
];
var CreateFieldLevelEncryptionProfileRequest$ = [3, n0, _CFLEPR,
    0,
    [_FLEPC],
    [[() => FieldLevelEncryptionProfileConfig$, { [_hP]: 1, [_xN]: _FLEPC }]], 1
];
var CreateFieldLevelEncryptionProfileResult$ = [3, n0, _CFLEPRr,
    0,
    [_FLEP, _L, _ET],
    [[() => FieldLevelEncryptionProfile$, 16], [0, { [_hH]: _L }], [0, { [_hH]: _ET }]]
];
var CreateFunctionRequest$ = [3, n0, _CFR,
    0,
    [_N, _FC, _FCu, _Ta],
    [0, [() => FunctionConfig$, 0], [() => FunctionBlob, 0], [() => Tags$, 0]], 3
];
var CreateFunctionResult$ = [3, n0, _CFRr,
    0,
    [_FS, _L, _ET],
    [[() => FunctionSummary$, 16], [0, { [_hH]: _L }], [0, { [_hH]: _ET }]]
];
var CreateInvalidationForDistributionTenantRequest$ = [3, n0, _CIFDTR,
    0,
    [_Id, _IB],
    [[0, 1], [() => InvalidationBatch$, { [_hP]: 1, [_xN]: _IB }]], 2
];
var CreateInvalidationForDistributionTenantResult$ = [3, n0, _CIFDTRr,
    0,
    [_L, _In],
    [[0, { [_hH]: _L }], [() => Invalidation$, 16]]
];
var CreateInvalidationRequest$ = [3, n0, _CIR,
    0,
    [_DI, _IB],
    [[0, 1], [() => InvalidationBatch$, { [_hP]: 1, [_xN]: _IB }]], 2
];
var CreateInvalidationResult$ = [3, n0, _CIRr,
    0,
    [_L, _In],
    [[0, { [_hH]: _L }], [() => Invalidation$, 16]]
];
var CreateKeyGroupRequest$ = [3, n0, _CKGR,
    0,
    [_KGC],
    [[() => KeyGroupConfig$, { [_hP]: 1, [_xN]: _KGC }]], 1
];
var CreateKeyGroupResult$ = [3, n0, _CKGRr,
    0,
    [_KG, _L, _ET],
    [[() => KeyGroup$, 16], [0, { [_hH]: _L }], [0, { [_hH]: _ET }]]
];
var CreateKeyValueStoreRequest$ = [3, n0, _CKVSR,
    0,
    [_N, _Co, _IS, _Ta],
    [0, 0, () => ImportSource$, [() => Tags$, 0]], 1
];
var CreateKeyValueStoreResult$ = [3, n0, _CKVSRr,
    0,
    [_KVS, _ET, _L],
    [[() => KeyValueStore$, 16], [0, { [_hH]: _ET }], [0, { [_hH]: _L }]]
];
var CreateMonitoringSubscriptionRequest$ = [3, n0, _CMSR,
    0,
    [_DI, _MS],
    [[0, 1], [() => MonitoringSubscription$, { [_hP]: 1, [_xN]: _MS }]], 2
];
var CreateMonitoringSubscriptionResult$ = [3, n0, _CMSRr,
    0,
    [_MS],
    [[() => MonitoringSubscription$, 16]]
];
var CreateOriginAccessControlRequest$ = [3, n0, _COACR,
    0,
    [_OACC],
    [[() => OriginAccessControlConfig$, { [_hP]: 1, [_xN]: _OACC }]], 1
];
var CreateOriginAccessControlResult$ = [3, n0, _COACRr,
    0,
    [_OAC, _L, _ET],
    [[() => OriginAccessControl$, 16], [0, { [_hH]: _L }], [0, { [_hH]: _ET }]]
];
var CreateOriginRequestPolicyRequest$ = [3, n0, _CORPR,
    0,
    [_ORPC],
    [[() => OriginRequestPolicyConfig$, { [_hP]: 1, [_xN]: _ORPC }]], 1
];
var CreateOriginRequestPolicyResult$ = [3, n0, _CORPRr,
    0,
    [_ORP, _L, _ET],
    [[() => OriginRequestPolicy$, 16], [0, { [_hH]: _L }], [0, { [_hH]: _ET }]]
];
var CreatePublicKeyRequest$ = [3, n0, _CPKR,
    0,
    [_PKC],
    [[() => PublicKeyConfig$, { [_hP]: 1, [_xN]: _PKC }]], 1
];
var CreatePublicKeyResult$ = [3, n0, _CPKRr,
    0,
    [_PK, _L, _ET],
    [[() => PublicKey$, 16], [0, { [_hH]: _L }], [0, { [_hH]: _ET }]]
];
var CreateRealtimeLogConfigRequest$ = [3, n0, _CRLCR,
    0,
    [_EP, _Fi, _N, _SR],
    [() => EndPointList, [() => FieldList, 0], 0, 1], 4
];
var CreateRealtimeLogConfigResult$ = [3, n0, _CRLCRr,
    0,
    [_RLC],
    [[() => RealtimeLogConfig$, 0]]
];
var CreateResponseHeadersPolicyRequest$ = [3, n0, _CRHPR,
    0,
    [_RHPC],
    [[() => ResponseHeadersPolicyConfig$, { [_hP]: 1, [_xN]: _RHPC }]], 1
];
var CreateResponseHeadersPolicyResult$ = [3, n0, _CRHPRr,
    0,
    [_RHP, _L, _ET],
    [[() => ResponseHeadersPolicy$, 16], [0, { [_hH]: _L }], [0, { [_hH]: _ET }]]
];
var CreateStreamingDistributionRequest$ = [3, n0, _CSDR,
    0,
    [_SDC],
    [[() => StreamingDistributionConfig$, { [_hP]: 1, [_xN]: _SDC }]], 1
];
var CreateStreamingDistributionResult$ = [3, n0, _CSDRr,
    0,
    [_SD, _L, _ET],
    [[() => StreamingDistribution$, 16], [0, { [_hH]: _L }], [0, { [_hH]: _ET }]]
];
var CreateStreamingDistributionWithTagsRequest$ = [3, n0, _CSDWTR,
    0,
    [_SDCWT],
    [[() => StreamingDistributionConfigWithTags$, { [_hP]: 1, [_xN]: _SDCWT }]], 1
];
var CreateStreamingDistributionWithTagsResult$ = [3, n0, _CSDWTRr,
    0,
    [_SD, _L, _ET],
    [[() => StreamingDistribution$, 16], [0, { [_hH]: _L }], [0, { [_hH]: _ET }]]
];
var CreateTrustStoreRequest$ = [3, n0, _CTSR,
    0,
    [_N, _CCBS, _UCCOCSPE, _Ta],
    [0, () => CaCertificatesBundleSource$, 2, [() => Tags$, 0]], 2
];
var CreateTrustStoreResult$ = [3, n0, _CTSRr,
    0,
    [_TSr, _ET],
    [[() => TrustStore$, 16], [0, { [_hH]: _ET }]]
];
var CreateVpcOriginRequest$ = [3, n0, _CVOR,
    0,
    [_VOEC, _Ta],
    [[() => VpcOriginEndpointConfig$, 0], [() => Tags$, 0]], 1
];
var CreateVpcOriginResult$ = [3, n0, _CVORr,
    0,
    [_VO, _L, _ET],
    [[() => VpcOrigin$, 16], [0, { [_hH]: _L }], [0, { [_hH]: _ET }]]
];
var CustomErrorResponse$ = [3, n0, _CER,
    0,
    [_EC, _RPP, _RC, _ECMTTL],
    [1, 0, 0, 1], 1
];
var CustomErrorResponses$ = [3, n0, _CERu,
    0,
    [_Q, _I],
    [1, [() => CustomErrorResponseList, 0]], 1
];
var CustomHeaders$ = [3, n0, _CH,
    0,
    [_Q, _I],
    [1, [() => OriginCustomHeadersList, 0]], 1
];
var Customizations$ = [3, n0, _Cu,
    0,
    [_WA, _Ce, _GR],
    [() => WebAclCustomization$, () => Certificate$, [() => GeoRestrictionCustomization$, 0]]
];
var CustomOriginConfig$ = [3, n0, _COC,
    0,
    [_HTTPP, _HTTPSP, _OPP, _OSP, _ORT, _OKT, _IAT, _OMC],
    [1, 1, 0, [() => OriginSslProtocols$, 0], 1, 1, 0, () => OriginMtlsConfig$], 3
];
var DefaultCacheBehavior$ = [3, n0, _DCB,
    0,
    [_TOI, _VPP, _TS, _TKG, _AM, _SS, _C, _LFA, _FA, _FLEI, _RLCA, _CPI, _ORPI, _RHPI, _GC, _FV, _MTTL, _DTTL, _MTTLa],
    [0, 0, [() => TrustedSigners$, 0], [() => TrustedKeyGroups$, 0], [() => AllowedMethods$, 0], 2, 2, [() => LambdaFunctionAssociations$, 0], [() => FunctionAssociations$, 0], 0, 0, 0, 0, 0, () => GrpcConfig$, [() => ForwardedValues$, 0], 1, 1, 1], 2
];
var DeleteAnycastIpListRequest$ = [3, n0, _DAILR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 2
];
var DeleteCachePolicyRequest$ = [3, n0, _DCPR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 1
];
var DeleteCloudFrontOriginAccessIdentityRequest$ = [3, n0, _DCFOAIR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 1
];
var DeleteConnectionFunctionRequest$ = [3, n0, _DCFR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 2
];
var DeleteConnectionGroupRequest$ = [3, n0, _DCGR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 2
];
var DeleteContinuousDeploymentPolicyRequest$ = [3, n0, _DCDPR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 1
];
var DeleteDistributionRequest$ = [3, n0, _DDR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 1
];
var DeleteDistributionTenantRequest$ = [3, n0, _DDTR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 2
];
var DeleteFieldLevelEncryptionConfigRequest$ = [3, n0, _DFLECR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 1
];
var DeleteFieldLevelEncryptionProfileRequest$ = [3, n0, _DFLEPR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 1
];
var DeleteFunctionRequest$ = [3, n0, _DFR,
    0,
    [_N, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 2
];
var DeleteKeyGroupRequest$ = [3, n0, _DKGR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 1
];
var DeleteKeyValueStoreRequest$ = [3, n0, _DKVSR,
    0,
    [_N, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 2
];
var DeleteMonitoringSubscriptionRequest$ = [3, n0, _DMSR,
    0,
    [_DI],
    [[0, 1]], 1
];
var DeleteMonitoringSubscriptionResult$ = [3, n0, _DMSRe,
    0,
    [],
    []
];
var DeleteOriginAccessControlRequest$ = [3, n0, _DOACR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 1
];
var DeleteOriginRequestPolicyRequest$ = [3, n0, _DORPR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 1
];
var DeletePublicKeyRequest$ = [3, n0, _DPKR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 1
];
var DeleteRealtimeLogConfigRequest$ = [3, n0, _DRLCR,
    0,
    [_N, _ARN],
    [0, 0]
];
var DeleteResourcePolicyRequest$ = [3, n0, _DRPR,
    0,
    [_RA],
    [0], 1
];
var DeleteResponseHeadersPolicyRequest$ = [3, n0, _DRHPR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 1
];
var DeleteStreamingDistributionRequest$ = [3, n0, _DSDR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 1
];
var DeleteTrustStoreRequest$ = [3, n0, _DTSR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 2
];
var DeleteVpcOriginRequest$ = [3, n0, _DVOR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 2
];
var DeleteVpcOriginResult$ = [3, n0, _DVORe,
    0,
    [_VO, _ET],
    [[() => VpcOrigin$, 16], [0, { [_hH]: _ET }]]
];
var DescribeConnectionFunctionRequest$ = [3, n0, _DCFRe,
    0,
    [_Ide, _St],
    [[0, 1], [0, { [_hQ]: _St }]], 1
];
var DescribeConnectionFunctionResult$ = [3, n0, _DCFRes,
    0,
    [_CFS, _ET],
    [[() => ConnectionFunctionSummary$, 16], [0, { [_hH]: _ET }]]
];
var DescribeFunctionRequest$ = [3, n0, _DFRe,
    0,
    [_N, _St],
    [[0, 1], [0, { [_hQ]: _St }]], 1
];
var DescribeFunctionResult$ = [3, n0, _DFRes,
    0,
    [_FS, _ET],
    [[() => FunctionSummary$, 16], [0, { [_hH]: _ET }]]
];
var DescribeKeyValueStoreRequest$ = [3, n0, _DKVSRe,
    0,
    [_N],
    [[0, 1]], 1
];
var DescribeKeyValueStoreResult$ = [3, n0, _DKVSRes,
    0,
    [_KVS, _ET],
    [[() => KeyValueStore$, 16], [0, { [_hH]: _ET }]]
];
var DisassociateDistributionTenantWebACLRequest$ = [3, n0, _DDTWACLR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 1
];
var DisassociateDistributionTenantWebACLResult$ = [3, n0, _DDTWACLRi,
    0,
    [_Id, _ET],
    [0, [0, { [_hH]: _ET }]]
];
var DisassociateDistributionWebACLRequest$ = [3, n0, _DDWACLR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 1
];
var DisassociateDistributionWebACLResult$ = [3, n0, _DDWACLRi,
    0,
    [_Id, _ET],
    [0, [0, { [_hH]: _ET }]]
];
var Distribution$ = [3, n0, _D,
    0,
    [_Id, _ARN, _S, _LMT, _IPIB, _DN, _DC, _ATS, _ATKG, _AICPRl],
    [0, 0, 0, 4, 1, 0, [() => DistributionConfig$, 0], [() => ActiveTrustedSigners$, 0], [() => ActiveTrustedKeyGroups$, 0], [() => AliasICPRecordals, 0]], 7
];
var DistributionConfig$ = [3, n0, _DC,
    0,
    [_CR, _O, _DCB, _Co, _E, _A, _DRO, _OG, _CBa, _CERu, _Lo, _PC, _VC, _Re, _WACLI, _HV, _IIPVE, _CDPI, _Sta, _AILI, _TCe, _CMo, _VMC, _CFA, _CTC],
    [0, [() => Origins$, 0], [() => DefaultCacheBehavior$, 0], [() => CommentType, 0], 2, [() => Aliases$, 0], 0, [() => OriginGroups$, 0], [() => CacheBehaviors$, 0], [() => CustomErrorResponses$, 0], () => LoggingConfig$, 0, () => ViewerCertificate$, [() => Restrictions$, 0], 0, 0, 2, 0, 2, 0, [() => TenantConfig$, 0], 0, () => ViewerMtlsConfig$, () => ConnectionFunctionAssociation$, () => CacheTagConfig$], 5
];
var DistributionConfigWithTags$ = [3, n0, _DCWT,
    0,
    [_DC, _Ta],
    [[() => DistributionConfig$, 0], [() => Tags$, 0]], 2
];
var DistributionIdList$ = [3, n0, _DIL,
    0,
    [_Ma, _MI, _ITs, _Q, _NM, _I],
    [0, 1, 2, 1, 0, [() => DistributionIdListSummary, 0]], 4
];
var DistributionIdOwner$ = [3, n0, _DIO,
    0,
    [_DI, _OAI],
    [0, 0], 2
];
var DistributionIdOwnerList$ = [3, n0, _DIOL,
    0,
    [_Ma, _MI, _ITs, _Q, _NM, _I],
    [0, 1, 2, 1, 0, [() => DistributionIdOwnerItemList, 0]], 4
];
var DistributionList$ = [3, n0, _DL,
    0,
    [_Ma, _MI, _ITs, _Q, _NM, _I],
    [0, 1, 2, 1, 0, [() => DistributionSummaryList, 0]], 4
];
var DistributionResourceId$ = [3, n0, _DRI,
    0,
    [_DI, _DTI],
    [0, 0]
];
var DistributionSummary$ = [3, n0, _DS,
    0,
    [_Id, _ARN, _S, _LMT, _DN, _A, _O, _DCB, _CBa, _CERu, _Co, _PC, _E, _VC, _Re, _WACLI, _HV, _IIPVE, _Sta, _ET, _OG, _AICPRl, _CMo, _AILI, _VMC, _CFA],
    [0, 0, 0, 4, 0, [() => Aliases$, 0], [() => Origins$, 0], [() => DefaultCacheBehavior$, 0], [() => CacheBehaviors$, 0], [() => CustomErrorResponses$, 0], [() => sensitiveStringType, 0], 0, 2, () => ViewerCertificate$, [() => Restrictions$, 0], 0, 0, 2, 2, 0, [() => OriginGroups$, 0], [() => AliasICPRecordals, 0], 0, 0, () => ViewerMtlsConfig$, () => ConnectionFunctionAssociation$], 19
];
var DistributionTenant$ = [3, n0, _DT,
    0,
    [_Id, _DI, _N, _Ar, _Do, _Ta, _Cu, _P, _CGI, _CTr, _LMT, _E, _S],
    [0, 0, 0, 0, () => DomainResultList, [() => Tags$, 0], [() => Customizations$, 0], () => _Parameters, 0, 4, 4, 2, 0]
];
var DistributionTenantAssociationFilter$ = [3, n0, _DTAF,
    0,
    [_DI, _CGI],
    [0, 0]
];
var DistributionTenantSummary$ = [3, n0, _DTS,
    0,
    [_Id, _DI, _N, _Ar, _Do, _CTr, _LMT, _ET, _CGI, _Cu, _E, _S],
    [0, 0, 0, 0, () => DomainResultList, 4, 4, 0, 0, [() => Customizations$, 0], 2, 0], 8
];
var DnsConfiguration$ = [3, n0, _DCn,
    0,
    [_Dom, _S, _Rea],
    [0, 0, 0], 2
];
var DomainConflict$ = [3, n0, _DCo,
    0,
    [_Dom, _RT, _RI, _AIc],
    [0, 0, 0, 0], 4
];
var DomainItem$ = [3, n0, _DIo,
    0,
    [_Dom],
    [0], 1
];
var DomainResult$ = [3, n0, _DR,
    0,
    [_Dom, _S],
    [0, 0], 1
];
var EncryptionEntities$ = [3, n0, _EE,
    0,
    [_Q, _I],
    [1, [() => EncryptionEntityList, 0]], 1
];
var EncryptionEntity$ = [3, n0, _EEn,
    0,
    [_PKI, _PIr, _FP],
    [0, 0, [() => FieldPatterns$, 0]], 3
];
var EndPoint$ = [3, n0, _EPn,
    0,
    [_ST, _KSC],
    [0, () => KinesisStreamConfig$], 1
];
var FieldLevelEncryption$ = [3, n0, _FLE,
    0,
    [_Id, _LMT, _FLEC],
    [0, 4, [() => FieldLevelEncryptionConfig$, 0]], 3
];
var FieldLevelEncryptionConfig$ = [3, n0, _FLEC,
    0,
    [_CR, _Co, _QAPC, _CTPC],
    [0, 0, [() => QueryArgProfileConfig$, 0], [() => ContentTypeProfileConfig$, 0]], 1
];
var FieldLevelEncryptionList$ = [3, n0, _FLEL,
    0,
    [_MI, _Q, _NM, _I],
    [1, 1, 0, [() => FieldLevelEncryptionSummaryList, 0]], 2
];
var FieldLevelEncryptionProfile$ = [3, n0, _FLEP,
    0,
    [_Id, _LMT, _FLEPC],
    [0, 4, [() => FieldLevelEncryptionProfileConfig$, 0]], 3
];
var FieldLevelEncryptionProfileConfig$ = [3, n0, _FLEPC,
    0,
    [_N, _CR, _EE, _Co],
    [0, 0, [() => EncryptionEntities$, 0], 0], 3
];
var FieldLevelEncryptionProfileList$ = [3, n0, _FLEPL,
    0,
    [_MI, _Q, _NM, _I],
    [1, 1, 0, [() => FieldLevelEncryptionProfileSummaryList, 0]], 2
];
var FieldLevelEncryptionProfileSummary$ = [3, n0, _FLEPS,
    0,
    [_Id, _LMT, _N, _EE, _Co],
    [0, 4, 0, [() => EncryptionEntities$, 0], 0], 4
];
var FieldLevelEncryptionSummary$ = [3, n0, _FLES,
    0,
    [_Id, _LMT, _Co, _QAPC, _CTPC],
    [0, 4, 0, [() => QueryArgProfileConfig$, 0], [() => ContentTypeProfileConfig$, 0]], 2
];
var FieldPatterns$ = [3, n0, _FP,
    0,
    [_Q, _I],
    [1, [() => FieldPatternList, 0]], 1
];
var ForwardedValues$ = [3, n0, _FV,
    0,
    [_QSu, _Coo, _H, _QSCK],
    [2, [() => CookiePreference$, 0], [() => Headers$, 0], [() => QueryStringCacheKeys$, 0]], 2
];
var FunctionAssociation$ = [3, n0, _FAu,
    0,
    [_FARN, _ETv],
    [0, 0], 2
];
var FunctionAssociations$ = [3, n0, _FA,
    0,
    [_Q, _I],
    [1, [() => FunctionAssociationList, 0]], 1
];
var FunctionConfig$ = [3, n0, _FC,
    0,
    [_Co, _Ru, _KVSA],
    [0, 0, [() => KeyValueStoreAssociations$, 0]], 2
];
var FunctionList$ = [3, n0, _FL,
    0,
    [_MI, _Q, _NM, _I],
    [1, 1, 0, [() => FunctionSummaryList, 0]], 2
];
var FunctionMetadata$ = [3, n0, _FM,
    0,
    [_FARN, _LMT, _St, _CTr],
    [0, 4, 0, 4], 2
];
var FunctionSummary$ = [3, n0, _FS,
    0,
    [_N, _FC, _FM, _S],
    [0, [() => FunctionConfig$, 0], () => FunctionMetadata$, 0], 3
];
var GeoRestriction$ = [3, n0, _GRe,
    0,
    [_RTe, _Q, _I],
    [0, 1, [() => LocationList, 0]], 2
];
var GeoRestrictionCustomization$ = [3, n0, _GRC,
    0,
    [_RTe, _Loc],
    [0, [() => LocationList, 0]], 1
];
var GetAnycastIpListRequest$ = [3, n0, _GAILR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetAnycastIpListResult$ = [3, n0, _GAILRe,
    0,
    [_AIL, _ET],
    [[() => AnycastIpList$, 16], [0, { [_hH]: _ET }]]
];
var GetCachePolicyConfigRequest$ = [3, n0, _GCPCR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetCachePolicyConfigResult$ = [3, n0, _GCPCRe,
    0,
    [_CPC, _ET],
    [[() => CachePolicyConfig$, 16], [0, { [_hH]: _ET }]]
];
var GetCachePolicyRequest$ = [3, n0, _GCPR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetCachePolicyResult$ = [3, n0, _GCPRe,
    0,
    [_CP, _ET],
    [[() => CachePolicy$, 16], [0, { [_hH]: _ET }]]
];
var GetCloudFrontOriginAccessIdentityConfigRequest$ = [3, n0, _GCFOAICR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetCloudFrontOriginAccessIdentityConfigResult$ = [3, n0, _GCFOAICRe,
    0,
    [_CFOAIC, _ET],
    [[() => CloudFrontOriginAccessIdentityConfig$, 16], [0, { [_hH]: _ET }]]
];
var GetCloudFrontOriginAccessIdentityRequest$ = [3, n0, _GCFOAIR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetCloudFrontOriginAccessIdentityResult$ = [3, n0, _GCFOAIRe,
    0,
    [_CFOAI, _ET],
    [[() => CloudFrontOriginAccessIdentity$, 16], [0, { [_hH]: _ET }]]
];
var GetConnectionFunctionRequest$ = [3, n0, _GCFR,
    0,
    [_Ide, _St],
    [[0, 1], [0, { [_hQ]: _St }]], 1
];
var GetConnectionFunctionResult$ = [3, n0, _GCFRe,
    0,
    [_CFCo, _ET, _CTo],
    [[() => FunctionBlob, 16], [0, { [_hH]: _ET }], [0, { [_hH]: _CT_ }]]
];
var GetConnectionGroupByRoutingEndpointRequest$ = [3, n0, _GCGBRER,
    0,
    [_RE],
    [[0, { [_hQ]: _RE }]], 1
];
var GetConnectionGroupByRoutingEndpointResult$ = [3, n0, _GCGBRERe,
    0,
    [_CG, _ET],
    [[() => ConnectionGroup$, 16], [0, { [_hH]: _ET }]]
];
var GetConnectionGroupRequest$ = [3, n0, _GCGR,
    0,
    [_Ide],
    [[0, 1]], 1
];
var GetConnectionGroupResult$ = [3, n0, _GCGRe,
    0,
    [_CG, _ET],
    [[() => ConnectionGroup$, 16], [0, { [_hH]: _ET }]]
];
var GetContinuousDeploymentPolicyConfigRequest$ = [3, n0, _GCDPCR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetContinuousDeploymentPolicyConfigResult$ = [3, n0, _GCDPCRe,
    0,
    [_CDPC, _ET],
    [[() => ContinuousDeploymentPolicyConfig$, 16], [0, { [_hH]: _ET }]]
];
var GetContinuousDeploymentPolicyRequest$ = [3, n0, _GCDPR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetContinuousDeploymentPolicyResult$ = [3, n0, _GCDPRe,
    0,
    [_CDP, _ET],
    [[() => ContinuousDeploymentPolicy$, 16], [0, { [_hH]: _ET }]]
];
var GetDistributionConfigRequest$ = [3, n0, _GDCR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetDistributionConfigResult$ = [3, n0, _GDCRe,
    0,
    [_DC, _ET],
    [[() => DistributionConfig$, 16], [0, { [_hH]: _ET }]]
];
var GetDistributionRequest$ = [3, n0, _GDR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetDistributionResult$ = [3, n0, _GDRe,
    0,
    [_D, _ET],
    [[() => Distribution$, 16], [0, { [_hH]: _ET }]]
];
var GetDistributionTenantByDomainRequest$ = [3, n0, _GDTBDR,
    0,
    [_Dom],
    [[0, { [_hQ]: _d }]], 1
];
var GetDistributionTenantByDomainResult$ = [3, n0, _GDTBDRe,
    0,
    [_DT, _ET],
    [[() => DistributionTenant$, 16], [0, { [_hH]: _ET }]]
];
var GetDistributionTenantRequest$ = [3, n0, _GDTR,
    0,
    [_Ide],
    [[0, 1]], 1
];
var GetDistributionTenantResult$ = [3, n0, _GDTRe,
    0,
    [_DT, _ET],
    [[() => DistributionTenant$, 16], [0, { [_hH]: _ET }]]
];
var GetFieldLevelEncryptionConfigRequest$ = [3, n0, _GFLECR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetFieldLevelEncryptionConfigResult$ = [3, n0, _GFLECRe,
    0,
    [_FLEC, _ET],
    [[() => FieldLevelEncryptionConfig$, 16], [0, { [_hH]: _ET }]]
];
var GetFieldLevelEncryptionProfileConfigRequest$ = [3, n0, _GFLEPCR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetFieldLevelEncryptionProfileConfigResult$ = [3, n0, _GFLEPCRe,
    0,
    [_FLEPC, _ET],
    [[() => FieldLevelEncryptionProfileConfig$, 16], [0, { [_hH]: _ET }]]
];
var GetFieldLevelEncryptionProfileRequest$ = [3, n0, _GFLEPR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetFieldLevelEncryptionProfileResult$ = [3, n0, _GFLEPRe,
    0,
    [_FLEP, _ET],
    [[() => FieldLevelEncryptionProfile$, 16], [0, { [_hH]: _ET }]]
];
var GetFieldLevelEncryptionRequest$ = [3, n0, _GFLER,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetFieldLevelEncryptionResult$ = [3, n0, _GFLERe,
    0,
    [_FLE, _ET],
    [[() => FieldLevelEncryption$, 16], [0, { [_hH]: _ET }]]
];
var GetFunctionRequest$ = [3, n0, _GFR,
    0,
    [_N, _St],
    [[0, 1], [0, { [_hQ]: _St }]], 1
];
var GetFunctionResult$ = [3, n0, _GFRe,
    0,
    [_FCu, _ET, _CTo],
    [[() => FunctionBlob, 16], [0, { [_hH]: _ET }], [0, { [_hH]: _CT_ }]]
];
var GetInvalidationForDistributionTenantRequest$ = [3, n0, _GIFDTR,
    0,
    [_DTI, _Id],
    [[0, 1], [0, 1]], 2
];
var GetInvalidationForDistributionTenantResult$ = [3, n0, _GIFDTRe,
    0,
    [_In],
    [[() => Invalidation$, 16]]
];
var GetInvalidationRequest$ = [3, n0, _GIR,
    0,
    [_DI, _Id],
    [[0, 1], [0, 1]], 2
];
var GetInvalidationResult$ = [3, n0, _GIRe,
    0,
    [_In],
    [[() => Invalidation$, 16]]
];
var GetKeyGroupConfigRequest$ = [3, n0, _GKGCR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetKeyGroupConfigResult$ = [3, n0, _GKGCRe,
    0,
    [_KGC, _ET],
    [[() => KeyGroupConfig$, 16], [0, { [_hH]: _ET }]]
];
var GetKeyGroupRequest$ = [3, n0, _GKGR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetKeyGroupResult$ = [3, n0, _GKGRe,
    0,
    [_KG, _ET],
    [[() => KeyGroup$, 16], [0, { [_hH]: _ET }]]
];
var GetManagedCertificateDetailsRequest$ = [3, n0, _GMCDR,
    0,
    [_Ide],
    [[0, 1]], 1
];
var GetManagedCertificateDetailsResult$ = [3, n0, _GMCDRe,
    0,
    [_MCD],
    [[() => ManagedCertificateDetails$, 16]]
];
var GetMonitoringSubscriptionRequest$ = [3, n0, _GMSR,
    0,
    [_DI],
    [[0, 1]], 1
];
var GetMonitoringSubscriptionResult$ = [3, n0, _GMSRe,
    0,
    [_MS],
    [[() => MonitoringSubscription$, 16]]
];
var GetOriginAccessControlConfigRequest$ = [3, n0, _GOACCR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetOriginAccessControlConfigResult$ = [3, n0, _GOACCRe,
    0,
    [_OACC, _ET],
    [[() => OriginAccessControlConfig$, 16], [0, { [_hH]: _ET }]]
];
var GetOriginAccessControlRequest$ = [3, n0, _GOACR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetOriginAccessControlResult$ = [3, n0, _GOACRe,
    0,
    [_OAC, _ET],
    [[() => OriginAccessControl$, 16], [0, { [_hH]: _ET }]]
];
var GetOriginRequestPolicyConfigRequest$ = [3, n0, _GORPCR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetOriginRequestPolicyConfigResult$ = [3, n0, _GORPCRe,
    0,
    [_ORPC, _ET],
    [[() => OriginRequestPolicyConfig$, 16], [0, { [_hH]: _ET }]]
];
var GetOriginRequestPolicyRequest$ = [3, n0, _GORPR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetOriginRequestPolicyResult$ = [3, n0, _GORPRe,
    0,
    [_ORP, _ET],
    [[() => OriginRequestPolicy$, 16], [0, { [_hH]: _ET }]]
];
var GetPublicKeyConfigRequest$ = [3, n0, _GPKCR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetPublicKeyConfigResult$ = [3, n0, _GPKCRe,
    0,
    [_PKC, _ET],
    [[() => PublicKeyConfig$, 16], [0, { [_hH]: _ET }]]
];
var GetPublicKeyRequest$ = [3, n0, _GPKR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetPublicKeyResult$ = [3, n0, _GPKRe,
    0,
    [_PK, _ET],
    [[() => PublicKey$, 16], [0, { [_hH]: _ET }]]
];
var GetRealtimeLogConfigRequest$ = [3, n0, _GRLCR,
    0,
    [_N, _ARN],
    [0, 0]
];
var GetRealtimeLogConfigResult$ = [3, n0, _GRLCRe,
    0,
    [_RLC],
    [[() => RealtimeLogConfig$, 0]]
];
var GetResourcePolicyRequest$ = [3, n0, _GRPR,
    0,
    [_RA],
    [0], 1
];
var GetResourcePolicyResult$ = [3, n0, _GRPRe,
    0,
    [_RA, _PD],
    [0, 0]
];
var GetResponseHeadersPolicyConfigRequest$ = [3, n0, _GRHPCR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetResponseHeadersPolicyConfigResult$ = [3, n0, _GRHPCRe,
    0,
    [_RHPC, _ET],
    [[() => ResponseHeadersPolicyConfig$, 16], [0, { [_hH]: _ET }]]
];
var GetResponseHeadersPolicyRequest$ = [3, n0, _GRHPR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetResponseHeadersPolicyResult$ = [3, n0, _GRHPRe,
    0,
    [_RHP, _ET],
    [[() => ResponseHeadersPolicy$, 16], [0, { [_hH]: _ET }]]
];
var GetStreamingDistributionConfigRequest$ = [3, n0, _GSDCR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetStreamingDistributionConfigResult$ = [3, n0, _GSDCRe,
    0,
    [_SDC, _ET],
    [[() => StreamingDistributionConfig$, 16], [0, { [_hH]: _ET }]]
];
var GetStreamingDistributionRequest$ = [3, n0, _GSDR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetStreamingDistributionResult$ = [3, n0, _GSDRe,
    0,
    [_SD, _ET],
    [[() => StreamingDistribution$, 16], [0, { [_hH]: _ET }]]
];
var GetTrustStoreRequest$ = [3, n0, _GTSR,
    0,
    [_Ide],
    [[0, 1]], 1
];
var GetTrustStoreResult$ = [3, n0, _GTSRe,
    0,
    [_TSr, _ET],
    [[() => TrustStore$, 16], [0, { [_hH]: _ET }]]
];
var GetVpcOriginRequest$ = [3, n0, _GVOR,
    0,
    [_Id],
    [[0, 1]], 1
];
var GetVpcOriginResult$ = [3, n0, _GVORe,
    0,
    [_VO, _ET],
    [[() => VpcOrigin$, 16], [0, { [_hH]: _ET }]]
];
var GrpcConfig$ = [3, n0, _GC,
    0,
    [_E],
    [2], 1
];
var Headers$ = [3, n0, _H,
    0,
    [_Q, _I],
    [1, [() => HeaderList, 0]], 1
];
var ImportSource$ = [3, n0, _IS,
    0,
    [_STo, _SARN],
    [0, 0], 2
];
var Invalidation$ = [3, n0, _In,
    0,
    [_Id, _S, _CTre, _IB],
    [0, 0, 4, [() => InvalidationBatch$, 0]], 4
];
var InvalidationBatch$ = [3, n0, _IB,
    0,
    [_Pa, _CR],
    [[() => Paths$, 0], 0], 2
];
var InvalidationList$ = [3, n0, _IL,
    0,
    [_Ma, _MI, _ITs, _Q, _NM, _I],
    [0, 1, 2, 1, 0, [() => InvalidationSummaryList, 0]], 4
];
var InvalidationSummary$ = [3, n0, _ISn,
    0,
    [_Id, _CTre, _S],
    [0, 4, 0], 3
];
var IpamCidrConfig$ = [3, n0, _ICCp,
    0,
    [_Ci, _IPA, _AIn, _S],
    [0, 0, 0, 0], 2
];
var IpamConfig$ = [3, n0, _ICp,
    0,
    [_Q, _ICC],
    [1, [() => IpamCidrConfigList, 0]], 2
];
var KeyGroup$ = [3, n0, _KG,
    0,
    [_Id, _LMT, _KGC],
    [0, 4, [() => KeyGroupConfig$, 0]], 3
];
var KeyGroupConfig$ = [3, n0, _KGC,
    0,
    [_N, _I, _Co],
    [0, [() => PublicKeyIdList, 0], 0], 2
];
var KeyGroupList$ = [3, n0, _KGL,
    0,
    [_MI, _Q, _NM, _I],
    [1, 1, 0, [() => KeyGroupSummaryList, 0]], 2
];
var KeyGroupSummary$ = [3, n0, _KGS,
    0,
    [_KG],
    [[() => KeyGroup$, 0]], 1
];
var KeyPairIds$ = [3, n0, _KPI,
    0,
    [_Q, _I],
    [1, [() => KeyPairIdList, 0]], 1
];
var KeyValueStore$ = [3, n0, _KVS,
    0,
    [_N, _Id, _Co, _ARN, _LMT, _S],
    [0, 0, 0, 0, 4, 0], 5
];
var KeyValueStoreAssociation$ = [3, n0, _KVSAe,
    0,
    [_KVSARN],
    [0], 1
];
var KeyValueStoreAssociations$ = [3, n0, _KVSA,
    0,
    [_Q, _I],
    [1, [() => KeyValueStoreAssociationList, 0]], 1
];
var KeyValueStoreList$ = [3, n0, _KVSL,
    0,
    [_MI, _Q, _NM, _I],
    [1, 1, 0, [() => KeyValueStoreSummaryList, 0]], 2
];
var KGKeyPairIds$ = [3, n0, _KGKPI,
    0,
    [_KGI, _KPI],
    [0, [() => KeyPairIds$, 0]]
];
var KinesisStreamConfig$ = [3, n0, _KSC,
    0,
    [_RARN, _SARNt],
    [0, 0], 2
];
var LambdaFunctionAssociation$ = [3, n0, _LFAa,
    0,
    [_LFARN, _ETv, _IBn],
    [0, 0, 2], 2
];
var LambdaFunctionAssociations$ = [3, n0, _LFA,
    0,
    [_Q, _I],
    [1, [() => LambdaFunctionAssociationList, 0]], 1
];
var ListAnycastIpListsRequest$ = [3, n0, _LAILR,
    0,
    [_Ma, _MI],
    [[0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]]
];
var ListAnycastIpListsResult$ = [3, n0, _LAILRi,
    0,
    [_AILn],
    [[() => AnycastIpListCollection$, { [_hP]: 1, [_xN]: _AILC }]]
];
var ListCachePoliciesRequest$ = [3, n0, _LCPR,
    0,
    [_T, _Ma, _MI],
    [[0, { [_hQ]: _T }], [0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]]
];
var ListCachePoliciesResult$ = [3, n0, _LCPRi,
    0,
    [_CPL],
    [[() => CachePolicyList$, 16]]
];
var ListCloudFrontOriginAccessIdentitiesRequest$ = [3, n0, _LCFOAIR,
    0,
    [_Ma, _MI],
    [[0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]]
];
var ListCloudFrontOriginAccessIdentitiesResult$ = [3, n0, _LCFOAIRi,
    0,
    [_CFOAIL],
    [[() => CloudFrontOriginAccessIdentityList$, 16]]
];
var ListConflictingAliasesRequest$ = [3, n0, _LCAR,
    0,
    [_DI, _Al, _Ma, _MI],
    [[0, { [_hQ]: _DI }], [0, { [_hQ]: _Al }], [0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]], 2
];
var ListConflictingAliasesResult$ = [3, n0, _LCARi,
    0,
    [_CAL],
    [[() => ConflictingAliasesList$, 16]]
];
var ListConnectionFunctionsRequest$ = [3, n0, _LCFR,
    0,
    [_Ma, _MI, _St],
    [0, 1, 0]
];
var ListConnectionFunctionsResult$ = [3, n0, _LCFRi,
    0,
    [_NM, _CF],
    [0, [() => ConnectionFunctionSummaryList, 0]]
];
var ListConnectionGroupsRequest$ = [3, n0, _LCGR,
    0,
    [_AF, _Ma, _MI],
    [() => ConnectionGroupAssociationFilter$, 0, 1]
];
var ListConnectionGroupsResult$ = [3, n0, _LCGRi,
    0,
    [_NM, _CGo],
    [0, [() => ConnectionGroupSummaryList, 0]]
];
var ListContinuousDeploymentPoliciesRequest$ = [3, n0, _LCDPR,
    0,
    [_Ma, _MI],
    [[0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]]
];
var ListContinuousDeploymentPoliciesResult$ = [3, n0, _LCDPRi,
    0,
    [_CDPL],
    [[() => ContinuousDeploymentPolicyList$, 16]]
];
var ListDistributionsByAnycastIpListIdRequest$ = [3, n0, _LDBAILIR,
    0,
    [_AILI, _Ma, _MI],
    [[0, 1], [0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]], 1
];
var ListDistributionsByAnycastIpListIdResult$ = [3, n0, _LDBAILIRi,
    0,
    [_DL],
    [[() => DistributionList$, 16]]
];
var ListDistributionsByCachePolicyIdRequest$ = [3, n0, _LDBCPIR,
    0,
    [_CPI, _Ma, _MI],
    [[0, 1], [0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]], 1
];
var ListDistributionsByCachePolicyIdResult$ = [3, n0, _LDBCPIRi,
    0,
    [_DIL],
    [[() => DistributionIdList$, 16]]
];
var ListDistributionsByConnectionFunctionRequest$ = [3, n0, _LDBCFR,
    0,
    [_CFI, _Ma, _MI],
    [[0, { [_hQ]: _CFI }], [0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]], 1
];
var ListDistributionsByConnectionFunctionResult$ = [3, n0, _LDBCFRi,
    0,
    [_DL],
    [[() => DistributionList$, 16]]
];
var ListDistributionsByConnectionModeRequest$ = [3, n0, _LDBCMR,
    0,
    [_CMo, _Ma, _MI],
    [[0, 1], [0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]], 1
];
var ListDistributionsByConnectionModeResult$ = [3, n0, _LDBCMRi,
    0,
    [_DL],
    [[() => DistributionList$, 16]]
];
var ListDistributionsByKeyGroupRequest$ = [3, n0, _LDBKGR,
    0,
    [_KGI, _Ma, _MI],
    [[0, 1], [0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]], 1
];
var ListDistributionsByKeyGroupResult$ = [3, n0, _LDBKGRi,
    0,
    [_DIL],
    [[() => DistributionIdList$, 16]]
];
var ListDistributionsByOriginRequestPolicyIdRequest$ = [3, n0, _LDBORPIR,
    0,
    [_ORPI, _Ma, _MI],
    [[0, 1], [0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]], 1
];
var ListDistributionsByOriginRequestPolicyIdResult$ = [3, n0, _LDBORPIRi,
    0,
    [_DIL],
    [[() => DistributionIdList$, 16]]
];
var ListDistributionsByOwnedResourceRequest$ = [3, n0, _LDBORR,
    0,
    [_RA, _Ma, _MI],
    [[0, 1], [0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]], 1
];
var ListDistributionsByOwnedResourceResult$ = [3, n0, _LDBORRi,
    0,
    [_DL],
    [[() => DistributionIdOwnerList$, 16]]
];
var ListDistributionsByRealtimeLogConfigRequest$ = [3, n0, _LDBRLCR,
    0,
    [_Ma, _MI, _RLCN, _RLCA],
    [0, 1, 0, 0]
];
var ListDistributionsByRealtimeLogConfigResult$ = [3, n0, _LDBRLCRi,
    0,
    [_DL],
    [[() => DistributionList$, 16]]
];
var ListDistributionsByResponseHeadersPolicyIdRequest$ = [3, n0, _LDBRHPIR,
    0,
    [_RHPI, _Ma, _MI],
    [[0, 1], [0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]], 1
];
var ListDistributionsByResponseHeadersPolicyIdResult$ = [3, n0, _LDBRHPIRi,
    0,
    [_DIL],
    [[() => DistributionIdList$, 16]]
];
var ListDistributionsByTrustStoreRequest$ = [3, n0, _LDBTSR,
    0,
    [_TSI, _Ma, _MI],
    [[0, { [_hQ]: _TSI }], [0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]], 1
];
var ListDistributionsByTrustStoreResult$ = [3, n0, _LDBTSRi,
    0,
    [_DL],
    [[() => DistributionList$, 16]]
];
var ListDistributionsByVpcOriginIdRequest$ = [3, n0, _LDBVOIR,
    0,
    [_VOI, _Ma, _MI],
    [[0, 1], [0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]], 1
];
var ListDistributionsByVpcOriginIdResult$ = [3, n0, _LDBVOIRi,
    0,
    [_DIL],
    [[() => DistributionIdList$, 16]]
];
var ListDistributionsByWebACLIdRequest$ = [3, n0, _LDBWACLIR,
    0,
    [_WACLI, _Ma, _MI],
    [[0, 1], [0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]], 1
];
var ListDistributionsByWebACLIdResult$ = [3, n0, _LDBWACLIRi,
    0,
    [_DL],
    [[() => DistributionList$, 16]]
];
var ListDistributionsRequest$ = [3, n0, _LDR,
    0,
    [_Ma, _MI],
    [[0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]]
];
var ListDistributionsResult$ = [3, n0, _LDRi,
    0,
    [_DL],
    [[() => DistributionList$, 16]]
];
var ListDistributionTenantsByCustomizationRequest$ = [3, n0, _LDTBCR,
    0,
    [_WACLA, _CAe, _Ma, _MI],
    [0, 0, 0, 1]
];
var ListDistributionTenantsByCustomizationResult$ = [3, n0, _LDTBCRi,
    0,
    [_NM, _DTL],
    [0, [() => DistributionTenantList, 0]]
];
var ListDistributionTenantsRequest$ = [3, n0, _LDTR,
    0,
    [_AF, _Ma, _MI],
    [() => DistributionTenantAssociationFilter$, 0, 1]
];
var ListDistributionTenantsResult$ = [3, n0, _LDTRi,
    0,
    [_NM, _DTL],
    [0, [() => DistributionTenantList, 0]]
];
var ListDomainConflictsRequest$ = [3, n0, _LDCR,
    0,
    [_Dom, _DCVR, _MI, _Ma],
    [0, () => DistributionResourceId$, 1, 0], 2
];
var ListDomainConflictsResult$ = [3, n0, _LDCRi,
    0,
    [_DCom, _NM],
    [[() => DomainConflictsList, 0], 0]
];
var ListFieldLevelEncryptionConfigsRequest$ = [3, n0, _LFLECR,
    0,
    [_Ma, _MI],
    [[0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]]
];
var ListFieldLevelEncryptionConfigsResult$ = [3, n0, _LFLECRi,
    0,
    [_FLEL],
    [[() => FieldLevelEncryptionList$, 16]]
];
var ListFieldLevelEncryptionProfilesRequest$ = [3, n0, _LFLEPR,
    0,
    [_Ma, _MI],
    [[0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]]
];
var ListFieldLevelEncryptionProfilesResult$ = [3, n0, _LFLEPRi,
    0,
    [_FLEPL],
    [[() => FieldLevelEncryptionProfileList$, 16]]
];
var ListFunctionsRequest$ = [3, n0, _LFR,
    0,
    [_Ma, _MI, _St],
    [[0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }], [0, { [_hQ]: _St }]]
];
var ListFunctionsResult$ = [3, n0, _LFRi,
    0,
    [_FL],
    [[() => FunctionList$, 16]]
];
var ListInvalidationsForDistributionTenantRequest$ = [3, n0, _LIFDTR,
    0,
    [_Id, _Ma, _MI],
    [[0, 1], [0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]], 1
];
var ListInvalidationsForDistributionTenantResult$ = [3, n0, _LIFDTRi,
    0,
    [_IL],
    [[() => InvalidationList$, 16]]
];
var ListInvalidationsRequest$ = [3, n0, _LIR,
    0,
    [_DI, _Ma, _MI],
    [[0, 1], [0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]], 1
];
var ListInvalidationsResult$ = [3, n0, _LIRi,
    0,
    [_IL],
    [[() => InvalidationList$, 16]]
];
var ListKeyGroupsRequest$ = [3, n0, _LKGR,
    0,
    [_Ma, _MI],
    [[0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]]
];
var ListKeyGroupsResult$ = [3, n0, _LKGRi,
    0,
    [_KGL],
    [[() => KeyGroupList$, 16]]
];
var ListKeyValueStoresRequest$ = [3, n0, _LKVSR,
    0,
    [_Ma, _MI, _S],
    [[0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }], [0, { [_hQ]: _S }]]
];
var ListKeyValueStoresResult$ = [3, n0, _LKVSRi,
    0,
    [_KVSL],
    [[() => KeyValueStoreList$, 16]]
];
var ListOriginAccessControlsRequest$ = [3, n0, _LOACR,
    0,
    [_Ma, _MI],
    [[0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]]
];
var ListOriginAccessControlsResult$ = [3, n0, _LOACRi,
    0,
    [_OACL],
    [[() => OriginAccessControlList$, 16]]
];
var ListOriginRequestPoliciesRequest$ = [3, n0, _LORPR,
    0,
    [_T, _Ma, _MI],
    [[0, { [_hQ]: _T }], [0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]]
];
var ListOriginRequestPoliciesResult$ = [3, n0, _LORPRi,
    0,
    [_ORPL],
    [[() => OriginRequestPolicyList$, 16]]
];
var ListPublicKeysRequest$ = [3, n0, _LPKR,
    0,
    [_Ma, _MI],
    [[0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]]
];
var ListPublicKeysResult$ = [3, n0, _LPKRi,
    0,
    [_PKL],
    [[() => PublicKeyList$, 16]]
];
var ListRealtimeLogConfigsRequest$ = [3, n0, _LRLCR,
    0,
    [_MI, _Ma],
    [[1, { [_hQ]: _MI }], [0, { [_hQ]: _Ma }]]
];
var ListRealtimeLogConfigsResult$ = [3, n0, _LRLCRi,
    0,
    [_RLCe],
    [[() => RealtimeLogConfigs$, 16]]
];
var ListResponseHeadersPoliciesRequest$ = [3, n0, _LRHPR,
    0,
    [_T, _Ma, _MI],
    [[0, { [_hQ]: _T }], [0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]]
];
var ListResponseHeadersPoliciesResult$ = [3, n0, _LRHPRi,
    0,
    [_RHPL],
    [[() => ResponseHeadersPolicyList$, 16]]
];
var ListStreamingDistributionsRequest$ = [3, n0, _LSDR,
    0,
    [_Ma, _MI],
    [[0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]]
];
var ListStreamingDistributionsResult$ = [3, n0, _LSDRi,
    0,
    [_SDL],
    [[() => StreamingDistributionList$, 16]]
];
var ListTagsForResourceRequest$ = [3, n0, _LTFRR,
    0,
    [_Res],
    [[0, { [_hQ]: _Res }]], 1
];
var ListTagsForResourceResult$ = [3, n0, _LTFRRi,
    0,
    [_Ta],
    [[() => Tags$, 16]], 1
];
var ListTrustStoresRequest$ = [3, n0, _LTSR,
    0,
    [_Ma, _MI],
    [0, 1]
];
var ListTrustStoresResult$ = [3, n0, _LTSRi,
    0,
    [_NM, _TSL],
    [0, [() => TrustStoreList, 0]]
];
var ListVpcOriginsRequest$ = [3, n0, _LVOR,
    0,
    [_Ma, _MI],
    [[0, { [_hQ]: _Ma }], [1, { [_hQ]: _MI }]]
];
var ListVpcOriginsResult$ = [3, n0, _LVORi,
    0,
    [_VOL],
    [[() => VpcOriginList$, 16]]
];
var LoggingConfig$ = [3, n0, _LC,
    0,
    [_E, _ICn, _B, _Pr],
    [2, 2, 0, 0]
];
var ManagedCertificateDetails$ = [3, n0, _MCD,
    0,
    [_CAe, _CS, _VTH, _VTD],
    [0, 0, 0, () => ValidationTokenDetailList]
];
var ManagedCertificateRequest$ = [3, n0, _MCR,
    0,
    [_VTH, _PDN, _CTLP],
    [0, 0, 0], 1
];
var MonitoringSubscription$ = [3, n0, _MS,
    0,
    [_RMSC],
    [() => RealtimeMetricsSubscriptionConfig$]
];
var Origin$ = [3, n0, _Or,
    0,
    [_Id, _DN, _OP, _CH, _SOC, _COC, _VOC, _CAo, _CTon, _RCT, _OS, _OACI],
    [0, 0, 0, [() => CustomHeaders$, 0], () => S3OriginConfig$, [() => CustomOriginConfig$, 0], () => VpcOriginConfig$, 1, 1, 1, () => OriginShield$, 0], 2
];
var OriginAccessControl$ = [3, n0, _OAC,
    0,
    [_Id, _OACC],
    [0, () => OriginAccessControlConfig$], 1
];
var OriginAccessControlConfig$ = [3, n0, _OACC,
    0,
    [_N, _SP, _SB, _OACOT, _De],
    [0, 0, 0, 0, 0], 4
];
var OriginAccessControlList$ = [3, n0, _OACL,
    0,
    [_Ma, _MI, _ITs, _Q, _NM, _I],
    [0, 1, 2, 1, 0, [() => OriginAccessControlSummaryList, 0]], 4
];
var OriginAccessControlSummary$ = [3, n0, _OACS,
    0,
    [_Id, _De, _N, _SP, _SB, _OACOT],
    [0, 0, 0, 0, 0, 0], 6
];
var OriginCustomHeader$ = [3, n0, _OCH,
    0,
    [_HN, _HVe],
    [0, [() => sensitiveStringType, 0]], 2
];
var OriginGroup$ = [3, n0, _OGr,
    0,
    [_Id, _FCa, _Me, _SC],
    [0, [() => OriginGroupFailoverCriteria$, 0], [() => OriginGroupMembers$, 0], 0], 3
];
var OriginGroupFailoverCriteria$ = [3, n0, _OGFC,
    0,
    [_SCt],
    [[() => StatusCodes$, 0]], 1
];
var OriginGroupMember$ = [3, n0, _OGM,
    0,
    [_OI],
    [0], 1
];
var OriginGroupMembers$ = [3, n0, _OGMr,
    0,
    [_Q, _I],
    [1, [() => OriginGroupMemberList, 0]], 2
];
var OriginGroups$ = [3, n0, _OG,
    0,
    [_Q, _I],
    [1, [() => OriginGroupList, 0]], 1
];
var OriginMtlsConfig$ = [3, n0, _OMC,
    0,
    [_CCA],
    [0], 1
];
var OriginRequestPolicy$ = [3, n0, _ORP,
    0,
    [_Id, _LMT, _ORPC],
    [0, 4, [() => OriginRequestPolicyConfig$, 0]], 3
];
var OriginRequestPolicyConfig$ = [3, n0, _ORPC,
    0,
    [_N, _HC, _CC, _QSC, _Co],
    [0, [() => OriginRequestPolicyHeadersConfig$, 0], [() => OriginRequestPolicyCookiesConfig$, 0], [() => OriginRequestPolicyQueryStringsConfig$, 0], 0], 4
];
var OriginRequestPolicyCookiesConfig$ = [3, n0, _ORPCC,
    0,
    [_CBo, _Coo],
    [0, [() => CookieNames$, 0]], 1
];
var OriginRequestPolicyHeadersConfig$ = [3, n0, _ORPHC,
    0,
    [_HB, _H],
    [0, [() => Headers$, 0]], 1
];
var OriginRequestPolicyList$ = [3, n0, _ORPL,
    0,
    [_MI, _Q, _NM, _I],
    [1, 1, 0, [() => OriginRequestPolicySummaryList, 0]], 2
];
var OriginRequestPolicyQueryStringsConfig$ = [3, n0, _ORPQSC,
    0,
    [_QSB, _QS],
    [0, [() => QueryStringNames$, 0]], 1
];
var OriginRequestPolicySummary$ = [3, n0, _ORPS,
    0,
    [_T, _ORP],
    [0, [() => OriginRequestPolicy$, 0]], 2
];
var Origins$ = [3, n0, _O,
    0,
    [_Q, _I],
    [1, [() => OriginList, 0]], 2
];
var OriginShield$ = [3, n0, _OS,
    0,
    [_E, _OSR],
    [2, 0], 1
];
var OriginSslProtocols$ = [3, n0, _OSP,
    0,
    [_Q, _I],
    [1, [() => SslProtocolsList, 0]], 2
];
var Parameter$ = [3, n0, _Par,
    0,
    [_N, _Va],
    [0, 0], 2
];
var ParameterDefinition$ = [3, n0, _PDa,
    0,
    [_N, _Def],
    [0, [() => ParameterDefinitionSchema$, 0]], 2
];
var ParameterDefinitionSchema$ = [3, n0, _PDS,
    0,
    [_SSt],
    [[() => StringSchemaConfig$, 0]]
];
var ParametersInCacheKeyAndForwardedToOrigin$ = [3, n0, _PICKAFTO,
    0,
    [_EAEG, _HC, _CC, _QSC, _EAEB],
    [2, [() => CachePolicyHeadersConfig$, 0], [() => CachePolicyCookiesConfig$, 0], [() => CachePolicyQueryStringsConfig$, 0], 2], 4
];
var Paths$ = [3, n0, _Pa,
    0,
    [_Q, _I],
    [1, [() => PathList, 0]], 1
];
var PublicKey$ = [3, n0, _PK,
    0,
    [_Id, _CTr, _PKC],
    [0, 4, () => PublicKeyConfig$], 3
];
var PublicKeyConfig$ = [3, n0, _PKC,
    0,
    [_CR, _N, _EK, _Co],
    [0, 0, 0, 0], 3
];
var PublicKeyList$ = [3, n0, _PKL,
    0,
    [_MI, _Q, _NM, _I],
    [1, 1, 0, [() => PublicKeySummaryList, 0]], 2
];
var PublicKeySummary$ = [3, n0, _PKS,
    0,
    [_Id, _N, _CTr, _EK, _Co],
    [0, 0, 4, 0, 0], 4
];
var PublishConnectionFunctionRequest$ = [3, n0, _PCFR,
    0,
    [_Id, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 2
];
var PublishConnectionFunctionResult$ = [3, n0, _PCFRu,
    0,
    [_CFS],
    [[() => ConnectionFunctionSummary$, 16]]
];
var PublishFunctionRequest$ = [3, n0, _PFR,
    0,
    [_N, _IM],
    [[0, 1], [0, { [_hH]: _IM_ }]], 2
];
var PublishFunctionResult$ = [3, n0, _PFRu,
    0,
    [_FS],
    [[() => FunctionSummary$, 16]]
];
var PutResourcePolicyRequest$ = [3, n0, _PRPR,
    0,
    [_RA, _PD],
    [0, 0], 2
];
var PutResourcePolicyResult$ = [3, n0, _PRPRu,
    0,
    [_RA],
    [0]
];
var QueryArgProfile$ = [3, n0, _QAP,
    0,
    [_QA, _PI],
    [0, 0], 2
];
var QueryArgProfileConfig$ = [3, n0, _QAPC,
    0,
    [_FWQAPIU, _QAPu],
    [2, [() => QueryArgProfiles$, 0]], 1
];
var QueryArgProfiles$ = [3, n0, _QAPu,
    0,
    [_Q, _I],
    [1, [() => QueryArgProfileList, 0]], 1
];
var QueryStringCacheKeys$ = [3, n0, _QSCK,
    0,
    [_Q, _I],
    [1, [() => QueryStringCacheKeysList, 0]], 1
];
var QueryStringNames$ = [3, n0, _QSN,
    0,
    [_Q, _I],
    [1, [() => QueryStringNamesList, 0]], 1
];
var RealtimeLogConfig$ = [3, n0, _RLC,
    0,
    [_ARN, _N, _SR, _EP, _Fi],
    [0, 0, 1, () => EndPointList, [() => FieldList, 0]], 5
];
var RealtimeLogConfigs$ = [3, n0, _RLCe,
    0,
    [_MI, _ITs, _Ma, _I, _NM],
    [1, 2, 0, [() => RealtimeLogConfigList, 0], 0], 3
];
var RealtimeMetricsSubscriptionConfig$ = [3, n0, _RMSC,
    0,
    [_RMSS],
    [0], 1
];
var ResponseHeadersPolicy$ = [3, n0, _RHP,
    0,
    [_Id, _LMT, _RHPC],
    [0, 4, [() => ResponseHeadersPolicyConfig$, 0]], 3
];
var ResponseHeadersPolicyAccessControlAllowHeaders$ = [3, n0, _RHPACAH,
    0,
    [_Q, _I],
    [1, [() => AccessControlAllowHeadersList, 0]], 2
];
var ResponseHeadersPolicyAccessControlAllowMethods$ = [3, n0, _RHPACAM,
    0,
    [_Q, _I],
    [1, [() => AccessControlAllowMethodsList, 0]], 2
];
var ResponseHeadersPolicyAccessControlAllowOrigins$ = [3, n0, _RHPACAO,
    0,
    [_Q, _I],
    [1, [() => AccessControlAllowOriginsList, 0]], 2
];
var ResponseHeadersPolicyAccessControlExposeHeaders$ = [3, n0, _RHPACEH,
    0,
    [_Q, _I],
    [1, [() => AccessControlExposeHeadersList, 0]], 1
];
var ResponseHeadersPolicyConfig$ = [3, n0, _RHPC,
    0,
    [_N, _Co, _CCo, _SHC, _STHC, _CHC, _RHC],
    [0, 0, [() => ResponseHeadersPolicyCorsConfig$, 0], () => ResponseHeadersPolicySecurityHeadersConfig$, () => ResponseHeadersPolicyServerTimingHeadersConfig$, [() => ResponseHeadersPolicyCustomHeadersConfig$, 0], [() => ResponseHeadersPolicyRemoveHeadersConfig$, 0]], 1
];
var ResponseHeadersPolicyContentSecurityPolicy$ = [3, n0, _RHPCSP,
    0,
    [_Ov, _CSP],
    [2, 0], 2
];
var ResponseHeadersPolicyContentTypeOptions$ = [3, n0, _RHPCTO,
    0,
    [_Ov],
    [2], 1
];
var ResponseHeadersPolicyCorsConfig$ = [3, n0, _RHPCC,
    0,
    [_ACAO, _ACAH, _ACAM, _ACAC, _OO, _ACEH, _ACMAS],
    [[() => ResponseHeadersPolicyAccessControlAllowOrigins$, 0], [() => ResponseHeadersPolicyAccessControlAllowHeaders$, 0], [() => ResponseHeadersPolicyAccessControlAllowMethods$, 0], 2, 2, [() => ResponseHeadersPolicyAccessControlExposeHeaders$, 0], 1], 5
];
var ResponseHeadersPolicyCustomHeader$ = [3, n0, _RHPCH,
    0,
    [_He, _Va, _Ov],
    [0, 0, 2], 3
];
var ResponseHeadersPolicyCustomHeadersConfig$ = [3, n0, _RHPCHC,
    0,
    [_Q, _I],
    [1, [() => ResponseHeadersPolicyCustomHeaderList, 0]], 1
];
var ResponseHeadersPolicyFrameOptions$ = [3, n0, _RHPFO,
    0,
    [_Ov, _FO],
    [2, 0], 2
];
var ResponseHeadersPolicyList$ = [3, n0, _RHPL,
    0,
    [_MI, _Q, _NM, _I],
    [1, 1, 0, [() => ResponseHeadersPolicySummaryList, 0]], 2
];
var ResponseHeadersPolicyReferrerPolicy$ = [3, n0, _RHPRP,
    0,
    [_Ov, _RP],
    [2, 0], 2
];
var ResponseHeadersPolicyRemoveHeader$ = [3, n0, _RHPRH,
    0,
    [_He],
    [0], 1
];
var ResponseHeadersPolicyRemoveHeadersConfig$ = [3, n0, _RHPRHC,
    0,
    [_Q, _I],
    [1, [() => ResponseHeadersPolicyRemoveHeaderList, 0]], 1
];
var ResponseHeadersPolicySecurityHeadersConfig$ = [3, n0, _RHPSHC,
    0,
    [_XSSP, _FOr, _RP, _CSP, _CTO, _STS],
    [() => ResponseHeadersPolicyXSSProtection$, () => ResponseHeadersPolicyFrameOptions$, () => ResponseHeadersPolicyReferrerPolicy$, () => ResponseHeadersPolicyContentSecurityPolicy$, () => ResponseHeadersPolicyContentTypeOptions$, () => ResponseHeadersPolicyStrictTransportSecurity$]
];
var ResponseHeadersPolicyServerTimingHeadersConfig$ = [3, n0, _RHPSTHC,
    0,
    [_E, _SR],
    [2, 1], 1
];
var ResponseHeadersPolicyStrictTransportSecurity$ = [3, n0, _RHPSTS,
    0,
    [_Ov, _ACMAS, _ISnc, _Pre],
    [2, 1, 2, 2], 2
];
var ResponseHeadersPolicySummary$ = [3, n0, _RHPS,
    0,
    [_T, _RHP],
    [0, [() => ResponseHeadersPolicy$, 0]], 2
];
var ResponseHeadersPolicyXSSProtection$ = [3, n0, _RHPXSSP,
    0,
    [_Ov, _Pro, _MBo, _RU],
    [2, 2, 2, 0], 2
];
var Restrictions$ = [3, n0, _Re,
    0,
    [_GRe],
    [[() => GeoRestriction$, 0]], 1
];
var S3Origin$ = [3, n0, _SO,
    0,
    [_DN, _OAIr],
    [0, 0], 2
];
var S3OriginConfig$ = [3, n0, _SOC,
    0,
    [_OAIr, _ORT],
    [0, 1], 1
];
var SessionStickinessConfig$ = [3, n0, _SSC,
    0,
    [_ITTL, _MTTLax],
    [1, 1], 2
];
var Signer$ = [3, n0, _Si,
    0,
    [_AAN, _KPI],
    [0, [() => KeyPairIds$, 0]]
];
var StagingDistributionDnsNames$ = [3, n0, _SDDN,
    0,
    [_Q, _I],
    [1, [() => StagingDistributionDnsNameList, 0]], 1
];
var StatusCodes$ = [3, n0, _SCt,
    0,
    [_Q, _I],
    [1, [() => StatusCodeList, 0]], 2
];
var StreamingDistribution$ = [3, n0, _SD,
    0,
    [_Id, _ARN, _S, _DN, _ATS, _SDC, _LMT],
    [0, 0, 0, 0, [() => ActiveTrustedSigners$, 0], [() => StreamingDistributionConfig$, 0], 4], 6
];
var StreamingDistributionConfig$ = [3, n0, _SDC,
    0,
    [_CR, _SO, _Co, _TS, _E, _A, _Lo, _PC],
    [0, () => S3Origin$, 0, [() => TrustedSigners$, 0], 2, [() => Aliases$, 0], () => StreamingLoggingConfig$, 0], 5
];
var StreamingDistributionConfigWithTags$ = [3, n0, _SDCWT,
    0,
    [_SDC, _Ta],
    [[() => StreamingDistributionConfig$, 0], [() => Tags$, 0]], 2
];
var StreamingDistributionList$ = [3, n0, _SDL,
    0,
    [_Ma, _MI, _ITs, _Q, _NM, _I],
    [0, 1, 2, 1, 0, [() => StreamingDistributionSummaryList, 0]], 4
];
var StreamingDistributionSummary$ = [3, n0, _SDS,
    0,
    [_Id, _ARN, _S, _LMT, _DN, _SO, _A, _TS, _Co, _PC, _E],
    [0, 0, 0, 4, 0, () => S3Origin$, [() => Aliases$, 0], [() => TrustedSigners$, 0], 0, 0, 2], 11
];
var StreamingLoggingConfig$ = [3, n0, _SLC,
    0,
    [_E, _B, _Pr],
    [2, 0, 0], 3
];
var StringSchemaConfig$ = [3, n0, _SSCt,
    0,
    [_Req, _Co, _DV],
    [2, [() => sensitiveStringType, 0], 0], 1
];
var Tag$ = [3, n0, _Tag,
    0,
    [_K, _Va],
    [0, 0], 1
];
var TagKeys$ = [3, n0, _TK,
    0,
    [_I],
    [[() => TagKeyList, 0]]
];
var TagResourceRequest$ = [3, n0, _TRR,
    0,
    [_Res, _Ta],
    [[0, { [_hQ]: _Res }], [() => Tags$, { [_hP]: 1, [_xN]: _Ta }]], 2
];
var Tags$ = [3, n0, _Ta,
    0,
    [_I],
    [[() => TagList, 0]]
];
var TenantConfig$ = [3, n0, _TCe,
    0,
    [_PDar],
    [[() => ParameterDefinitions, 0]]
];
var TestConnectionFunctionRequest$ = [3, n0, _TCFR,
    0,
    [_Id, _IM, _CO, _St],
    [[0, 1], [0, { [_hH]: _IM_ }], [() => FunctionEventObject, 0], 0], 3
];
var TestConnectionFunctionResult$ = [3, n0, _TCFRe,
    0,
    [_CFTR],
    [[() => ConnectionFunctionTestResult$, 16]]
];
var TestFunctionRequest$ = [3, n0, _TFR,
    0,
    [_N, _IM, _EO, _St],
    [[0, 1], [0, { [_hH]: _IM_ }], [() => FunctionEventObject, 0], 0], 3
];
var TestFunctionResult$ = [3, n0, _TFRe,
    0,
    [_TR],
    [[() => TestResult$, 16]]
];
var TestResult$ = [3, n0, _TR,
    0,
    [_FS, _CU, _FEL, _FEM, _FOu],
    [[() => FunctionSummary$, 0], 0, [() => FunctionExecutionLogList, 0], [() => sensitiveStringType, 0], [() => sensitiveStringType, 0]]
];
var TrafficConfig$ = [3, n0, _TC,
    0,
    [_T, _SWC, _SHCi],
    [0, () => ContinuousDeploymentSingleWeightConfig$, () => ContinuousDeploymentSingleHeaderConfig$], 1
];
var TrustedKeyGroups$ = [3, n0, _TKG,
    0,
    [_E, _Q, _I],
    [2, 1, [() => TrustedKeyGroupIdList, 0]], 2
];
var TrustedSigners$ = [3, n0, _TS,
    0,
    [_E, _Q, _I],
    [2, 1, [() => AwsAccountNumberList, 0]], 2
];
var TrustStore$ = [3, n0, _TSr,
    0,
    [_Id, _Ar, _N, _S, _NOCC, _LMT, _Rea, _UCCOCSPE],
    [0, 0, 0, 0, 1, 4, 0, 2]
];
var TrustStoreConfig$ = [3, n0, _TSC,
    0,
    [_TSIr, _ATSCN, _ICE],
    [0, 2, 2], 1
];
var TrustStoreSummary$ = [3, n0, _TSS,
    0,
    [_Id, _Ar, _N, _S, _NOCC, _LMT, _ET, _Rea],
    [0, 0, 0, 0, 1, 4, 0, 0], 7
];
var UntagResourceRequest$ = [3, n0, _URR,
    0,
    [_Res, _TK],
    [[0, { [_hQ]: _Res }], [() => TagKeys$, { [_hP]: 1, [_xN]: _TK }]], 2
];
var UpdateAnycastIpListRequest$ = [3, n0, _UAILR,
    0,
    [_Id, _IM, _IAT, _ICC],
    [[0, 1], [0, { [_hH]: _IM_ }], 0, [() => IpamCidrConfigList, 0]], 2
];
var UpdateAnycastIpListResult$ = [3, n0, _UAILRp,
    0,
    [_AIL, _ET],
    [[() => AnycastIpList$, 16], [0, { [_hH]: _ET }]]
];
var UpdateCachePolicyRequest$ = [3, n0, _UCPR,
    0,
    [_CPC, _Id, _IM],
    [[() => CachePolicyConfig$, { [_hP]: 1, [_xN]: _CPC }], [0, 1], [0, { [_hH]: _IM_ }]], 2
];
var UpdateCachePolicyResult$ = [3, n0, _UCPRp,
    0,
    [_CP, _ET],
    [[() => CachePolicy$, 16], [0, { [_hH]: _ET }]]
];
var UpdateCloudFrontOriginAccessIdentityRequest$ = [3, n0, _UCFOAIR,
    0,
    [_CFOAIC, _Id, _IM],
    [[() => CloudFrontOriginAccessIdentityConfig$, { [_hP]: 1, [_xN]: _CFOAIC }], [0, 1], [0, { [_hH]: _IM_ }]], 2
];
var UpdateCloudFrontOriginAccessIdentityResult$ = [3, n0, _UCFOAIRp,
    0,
    [_CFOAI, _ET],
    [[() => CloudFrontOriginAccessIdentity$, 16], [0, { [_hH]: _ET }]]
];
var UpdateConnectionFunctionRequest$ = [3, n0, _UCFR,
    0,
    [_Id, _IM, _CFC, _CFCo],
    [[0, 1], [0, { [_hH]: _IM_ }], [() => FunctionConfig$, 0], [() => FunctionBlob, 0]], 4
];
var UpdateConnectionFunctionResult$ = [3, n0, _UCFRp,
    0,
    [_CFS, _ET],
    [[() => ConnectionFunctionSummary$, 16], [0, { [_hH]: _ET }]]
];
var UpdateConnectionGroupRequest$ = [3, n0, _UCGR,
    0,
    [_Id, _IM, _IE, _AILI, _E],
    [[0, 1], [0, { [_hH]: _IM_ }], 2, 0, 2], 2
];
var UpdateConnectionGroupResult$ = [3, n0, _UCGRp,
    0,
    [_CG, _ET],
    [[() => ConnectionGroup$, 16], [0, { [_hH]: _ET }]]
];
var UpdateContinuousDeploymentPolicyRequest$ = [3, n0, _UCDPR,
    0,
    [_CDPC, _Id, _IM],
    [[() => ContinuousDeploymentPolicyConfig$, { [_hP]: 1, [_xN]: _CDPC }], [0, 1], [0, { [_hH]: _IM_ }]], 2
];
var UpdateContinuousDeploymentPolicyResult$ = [3, n0, _UCDPRp,
    0,
    [_CDP, _ET],
    [[() => ContinuousDeploymentPolicy$, 16], [0, { [_hH]: _ET }]]
];
var UpdateDistributionRequest$ = [3, n0, _UDR,
    0,
    [_DC, _Id, _IM],
    [[() => DistributionConfig$, { [_hP]: 1, [_xN]: _DC }], [0, 1], [0, { [_hH]: _IM_ }]], 2
];
var UpdateDistributionResult$ = [3, n0, _UDRp,
    0,
    [_D, _ET],
    [[() => Distribution$, 16], [0, { [_hH]: _ET }]]
];
var UpdateDistributionTenantRequest$ = [3, n0, _UDTR,
    0,
    [_Id, _IM, _DI, _Do, _Cu, _P, _CGI, _MCR, _E],
    [[0, 1], [0, { [_hH]: _IM_ }], 0, () => DomainList, [() => Customizations$, 0], () => _Parameters, 0, () => ManagedCertificateRequest$, 2], 2
];
var UpdateDistributionTenantResult$ = [3, n0, _UDTRp,
    0,
    [_DT, _ET],
    [[() => DistributionTenant$, 16], [0, { [_hH]: _ET }]]
];
var UpdateDistributionWithStagingConfigRequest$ = [3, n0, _UDWSCR,
    0,
    [_Id, _SDI, _IM],
    [[0, 1], [0, { [_hQ]: _SDI }], [0, { [_hH]: _IM_ }]], 1
];
var UpdateDistributionWithStagingConfigResult$ = [3, n0, _UDWSCRp,
    0,
    [_D, _ET],
    [[() => Distribution$, 16], [0, { [_hH]: _ET }]]
];
var UpdateDomainAssociationRequest$ = [3, n0, _UDAR,
    0,
    [_Dom, _TRa, _IM],
    [0, () => DistributionResourceId$, [0, { [_hH]: _IM_ }]], 2
];
var UpdateDomainAssociationResult$ = [3, n0, _UDARp,
    0,
    [_Dom, _RI, _ET],
    [0, 0, [0, { [_hH]: _ET }]]
];
var UpdateFieldLevelEncryptionConfigRequest$ = [3, n0, _UFLECR,
    0,
    [_FLEC, _Id, _IM],
    [[() => FieldLevelEncryptionConfig$, { [_hP]: 1, [_xN]: _FLEC }], [0, 1], [0, { [_hH]: _IM_ }]], 2
];
var UpdateFieldLevelEncryptionConfigResult$ = [3, n0, _UFLECRp,
    0,
    [_FLE, _ET],
    [[() => FieldLevelEncryption$, 16], [0, { [_hH]: _ET }]]
];
var UpdateFieldLevelEncryptionProfileRequest$ = [3, n0, _UFLEPR,
    0,
    [_FLEPC, _Id, _IM],
    [[() => FieldLevelEncryptionProfileConfig$, { [_hP]: 1, [_xN]: _FLEPC }], [0, 1], [0, { [_hH]: _IM_ }]], 2
];
var UpdateFieldLevelEncryptionProfileResult$ = [3, n0, _UFLEPRp,
    0,
    [_FLEP, _ET],
    [[() => FieldLevelEncryptionProfile$, 16], [0, { [_hH]: _ET }]]
];
var UpdateFunctionRequest$ = [3, n0, _UFR,
    0,
    [_N, _IM, _FC, _FCu],
    [[0, 1], [0, { [_hH]: _IM_ }], [() => FunctionConfig$, 0], [() => FunctionBlob, 0]], 4
];
var UpdateFunctionResult$ = [3, n0, _UFRp,
    0,
    [_FS, _ET],
    [[() => FunctionSummary$, 16], [0, { [_hH]: _ETt }]]
];
var UpdateKeyGroupRequest$ = [3, n0, _UKGR,
    0,
    [_KGC, _Id, _IM],
    [[() => KeyGroupConfig$, { [_hP]: 1, [_xN]: _KGC }], [0, 1], [0, { [_hH]: _IM_ }]], 2
];
var UpdateKeyGroupResult$ = [3, n0, _UKGRp,
    0,
    [_KG, _ET],
    [[() => KeyGroup$, 16], [0, { [_hH]: _ET }]]
];
var UpdateKeyValueStoreRequest$ = [3, n0, _UKVSR,
    0,
    [_N, _Co, _IM],
    [[0, 1], 0, [0, { [_hH]: _IM_ }]], 3
];
var UpdateKeyValueStoreResult$ = [3, n0, _UKVSRp,
    0,
    [_KVS, _ET],
    [[() => KeyValueStore$, 16], [0, { [_hH]: _ET }]]
];
var UpdateOriginAccessControlRequest$ = [3, n0, _UOACR,
    0,
    [_OACC, _Id, _IM],
    [[() => OriginAccessControlConfig$, { [_hP]: 1, [_xN]: _OACC }], [0, 1], [0, { [_hH]: _IM_ }]], 2
];
var UpdateOriginAccessControlResult$ = [3, n0, _UOACRp,
    0,
    [_OAC, _ET],
    [[() => OriginAccessControl$, 16], [0, { [_hH]: _ET }]]
];
var UpdateOriginRequestPolicyRequest$ = [3, n0, _UORPR,
    0,
    [_ORPC, _Id, _IM],
    [[() => OriginRequestPolicyConfig$, { [_hP]: 1, [_xN]: _ORPC }], [0, 1], [0, { [_hH]: _IM_ }]], 2
];
var UpdateOriginRequestPolicyResult$ = [3, n0, _UORPRp,
    0,
    [_ORP, _ET],
    [[() => OriginRequestPolicy$, 16], [0, { [_hH]: _ET }]]
];
var UpdatePublicKeyRequest$ = [3, n0, _UPKR,
    0,
    [_PKC, _Id, _IM],
    [[() => PublicKeyConfig$, { [_hP]: 1, [_xN]: _PKC }], [0, 1], [0, { [_hH]: _IM_ }]], 2
];
var UpdatePublicKeyResult$ = [3, n0, _UPKRp,
    0,
    [_PK, _ET],
    [[() => PublicKey$, 16], [0, { [_hH]: _ET }]]
];
var UpdateRealtimeLogConfigRequest$ = [3, n0, _URLCR,
    0,
    [_EP, _Fi, _N, _ARN, _SR],
    [() => EndPointList, [() => FieldList, 0], 0, 0, 1]
];
var UpdateRealtimeLogConfigResult$ = [3, n0, _URLCRp,
    0,
    [_RLC],
    [[() => RealtimeLogConfig$, 0]]
];
var UpdateResponseHeadersPolicyRequest$ = [3, n0, _URHPR,
    0,
    [_RHPC, _Id, _IM],
    [[() => ResponseHeadersPolicyConfig$, { [_hP]: 1, [_xN]: _RHPC }], [0, 1], [0, { [_hH]: _IM_ }]], 2
];
var UpdateResponseHeadersPolicyResult$ = [3, n0, _URHPRp,
    0,
    [_RHP, _ET],
    [[() => ResponseHeadersPolicy$, 16], [0, { [_hH]: _ET }]]
];
var UpdateStreamingDistributionRequest$ = [3, n0, _USDR,
    0,
    [_SDC, _Id, _IM],
    [[() => StreamingDistributionConfig$, { [_hP]: 1, [_xN]: _SDC }], [0, 1], [0, { [_hH]: _IM_ }]], 2
];
var UpdateStreamingDistributionResult$ = [3, n0, _USDRp,
    0,
    [_SD, _ET],
    [[() => StreamingDistribution$, 16], [0, { [_hH]: _ET }]]
];
var UpdateTrustStoreRequest$ = [3, n0, _UTSR,
    0,
    [_Id, _IM, _CCBS, _UCCOCSPE],
    [[0, 1], [0, { [_hH]: _IM_ }], [() => CaCertificatesBundleSource$, 16], [2, { [_hH]: _UCCOCSPE }]], 2
];
var UpdateTrustStoreResult$ = [3, n0, _UTSRp,
    0,
    [_TSr, _ET],
    [[() => TrustStore$, 16], [0, { [_hH]: _ET }]]
];
var UpdateVpcOriginRequest$ = [3, n0, _UVOR,
    0,
    [_VOEC, _Id, _IM],
    [[() => VpcOriginEndpointConfig$, { [_hP]: 1, [_xN]: _VOEC }], [0, 1], [0, { [_hH]: _IM_ }]], 3
];
var UpdateVpcOriginResult$ = [3, n0, _UVORp,
    0,
    [_VO, _ET],
    [[() => VpcOrigin$, 16], [0, { [_hH]: _ET }]]
];
var ValidationTokenDetail$ = [3, n0, _VTDa,
    0,
    [_Dom, _RTed, _RF],
    [0, 0, 0], 1
];
var VerifyDnsConfigurationRequest$ = [3, n0, _VDCR,
    0,
    [_Ide, _Dom],
    [0, 0], 1
];
var VerifyDnsConfigurationResult$ = [3, n0, _VDCRe,
    0,
    [_DCL],
    [[() => DnsConfigurationList, 0]]
];
var ViewerCertificate$ = [3, n0, _VC,
    0,
    [_CFDC, _IAMCI, _ACMCA, _SSLSM, _MPV, _Ce, _CSe],
    [2, 0, 0, 0, 0, 0, 0]
];
var ViewerMtlsConfig$ = [3, n0, _VMC,
    0,
    [_Mo, _TSC],
    [0, () => TrustStoreConfig$]
];
var VpcOrigin$ = [3, n0, _VO,
    0,
    [_Id, _Ar, _S, _CTr, _LMT, _VOEC, _AIc],
    [0, 0, 0, 4, 4, [() => VpcOriginEndpointConfig$, 0], 0], 6
];
var VpcOriginConfig$ = [3, n0, _VOC,
    0,
    [_VOI, _OAI, _ORT, _OKT],
    [0, 0, 1, 1], 1
];
var VpcOriginEndpointConfig$ = [3, n0, _VOEC,
    0,
    [_N, _Ar, _HTTPP, _HTTPSP, _OPP, _OSP, _IAT],
    [0, 0, 1, 1, 0, [() => OriginSslProtocols$, 0], 0], 5
];
var VpcOriginList$ = [3, n0, _VOL,
    0,
    [_Ma, _MI, _ITs, _Q, _NM, _I],
    [0, 1, 2, 1, 0, [() => VpcOriginSummaryList, 0]], 4
];
var VpcOriginSummary$ = [3, n0, _VOS,
    0,
    [_Id, _N, _S, _CTr, _LMT, _Ar, _OEA, _AIc, _IAT],
    [0, 0, 0, 4, 4, 0, 0, 0, 0], 7
];
var WebAclCustomization$ = [3, n0, _WAC,
    0,
    [_Ac, _Ar],
    [0, 0], 1
];
var __Unit = "unit";
var AccessControlAllowHeadersList = [1, n0, _ACAHL,
    0, [0,
        { [_xN]: _He }]
];
var AccessControlAllowMethodsList = [1, n0, _ACAML,
    0, [0,
        { [_xN]: _Met }]
];
var AccessControlAllowOriginsList = [1, n0, _ACAOL,
    0, [0,
        { [_xN]: _Or }]
];
var AccessControlExposeHeadersList = [1, n0, _ACEHL,
    0, [0,
        { [_xN]: _He }]
];
var AliasICPRecordals = [1, n0, _AICPRl,
    0, [() => AliasICPRecordal$,
        { [_xN]: _AICPR }]
];
var AliasList = [1, n0, _AL,
    0, [0,
        { [_xN]: _CNAME }]
];
var AnycastIpListSummaries = [1, n0, _AILSn,
    0, [() => AnycastIpListSummary$,
        { [_xN]: _AILS }]
];
var AnycastIps = [1, n0, _AI,
    0, [0,
        { [_xN]: _AIn }]
];
var AwsAccountNumberList = [1, n0, _AANL,
    0, [0,
        { [_xN]: _AAN }]
];
var CacheBehaviorList = [1, n0, _CBL,
    0, [() => CacheBehavior$,
        { [_xN]: _CB }]
];
var CachePolicySummaryList = [1, n0, _CPSL,
    0, [() => CachePolicySummary$,
        { [_xN]: _CPS }]
];
var CloudFrontOriginAccessIdentitySummaryList = [1, n0, _CFOAISL,
    0, [() => CloudFrontOriginAccessIdentitySummary$,
        { [_xN]: _CFOAIS }]
];
var ConflictingAliases = [1, n0, _CAon,
    0, [() => ConflictingAlias$,
        { [_xN]: _CA }]
];
var ConnectionFunctionSummaryList = [1, n0, _CFSL,
    0, [() => ConnectionFunctionSummary$,
        { [_xN]: _CFS }]
];
var ConnectionGroupSummaryList = [1, n0, _CGSL,
    0, [() => ConnectionGroupSummary$,
        { [_xN]: _CGS }]
];
var ContentTypeProfileList = [1, n0, _CTPL,
    0, [() => ContentTypeProfile$,
        { [_xN]: _CTP }]
];
var ContinuousDeploymentPolicySummaryList = [1, n0, _CDPSL,
    0, [() => ContinuousDeploymentPolicySummary$,
        { [_xN]: _CDPS }]
];
var CookieNameList = [1, n0, _CNL,
    0, [0,
        { [_xN]: _N }]
];
var CustomErrorResponseList = [1, n0, _CERL,
    0, [() => CustomErrorResponse$,
        { [_xN]: _CER }]
];
var DistributionIdListSummary = [1, n0, _DILS,
    0, [0,
        { [_xN]: _DI }]
];
var DistributionIdOwnerItemList = [1, n0, _DIOIL,
    0, [() => DistributionIdOwner$,
        { [_xN]: _DIO }]
];
var DistributionSummaryList = [1, n0, _DSL,
    0, [() => DistributionSummary$,
        { [_xN]: _DS }]
];
var DistributionTenantList = [1, n0, _DTL,
    0, [() => DistributionTenantSummary$,
        { [_xN]: _DTS }]
];
var DnsConfigurationList = [1, n0, _DCL,
    0, [() => DnsConfiguration$,
        { [_xN]: _DCn }]
];
var DomainConflictsList = [1, n0, _DCLo,
    0, [() => DomainConflict$,
        { [_xN]: _DCom }]
];
var DomainList = [1, n0, _DLo,
    0, () => DomainItem$
];
var DomainResultList = [1, n0, _DRL,
    0, () => DomainResult$
];
var EncryptionEntityList = [1, n0, _EEL,
    0, [() => EncryptionEntity$,
        { [_xN]: _EEn }]
];
var EndPointList = [1, n0, _EPL,
    0, () => EndPoint$
];
var FieldLevelEncryptionProfileSummaryList = [1, n0, _FLEPSL,
    0, [() => FieldLevelEncryptionProfileSummary$,
        { [_xN]: _FLEPS }]
];
var FieldLevelEncryptionSummaryList = [1, n0, _FLESL,
    0, [() => FieldLevelEncryptionSummary$,
        { [_xN]: _FLES }]
];
var FieldList = [1, n0, _FLi,
    0, [0,
        { [_xN]: _Fie }]
];
var FieldPatternList = [1, n0, _FPL,
    0, [0,
        { [_xN]: _FPi }]
];
var FunctionAssociationList = [1, n0, _FAL,
    0, [() => FunctionAssociation$,
        { [_xN]: _FAu }]
];
var FunctionExecutionLogList = [1, n0, _FELL,
    8, 0
];
var FunctionSummaryList = [1, n0, _FSL,
    0, [() => FunctionSummary$,
        { [_xN]: _FS }]
];
var HeaderList = [1, n0, _HL,
    0, [0,
        { [_xN]: _N }]
];
var InvalidationSummaryList = [1, n0, _ISL,
    0, [() => InvalidationSummary$,
        { [_xN]: _ISn }]
];
var IpamCidrConfigList = [1, n0, _ICCL,
    0, [() => IpamCidrConfig$,
        { [_xN]: _ICCp }]
];
var KeyGroupSummaryList = [1, n0, _KGSL,
    0, [() => KeyGroupSummary$,
        { [_xN]: _KGS }]
];
var KeyPairIdList = [1, n0, _KPIL,
    0, [0,
        { [_xN]: _KPIe }]
];
var KeyValueStoreAssociationList = [1, n0, _KVSAL,
    0, [() => KeyValueStoreAssociation$,
        { [_xN]: _KVSAe }]
];
var KeyValueStoreSummaryList = [1, n0, _KVSSL,
    0, [() => KeyValueStore$,
        { [_xN]: _KVS }]
];
var KGKeyPairIdsList = [1, n0, _KGKPIL,
    0, [() => KGKeyPairIds$,
        { [_xN]: _KG }]
];
var LambdaFunctionAssociationList = [1, n0, _LFAL,
    0, [() => LambdaFunctionAssociation$,
        { [_xN]: _LFAa }]
];
var LocationList = [1, n0, _LL,
    0, [0,
        { [_xN]: _L }]
];
var MethodsList = [1, n0, _ML,
    0, [0,
        { [_xN]: _Met }]
];
var OriginAccessControlSummaryList = [1, n0, _OACSL,
    0, [() => OriginAccessControlSummary$,
        { [_xN]: _OACS }]
];
var OriginCustomHeadersList = [1, n0, _OCHL,
    0, [() => OriginCustomHeader$,
        { [_xN]: _OCH }]
];
var OriginGroupList = [1, n0, _OGL,
    0, [() => OriginGroup$,
        { [_xN]: _OGr }]
];
var OriginGroupMemberList = [1, n0, _OGML,
    0, [() => OriginGroupMember$,
        { [_xN]: _OGM }]
];
var OriginList = [1, n0, _OL,
    0, [() => Origin$,
        { [_xN]: _Or }]
];
var OriginRequestPolicySummaryList = [1, n0, _ORPSL,
    0, [() => OriginRequestPolicySummary$,
        { [_xN]: _ORPS }]
];
var ParameterDefinitions = [1, n0, _PDar,
    0, [() => ParameterDefinition$,
        0]
];
var _Parameters = [1, n0, _P,
    0, () => Parameter$
];
var PathList = [1, n0, _PL,
    0, [0,
        { [_xN]: _Pat }]
];
var PublicKeyIdList = [1, n0, _PKIL,
    0, [0,
        { [_xN]: _PK }]
];
var PublicKeySummaryList = [1, n0, _PKSL,
    0, [() => PublicKeySummary$,
        { [_xN]: _PKS }]
];
var QueryArgProfileList = [1, n0, _QAPL,
    0, [() => QueryArgProfile$,
        { [_xN]: _QAP }]
];
var QueryStringCacheKeysList = [1, n0, _QSCKL,
    0, [0,
        { [_xN]: _N }]
];
var QueryStringNamesList = [1, n0, _QSNL,
    0, [0,
        { [_xN]: _N }]
];
var RealtimeLogConfigList = [1, n0, _RLCL,
    0, [() => RealtimeLogConfig$,
        0]
];
var ResponseHeadersPolicyCustomHeaderList = [1, n0, _RHPCHL,
    0, [() => ResponseHeadersPolicyCustomHeader$,
        { [_xN]: _RHPCH }]
];
var ResponseHeadersPolicyRemoveHeaderList = [1, n0, _RHPRHL,
    0, [() => ResponseHeadersPolicyRemoveHeader$,
        { [_xN]: _RHPRH }]
];
var ResponseHeadersPolicySummaryList = [1, n0, _RHPSL,
    0, [() => ResponseHeadersPolicySummary$,
        { [_xN]: _RHPS }]
];
var SignerList = [1, n0, _SL,
    0, [() => Signer$,
        { [_xN]: _Si }]
];
var SslProtocolsList = [1, n0, _SPL,
    0, [0,
        { [_xN]: _SPs }]
];
var StagingDistributionDnsNameList = [1, n0, _SDDNL,
    0, [0,
        { [_xN]: _DNn }]
];
var StatusCodeList = [1, n0, _SCL,
    0, [1,
        { [_xN]: _SCta }]
];
var StreamingDistributionSummaryList = [1, n0, _SDSL,
    0, [() => StreamingDistributionSummary$,
        { [_xN]: _SDS }]
];
var TagKeyList = [1, n0, _TKL,
    0, [0,
        { [_xN]: _K }]
];
var TagList = [1, n0, _TL,
    0, [() => Tag$,
        { [_xN]: _Tag }]
];
var TrustedKeyGroupIdList = [1, n0, _TKGIL,
    0, [0,
        { [_xN]: _KG }]
];
var TrustStoreList = [1, n0, _TSL,
    0, [() => TrustStoreSummary$,
        { [_xN]: _TSS }]
];
var ValidationTokenDetailList = [1, n0, _VTDL,
    0, () => ValidationTokenDetail$
];
var VpcOriginSummaryList = [1, n0, _VOSL,
    0, [() => VpcOriginSummary$,
        { [_xN]: _VOS }]
];
var CaCertificatesBundleSource$ = [4, n0, _CCBS,
    0,
    [_CCBSL],
    [() => CaCertificatesBundleS3Location$]
];
var AssociateAlias$ = [9, n0, _AA,
    { [_h]: ["PUT", "/2020-05-31/distribution/{TargetDistributionId}/associate-alias", 200] }, () => AssociateAliasRequest$, () => __Unit
];
var AssociateDistributionTenantWebACL$ = [9, n0, _ADTWACL,
    { [_h]: ["PUT", "/2020-05-31/distribution-tenant/{Id}/associate-web-acl", 200] }, () => AssociateDistributionTenantWebACLRequest$, () => AssociateDistributionTenantWebACLResult$
];
var AssociateDistributionWebACL$ = [9, n0, _ADWACL,
    { [_h]: ["PUT", "/2020-05-31/distribution/{Id}/associate-web-acl", 200] }, () => AssociateDistributionWebACLRequest$, () => AssociateDistributionWebACLResult$
];
var CopyDistribution$ = [9, n0, _CD,
    { [_h]: ["POST", "/2020-05-31/distribution/{PrimaryDistributionId}/copy", 201] }, () => CopyDistributionRequest$, () => CopyDistributionResult$
];
var CreateAnycastIpList$ = [9, n0, _CAIL,
    { [_h]: ["POST", "/2020-05-31/anycast-ip-list", 202] }, () => CreateAnycastIpListRequest$, () => CreateAnycastIpListResult$
];
var CreateCachePolicy$ = [9, n0, _CCP,
    { [_h]: ["POST", "/2020-05-31/cache-policy", 201] }, () => CreateCachePolicyRequest$, () => CreateCachePolicyResult$
];
var CreateCloudFrontOriginAccessIdentity$ = [9, n0, _CCFOAI,
    { [_h]: ["POST", "/2020-05-31/origin-access-identity/cloudfront", 201] }, () => CreateCloudFrontOriginAccessIdentityRequest$, () => CreateCloudFrontOriginAccessIdentityResult$
];
var CreateConnectionFunction$ = [9, n0, _CCF,
    { [_h]: ["POST", "/2020-05-31/connection-function", 201] }, () => CreateConnectionFunctionRequest$, () => CreateConnectionFunctionResult$
];
var CreateConnectionGroup$ = [9, n0, _CCG,
    { [_h]: ["POST", "/2020-05-31/connection-group", 201] }, () => CreateConnectionGroupRequest$, () => CreateConnectionGroupResult$
];
var CreateContinuousDeploymentPolicy$ = [9, n0, _CCDP,
    { [_h]: ["POST", "/2020-05-31/continuous-deployment-policy", 201] }, () => CreateContinuousDeploymentPolicyRequest$, () => CreateContinuousDeploymentPolicyResult$
];
var CreateDistribution$ = [9, n0, _CDr,
    { [_h]: ["POST", "/2020-05-31/distribution", 201] }, () => CreateDistributionRequest$, () => CreateDistributionResult$
];
var CreateDistributionTenant$ = [9, n0, _CDT,
    { [_h]: ["POST", "/2020-05-31/distribution-tenant", 201] }, () => CreateDistributionTenantRequest$, () => CreateDistributionTenantResult$
];
var CreateDistributionWithTags$ = [9, n0, _CDWT,
    { [_h]: ["POST", "/2020-05-31/distribution?WithTags", 201] }, () => CreateDistributionWithTagsRequest$, () => CreateDistributionWithTagsResult$
];
var CreateFieldLevelEncryptionConfig$ = [9, n0, _CFLEC,
    { [_h]: ["POST", "/2020-05-31/field-level-encryption", 201] }, () => CreateFieldLevelEncryptionConfigRequest$, () => CreateFieldLevelEncryptionConfigResult$
];
var CreateFieldLevelEncryptionProfile$ = [9, n0, _CFLEP,
    { [_h]: ["POST", "/2020-05-31/field-level-encryption-profile", 201] }, () => CreateFieldLevelEncryptionProfileRequest$, () => CreateFieldLevelEncryptionProfileResult$
];
var CreateFunction$ = [9, n0, _CFr,
    { [_h]: ["POST", "/2020-05-31/function", 201] }, () => CreateFunctionRequest$, () => CreateFunctionResult$
];
var CreateInvalidation$ = [9, n0, _CI,
    { [_h]: ["POST", "/2020-05-31/distribution/{DistributionId}/invalidation", 201] }, () => CreateInvalidationRequest$, () => CreateInvalidationResult$
];
var CreateInvalidationForDistributionTenant$ = [9, n0, _CIFDT,
    { [_h]: ["POST", "/2020-05-31/distribution-tenant/{Id}/invalidation", 201] }, () => CreateInvalidationForDistributionTenantRequest$, () => CreateInvalidationForDistributionTenantResult$
];
var CreateKeyGroup$ = [9, n0, _CKG,
    { [_h]: ["POST", "/2020-05-31/key-group", 201] }, () => CreateKeyGroupRequest$, () => CreateKeyGroupResult$
];
var CreateKeyValueStore$ = [9, n0, _CKVS,
    { [_h]: ["POST", "/2020-05-31/key-value-store", 201] }, () => CreateKeyValueStoreRequest$, () => CreateKeyValueStoreResult$
];
var CreateMonitoringSubscription$ = [9, n0, _CMS,
    { [_h]: ["POST", "/2020-05-31/distributions/{DistributionId}/monitoring-subscription", 200] }, () => CreateMonitoringSubscriptionRequest$, () => CreateMonitoringSubscriptionResult$
];
var CreateOriginAccessControl$ = [9, n0, _COAC,
    { [_h]: ["POST", "/2020-05-31/origin-access-control", 201] }, () => CreateOriginAccessControlRequest$, () => CreateOriginAccessControlResult$
];
var CreateOriginRequestPolicy$ = [9, n0, _CORP,
    { [_h]: ["POST", "/2020-05-31/origin-request-policy", 201] }, () => CreateOriginRequestPolicyRequest$, () => CreateOriginRequestPolicyResult$
];
var CreatePublicKey$ = [9, n0, _CPK,
    { [_h]: ["POST", "/2020-05-31/public-key", 201] }, () => CreatePublicKeyRequest$, () => CreatePublicKeyResult$
];
var CreateRealtimeLogConfig$ = [9, n0, _CRLC,
    { [_h]: ["POST", "/2020-05-31/realtime-log-config", 201] }, () => CreateRealtimeLogConfigRequest$, () => CreateRealtimeLogConfigResult$
];
var CreateResponseHeadersPolicy$ = [9, n0, _CRHP,
    { [_h]: ["POST", "/2020-05-31/response-headers-policy", 201] }, () => CreateResponseHeadersPolicyRequest$, () => CreateResponseHeadersPolicyResult$
];
var CreateStreamingDistribution$ = [9, n0, _CSD,
    { [_h]: ["POST", "/2020-05-31/streaming-distribution", 201] }, () => CreateStreamingDistributionRequest$, () => CreateStreamingDistributionResult$
];
var CreateStreamingDistributionWithTags$ = [9, n0, _CSDWT,
    { [_h]: ["POST", "/2020-05-31/streaming-distribution?WithTags", 201] }, () => CreateStreamingDistributionWithTagsRequest$, () => CreateStreamingDistributionWithTagsResult$
];
var CreateTrustStore$ = [9, n0, _CTS,
    { [_h]: ["POST", "/2020-05-31/trust-store", 201] }, () => CreateTrustStoreRequest$, () => CreateTrustStoreResult$
];
var CreateVpcOrigin$ = [9, n0, _CVO,
    { [_h]: ["POST", "/2020-05-31/vpc-origin", 202] }, () => CreateVpcOriginRequest$, () => CreateVpcOriginResult$
];
var DeleteAnycastIpList$ = [9, n0, _DAIL,
    { [_h]: ["DELETE", "/2020-05-31/anycast-ip-list/{Id}", 204] }, () => DeleteAnycastIpListRequest$, () => __Unit
];
var DeleteCachePolicy$ = [9, n0, _DCP,
    { [_h]: ["DELETE", "/2020-05-31/cache-policy/{Id}", 204] }, () => DeleteCachePolicyRequest$, () => __Unit
];
var DeleteCloudFrontOriginAccessIdentity$ = [9, n0, _DCFOAI,
    { [_h]: ["DELETE", "/2020-05-31/origin-access-identity/cloudfront/{Id}", 204] }, () => DeleteCloudFrontOriginAccessIdentityRequest$, () => __Unit
];
var DeleteConnectionFunction$ = [9, n0, _DCF,
    { [_h]: ["DELETE", "/2020-05-31/connection-function/{Id}", 204] }, () => DeleteConnectionFunctionRequest$, () => __Unit
];
var DeleteConnectionGroup$ = [9, n0, _DCG,
    { [_h]: ["DELETE", "/2020-05-31/connection-group/{Id}", 204] }, () => DeleteConnectionGroupRequest$, () => __Unit
];
var DeleteContinuousDeploymentPolicy$ = [9, n0, _DCDP,
    { [_h]: ["DELETE", "/2020-05-31/continuous-deployment-policy/{Id}", 204] }, () => DeleteContinuousDeploymentPolicyRequest$, () => __Unit
];
var DeleteDistribution$ = [9, n0, _DD,
    { [_h]: ["DELETE", "/2020-05-31/distribution/{Id}", 204] }, () => DeleteDistributionRequest$, () => __Unit
];
var DeleteDistributionTenant$ = [9, n0, _DDT,
    { [_h]: ["DELETE", "/2020-05-31/distribution-tenant/{Id}", 204] }, () => DeleteDistributionTenantRequest$, () => __Unit
];
var DeleteFieldLevelEncryptionConfig$ = [9, n0, _DFLEC,
    { [_h]: ["DELETE", "/2020-05-31/field-level-encryption/{Id}", 204] }, () => DeleteFieldLevelEncryptionConfigRequest$, () => __Unit
];
var DeleteFieldLevelEncryptionProfile$ = [9, n0, _DFLEP,
    { [_h]: ["DELETE", "/2020-05-31/field-level-encryption-profile/{Id}", 204] }, () => DeleteFieldLevelEncryptionProfileRequest$, () => __Unit
];
var DeleteFunction$ = [9, n0, _DF,
    { [_h]: ["DELETE", "/2020-05-31/function/{Name}", 204] }, () => DeleteFunctionRequest$, () => __Unit
];
var DeleteKeyGroup$ = [9, n0, _DKG,
    { [_h]: ["DELETE", "/2020-05-31/key-group/{Id}", 204] }, () => DeleteKeyGroupRequest$, () => __Unit
];
var DeleteKeyValueStore$ = [9, n0, _DKVS,
    { [_h]: ["DELETE", "/2020-05-31/key-value-store/{Name}", 204] }, () => DeleteKeyValueStoreRequest$, () => __Unit
];
var DeleteMonitoringSubscription$ = [9, n0, _DMS,
    { [_h]: ["DELETE", "/2020-05-31/distributions/{DistributionId}/monitoring-subscription", 200] }, () => DeleteMonitoringSubscriptionRequest$, () => DeleteMonitoringSubscriptionResult$
];
var DeleteOriginAccessControl$ = [9, n0, _DOAC,
    { [_h]: ["DELETE", "/2020-05-31/origin-access-control/{Id}", 204] }, () => DeleteOriginAccessControlRequest$, () => __Unit
];
var DeleteOriginRequestPolicy$ = [9, n0, _DORP,
    { [_h]: ["DELETE", "/2020-05-31/origin-request-policy/{Id}", 204] }, () => DeleteOriginRequestPolicyRequest$, () => __Unit
];
var DeletePublicKey$ = [9, n0, _DPK,
    { [_h]: ["DELETE", "/2020-05-31/public-key/{Id}", 204] }, () => DeletePublicKeyRequest$, () => __Unit
];
var DeleteRealtimeLogConfig$ = [9, n0, _DRLC,
    { [_h]: ["POST", "/2020-05-31/delete-realtime-log-config", 204] }, () => DeleteRealtimeLogConfigRequest$, () => __Unit
];
var DeleteResourcePolicy$ = [9, n0, _DRP,
    { [_h]: ["POST", "/2020-05-31/delete-resource-policy", 200] }, () => DeleteResourcePolicyRequest$, () => __Unit
];
var DeleteResponseHeadersPolicy$ = [9, n0, _DRHP,
    { [_h]: ["DELETE", "/2020-05-31/response-headers-policy/{Id}", 204] }, () => DeleteResponseHeadersPolicyRequest$, () => __Unit
];
var DeleteStreamingDistribution$ = [9, n0, _DSD,
    { [_h]: ["DELETE", "/2020-05-31/streaming-distribution/{Id}", 204] }, () => DeleteStreamingDistributionRequest$, () => __Unit
];
var DeleteTrustStore$ = [9, n0, _DTSe,
    { [_h]: ["DELETE", "/2020-05-31/trust-store/{Id}", 204] }, () => DeleteTrustStoreRequest$, () => __Unit
];
var DeleteVpcOrigin$ = [9, n0, _DVO,
    { [_h]: ["DELETE", "/2020-05-31/vpc-origin/{Id}", 202] }, () => DeleteVpcOriginRequest$, () => DeleteVpcOriginResult$
];
var DescribeConnectionFunction$ = [9, n0, _DCFe,
    { [_h]: ["GET", "/2020-05-31/connection-function/{Identifier}/describe", 200] }, () => DescribeConnectionFunctionRequest$, () => DescribeConnectionFunctionResult$
];
var DescribeFunction$ = [9, n0, _DFe,
    { [_h]: ["GET", "/2020-05-31/function/{Name}/describe", 200] }, () => DescribeFunctionRequest$, () => DescribeFunctionResult$
];
var DescribeKeyValueStore$ = [9, n0, _DKVSe,
    { [_h]: ["GET", "/2020-05-31/key-value-store/{Name}", 200] }, () => DescribeKeyValueStoreRequest$, () => DescribeKeyValueStoreResult$
];
var DisassociateDistributionTenantWebACL$ = [9, n0, _DDTWACL,
    { [_h]: ["PUT", "/2020-05-31/distribution-tenant/{Id}/disassociate-web-acl", 200] }, () => DisassociateDistributionTenantWebACLRequest$, () => DisassociateDistributionTenantWebACLResult$
];
var DisassociateDistributionWebACL$ = [9, n0, _DDWACL,
    { [_h]: ["PUT", "/2020-05-31/distribution/{Id}/disassociate-web-acl", 200] }, () => DisassociateDistributionWebACLRequest$, () => DisassociateDistributionWebACLResult$
];
var GetAnycastIpList$ = [9, n0, _GAIL,
    { [_h]: ["GET", "/2020-05-31/anycast-ip-list/{Id}", 200] }, () => GetAnycastIpListRequest$, () => GetAnycastIpListResult$
];
var GetCachePolicy$ = [9, n0, _GCP,
    { [_h]: ["GET", "/2020-05-31/cache-policy/{Id}", 200] }, () => GetCachePolicyRequest$, () => GetCachePolicyResult$
];
var GetCachePolicyConfig$ = [9, n0, _GCPC,
    { [_h]: ["GET", "/2020-05-31/cache-policy/{Id}/config", 200] }, () => GetCachePolicyConfigRequest$, () => GetCachePolicyConfigResult$
];
var GetCloudFrontOriginAccessIdentity$ = [9, n0, _GCFOAI,
    { [_h]: ["GET", "/2020-05-31/origin-access-identity/cloudfront/{Id}", 200] }, () => GetCloudFrontOriginAccessIdentityRequest$, () => GetCloudFrontOriginAccessIdentityResult$
];
var GetCloudFrontOriginAccessIdentityConfig$ = [9, n0, _GCFOAIC,
    { [_h]: ["GET", "/2020-05-31/origin-access-identity/cloudfront/{Id}/config", 200] }, () => GetCloudFrontOriginAccessIdentityConfigRequest$, () => GetCloudFrontOriginAccessIdentityConfigResult$
];
var GetConnectionFunction$ = [9, n0, _GCF,
    { [_h]: ["GET", "/2020-05-31/connection-function/{Identifier}", 200] }, () => GetConnectionFunctionRequest$, () => GetConnectionFunctionResult$
];
var GetConnectionGroup$ = [9, n0, _GCG,
    { [_h]: ["GET", "/2020-05-31/connection-group/{Identifier}", 200] }, () => GetConnectionGroupRequest$, () => GetConnectionGroupResult$
];
var GetConnectionGroupByRoutingEndpoint$ = [9, n0, _GCGBRE,
    { [_h]: ["GET", "/2020-05-31/connection-group", 200] }, () => GetConnectionGroupByRoutingEndpointRequest$, () => GetConnectionGroupByRoutingEndpointResult$
];
var GetContinuousDeploymentPolicy$ = [9, n0, _GCDP,
    { [_h]: ["GET", "/2020-05-31/continuous-deployment-policy/{Id}", 200] }, () => GetContinuousDeploymentPolicyRequest$, () => GetContinuousDeploymentPolicyResult$
];
var GetContinuousDeploymentPolicyConfig$ = [9, n0, _GCDPC,
    { [_h]: ["GET", "/2020-05-31/continuous-deployment-policy/{Id}/config", 200] }, () => GetContinuousDeploymentPolicyConfigRequest$, () => GetContinuousDeploymentPolicyConfigResult$
];
var GetDistribution$ = [9, n0, _GD,
    { [_h]: ["GET", "/2020-05-31/distribution/{Id}", 200] }, () => GetDistributionRequest$, () => GetDistributionResult$
];
var GetDistributionConfig$ = [9, n0, _GDC,
    { [_h]: ["GET", "/2020-05-31/distribution/{Id}/config", 200] }, () => GetDistributionConfigRequest$, () => GetDistributionConfigResult$
];
var GetDistributionTenant$ = [9, n0, _GDT,
    { [_h]: ["GET", "/2020-05-31/distribution-tenant/{Identifier}", 200] }, () => GetDistributionTenantRequest$, () => GetDistributionTenantResult$
];
var GetDistributionTenantByDomain$ = [9, n0, _GDTBD,
    { [_h]: ["GET", "/2020-05-31/distribution-tenant", 200] }, () => GetDistributionTenantByDomainRequest$, () => GetDistributionTenantByDomainResult$
];
var GetFieldLevelEncryption$ = [9, n0, _GFLE,
    { [_h]: ["GET", "/2020-05-31/field-level-encryption/{Id}", 200] }, () => GetFieldLevelEncryptionRequest$, () => GetFieldLevelEncryptionResult$
];
var GetFieldLevelEncryptionConfig$ = [9, n0, _GFLEC,
    { [_h]: ["GET", "/2020-05-31/field-level-encryption/{Id}/config", 200] }, () => GetFieldLevelEncryptionConfigRequest$, () => GetFieldLevelEncryptionConfigResult$
];
var GetFieldLevelEncryptionProfile$ = [9, n0, _GFLEP,
    { [_h]: ["GET", "/2020-05-31/field-level-encryption-profile/{Id}", 200] }, () => GetFieldLevelEncryptionProfileRequest$, () => GetFieldLevelEncryptionProfileResult$
];
var GetFieldLevelEncryptionProfileConfig$ = [9, n0, _GFLEPC,
    { [_h]: ["GET", "/2020-05-31/field-level-encryption-profile/{Id}/config", 200] }, () => GetFieldLevelEncryptionProfileConfigRequest$, () => GetFieldLevelEncryptionProfileConfigResult$
];
var GetFunction$ = [9, n0, _GF,
    { [_h]: ["GET", "/2020-05-31/function/{Name}", 200] }, () => GetFunctionRequest$, () => GetFunctionResult$
];
var GetInvalidation$ = [9, n0, _GI,
    { [_h]: ["GET", "/2020-05-31/distribution/{DistributionId}/invalidation/{Id}", 200] }, () => GetInvalidationRequest$, () => GetInvalidationResult$
];
var GetInvalidationForDistributionTenant$ = [9, n0, _GIFDT,
    { [_h]: ["GET", "/2020-05-31/distribution-tenant/{DistributionTenantId}/invalidation/{Id}", 200] }, () => GetInvalidationForDistributionTenantRequest$, () => GetInvalidationForDistributionTenantResult$
];
var GetKeyGroup$ = [9, n0, _GKG,
    { [_h]: ["GET", "/2020-05-31/key-group/{Id}", 200] }, () => GetKeyGroupRequest$, () => GetKeyGroupResult$
];
var GetKeyGroupConfig$ = [9, n0, _GKGC,
    { [_h]: ["GET", "/2020-05-31/key-group/{Id}/config", 200] }, () => GetKeyGroupConfigRequest$, () => GetKeyGroupConfigResult$
];
var GetManagedCertificateDetails$ = [9, n0, _GMCD,
    { [_h]: ["GET", "/2020-05-31/managed-certificate/{Identifier}", 200] }, () => GetManagedCertificateDetailsRequest$, () => GetManagedCertificateDetailsResult$
];
var GetMonitoringSubscription$ = [9, n0, _GMS,
    { [_h]: ["GET", "/2020-05-31/distributions/{DistributionId}/monitoring-subscription", 200] }, () => GetMonitoringSubscriptionRequest$, () => GetMonitoringSubscriptionResult$
];
var GetOriginAccessControl$ = [9, n0, _GOAC,
    { [_h]: ["GET", "/2020-05-31/origin-access-control/{Id}", 200] }, () => GetOriginAccessControlRequest$, () => GetOriginAccessControlResult$
];
var GetOriginAccessControlConfig$ = [9, n0, _GOACC,
    { [_h]: ["GET", "/2020-05-31/origin-access-control/{Id}/config", 200] }, () => GetOriginAccessControlConfigRequest$, () => GetOriginAccessControlConfigResult$
];
var GetOriginRequestPolicy$ = [9, n0, _GORP,
    { [_h]: ["GET", "/2020-05-31/origin-request-policy/{Id}", 200] }, () => GetOriginRequestPolicyRequest$, () => GetOriginRequestPolicyResult$
];
var GetOriginRequestPolicyConfig$ = [9, n0, _GORPC,
    { [_h]: ["GET", "/2020-05-31/origin-request-policy/{Id}/config", 200] }, () => GetOriginRequestPolicyConfigRequest$, () => GetOriginRequestPolicyConfigResult$
];
var GetPublicKey$ = [9, n0, _GPK,
    { [_h]: ["GET", "/2020-05-31/public-key/{Id}", 200] }, () => GetPublicKeyRequest$, () => GetPublicKeyResult$
];
var GetPublicKeyConfig$ = [9, n0, _GPKC,
    { [_h]: ["GET", "/2020-05-31/public-key/{Id}/config", 200] }, () => GetPublicKeyConfigRequest$, () => GetPublicKeyConfigResult$
];
var GetRealtimeLogConfig$ = [9, n0, _GRLC,
    { [_h]: ["POST", "/2020-05-31/get-realtime-log-config", 200] }, () => GetRealtimeLogConfigRequest$, () => GetRealtimeLogConfigResult$
];
var GetResourcePolicy$ = [9, n0, _GRP,
    { [_h]: ["POST", "/2020-05-31/get-resource-policy", 200] }, () => GetResourcePolicyRequest$, () => GetResourcePolicyResult$
];
var GetResponseHeadersPolicy$ = [9, n0, _GRHP,
    { [_h]: ["GET", "/2020-05-31/response-headers-policy/{Id}", 200] }, () => GetResponseHeadersPolicyRequest$, () => GetResponseHeadersPolicyResult$
];
var GetResponseHeadersPolicyConfig$ = [9, n0, _GRHPC,
    { [_h]: ["GET", "/2020-05-31/response-headers-policy/{Id}/config", 200] }, () => GetResponseHeadersPolicyConfigRequest$, () => GetResponseHeadersPolicyConfigResult$
];
var GetStreamingDistribution$ = [9, n0, _GSD,
    { [_h]: ["GET", "/2020-05-31/streaming-distribution/{Id}", 200] }, () => GetStreamingDistributionRequest$, () => GetStreamingDistributionResult$
];
var GetStreamingDistributionConfig$ = [9, n0, _GSDC,
    { [_h]: ["GET", "/2020-05-31/streaming-distribution/{Id}/config", 200] }, () => GetStreamingDistributionConfigRequest$, () => GetStreamingDistributionConfigResult$
];
var GetTrustStore$ = [9, n0, _GTS,
    { [_h]: ["GET", "/2020-05-31/trust-store/{Identifier}", 200] }, () => GetTrustStoreRequest$, () => GetTrustStoreResult$
];
var GetVpcOrigin$ = [9, n0, _GVO,
    { [_h]: ["GET", "/2020-05-31/vpc-origin/{Id}", 200] }, () => GetVpcOriginRequest$, () => GetVpcOriginResult$
];
var ListAnycastIpLists$ = [9, n0, _LAIL,
    { [_h]: ["GET", "/2020-05-31/anycast-ip-list", 200] }, () => ListAnycastIpListsRequest$, () => ListAnycastIpListsResult$
];
var ListCachePolicies$ = [9, n0, _LCP,
    { [_h]: ["GET", "/2020-05-31/cache-policy", 200] }, () => ListCachePoliciesRequest$, () => ListCachePoliciesResult$
];
var ListCloudFrontOriginAccessIdentities$ = [9, n0, _LCFOAI,
    { [_h]: ["GET", "/2020-05-31/origin-access-identity/cloudfront", 200] }, () => ListCloudFrontOriginAccessIdentitiesRequest$, () => ListCloudFrontOriginAccessIdentitiesResult$
];
var ListConflictingAliases$ = [9, n0, _LCA,
    { [_h]: ["GET", "/2020-05-31/conflicting-alias", 200] }, () => ListConflictingAliasesRequest$, () => ListConflictingAliasesResult$
];
var ListConnectionFunctions$ = [9, n0, _LCF,
    { [_h]: ["POST", "/2020-05-31/connection-functions", 200] }, () => ListConnectionFunctionsRequest$, () => ListConnectionFunctionsResult$
];
var ListConnectionGroups$ = [9, n0, _LCG,
    { [_h]: ["POST", "/2020-05-31/connection-groups", 200] }, () => ListConnectionGroupsRequest$, () => ListConnectionGroupsResult$
];
var ListContinuousDeploymentPolicies$ = [9, n0, _LCDP,
    { [_h]: ["GET", "/2020-05-31/continuous-deployment-policy", 200] }, () => ListContinuousDeploymentPoliciesRequest$, () => ListContinuousDeploymentPoliciesResult$
];
var ListDistributions$ = [9, n0, _LD,
    { [_h]: ["GET", "/2020-05-31/distribution", 200] }, () => ListDistributionsRequest$, () => ListDistributionsResult$
];
var ListDistributionsByAnycastIpListId$ = [9, n0, _LDBAILI,
    { [_h]: ["GET", "/2020-05-31/distributionsByAnycastIpListId/{AnycastIpListId}", 200] }, () => ListDistributionsByAnycastIpListIdRequest$, () => ListDistributionsByAnycastIpListIdResult$
];
var ListDistributionsByCachePolicyId$ = [9, n0, _LDBCPI,
    { [_h]: ["GET", "/2020-05-31/distributionsByCachePolicyId/{CachePolicyId}", 200] }, () => ListDistributionsByCachePolicyIdRequest$, () => ListDistributionsByCachePolicyIdResult$
];
var ListDistributionsByConnectionFunction$ = [9, n0, _LDBCF,
    { [_h]: ["GET", "/2020-05-31/distributionsByConnectionFunction", 200] }, () => ListDistributionsByConnectionFunctionRequest$, () => ListDistributionsByConnectionFunctionResult$
];
var ListDistributionsByConnectionMode$ = [9, n0, _LDBCM,
    { [_h]: ["GET", "/2020-05-31/distributionsByConnectionMode/{ConnectionMode}", 200] }, () => ListDistributionsByConnectionModeRequest$, () => ListDistributionsByConnectionModeResult$
];
var ListDistributionsByKeyGroup$ = [9, n0, _LDBKG,
    { [_h]: ["GET", "/2020-05-31/distributionsByKeyGroupId/{KeyGroupId}", 200] }, () => ListDistributionsByKeyGroupRequest$, () => ListDistributionsByKeyGroupResult$
];
var ListDistributionsByOriginRequestPolicyId$ = [9, n0, _LDBORPI,
    { [_h]: ["GET", "/2020-05-31/distributionsByOriginRequestPolicyId/{OriginRequestPolicyId}", 200] }, () => ListDistributionsByOriginRequestPolicyIdRequest$, () => ListDistributionsByOriginRequestPolicyIdResult$
];
var ListDistributionsByOwnedResource$ = [9, n0, _LDBOR,
    { [_h]: ["GET", "/2020-05-31/distributionsByOwnedResource/{ResourceArn}", 200] }, () => ListDistributionsByOwnedResourceRequest$, () => ListDistributionsByOwnedResourceResult$
];
var ListDistributionsByRealtimeLogConfig$ = [9, n0, _LDBRLC,
    { [_h]: ["POST", "/2020-05-31/distributionsByRealtimeLogConfig", 200] }, () => ListDistributionsByRealtimeLogConfigRequest$, () => ListDistributionsByRealtimeLogConfigResult$
];
var ListDistributionsByResponseHeadersPolicyId$ = [9, n0, _LDBRHPI,
    { [_h]: ["GET", "/2020-05-31/distributionsByResponseHeadersPolicyId/{ResponseHeadersPolicyId}", 200] }, () => ListDistributionsByResponseHeadersPolicyIdRequest$, () => ListDistributionsByResponseHeadersPolicyIdResult$
];
var ListDistributionsByTrustStore$ = [9, n0, _LDBTS,
    { [_h]: ["GET", "/2020-05-31/distributionsByTrustStore", 200] }, () => ListDistributionsByTrustStoreRequest$, () => ListDistributionsByTrustStoreResult$
];
var ListDistributionsByVpcOriginId$ = [9, n0, _LDBVOI,
    { [_h]: ["GET", "/2020-05-31/distributionsByVpcOriginId/{VpcOriginId}", 200] }, () => ListDistributionsByVpcOriginIdRequest$, () => ListDistributionsByVpcOriginIdResult$
];
var ListDistributionsByWebACLId$ = [9, n0, _LDBWACLI,
    { [_h]: ["GET", "/2020-05-31/distributionsByWebACLId/{WebACLId}", 200] }, () => ListDistributionsByWebACLIdRequest$, () => ListDistributionsByWebACLIdResult$
];
var ListDistributionTenants$ = [9, n0, _LDT,
    { [_h]: ["POST", "/2020-05-31/distribution-tenants", 200] }, () => ListDistributionTenantsRequest$, () => ListDistributionTenantsResult$
];
var ListDistributionTenantsByCustomization$ = [9, n0, _LDTBC,
    { [_h]: ["POST", "/2020-05-31/distribution-tenants-by-customization", 200] }, () => ListDistributionTenantsByCustomizationRequest$, () => ListDistributionTenantsByCustomizationResult$
];
var ListDomainConflicts$ = [9, n0, _LDC,
    { [_h]: ["POST", "/2020-05-31/domain-conflicts", 200] }, () => ListDomainConflictsRequest$, () => ListDomainConflictsResult$
];
var ListFieldLevelEncryptionConfigs$ = [9, n0, _LFLEC,
    { [_h]: ["GET", "/2020-05-31/field-level-encryption", 200] }, () => ListFieldLevelEncryptionConfigsRequest$, () => ListFieldLevelEncryptionConfigsResult$
];
var ListFieldLevelEncryptionProfiles$ = [9, n0, _LFLEP,
    { [_h]: ["GET", "/2020-05-31/field-level-encryption-profile", 200] }, () => ListFieldLevelEncryptionProfilesRequest$, () => ListFieldLevelEncryptionProfilesResult$
];
var ListFunctions$ = [9, n0, _LF,
    { [_h]: ["GET", "/2020-05-31/function", 200] }, () => ListFunctionsRequest$, () => ListFunctionsResult$
];
var ListInvalidations$ = [9, n0, _LI,
    { [_h]: ["GET", "/2020-05-31/distribution/{DistributionId}/invalidation", 200] }, () => ListInvalidationsRequest$, () => ListInvalidationsResult$
];
var ListInvalidationsForDistributionTenant$ = [9, n0, _LIFDT,
    { [_h]: ["GET", "/2020-05-31/distribution-tenant/{Id}/invalidation", 200] }, () => ListInvalidationsForDistributionTenantRequest$, () => ListInvalidationsForDistributionTenantResult$
];
var ListKeyGroups$ = [9, n0, _LKG,
    { [_h]: ["GET", "/2020-05-31/key-group", 200] }, () => ListKeyGroupsRequest$, () => ListKeyGroupsResult$
];
var ListKeyValueStores$ = [9, n0, _LKVS,
    { [_h]: ["GET", "/2020-05-31/key-value-store", 200] }, () => ListKeyValueStoresRequest$, () => ListKeyValueStoresResult$
];
var ListOriginAccessControls$ = [9, n0, _LOAC,
    { [_h]: ["GET", "/2020-05-31/origin-access-control", 200] }, () => ListOriginAccessControlsRequest$, () => ListOriginAccessControlsResult$
];
var ListOriginRequestPolicies$ = [9, n0, _LORP,
    { [_h]: ["GET", "/2020-05-31/origin-request-policy", 200] }, () => ListOriginRequestPoliciesRequest$, () => ListOriginRequestPoliciesResult$
];
var ListPublicKeys$ = [9, n0, _LPK,
    { [_h]: ["GET", "/2020-05-31/public-key", 200] }, () => ListPublicKeysRequest$, () => ListPublicKeysResult$
];
var ListRealtimeLogConfigs$ = [9, n0, _LRLC,
    { [_h]: ["GET", "/2020-05-31/realtime-log-config", 200] }, () => ListRealtimeLogConfigsRequest$, () => ListRealtimeLogConfigsResult$
];
var ListResponseHeadersPolicies$ = [9, n0, _LRHP,
    { [_h]: ["GET", "/2020-05-31/response-headers-policy", 200] }, () => ListResponseHeadersPoliciesRequest$, () => ListResponseHeadersPoliciesResult$
];
var ListStreamingDistributions$ = [9, n0, _LSD,
    { [_h]: ["GET", "/2020-05-31/streaming-distribution", 200] }, () => ListStreamingDistributionsRequest$, () => ListStreamingDistributionsResult$
];
var ListTagsForResource$ = [9, n0, _LTFR,
    { [_h]: ["GET", "/2020-05-31/tagging", 200] }, () => ListTagsForResourceRequest$, () => ListTagsForResourceResult$
];
var ListTrustStores$ = [9, n0, _LTS,
    { [_h]: ["POST", "/2020-05-31/trust-stores", 200] }, () => ListTrustStoresRequest$, () => ListTrustStoresResult$
];
var ListVpcOrigins$ = [9, n0, _LVO,
    { [_h]: ["GET", "/2020-05-31/vpc-origin", 200] }, () => ListVpcOriginsRequest$, () => ListVpcOriginsResult$
];
var PublishConnectionFunction$ = [9, n0, _PCF,
    { [_h]: ["POST", "/2020-05-31/connection-function/{Id}/publish", 200] }, () => PublishConnectionFunctionRequest$, () => PublishConnectionFunctionResult$
];
var PublishFunction$ = [9, n0, _PFu,
    { [_h]: ["POST", "/2020-05-31/function/{Name}/publish", 200] }, () => PublishFunctionRequest$, () => PublishFunctionResult$
];
var PutResourcePolicy$ = [9, n0, _PRP,
    { [_h]: ["POST", "/2020-05-31/put-resource-policy", 200] }, () => PutResourcePolicyRequest$, () => PutResourcePolicyResult$
];
var TagResource$ = [9, n0, _TRag,
    { [_h]: ["POST", "/2020-05-31/tagging?Operation=Tag", 204] }, () => TagResourceRequest$, () => __Unit
];
var TestConnectionFunction$ = [9, n0, _TCF,
    { [_h]: ["POST", "/2020-05-31/connection-function/{Id}/test", 200] }, () => TestConnectionFunctionRequest$, () => TestConnectionFunctionResult$
];
var TestFunction$ = [9, n0, _TF,
    { [_h]: ["POST", "/2020-05-31/function/{Name}/test", 200] }, () => TestFunctionRequest$, () => TestFunctionResult$
];
var UntagResource$ = [9, n0, _UR,
    { [_h]: ["POST", "/2020-05-31/tagging?Operation=Untag", 204] }, () => UntagResourceRequest$, () => __Unit
];
var UpdateAnycastIpList$ = [9, n0, _UAIL,
    { [_h]: ["PUT", "/2020-05-31/anycast-ip-list/{Id}", 200] }, () => UpdateAnycastIpListRequest$, () => UpdateAnycastIpListResult$
];
var UpdateCachePolicy$ = [9, n0, _UCP,
    { [_h]: ["PUT", "/2020-05-31/cache-policy/{Id}", 200] }, () => UpdateCachePolicyRequest$, () => UpdateCachePolicyResult$
];
var UpdateCloudFrontOriginAccessIdentity$ = [9, n0, _UCFOAI,
    { [_h]: ["PUT", "/2020-05-31/origin-access-identity/cloudfront/{Id}/config", 200] }, () => UpdateCloudFrontOriginAccessIdentityRequest$, () => UpdateCloudFrontOriginAccessIdentityResult$
];
var UpdateConnectionFunction$ = [9, n0, _UCF,
    { [_h]: ["PUT", "/2020-05-31/connection-function/{Id}", 200] }, () => UpdateConnectionFunctionRequest$, () => UpdateConnectionFunctionResult$
];
var UpdateConnectionGroup$ = [9, n0, _UCG,
    { [_h]: ["PUT", "/2020-05-31/connection-group/{Id}", 200] }, () => UpdateConnectionGroupRequest$, () => UpdateConnectionGroupResult$
];
var UpdateContinuousDeploymentPolicy$ = [9, n0, _UCDP,
    { [_h]: ["PUT", "/2020-05-31/continuous-deployment-policy/{Id}", 200] }, () => UpdateContinuousDeploymentPolicyRequest$, () => UpdateContinuousDeploymentPolicyResult$
];
var UpdateDistribution$ = [9, n0, _UD,
    { [_h]: ["PUT", "/2020-05-31/distribution/{Id}/config", 200] }, () => UpdateDistributionRequest$, () => UpdateDistributionResult$
];
var UpdateDistributionTenant$ = [9, n0, _UDT,
    { [_h]: ["PUT", "/2020-05-31/distribution-tenant/{Id}", 200] }, () => UpdateDistributionTenantRequest$, () => UpdateDistributionTenantResult$
];
var UpdateDistributionWithStagingConfig$ = [9, n0, _UDWSC,
    { [_h]: ["PUT", "/2020-05-31/distribution/{Id}/promote-staging-config", 200] }, () => UpdateDistributionWithStagingConfigRequest$, () => UpdateDistributionWithStagingConfigResult$
];
var UpdateDomainAssociation$ = [9, n0, _UDA,
    { [_h]: ["POST", "/2020-05-31/domain-association", 200] }, () => UpdateDomainAssociationRequest$, () => UpdateDomainAssociationResult$
];
var UpdateFieldLevelEncryptionConfig$ = [9, n0, _UFLEC,
    { [_h]: ["PUT", "/2020-05-31/field-level-encryption/{Id}/config", 200] }, () => UpdateFieldLevelEncryptionConfigRequest$, () => UpdateFieldLevelEncryptionConfigResult$
];
var UpdateFieldLevelEncryptionProfile$ = [9, n0, _UFLEP,
    { [_h]: ["PUT", "/2020-05-31/field-level-encryption-profile/{Id}/config", 200] }, () => UpdateFieldLevelEncryptionProfileRequest$, () => UpdateFieldLevelEncryptionProfileResult$
];
var UpdateFunction$ = [9, n0, _UF,
    { [_h]: ["PUT", "/2020-05-31/function/{Name}", 200] }, () => UpdateFunctionRequest$, () => UpdateFunctionResult$
];
var UpdateKeyGroup$ = [9, n0, _UKG,
    { [_h]: ["PUT", "/2020-05-31/key-group/{Id}", 200] }, () => UpdateKeyGroupRequest$, () => UpdateKeyGroupResult$
];
var UpdateKeyValueStore$ = [9, n0, _UKVS,
    { [_h]: ["PUT", "/2020-05-31/key-value-store/{Name}", 200] }, () => UpdateKeyValueStoreRequest$, () => UpdateKeyValueStoreResult$
];
var UpdateOriginAccessControl$ = [9, n0, _UOAC,
    { [_h]: ["PUT", "/2020-05-31/origin-access-control/{Id}/config", 200] }, () => UpdateOriginAccessControlRequest$, () => UpdateOriginAccessControlResult$
];
var UpdateOriginRequestPolicy$ = [9, n0, _UORP,
    { [_h]: ["PUT", "/2020-05-31/origin-request-policy/{Id}", 200] }, () => UpdateOriginRequestPolicyRequest$, () => UpdateOriginRequestPolicyResult$
];
var UpdatePublicKey$ = [9, n0, _UPK,
    { [_h]: ["PUT", "/2020-05-31/public-key/{Id}/config", 200] }, () => UpdatePublicKeyRequest$, () => UpdatePublicKeyResult$
];
var UpdateRealtimeLogConfig$ = [9, n0, _URLC,
    { [_h]: ["PUT", "/2020-05-31/realtime-log-config", 200] }, () => UpdateRealtimeLogConfigRequest$, () => UpdateRealtimeLogConfigResult$
];
var UpdateResponseHeadersPolicy$ = [9, n0, _URHP,
    { [_h]: ["PUT", "/2020-05-31/response-headers-policy/{Id}", 200] }, () => UpdateResponseHeadersPolicyRequest$, () => UpdateResponseHeadersPolicyResult$
];
var UpdateStreamingDistribution$ = [9, n0, _USD,
    { [_h]: ["PUT", "/2020-05-31/streaming-distribution/{Id}/config", 200] }, () => UpdateStreamingDistributionRequest$, () => UpdateStreamingDistributionResult$
];
var UpdateTrustStore$ = [9, n0, _UTS,
    { [_h]: ["PUT", "/2020-05-31/trust-store/{Id}", 200] }, () => UpdateTrustStoreRequest$, () => UpdateTrustStoreResult$
];
var UpdateVpcOrigin$ = [9, n0, _UVO,
    { [_h]: ["PUT", "/2020-05-31/vpc-origin/{Id}", 202] }, () => UpdateVpcOriginRequest$, () => UpdateVpcOriginResult$
];
var VerifyDnsConfiguration$ = [9, n0, _VDC,
    { [_h]: ["POST", "/2020-05-31/verify-dns-configuration", 200] }, () => VerifyDnsConfigurationRequest$, () => VerifyDnsConfigurationResult$
];

const getRuntimeConfig$1 = (config) => {
    return {
        apiVersion: "2020-05-31",
        base64Decoder: config?.base64Decoder ?? fromBase64,
        base64Encoder: config?.base64Encoder ?? toBase64,
        disableHostPrefix: config?.disableHostPrefix ?? false,
        endpointProvider: config?.endpointProvider ?? defaultEndpointResolver,
        extensions: config?.extensions ?? [],
        httpAuthSchemeProvider: config?.httpAuthSchemeProvider ?? defaultCloudFrontHttpAuthSchemeProvider,
        httpAuthSchemes: config?.httpAuthSchemes ?? [
            {
                schemeId: "aws.auth#sigv4",
                identityProvider: (ipc) => ipc.getIdentityProvider("aws.auth#sigv4"),
                signer: new AwsSdkSigV4Signer(),
            },
        ],
        logger: config?.logger ?? new NoOpLogger(),
        protocol: config?.protocol ?? AwsRestXmlProtocol,
        protocolSettings: config?.protocolSettings ?? {
            defaultNamespace: "com.amazonaws.cloudfront",
            errorTypeRegistries,
            xmlNamespace: "http://cloudfront.amazonaws.com/doc/2020-05-31/",
            version: "2020-05-31",
            serviceTarget: "Cloudfront2020_05_31",
        },
        serviceId: config?.serviceId ?? "CloudFront",
        sha256: config?.sha256 ?? Sha256,
        urlParser: config?.urlParser ?? parseUrl,
        utf8Decoder: config?.utf8Decoder ?? fromUtf8,
        utf8Encoder: config?.utf8Encoder ?? toUtf8,
    };
};

const getRuntimeConfig = (config) => {
    emitWarningIfUnsupportedVersion(process.version);
    const defaultsMode = resolveDefaultsModeConfig(config);
    const defaultConfigProvider = () => defaultsMode().then(loadConfigsForDefaultMode);
    const clientSharedValues = getRuntimeConfig$1(config);
    emitWarningIfUnsupportedVersion$1(process.version);
    const loaderConfig = {
        profile: config?.profile,
        logger: clientSharedValues.logger,
    };
    return {
        ...clientSharedValues,
        ...config,
        runtime: "node",
        defaultsMode,
        authSchemePreference: config?.authSchemePreference ?? loadConfig(NODE_AUTH_SCHEME_PREFERENCE_OPTIONS, loaderConfig),
        bodyLengthChecker: config?.bodyLengthChecker ?? calculateBodyLength,
        credentialDefaultProvider: config?.credentialDefaultProvider ?? defaultProvider,
        defaultSocketTimeout: getDefaultSocketTimeout(config?.requestHandler, 300_000),
        defaultUserAgentProvider: config?.defaultUserAgentProvider ?? createDefaultUserAgentProvider({ serviceId: clientSharedValues.serviceId, clientVersion: packageInfo.version }),
        maxAttempts: config?.maxAttempts ?? loadConfig(NODE_MAX_ATTEMPT_CONFIG_OPTIONS, config),
        region: config?.region ?? loadConfig(NODE_REGION_CONFIG_OPTIONS, { ...NODE_REGION_CONFIG_FILE_OPTIONS, ...loaderConfig }),
        requestHandler: NodeHttpHandler.create(config?.requestHandler ?? defaultConfigProvider),
        retryMode: config?.retryMode ??
            loadConfig({
                ...NODE_RETRY_MODE_CONFIG_OPTIONS,
                default: async () => (await defaultConfigProvider()).retryMode || DEFAULT_RETRY_MODE,
            }, config),
        streamCollector: config?.streamCollector ?? streamCollector,
        useDualstackEndpoint: config?.useDualstackEndpoint ?? loadConfig(NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS, loaderConfig),
        useFipsEndpoint: config?.useFipsEndpoint ?? loadConfig(NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS, loaderConfig),
        userAgentAppId: config?.userAgentAppId ?? loadConfig(NODE_APP_ID_CONFIG_OPTIONS, loaderConfig),
    };
};

const getHttpAuthExtensionConfiguration = (runtimeConfig) => {
    const _httpAuthSchemes = runtimeConfig.httpAuthSchemes;
    let _httpAuthSchemeProvider = runtimeConfig.httpAuthSchemeProvider;
    let _credentials = runtimeConfig.credentials;
    return {
        setHttpAuthScheme(httpAuthScheme) {
            const index = _httpAuthSchemes.findIndex((scheme) => scheme.schemeId === httpAuthScheme.schemeId);
            if (index === -1) {
                _httpAuthSchemes.push(httpAuthScheme);
            }
            else {
                _httpAuthSchemes.splice(index, 1, httpAuthScheme);
            }
        },
        httpAuthSchemes() {
            return _httpAuthSchemes;
        },
        setHttpAuthSchemeProvider(httpAuthSchemeProvider) {
            _httpAuthSchemeProvider = httpAuthSchemeProvider;
        },
        httpAuthSchemeProvider() {
            return _httpAuthSchemeProvider;
        },
        setCredentials(credentials) {
            _credentials = credentials;
        },
        credentials() {
            return _credentials;
        },
    };
};
const resolveHttpAuthRuntimeConfig = (config) => {
    return {
        httpAuthSchemes: config.httpAuthSchemes(),
        httpAuthSchemeProvider: config.httpAuthSchemeProvider(),
        credentials: config.credentials(),
    };
};

const resolveRuntimeExtensions = (runtimeConfig, extensions) => {
    const extensionConfiguration = Object.assign(getAwsRegionExtensionConfiguration(runtimeConfig), getDefaultExtensionConfiguration(runtimeConfig), getHttpHandlerExtensionConfiguration(runtimeConfig), getHttpAuthExtensionConfiguration(runtimeConfig));
    extensions.forEach((extension) => extension.configure(extensionConfiguration));
    return Object.assign(runtimeConfig, resolveAwsRegionExtensionConfiguration(extensionConfiguration), resolveDefaultRuntimeConfig(extensionConfiguration), resolveHttpHandlerRuntimeConfig(extensionConfiguration), resolveHttpAuthRuntimeConfig(extensionConfiguration));
};

class CloudFrontClient extends Client {
    config;
    constructor(...[configuration]) {
        const _config_0 = getRuntimeConfig(configuration || {});
        super(_config_0);
        this.initConfig = _config_0;
        const _config_1 = resolveClientEndpointParameters(_config_0);
        const _config_2 = resolveUserAgentConfig(_config_1);
        const _config_3 = resolveRetryConfig(_config_2);
        const _config_4 = resolveRegionConfig(_config_3);
        const _config_5 = resolveHostHeaderConfig(_config_4);
        const _config_6 = resolveEndpointConfig(_config_5);
        const _config_7 = resolveHttpAuthSchemeConfig(_config_6);
        const _config_8 = resolveRuntimeExtensions(_config_7, configuration?.extensions || []);
        this.config = _config_8;
        this.middlewareStack.use(getSchemaSerdePlugin(this.config));
        this.middlewareStack.use(getUserAgentPlugin(this.config));
        this.middlewareStack.use(getRetryPlugin(this.config));
        this.middlewareStack.use(getContentLengthPlugin(this.config));
        this.middlewareStack.use(getHostHeaderPlugin(this.config));
        this.middlewareStack.use(getLoggerPlugin(this.config));
        this.middlewareStack.use(getRecursionDetectionPlugin(this.config));
        this.middlewareStack.use(getHttpAuthSchemeEndpointRuleSetPlugin(this.config, {
            httpAuthSchemeParametersProvider: defaultCloudFrontHttpAuthSchemeParametersProvider,
            identityProviderConfigProvider: async (config) => new DefaultIdentityProviderConfig({
                "aws.auth#sigv4": config.credentials,
            }),
        }));
        this.middlewareStack.use(getHttpSigningPlugin(this.config));
    }
    destroy() {
        super.destroy();
    }
}

const command = makeBuilder(commonParams, "Cloudfront2020_05_31", "CloudFrontClient", getEndpointPlugin);
const _ep0 = {};
const _mw0 = (Command, cs, config, o) => [];

class AssociateAliasCommand extends command(_ep0, _mw0, "AssociateAlias", AssociateAlias$) {
}

class AssociateDistributionTenantWebACLCommand extends command(_ep0, _mw0, "AssociateDistributionTenantWebACL", AssociateDistributionTenantWebACL$) {
}

class AssociateDistributionWebACLCommand extends command(_ep0, _mw0, "AssociateDistributionWebACL", AssociateDistributionWebACL$) {
}

class CopyDistributionCommand extends command(_ep0, _mw0, "CopyDistribution", CopyDistribution$) {
}

class CreateAnycastIpListCommand extends command(_ep0, _mw0, "CreateAnycastIpList", CreateAnycastIpList$) {
}

class CreateCachePolicyCommand extends command(_ep0, _mw0, "CreateCachePolicy", CreateCachePolicy$) {
}

class CreateCloudFrontOriginAccessIdentityCommand extends command(_ep0, _mw0, "CreateCloudFrontOriginAccessIdentity", CreateCloudFrontOriginAccessIdentity$) {
}

class CreateConnectionFunctionCommand extends command(_ep0, _mw0, "CreateConnectionFunction", CreateConnectionFunction$) {
}

class CreateConnectionGroupCommand extends command(_ep0, _mw0, "CreateConnectionGroup", CreateConnectionGroup$) {
}

class CreateContinuousDeploymentPolicyCommand extends command(_ep0, _mw0, "CreateContinuousDeploymentPolicy", CreateContinuousDeploymentPolicy$) {
}

class CreateDistributionCommand extends command(_ep0, _mw0, "CreateDistribution", CreateDistribution$) {
}

class CreateDistributionTenantCommand extends command(_ep0, _mw0, "CreateDistributionTenant", CreateDistributionTenant$) {
}

class CreateDistributionWithTagsCommand extends command(_ep0, _mw0, "CreateDistributionWithTags", CreateDistributionWithTags$) {
}

class CreateFieldLevelEncryptionConfigCommand extends command(_ep0, _mw0, "CreateFieldLevelEncryptionConfig", CreateFieldLevelEncryptionConfig$) {
}

class CreateFieldLevelEncryptionProfileCommand extends command(_ep0, _mw0, "CreateFieldLevelEncryptionProfile", CreateFieldLevelEncryptionProfile$) {
}

class CreateFunctionCommand extends command(_ep0, _mw0, "CreateFunction", CreateFunction$) {
}

class CreateInvalidationCommand extends command(_ep0, _mw0, "CreateInvalidation", CreateInvalidation$) {
}

class CreateInvalidationForDistributionTenantCommand extends command(_ep0, _mw0, "CreateInvalidationForDistributionTenant", CreateInvalidationForDistributionTenant$) {
}

class CreateKeyGroupCommand extends command(_ep0, _mw0, "CreateKeyGroup", CreateKeyGroup$) {
}

class CreateKeyValueStoreCommand extends command(_ep0, _mw0, "CreateKeyValueStore", CreateKeyValueStore$) {
}

class CreateMonitoringSubscriptionCommand extends command(_ep0, _mw0, "CreateMonitoringSubscription", CreateMonitoringSubscription$) {
}

class CreateOriginAccessControlCommand extends command(_ep0, _mw0, "CreateOriginAccessControl", CreateOriginAccessControl$) {
}

class CreateOriginRequestPolicyCommand extends command(_ep0, _mw0, "CreateOriginRequestPolicy", CreateOriginRequestPolicy$) {
}

class CreatePublicKeyCommand extends command(_ep0, _mw0, "CreatePublicKey", CreatePublicKey$) {
}

class CreateRealtimeLogConfigCommand extends command(_ep0, _mw0, "CreateRealtimeLogConfig", CreateRealtimeLogConfig$) {
}

class CreateResponseHeadersPolicyCommand extends command(_ep0, _mw0, "CreateResponseHeadersPolicy", CreateResponseHeadersPolicy$) {
}

class CreateStreamingDistributionCommand extends command(_ep0, _mw0, "CreateStreamingDistribution", CreateStreamingDistribution$) {
}

class CreateStreamingDistributionWithTagsCommand extends command(_ep0, _mw0, "CreateStreamingDistributionWithTags", CreateStreamingDistributionWithTags$) {
}

class CreateTrustStoreCommand extends command(_ep0, _mw0, "CreateTrustStore", CreateTrustStore$) {
}

class CreateVpcOriginCommand extends command(_ep0, _mw0, "CreateVpcOrigin", CreateVpcOrigin$) {
}

class DeleteAnycastIpListCommand extends command(_ep0, _mw0, "DeleteAnycastIpList", DeleteAnycastIpList$) {
}

class DeleteCachePolicyCommand extends command(_ep0, _mw0, "DeleteCachePolicy", DeleteCachePolicy$) {
}

class DeleteCloudFrontOriginAccessIdentityCommand extends command(_ep0, _mw0, "DeleteCloudFrontOriginAccessIdentity", DeleteCloudFrontOriginAccessIdentity$) {
}

class DeleteConnectionFunctionCommand extends command(_ep0, _mw0, "DeleteConnectionFunction", DeleteConnectionFunction$) {
}

class DeleteConnectionGroupCommand extends command(_ep0, _mw0, "DeleteConnectionGroup", DeleteConnectionGroup$) {
}

class DeleteContinuousDeploymentPolicyCommand extends command(_ep0, _mw0, "DeleteContinuousDeploymentPolicy", DeleteContinuousDeploymentPolicy$) {
}

class DeleteDistributionCommand extends command(_ep0, _mw0, "DeleteDistribution", DeleteDistribution$) {
}

class DeleteDistributionTenantCommand extends command(_ep0, _mw0, "DeleteDistributionTenant", DeleteDistributionTenant$) {
}

class DeleteFieldLevelEncryptionConfigCommand extends command(_ep0, _mw0, "DeleteFieldLevelEncryptionConfig", DeleteFieldLevelEncryptionConfig$) {
}

class DeleteFieldLevelEncryptionProfileCommand extends command(_ep0, _mw0, "DeleteFieldLevelEncryptionProfile", DeleteFieldLevelEncryptionProfile$) {
}

class DeleteFunctionCommand extends command(_ep0, _mw0, "DeleteFunction", DeleteFunction$) {
}

class DeleteKeyGroupCommand extends command(_ep0, _mw0, "DeleteKeyGroup", DeleteKeyGroup$) {
}

class DeleteKeyValueStoreCommand extends command(_ep0, _mw0, "DeleteKeyValueStore", DeleteKeyValueStore$) {
}

class DeleteMonitoringSubscriptionCommand extends command(_ep0, _mw0, "DeleteMonitoringSubscription", DeleteMonitoringSubscription$) {
}

class DeleteOriginAccessControlCommand extends command(_ep0, _mw0, "DeleteOriginAccessControl", DeleteOriginAccessControl$) {
}

class DeleteOriginRequestPolicyCommand extends command(_ep0, _mw0, "DeleteOriginRequestPolicy", DeleteOriginRequestPolicy$) {
}

class DeletePublicKeyCommand extends command(_ep0, _mw0, "DeletePublicKey", DeletePublicKey$) {
}

class DeleteRealtimeLogConfigCommand extends command(_ep0, _mw0, "DeleteRealtimeLogConfig", DeleteRealtimeLogConfig$) {
}

class DeleteResourcePolicyCommand extends command(_ep0, _mw0, "DeleteResourcePolicy", DeleteResourcePolicy$) {
}

class DeleteResponseHeadersPolicyCommand extends command(_ep0, _mw0, "DeleteResponseHeadersPolicy", DeleteResponseHeadersPolicy$) {
}

class DeleteStreamingDistributionCommand extends command(_ep0, _mw0, "DeleteStreamingDistribution", DeleteStreamingDistribution$) {
}

class DeleteTrustStoreCommand extends command(_ep0, _mw0, "DeleteTrustStore", DeleteTrustStore$) {
}

class DeleteVpcOriginCommand extends command(_ep0, _mw0, "DeleteVpcOrigin", DeleteVpcOrigin$) {
}

class DescribeConnectionFunctionCommand extends command(_ep0, _mw0, "DescribeConnectionFunction", DescribeConnectionFunction$) {
}

class DescribeFunctionCommand extends command(_ep0, _mw0, "DescribeFunction", DescribeFunction$) {
}

class DescribeKeyValueStoreCommand extends command(_ep0, _mw0, "DescribeKeyValueStore", DescribeKeyValueStore$) {
}

class DisassociateDistributionTenantWebACLCommand extends command(_ep0, _mw0, "DisassociateDistributionTenantWebACL", DisassociateDistributionTenantWebACL$) {
}

class DisassociateDistributionWebACLCommand extends command(_ep0, _mw0, "DisassociateDistributionWebACL", DisassociateDistributionWebACL$) {
}

class GetAnycastIpListCommand extends command(_ep0, _mw0, "GetAnycastIpList", GetAnycastIpList$) {
}

class GetCachePolicyCommand extends command(_ep0, _mw0, "GetCachePolicy", GetCachePolicy$) {
}

class GetCachePolicyConfigCommand extends command(_ep0, _mw0, "GetCachePolicyConfig", GetCachePolicyConfig$) {
}

class GetCloudFrontOriginAccessIdentityCommand extends command(_ep0, _mw0, "GetCloudFrontOriginAccessIdentity", GetCloudFrontOriginAccessIdentity$) {
}

class GetCloudFrontOriginAccessIdentityConfigCommand extends command(_ep0, _mw0, "GetCloudFrontOriginAccessIdentityConfig", GetCloudFrontOriginAccessIdentityConfig$) {
}

class GetConnectionFunctionCommand extends command(_ep0, _mw0, "GetConnectionFunction", GetConnectionFunction$) {
}

class GetConnectionGroupByRoutingEndpointCommand extends command(_ep0, _mw0, "GetConnectionGroupByRoutingEndpoint", GetConnectionGroupByRoutingEndpoint$) {
}

class GetConnectionGroupCommand extends command(_ep0, _mw0, "GetConnectionGroup", GetConnectionGroup$) {
}

class GetContinuousDeploymentPolicyCommand extends command(_ep0, _mw0, "GetContinuousDeploymentPolicy", GetContinuousDeploymentPolicy$) {
}

class GetContinuousDeploymentPolicyConfigCommand extends command(_ep0, _mw0, "GetContinuousDeploymentPolicyConfig", GetContinuousDeploymentPolicyConfig$) {
}

class GetDistributionCommand extends command(_ep0, _mw0, "GetDistribution", GetDistribution$) {
}

class GetDistributionConfigCommand extends command(_ep0, _mw0, "GetDistributionConfig", GetDistributionConfig$) {
}

class GetDistributionTenantByDomainCommand extends command(_ep0, _mw0, "GetDistributionTenantByDomain", GetDistributionTenantByDomain$) {
}

class GetDistributionTenantCommand extends command(_ep0, _mw0, "GetDistributionTenant", GetDistributionTenant$) {
}

class GetFieldLevelEncryptionCommand extends command(_ep0, _mw0, "GetFieldLevelEncryption", GetFieldLevelEncryption$) {
}

class GetFieldLevelEncryptionConfigCommand extends command(_ep0, _mw0, "GetFieldLevelEncryptionConfig", GetFieldLevelEncryptionConfig$) {
}

class GetFieldLevelEncryptionProfileCommand extends command(_ep0, _mw0, "GetFieldLevelEncryptionProfile", GetFieldLevelEncryptionProfile$) {
}

class GetFieldLevelEncryptionProfileConfigCommand extends command(_ep0, _mw0, "GetFieldLevelEncryptionProfileConfig", GetFieldLevelEncryptionProfileConfig$) {
}

class GetFunctionCommand extends command(_ep0, _mw0, "GetFunction", GetFunction$) {
}

class GetInvalidationCommand extends command(_ep0, _mw0, "GetInvalidation", GetInvalidation$) {
}

class GetInvalidationForDistributionTenantCommand extends command(_ep0, _mw0, "GetInvalidationForDistributionTenant", GetInvalidationForDistributionTenant$) {
}

class GetKeyGroupCommand extends command(_ep0, _mw0, "GetKeyGroup", GetKeyGroup$) {
}

class GetKeyGroupConfigCommand extends command(_ep0, _mw0, "GetKeyGroupConfig", GetKeyGroupConfig$) {
}

class GetManagedCertificateDetailsCommand extends command(_ep0, _mw0, "GetManagedCertificateDetails", GetManagedCertificateDetails$) {
}

class GetMonitoringSubscriptionCommand extends command(_ep0, _mw0, "GetMonitoringSubscription", GetMonitoringSubscription$) {
}

class GetOriginAccessControlCommand extends command(_ep0, _mw0, "GetOriginAccessControl", GetOriginAccessControl$) {
}

class GetOriginAccessControlConfigCommand extends command(_ep0, _mw0, "GetOriginAccessControlConfig", GetOriginAccessControlConfig$) {
}

class GetOriginRequestPolicyCommand extends command(_ep0, _mw0, "GetOriginRequestPolicy", GetOriginRequestPolicy$) {
}

class GetOriginRequestPolicyConfigCommand extends command(_ep0, _mw0, "GetOriginRequestPolicyConfig", GetOriginRequestPolicyConfig$) {
}

class GetPublicKeyCommand extends command(_ep0, _mw0, "GetPublicKey", GetPublicKey$) {
}

class GetPublicKeyConfigCommand extends command(_ep0, _mw0, "GetPublicKeyConfig", GetPublicKeyConfig$) {
}

class GetRealtimeLogConfigCommand extends command(_ep0, _mw0, "GetRealtimeLogConfig", GetRealtimeLogConfig$) {
}

class GetResourcePolicyCommand extends command(_ep0, _mw0, "GetResourcePolicy", GetResourcePolicy$) {
}

class GetResponseHeadersPolicyCommand extends command(_ep0, _mw0, "GetResponseHeadersPolicy", GetResponseHeadersPolicy$) {
}

class GetResponseHeadersPolicyConfigCommand extends command(_ep0, _mw0, "GetResponseHeadersPolicyConfig", GetResponseHeadersPolicyConfig$) {
}

class GetStreamingDistributionCommand extends command(_ep0, _mw0, "GetStreamingDistribution", GetStreamingDistribution$) {
}

class GetStreamingDistributionConfigCommand extends command(_ep0, _mw0, "GetStreamingDistributionConfig", GetStreamingDistributionConfig$) {
}

class GetTrustStoreCommand extends command(_ep0, _mw0, "GetTrustStore", GetTrustStore$) {
}

class GetVpcOriginCommand extends command(_ep0, _mw0, "GetVpcOrigin", GetVpcOrigin$) {
}

class ListAnycastIpListsCommand extends command(_ep0, _mw0, "ListAnycastIpLists", ListAnycastIpLists$) {
}

class ListCachePoliciesCommand extends command(_ep0, _mw0, "ListCachePolicies", ListCachePolicies$) {
}

class ListCloudFrontOriginAccessIdentitiesCommand extends command(_ep0, _mw0, "ListCloudFrontOriginAccessIdentities", ListCloudFrontOriginAccessIdentities$) {
}

class ListConflictingAliasesCommand extends command(_ep0, _mw0, "ListConflictingAliases", ListConflictingAliases$) {
}

class ListConnectionFunctionsCommand extends command(_ep0, _mw0, "ListConnectionFunctions", ListConnectionFunctions$) {
}

class ListConnectionGroupsCommand extends command(_ep0, _mw0, "ListConnectionGroups", ListConnectionGroups$) {
}

class ListContinuousDeploymentPoliciesCommand extends command(_ep0, _mw0, "ListContinuousDeploymentPolicies", ListContinuousDeploymentPolicies$) {
}

class ListDistributionsByAnycastIpListIdCommand extends command(_ep0, _mw0, "ListDistributionsByAnycastIpListId", ListDistributionsByAnycastIpListId$) {
}

class ListDistributionsByCachePolicyIdCommand extends command(_ep0, _mw0, "ListDistributionsByCachePolicyId", ListDistributionsByCachePolicyId$) {
}

class ListDistributionsByConnectionFunctionCommand extends command(_ep0, _mw0, "ListDistributionsByConnectionFunction", ListDistributionsByConnectionFunction$) {
}

class ListDistributionsByConnectionModeCommand extends command(_ep0, _mw0, "ListDistributionsByConnectionMode", ListDistributionsByConnectionMode$) {
}

class ListDistributionsByKeyGroupCommand extends command(_ep0, _mw0, "ListDistributionsByKeyGroup", ListDistributionsByKeyGroup$) {
}

class ListDistributionsByOriginRequestPolicyIdCommand extends command(_ep0, _mw0, "ListDistributionsByOriginRequestPolicyId", ListDistributionsByOriginRequestPolicyId$) {
}

class ListDistributionsByOwnedResourceCommand extends command(_ep0, _mw0, "ListDistributionsByOwnedResource", ListDistributionsByOwnedResource$) {
}

class ListDistributionsByRealtimeLogConfigCommand extends command(_ep0, _mw0, "ListDistributionsByRealtimeLogConfig", ListDistributionsByRealtimeLogConfig$) {
}

class ListDistributionsByResponseHeadersPolicyIdCommand extends command(_ep0, _mw0, "ListDistributionsByResponseHeadersPolicyId", ListDistributionsByResponseHeadersPolicyId$) {
}

class ListDistributionsByTrustStoreCommand extends command(_ep0, _mw0, "ListDistributionsByTrustStore", ListDistributionsByTrustStore$) {
}

class ListDistributionsByVpcOriginIdCommand extends command(_ep0, _mw0, "ListDistributionsByVpcOriginId", ListDistributionsByVpcOriginId$) {
}

class ListDistributionsByWebACLIdCommand extends command(_ep0, _mw0, "ListDistributionsByWebACLId", ListDistributionsByWebACLId$) {
}

class ListDistributionsCommand extends command(_ep0, _mw0, "ListDistributions", ListDistributions$) {
}

class ListDistributionTenantsByCustomizationCommand extends command(_ep0, _mw0, "ListDistributionTenantsByCustomization", ListDistributionTenantsByCustomization$) {
}

class ListDistributionTenantsCommand extends command(_ep0, _mw0, "ListDistributionTenants", ListDistributionTenants$) {
}

class ListDomainConflictsCommand extends command(_ep0, _mw0, "ListDomainConflicts", ListDomainConflicts$) {
}

class ListFieldLevelEncryptionConfigsCommand extends command(_ep0, _mw0, "ListFieldLevelEncryptionConfigs", ListFieldLevelEncryptionConfigs$) {
}

class ListFieldLevelEncryptionProfilesCommand extends command(_ep0, _mw0, "ListFieldLevelEncryptionProfiles", ListFieldLevelEncryptionProfiles$) {
}

class ListFunctionsCommand extends command(_ep0, _mw0, "ListFunctions", ListFunctions$) {
}

class ListInvalidationsCommand extends command(_ep0, _mw0, "ListInvalidations", ListInvalidations$) {
}

class ListInvalidationsForDistributionTenantCommand extends command(_ep0, _mw0, "ListInvalidationsForDistributionTenant", ListInvalidationsForDistributionTenant$) {
}

class ListKeyGroupsCommand extends command(_ep0, _mw0, "ListKeyGroups", ListKeyGroups$) {
}

class ListKeyValueStoresCommand extends command(_ep0, _mw0, "ListKeyValueStores", ListKeyValueStores$) {
}

class ListOriginAccessControlsCommand extends command(_ep0, _mw0, "ListOriginAccessControls", ListOriginAccessControls$) {
}

class ListOriginRequestPoliciesCommand extends command(_ep0, _mw0, "ListOriginRequestPolicies", ListOriginRequestPolicies$) {
}

class ListPublicKeysCommand extends command(_ep0, _mw0, "ListPublicKeys", ListPublicKeys$) {
}

class ListRealtimeLogConfigsCommand extends command(_ep0, _mw0, "ListRealtimeLogConfigs", ListRealtimeLogConfigs$) {
}

class ListResponseHeadersPoliciesCommand extends command(_ep0, _mw0, "ListResponseHeadersPolicies", ListResponseHeadersPolicies$) {
}

class ListStreamingDistributionsCommand extends command(_ep0, _mw0, "ListStreamingDistributions", ListStreamingDistributions$) {
}

class ListTagsForResourceCommand extends command(_ep0, _mw0, "ListTagsForResource", ListTagsForResource$) {
}

class ListTrustStoresCommand extends command(_ep0, _mw0, "ListTrustStores", ListTrustStores$) {
}

class ListVpcOriginsCommand extends command(_ep0, _mw0, "ListVpcOrigins", ListVpcOrigins$) {
}

class PublishConnectionFunctionCommand extends command(_ep0, _mw0, "PublishConnectionFunction", PublishConnectionFunction$) {
}

class PublishFunctionCommand extends command(_ep0, _mw0, "PublishFunction", PublishFunction$) {
}

class PutResourcePolicyCommand extends command(_ep0, _mw0, "PutResourcePolicy", PutResourcePolicy$) {
}

class TagResourceCommand extends command(_ep0, _mw0, "TagResource", TagResource$) {
}

class TestConnectionFunctionCommand extends command(_ep0, _mw0, "TestConnectionFunction", TestConnectionFunction$) {
}

class TestFunctionCommand extends command(_ep0, _mw0, "TestFunction", TestFunction$) {
}

class UntagResourceCommand extends command(_ep0, _mw0, "UntagResource", UntagResource$) {
}

class UpdateAnycastIpListCommand extends command(_ep0, _mw0, "UpdateAnycastIpList", UpdateAnycastIpList$) {
}

class UpdateCachePolicyCommand extends command(_ep0, _mw0, "UpdateCachePolicy", UpdateCachePolicy$) {
}

class UpdateCloudFrontOriginAccessIdentityCommand extends command(_ep0, _mw0, "UpdateCloudFrontOriginAccessIdentity", UpdateCloudFrontOriginAccessIdentity$) {
}

class UpdateConnectionFunctionCommand extends command(_ep0, _mw0, "UpdateConnectionFunction", UpdateConnectionFunction$) {
}

class UpdateConnectionGroupCommand extends command(_ep0, _mw0, "UpdateConnectionGroup", UpdateConnectionGroup$) {
}

class UpdateContinuousDeploymentPolicyCommand extends command(_ep0, _mw0, "UpdateContinuousDeploymentPolicy", UpdateContinuousDeploymentPolicy$) {
}

class UpdateDistributionCommand extends command(_ep0, _mw0, "UpdateDistribution", UpdateDistribution$) {
}

class UpdateDistributionTenantCommand extends command(_ep0, _mw0, "UpdateDistributionTenant", UpdateDistributionTenant$) {
}

class UpdateDistributionWithStagingConfigCommand extends command(_ep0, _mw0, "UpdateDistributionWithStagingConfig", UpdateDistributionWithStagingConfig$) {
}

class UpdateDomainAssociationCommand extends command(_ep0, _mw0, "UpdateDomainAssociation", UpdateDomainAssociation$) {
}

class UpdateFieldLevelEncryptionConfigCommand extends command(_ep0, _mw0, "UpdateFieldLevelEncryptionConfig", UpdateFieldLevelEncryptionConfig$) {
}

class UpdateFieldLevelEncryptionProfileCommand extends command(_ep0, _mw0, "UpdateFieldLevelEncryptionProfile", UpdateFieldLevelEncryptionProfile$) {
}

class UpdateFunctionCommand extends command(_ep0, _mw0, "UpdateFunction", UpdateFunction$) {
}

class UpdateKeyGroupCommand extends command(_ep0, _mw0, "UpdateKeyGroup", UpdateKeyGroup$) {
}

class UpdateKeyValueStoreCommand extends command(_ep0, _mw0, "UpdateKeyValueStore", UpdateKeyValueStore$) {
}

class UpdateOriginAccessControlCommand extends command(_ep0, _mw0, "UpdateOriginAccessControl", UpdateOriginAccessControl$) {
}

class UpdateOriginRequestPolicyCommand extends command(_ep0, _mw0, "UpdateOriginRequestPolicy", UpdateOriginRequestPolicy$) {
}

class UpdatePublicKeyCommand extends command(_ep0, _mw0, "UpdatePublicKey", UpdatePublicKey$) {
}

class UpdateRealtimeLogConfigCommand extends command(_ep0, _mw0, "UpdateRealtimeLogConfig", UpdateRealtimeLogConfig$) {
}

class UpdateResponseHeadersPolicyCommand extends command(_ep0, _mw0, "UpdateResponseHeadersPolicy", UpdateResponseHeadersPolicy$) {
}

class UpdateStreamingDistributionCommand extends command(_ep0, _mw0, "UpdateStreamingDistribution", UpdateStreamingDistribution$) {
}

class UpdateTrustStoreCommand extends command(_ep0, _mw0, "UpdateTrustStore", UpdateTrustStore$) {
}

class UpdateVpcOriginCommand extends command(_ep0, _mw0, "UpdateVpcOrigin", UpdateVpcOrigin$) {
}

class VerifyDnsConfigurationCommand extends command(_ep0, _mw0, "VerifyDnsConfiguration", VerifyDnsConfiguration$) {
}

const paginateListCloudFrontOriginAccessIdentities = createPaginator(CloudFrontClient, ListCloudFrontOriginAccessIdentitiesCommand, "Marker", "CloudFrontOriginAccessIdentityList.NextMarker", "MaxItems");

const paginateListConnectionFunctions = createPaginator(CloudFrontClient, ListConnectionFunctionsCommand, "Marker", "NextMarker", "MaxItems");

const paginateListConnectionGroups = createPaginator(CloudFrontClient, ListConnectionGroupsCommand, "Marker", "NextMarker", "MaxItems");

const paginateListDistributionsByConnectionFunction = createPaginator(CloudFrontClient, ListDistributionsByConnectionFunctionCommand, "Marker", "DistributionList.NextMarker", "MaxItems");

const paginateListDistributionsByConnectionMode = createPaginator(CloudFrontClient, ListDistributionsByConnectionModeCommand, "Marker", "DistributionList.NextMarker", "MaxItems");

const paginateListDistributionsByTrustStore = createPaginator(CloudFrontClient, ListDistributionsByTrustStoreCommand, "Marker", "DistributionList.NextMarker", "MaxItems");

const paginateListDistributions = createPaginator(CloudFrontClient, ListDistributionsCommand, "Marker", "DistributionList.NextMarker", "MaxItems");

const paginateListDistributionTenantsByCustomization = createPaginator(CloudFrontClient, ListDistributionTenantsByCustomizationCommand, "Marker", "NextMarker", "MaxItems");

const paginateListDistributionTenants = createPaginator(CloudFrontClient, ListDistributionTenantsCommand, "Marker", "NextMarker", "MaxItems");

const paginateListDomainConflicts = createPaginator(CloudFrontClient, ListDomainConflictsCommand, "Marker", "NextMarker", "MaxItems");

const paginateListInvalidationsForDistributionTenant = createPaginator(CloudFrontClient, ListInvalidationsForDistributionTenantCommand, "Marker", "InvalidationList.NextMarker", "MaxItems");

const paginateListInvalidations = createPaginator(CloudFrontClient, ListInvalidationsCommand, "Marker", "InvalidationList.NextMarker", "MaxItems");

const paginateListKeyValueStores = createPaginator(CloudFrontClient, ListKeyValueStoresCommand, "Marker", "KeyValueStoreList.NextMarker", "MaxItems");

const paginateListOriginAccessControls = createPaginator(CloudFrontClient, ListOriginAccessControlsCommand, "Marker", "OriginAccessControlList.NextMarker", "MaxItems");

const paginateListPublicKeys = createPaginator(CloudFrontClient, ListPublicKeysCommand, "Marker", "PublicKeyList.NextMarker", "MaxItems");

const paginateListStreamingDistributions = createPaginator(CloudFrontClient, ListStreamingDistributionsCommand, "Marker", "StreamingDistributionList.NextMarker", "MaxItems");

const paginateListTrustStores = createPaginator(CloudFrontClient, ListTrustStoresCommand, "Marker", "NextMarker", "MaxItems");

const checkState$3 = async (client, input) => {
    let reason;
    try {
        let result = await client.send(new GetDistributionCommand(input));
        reason = result;
        try {
            const returnComparator = () => {
                return result.Distribution.Status;
            };
            if (returnComparator() === "Deployed") {
                return { state: WaiterState.SUCCESS, reason };
            }
        }
        catch (e) { }
    }
    catch (exception) {
        reason = exception;
    }
    return { state: WaiterState.RETRY, reason };
};
const waitForDistributionDeployed = async (params, input) => {
    const serviceDefaults = { minDelay: 60, maxDelay: 2100 };
    return createWaiter({ ...serviceDefaults, ...params }, input, checkState$3);
};
const waitUntilDistributionDeployed = async (params, input) => {
    const serviceDefaults = { minDelay: 60, maxDelay: 2100 };
    const result = await createWaiter({ ...serviceDefaults, ...params }, input, checkState$3);
    return checkExceptions(result);
};

const checkState$2 = async (client, input) => {
    let reason;
    try {
        let result = await client.send(new GetInvalidationCommand(input));
        reason = result;
        try {
            const returnComparator = () => {
                return result.Invalidation.Status;
            };
            if (returnComparator() === "Completed") {
                return { state: WaiterState.SUCCESS, reason };
            }
        }
        catch (e) { }
    }
    catch (exception) {
        reason = exception;
    }
    return { state: WaiterState.RETRY, reason };
};
const waitForInvalidationCompleted = async (params, input) => {
    const serviceDefaults = { minDelay: 20, maxDelay: 600 };
    return createWaiter({ ...serviceDefaults, ...params }, input, checkState$2);
};
const waitUntilInvalidationCompleted = async (params, input) => {
    const serviceDefaults = { minDelay: 20, maxDelay: 600 };
    const result = await createWaiter({ ...serviceDefaults, ...params }, input, checkState$2);
    return checkExceptions(result);
};

const checkState$1 = async (client, input) => {
    let reason;
    try {
        let result = await client.send(new GetInvalidationForDistributionTenantCommand(input));
        reason = result;
        try {
            const returnComparator = () => {
                return result.Invalidation.Status;
            };
            if (returnComparator() === "Completed") {
                return { state: WaiterState.SUCCESS, reason };
            }
        }
        catch (e) { }
    }
    catch (exception) {
        reason = exception;
    }
    return { state: WaiterState.RETRY, reason };
};
const waitForInvalidationForDistributionTenantCompleted = async (params, input) => {
    const serviceDefaults = { minDelay: 20, maxDelay: 600 };
    return createWaiter({ ...serviceDefaults, ...params }, input, checkState$1);
};
const waitUntilInvalidationForDistributionTenantCompleted = async (params, input) => {
    const serviceDefaults = { minDelay: 20, maxDelay: 600 };
    const result = await createWaiter({ ...serviceDefaults, ...params }, input, checkState$1);
    return checkExceptions(result);
};

const checkState = async (client, input) => {
    let reason;
    try {
        let result = await client.send(new GetStreamingDistributionCommand(input));
        reason = result;
        try {
            const returnComparator = () => {
                return result.StreamingDistribution.Status;
            };
            if (returnComparator() === "Deployed") {
                return { state: WaiterState.SUCCESS, reason };
            }
        }
        catch (e) { }
    }
    catch (exception) {
        reason = exception;
    }
    return { state: WaiterState.RETRY, reason };
};
const waitForStreamingDistributionDeployed = async (params, input) => {
    const serviceDefaults = { minDelay: 60, maxDelay: 1500 };
    return createWaiter({ ...serviceDefaults, ...params }, input, checkState);
};
const waitUntilStreamingDistributionDeployed = async (params, input) => {
    const serviceDefaults = { minDelay: 60, maxDelay: 1500 };
    const result = await createWaiter({ ...serviceDefaults, ...params }, input, checkState);
    return checkExceptions(result);
};

const commands = {
    AssociateAliasCommand,
    AssociateDistributionTenantWebACLCommand,
    AssociateDistributionWebACLCommand,
    CopyDistributionCommand,
    CreateAnycastIpListCommand,
    CreateCachePolicyCommand,
    CreateCloudFrontOriginAccessIdentityCommand,
    CreateConnectionFunctionCommand,
    CreateConnectionGroupCommand,
    CreateContinuousDeploymentPolicyCommand,
    CreateDistributionCommand,
    CreateDistributionTenantCommand,
    CreateDistributionWithTagsCommand,
    CreateFieldLevelEncryptionConfigCommand,
    CreateFieldLevelEncryptionProfileCommand,
    CreateFunctionCommand,
    CreateInvalidationCommand,
    CreateInvalidationForDistributionTenantCommand,
    CreateKeyGroupCommand,
    CreateKeyValueStoreCommand,
    CreateMonitoringSubscriptionCommand,
    CreateOriginAccessControlCommand,
    CreateOriginRequestPolicyCommand,
    CreatePublicKeyCommand,
    CreateRealtimeLogConfigCommand,
    CreateResponseHeadersPolicyCommand,
    CreateStreamingDistributionCommand,
    CreateStreamingDistributionWithTagsCommand,
    CreateTrustStoreCommand,
    CreateVpcOriginCommand,
    DeleteAnycastIpListCommand,
    DeleteCachePolicyCommand,
    DeleteCloudFrontOriginAccessIdentityCommand,
    DeleteConnectionFunctionCommand,
    DeleteConnectionGroupCommand,
    DeleteContinuousDeploymentPolicyCommand,
    DeleteDistributionCommand,
    DeleteDistributionTenantCommand,
    DeleteFieldLevelEncryptionConfigCommand,
    DeleteFieldLevelEncryptionProfileCommand,
    DeleteFunctionCommand,
    DeleteKeyGroupCommand,
    DeleteKeyValueStoreCommand,
    DeleteMonitoringSubscriptionCommand,
    DeleteOriginAccessControlCommand,
    DeleteOriginRequestPolicyCommand,
    DeletePublicKeyCommand,
    DeleteRealtimeLogConfigCommand,
    DeleteResourcePolicyCommand,
    DeleteResponseHeadersPolicyCommand,
    DeleteStreamingDistributionCommand,
    DeleteTrustStoreCommand,
    DeleteVpcOriginCommand,
    DescribeConnectionFunctionCommand,
    DescribeFunctionCommand,
    DescribeKeyValueStoreCommand,
    DisassociateDistributionTenantWebACLCommand,
    DisassociateDistributionWebACLCommand,
    GetAnycastIpListCommand,
    GetCachePolicyCommand,
    GetCachePolicyConfigCommand,
    GetCloudFrontOriginAccessIdentityCommand,
    GetCloudFrontOriginAccessIdentityConfigCommand,
    GetConnectionFunctionCommand,
    GetConnectionGroupCommand,
    GetConnectionGroupByRoutingEndpointCommand,
    GetContinuousDeploymentPolicyCommand,
    GetContinuousDeploymentPolicyConfigCommand,
    GetDistributionCommand,
    GetDistributionConfigCommand,
    GetDistributionTenantCommand,
    GetDistributionTenantByDomainCommand,
    GetFieldLevelEncryptionCommand,
    GetFieldLevelEncryptionConfigCommand,
    GetFieldLevelEncryptionProfileCommand,
    GetFieldLevelEncryptionProfileConfigCommand,
    GetFunctionCommand,
    GetInvalidationCommand,
    GetInvalidationForDistributionTenantCommand,
    GetKeyGroupCommand,
    GetKeyGroupConfigCommand,
    GetManagedCertificateDetailsCommand,
    GetMonitoringSubscriptionCommand,
    GetOriginAccessControlCommand,
    GetOriginAccessControlConfigCommand,
    GetOriginRequestPolicyCommand,
    GetOriginRequestPolicyConfigCommand,
    GetPublicKeyCommand,
    GetPublicKeyConfigCommand,
    GetRealtimeLogConfigCommand,
    GetResourcePolicyCommand,
    GetResponseHeadersPolicyCommand,
    GetResponseHeadersPolicyConfigCommand,
    GetStreamingDistributionCommand,
    GetStreamingDistributionConfigCommand,
    GetTrustStoreCommand,
    GetVpcOriginCommand,
    ListAnycastIpListsCommand,
    ListCachePoliciesCommand,
    ListCloudFrontOriginAccessIdentitiesCommand,
    ListConflictingAliasesCommand,
    ListConnectionFunctionsCommand,
    ListConnectionGroupsCommand,
    ListContinuousDeploymentPoliciesCommand,
    ListDistributionsCommand,
    ListDistributionsByAnycastIpListIdCommand,
    ListDistributionsByCachePolicyIdCommand,
    ListDistributionsByConnectionFunctionCommand,
    ListDistributionsByConnectionModeCommand,
    ListDistributionsByKeyGroupCommand,
    ListDistributionsByOriginRequestPolicyIdCommand,
    ListDistributionsByOwnedResourceCommand,
    ListDistributionsByRealtimeLogConfigCommand,
    ListDistributionsByResponseHeadersPolicyIdCommand,
    ListDistributionsByTrustStoreCommand,
    ListDistributionsByVpcOriginIdCommand,
    ListDistributionsByWebACLIdCommand,
    ListDistributionTenantsCommand,
    ListDistributionTenantsByCustomizationCommand,
    ListDomainConflictsCommand,
    ListFieldLevelEncryptionConfigsCommand,
    ListFieldLevelEncryptionProfilesCommand,
    ListFunctionsCommand,
    ListInvalidationsCommand,
    ListInvalidationsForDistributionTenantCommand,
    ListKeyGroupsCommand,
    ListKeyValueStoresCommand,
    ListOriginAccessControlsCommand,
    ListOriginRequestPoliciesCommand,
    ListPublicKeysCommand,
    ListRealtimeLogConfigsCommand,
    ListResponseHeadersPoliciesCommand,
    ListStreamingDistributionsCommand,
    ListTagsForResourceCommand,
    ListTrustStoresCommand,
    ListVpcOriginsCommand,
    PublishConnectionFunctionCommand,
    PublishFunctionCommand,
    PutResourcePolicyCommand,
    TagResourceCommand,
    TestConnectionFunctionCommand,
    TestFunctionCommand,
    UntagResourceCommand,
    UpdateAnycastIpListCommand,
    UpdateCachePolicyCommand,
    UpdateCloudFrontOriginAccessIdentityCommand,
    UpdateConnectionFunctionCommand,
    UpdateConnectionGroupCommand,
    UpdateContinuousDeploymentPolicyCommand,
    UpdateDistributionCommand,
    UpdateDistributionTenantCommand,
    UpdateDistributionWithStagingConfigCommand,
    UpdateDomainAssociationCommand,
    UpdateFieldLevelEncryptionConfigCommand,
    UpdateFieldLevelEncryptionProfileCommand,
    UpdateFunctionCommand,
    UpdateKeyGroupCommand,
    UpdateKeyValueStoreCommand,
    UpdateOriginAccessControlCommand,
    UpdateOriginRequestPolicyCommand,
    UpdatePublicKeyCommand,
    UpdateRealtimeLogConfigCommand,
    UpdateResponseHeadersPolicyCommand,
    UpdateStreamingDistributionCommand,
    UpdateTrustStoreCommand,
    UpdateVpcOriginCommand,
    VerifyDnsConfigurationCommand,
};
const paginators = {
    paginateListCloudFrontOriginAccessIdentities,
    paginateListConnectionFunctions,
    paginateListConnectionGroups,
    paginateListDistributions,
    paginateListDistributionsByConnectionFunction,
    paginateListDistributionsByConnectionMode,
    paginateListDistributionsByTrustStore,
    paginateListDistributionTenants,
    paginateListDistributionTenantsByCustomization,
    paginateListDomainConflicts,
    paginateListInvalidations,
    paginateListInvalidationsForDistributionTenant,
    paginateListKeyValueStores,
    paginateListOriginAccessControls,
    paginateListPublicKeys,
    paginateListStreamingDistributions,
    paginateListTrustStores,
};
const waiters = {
    waitUntilDistributionDeployed,
    waitUntilInvalidationCompleted,
    waitUntilInvalidationForDistributionTenantCompleted,
    waitUntilStreamingDistributionDeployed,
};
class CloudFront extends CloudFrontClient {
}
createAggregatedClient(commands, CloudFront, { paginators, waiters });

const ResponseHeadersPolicyAccessControlAllowMethodsValues = {
    ALL: "ALL",
    DELETE: "DELETE",
    GET: "GET",
    HEAD: "HEAD",
    OPTIONS: "OPTIONS",
    PATCH: "PATCH",
    POST: "POST",
    PUT: "PUT",
};
const ICPRecordalStatus = {
    APPROVED: "APPROVED",
    PENDING: "PENDING",
    SUSPENDED: "SUSPENDED",
};
const Method = {
    DELETE: "DELETE",
    GET: "GET",
    HEAD: "HEAD",
    OPTIONS: "OPTIONS",
    PATCH: "PATCH",
    POST: "POST",
    PUT: "PUT",
};
const IpAddressType = {
    DualStack: "dualstack",
    Ipv4: "ipv4",
    Ipv6: "ipv6",
};
const IpamCidrStatus = {
    Advertised: "advertised",
    Advertising: "advertising",
    Deprovisioned: "deprovisioned",
    Deprovisioning: "deprovisioning",
    FailedAdvertise: "failed-advertise",
    FailedDeprovision: "failed-deprovision",
    FailedProvision: "failed-provision",
    FailedWithdraw: "failed-withdraw",
    Provisioned: "provisioned",
    Provisioning: "provisioning",
    Withdrawing: "withdrawing",
    Withdrawn: "withdrawn",
};
const ItemSelection = {
    all: "all",
    none: "none",
    whitelist: "whitelist",
};
const EventType = {
    origin_request: "origin-request",
    origin_response: "origin-response",
    viewer_request: "viewer-request",
    viewer_response: "viewer-response",
};
const ViewerProtocolPolicy = {
    allow_all: "allow-all",
    https_only: "https-only",
    redirect_to_https: "redirect-to-https",
};
const CachePolicyCookieBehavior = {
    all: "all",
    allExcept: "allExcept",
    none: "none",
    whitelist: "whitelist",
};
const CachePolicyHeaderBehavior = {
    none: "none",
    whitelist: "whitelist",
};
const CachePolicyQueryStringBehavior = {
    all: "all",
    allExcept: "allExcept",
    none: "none",
    whitelist: "whitelist",
};
const CachePolicyType = {
    custom: "custom",
    managed: "managed",
};
const CertificateSource = {
    acm: "acm",
    cloudfront: "cloudfront",
    iam: "iam",
};
const CertificateTransparencyLoggingPreference = {
    Disabled: "disabled",
    Enabled: "enabled",
};
const ConnectionMode = {
    Direct: "direct",
    TenantOnly: "tenant-only",
};
const HttpVersion = {
    http1_1: "http1.1",
    http2: "http2",
    http2and3: "http2and3",
    http3: "http3",
};
const OriginGroupSelectionCriteria = {
    Default: "default",
    MediaQualityBased: "media-quality-based",
};
const OriginProtocolPolicy = {
    http_only: "http-only",
    https_only: "https-only",
    match_viewer: "match-viewer",
};
const SslProtocol = {
    SSLv3: "SSLv3",
    TLSv1: "TLSv1",
    TLSv1_1: "TLSv1.1",
    TLSv1_2: "TLSv1.2",
};
const PriceClass = {
    None: "None",
    PriceClass_100: "PriceClass_100",
    PriceClass_200: "PriceClass_200",
    PriceClass_All: "PriceClass_All",
};
const GeoRestrictionType = {
    blacklist: "blacklist",
    none: "none",
    whitelist: "whitelist",
};
const MinimumProtocolVersion = {
    SSLv3: "SSLv3",
    TLSv1: "TLSv1",
    TLSv1_1_2016: "TLSv1.1_2016",
    TLSv1_2016: "TLSv1_2016",
    TLSv1_2_2018: "TLSv1.2_2018",
    TLSv1_2_2019: "TLSv1.2_2019",
    TLSv1_2_2021: "TLSv1.2_2021",
    TLSv1_2_2025: "TLSv1.2_2025",
    TLSv1_3_2025: "TLSv1.3_2025",
};
const SSLSupportMethod = {
    sni_only: "sni-only",
    static_ip: "static-ip",
    vip: "vip",
};
const ViewerMtlsMode = {
    Optional: "optional",
    Passthrough: "passthrough",
    Required: "required",
};
const FunctionRuntime = {
    cloudfront_js_1_0: "cloudfront-js-1.0",
    cloudfront_js_2_0: "cloudfront-js-2.0",
};
const FunctionStage = {
    DEVELOPMENT: "DEVELOPMENT",
    LIVE: "LIVE",
};
const ContinuousDeploymentPolicyType = {
    SingleHeader: "SingleHeader",
    SingleWeight: "SingleWeight",
};
const CustomizationActionType = {
    disable: "disable",
    override: "override",
};
const ValidationTokenHost = {
    CloudFront: "cloudfront",
    SelfHosted: "self-hosted",
};
const DomainStatus = {
    Active: "active",
    Inactive: "inactive",
};
const Format = {
    URLEncoded: "URLEncoded",
};
const ImportSourceType = {
    S3: "S3",
};
const RealtimeMetricsSubscriptionStatus = {
    Disabled: "Disabled",
    Enabled: "Enabled",
};
const OriginAccessControlOriginTypes = {
    lambda: "lambda",
    mediapackagev2: "mediapackagev2",
    mediastore: "mediastore",
    s3: "s3",
};
const OriginAccessControlSigningBehaviors = {
    always: "always",
    always_amz_auth: "always-amz-auth",
    never: "never",
    no_override: "no-override",
};
const OriginAccessControlSigningProtocols = {
    sigv4: "sigv4",
    sigv4a: "sigv4a",
};
const OriginRequestPolicyCookieBehavior = {
    all: "all",
    allExcept: "allExcept",
    none: "none",
    whitelist: "whitelist",
};
const OriginRequestPolicyHeaderBehavior = {
    allExcept: "allExcept",
    allViewer: "allViewer",
    allViewerAndWhitelistCloudFront: "allViewerAndWhitelistCloudFront",
    none: "none",
    whitelist: "whitelist",
};
const OriginRequestPolicyQueryStringBehavior = {
    all: "all",
    allExcept: "allExcept",
    none: "none",
    whitelist: "whitelist",
};
const FrameOptionsList = {
    DENY: "DENY",
    SAMEORIGIN: "SAMEORIGIN",
};
const ReferrerPolicyList = {
    no_referrer: "no-referrer",
    no_referrer_when_downgrade: "no-referrer-when-downgrade",
    origin: "origin",
    origin_when_cross_origin: "origin-when-cross-origin",
    same_origin: "same-origin",
    strict_origin: "strict-origin",
    strict_origin_when_cross_origin: "strict-origin-when-cross-origin",
    unsafe_url: "unsafe-url",
};
const TrustStoreStatus = {
    Active: "active",
    Failed: "failed",
    Pending: "pending",
};
const VpcIpAddressType = {
    DualStack: "dualstack",
    Ipv4: "ipv4",
};
const ManagedCertificateStatus = {
    Expired: "expired",
    Failed: "failed",
    Inactive: "inactive",
    Issued: "issued",
    PendingValidation: "pending-validation",
    Revoked: "revoked",
    ValidationTimedOut: "validation-timed-out",
};
const DistributionResourceType = {
    Distribution: "distribution",
    DistributionTenant: "distribution-tenant",
};
const OriginRequestPolicyType = {
    custom: "custom",
    managed: "managed",
};
const ResponseHeadersPolicyType = {
    custom: "custom",
    managed: "managed",
};
const DnsConfigurationStatus = {
    Invalid: "invalid-configuration",
    Unknown: "unknown-configuration",
    Valid: "valid-configuration",
};

__webpack_unused_export__ = AccessDenied;
__webpack_unused_export__ = AccessDenied$;
__webpack_unused_export__ = ActiveTrustedKeyGroups$;
__webpack_unused_export__ = ActiveTrustedSigners$;
__webpack_unused_export__ = AliasICPRecordal$;
__webpack_unused_export__ = Aliases$;
__webpack_unused_export__ = AllowedMethods$;
__webpack_unused_export__ = AnycastIpList$;
__webpack_unused_export__ = AnycastIpListCollection$;
__webpack_unused_export__ = AnycastIpListSummary$;
__webpack_unused_export__ = AssociateAlias$;
__webpack_unused_export__ = AssociateAliasCommand;
__webpack_unused_export__ = AssociateAliasRequest$;
__webpack_unused_export__ = AssociateDistributionTenantWebACL$;
__webpack_unused_export__ = AssociateDistributionTenantWebACLCommand;
__webpack_unused_export__ = AssociateDistributionTenantWebACLRequest$;
__webpack_unused_export__ = AssociateDistributionTenantWebACLResult$;
__webpack_unused_export__ = AssociateDistributionWebACL$;
__webpack_unused_export__ = AssociateDistributionWebACLCommand;
__webpack_unused_export__ = AssociateDistributionWebACLRequest$;
__webpack_unused_export__ = AssociateDistributionWebACLResult$;
__webpack_unused_export__ = BatchTooLarge;
__webpack_unused_export__ = BatchTooLarge$;
__webpack_unused_export__ = CNAMEAlreadyExists;
__webpack_unused_export__ = CNAMEAlreadyExists$;
__webpack_unused_export__ = CaCertificatesBundleS3Location$;
__webpack_unused_export__ = CaCertificatesBundleSource$;
__webpack_unused_export__ = CacheBehavior$;
__webpack_unused_export__ = CacheBehaviors$;
__webpack_unused_export__ = CachePolicy$;
__webpack_unused_export__ = CachePolicyAlreadyExists;
__webpack_unused_export__ = CachePolicyAlreadyExists$;
__webpack_unused_export__ = CachePolicyConfig$;
__webpack_unused_export__ = CachePolicyCookieBehavior;
__webpack_unused_export__ = CachePolicyCookiesConfig$;
__webpack_unused_export__ = CachePolicyHeaderBehavior;
__webpack_unused_export__ = CachePolicyHeadersConfig$;
__webpack_unused_export__ = CachePolicyInUse;
__webpack_unused_export__ = CachePolicyInUse$;
__webpack_unused_export__ = CachePolicyList$;
__webpack_unused_export__ = CachePolicyQueryStringBehavior;
__webpack_unused_export__ = CachePolicyQueryStringsConfig$;
__webpack_unused_export__ = CachePolicySummary$;
__webpack_unused_export__ = CachePolicyType;
__webpack_unused_export__ = CacheTagConfig$;
__webpack_unused_export__ = CachedMethods$;
__webpack_unused_export__ = CannotChangeImmutablePublicKeyFields;
__webpack_unused_export__ = CannotChangeImmutablePublicKeyFields$;
__webpack_unused_export__ = CannotDeleteEntityWhileInUse;
__webpack_unused_export__ = CannotDeleteEntityWhileInUse$;
__webpack_unused_export__ = CannotUpdateEntityWhileInUse;
__webpack_unused_export__ = CannotUpdateEntityWhileInUse$;
__webpack_unused_export__ = Certificate$;
__webpack_unused_export__ = CertificateSource;
__webpack_unused_export__ = CertificateTransparencyLoggingPreference;
__webpack_unused_export__ = CloudFront;
exports.GHk = CloudFrontClient;
__webpack_unused_export__ = CloudFrontOriginAccessIdentity$;
__webpack_unused_export__ = CloudFrontOriginAccessIdentityAlreadyExists;
__webpack_unused_export__ = CloudFrontOriginAccessIdentityAlreadyExists$;
__webpack_unused_export__ = CloudFrontOriginAccessIdentityConfig$;
__webpack_unused_export__ = CloudFrontOriginAccessIdentityInUse;
__webpack_unused_export__ = CloudFrontOriginAccessIdentityInUse$;
__webpack_unused_export__ = CloudFrontOriginAccessIdentityList$;
__webpack_unused_export__ = CloudFrontOriginAccessIdentitySummary$;
__webpack_unused_export__ = CloudFrontServiceException;
__webpack_unused_export__ = CloudFrontServiceException$;
__webpack_unused_export__ = ConflictingAlias$;
__webpack_unused_export__ = ConflictingAliasesList$;
__webpack_unused_export__ = ConnectionFunctionAssociation$;
__webpack_unused_export__ = ConnectionFunctionSummary$;
__webpack_unused_export__ = ConnectionFunctionTestResult$;
__webpack_unused_export__ = ConnectionGroup$;
__webpack_unused_export__ = ConnectionGroupAssociationFilter$;
__webpack_unused_export__ = ConnectionGroupSummary$;
__webpack_unused_export__ = ConnectionMode;
__webpack_unused_export__ = ContentTypeProfile$;
__webpack_unused_export__ = ContentTypeProfileConfig$;
__webpack_unused_export__ = ContentTypeProfiles$;
__webpack_unused_export__ = ContinuousDeploymentPolicy$;
__webpack_unused_export__ = ContinuousDeploymentPolicyAlreadyExists;
__webpack_unused_export__ = ContinuousDeploymentPolicyAlreadyExists$;
__webpack_unused_export__ = ContinuousDeploymentPolicyConfig$;
__webpack_unused_export__ = ContinuousDeploymentPolicyInUse;
__webpack_unused_export__ = ContinuousDeploymentPolicyInUse$;
__webpack_unused_export__ = ContinuousDeploymentPolicyList$;
__webpack_unused_export__ = ContinuousDeploymentPolicySummary$;
__webpack_unused_export__ = ContinuousDeploymentPolicyType;
__webpack_unused_export__ = ContinuousDeploymentSingleHeaderConfig$;
__webpack_unused_export__ = ContinuousDeploymentSingleWeightConfig$;
__webpack_unused_export__ = CookieNames$;
__webpack_unused_export__ = CookiePreference$;
__webpack_unused_export__ = CopyDistribution$;
__webpack_unused_export__ = CopyDistributionCommand;
__webpack_unused_export__ = CopyDistributionRequest$;
__webpack_unused_export__ = CopyDistributionResult$;
__webpack_unused_export__ = CreateAnycastIpList$;
__webpack_unused_export__ = CreateAnycastIpListCommand;
__webpack_unused_export__ = CreateAnycastIpListRequest$;
__webpack_unused_export__ = CreateAnycastIpListResult$;
__webpack_unused_export__ = CreateCachePolicy$;
__webpack_unused_export__ = CreateCachePolicyCommand;
__webpack_unused_export__ = CreateCachePolicyRequest$;
__webpack_unused_export__ = CreateCachePolicyResult$;
__webpack_unused_export__ = CreateCloudFrontOriginAccessIdentity$;
__webpack_unused_export__ = CreateCloudFrontOriginAccessIdentityCommand;
__webpack_unused_export__ = CreateCloudFrontOriginAccessIdentityRequest$;
__webpack_unused_export__ = CreateCloudFrontOriginAccessIdentityResult$;
__webpack_unused_export__ = CreateConnectionFunction$;
__webpack_unused_export__ = CreateConnectionFunctionCommand;
__webpack_unused_export__ = CreateConnectionFunctionRequest$;
__webpack_unused_export__ = CreateConnectionFunctionResult$;
__webpack_unused_export__ = CreateConnectionGroup$;
__webpack_unused_export__ = CreateConnectionGroupCommand;
__webpack_unused_export__ = CreateConnectionGroupRequest$;
__webpack_unused_export__ = CreateConnectionGroupResult$;
__webpack_unused_export__ = CreateContinuousDeploymentPolicy$;
__webpack_unused_export__ = CreateContinuousDeploymentPolicyCommand;
__webpack_unused_export__ = CreateContinuousDeploymentPolicyRequest$;
__webpack_unused_export__ = CreateContinuousDeploymentPolicyResult$;
__webpack_unused_export__ = CreateDistribution$;
__webpack_unused_export__ = CreateDistributionCommand;
__webpack_unused_export__ = CreateDistributionRequest$;
__webpack_unused_export__ = CreateDistributionResult$;
__webpack_unused_export__ = CreateDistributionTenant$;
__webpack_unused_export__ = CreateDistributionTenantCommand;
__webpack_unused_export__ = CreateDistributionTenantRequest$;
__webpack_unused_export__ = CreateDistributionTenantResult$;
__webpack_unused_export__ = CreateDistributionWithTags$;
__webpack_unused_export__ = CreateDistributionWithTagsCommand;
__webpack_unused_export__ = CreateDistributionWithTagsRequest$;
__webpack_unused_export__ = CreateDistributionWithTagsResult$;
__webpack_unused_export__ = CreateFieldLevelEncryptionConfig$;
__webpack_unused_export__ = CreateFieldLevelEncryptionConfigCommand;
__webpack_unused_export__ = CreateFieldLevelEncryptionConfigRequest$;
__webpack_unused_export__ = CreateFieldLevelEncryptionConfigResult$;
__webpack_unused_export__ = CreateFieldLevelEncryptionProfile$;
__webpack_unused_export__ = CreateFieldLevelEncryptionProfileCommand;
__webpack_unused_export__ = CreateFieldLevelEncryptionProfileRequest$;
__webpack_unused_export__ = CreateFieldLevelEncryptionProfileResult$;
__webpack_unused_export__ = CreateFunction$;
__webpack_unused_export__ = CreateFunctionCommand;
__webpack_unused_export__ = CreateFunctionRequest$;
__webpack_unused_export__ = CreateFunctionResult$;
__webpack_unused_export__ = CreateInvalidation$;
exports.Yo6 = CreateInvalidationCommand;
__webpack_unused_export__ = CreateInvalidationForDistributionTenant$;
__webpack_unused_export__ = CreateInvalidationForDistributionTenantCommand;
__webpack_unused_export__ = CreateInvalidationForDistributionTenantRequest$;
__webpack_unused_export__ = CreateInvalidationForDistributionTenantResult$;
__webpack_unused_export__ = CreateInvalidationRequest$;
__webpack_unused_export__ = CreateInvalidationResult$;
__webpack_unused_export__ = CreateKeyGroup$;
__webpack_unused_export__ = CreateKeyGroupCommand;
__webpack_unused_export__ = CreateKeyGroupRequest$;
__webpack_unused_export__ = CreateKeyGroupResult$;
__webpack_unused_export__ = CreateKeyValueStore$;
__webpack_unused_export__ = CreateKeyValueStoreCommand;
__webpack_unused_export__ = CreateKeyValueStoreRequest$;
__webpack_unused_export__ = CreateKeyValueStoreResult$;
__webpack_unused_export__ = CreateMonitoringSubscription$;
__webpack_unused_export__ = CreateMonitoringSubscriptionCommand;
__webpack_unused_export__ = CreateMonitoringSubscriptionRequest$;
__webpack_unused_export__ = CreateMonitoringSubscriptionResult$;
__webpack_unused_export__ = CreateOriginAccessControl$;
__webpack_unused_export__ = CreateOriginAccessControlCommand;
__webpack_unused_export__ = CreateOriginAccessControlRequest$;
__webpack_unused_export__ = CreateOriginAccessControlResult$;
__webpack_unused_export__ = CreateOriginRequestPolicy$;
__webpack_unused_export__ = CreateOriginRequestPolicyCommand;
__webpack_unused_export__ = CreateOriginRequestPolicyRequest$;
__webpack_unused_export__ = CreateOriginRequestPolicyResult$;
__webpack_unused_export__ = CreatePublicKey$;
__webpack_unused_export__ = CreatePublicKeyCommand;
__webpack_unused_export__ = CreatePublicKeyRequest$;
__webpack_unused_export__ = CreatePublicKeyResult$;
__webpack_unused_export__ = CreateRealtimeLogConfig$;
__webpack_unused_export__ = CreateRealtimeLogConfigCommand;
__webpack_unused_export__ = CreateRealtimeLogConfigRequest$;
__webpack_unused_export__ = CreateRealtimeLogConfigResult$;
__webpack_unused_export__ = CreateResponseHeadersPolicy$;
__webpack_unused_export__ = CreateResponseHeadersPolicyCommand;
__webpack_unused_export__ = CreateResponseHeadersPolicyRequest$;
__webpack_unused_export__ = CreateResponseHeadersPolicyResult$;
__webpack_unused_export__ = CreateStreamingDistribution$;
__webpack_unused_export__ = CreateStreamingDistributionCommand;
__webpack_unused_export__ = CreateStreamingDistributionRequest$;
__webpack_unused_export__ = CreateStreamingDistributionResult$;
__webpack_unused_export__ = CreateStreamingDistributionWithTags$;
__webpack_unused_export__ = CreateStreamingDistributionWithTagsCommand;
__webpack_unused_export__ = CreateStreamingDistributionWithTagsRequest$;
__webpack_unused_export__ = CreateStreamingDistributionWithTagsResult$;
__webpack_unused_export__ = CreateTrustStore$;
__webpack_unused_export__ = CreateTrustStoreCommand;
__webpack_unused_export__ = CreateTrustStoreRequest$;
__webpack_unused_export__ = CreateTrustStoreResult$;
__webpack_unused_export__ = CreateVpcOrigin$;
__webpack_unused_export__ = CreateVpcOriginCommand;
__webpack_unused_export__ = CreateVpcOriginRequest$;
__webpack_unused_export__ = CreateVpcOriginResult$;
__webpack_unused_export__ = CustomErrorResponse$;
__webpack_unused_export__ = CustomErrorResponses$;
__webpack_unused_export__ = CustomHeaders$;
__webpack_unused_export__ = CustomOriginConfig$;
__webpack_unused_export__ = CustomizationActionType;
__webpack_unused_export__ = Customizations$;
__webpack_unused_export__ = DefaultCacheBehavior$;
__webpack_unused_export__ = DeleteAnycastIpList$;
__webpack_unused_export__ = DeleteAnycastIpListCommand;
__webpack_unused_export__ = DeleteAnycastIpListRequest$;
__webpack_unused_export__ = DeleteCachePolicy$;
__webpack_unused_export__ = DeleteCachePolicyCommand;
__webpack_unused_export__ = DeleteCachePolicyRequest$;
__webpack_unused_export__ = DeleteCloudFrontOriginAccessIdentity$;
__webpack_unused_export__ = DeleteCloudFrontOriginAccessIdentityCommand;
__webpack_unused_export__ = DeleteCloudFrontOriginAccessIdentityRequest$;
__webpack_unused_export__ = DeleteConnectionFunction$;
__webpack_unused_export__ = DeleteConnectionFunctionCommand;
__webpack_unused_export__ = DeleteConnectionFunctionRequest$;
__webpack_unused_export__ = DeleteConnectionGroup$;
__webpack_unused_export__ = DeleteConnectionGroupCommand;
__webpack_unused_export__ = DeleteConnectionGroupRequest$;
__webpack_unused_export__ = DeleteContinuousDeploymentPolicy$;
__webpack_unused_export__ = DeleteContinuousDeploymentPolicyCommand;
__webpack_unused_export__ = DeleteContinuousDeploymentPolicyRequest$;
__webpack_unused_export__ = DeleteDistribution$;
__webpack_unused_export__ = DeleteDistributionCommand;
__webpack_unused_export__ = DeleteDistributionRequest$;
__webpack_unused_export__ = DeleteDistributionTenant$;
__webpack_unused_export__ = DeleteDistributionTenantCommand;
__webpack_unused_export__ = DeleteDistributionTenantRequest$;
__webpack_unused_export__ = DeleteFieldLevelEncryptionConfig$;
__webpack_unused_export__ = DeleteFieldLevelEncryptionConfigCommand;
__webpack_unused_export__ = DeleteFieldLevelEncryptionConfigRequest$;
__webpack_unused_export__ = DeleteFieldLevelEncryptionProfile$;
__webpack_unused_export__ = DeleteFieldLevelEncryptionProfileCommand;
__webpack_unused_export__ = DeleteFieldLevelEncryptionProfileRequest$;
__webpack_unused_export__ = DeleteFunction$;
__webpack_unused_export__ = DeleteFunctionCommand;
__webpack_unused_export__ = DeleteFunctionRequest$;
__webpack_unused_export__ = DeleteKeyGroup$;
__webpack_unused_export__ = DeleteKeyGroupCommand;
__webpack_unused_export__ = DeleteKeyGroupRequest$;
__webpack_unused_export__ = DeleteKeyValueStore$;
__webpack_unused_export__ = DeleteKeyValueStoreCommand;
__webpack_unused_export__ = DeleteKeyValueStoreRequest$;
__webpack_unused_export__ = DeleteMonitoringSubscription$;
__webpack_unused_export__ = DeleteMonitoringSubscriptionCommand;
__webpack_unused_export__ = DeleteMonitoringSubscriptionRequest$;
__webpack_unused_export__ = DeleteMonitoringSubscriptionResult$;
__webpack_unused_export__ = DeleteOriginAccessControl$;
__webpack_unused_export__ = DeleteOriginAccessControlCommand;
__webpack_unused_export__ = DeleteOriginAccessControlRequest$;
__webpack_unused_export__ = DeleteOriginRequestPolicy$;
__webpack_unused_export__ = DeleteOriginRequestPolicyCommand;
__webpack_unused_export__ = DeleteOriginRequestPolicyRequest$;
__webpack_unused_export__ = DeletePublicKey$;
__webpack_unused_export__ = DeletePublicKeyCommand;
__webpack_unused_export__ = DeletePublicKeyRequest$;
__webpack_unused_export__ = DeleteRealtimeLogConfig$;
__webpack_unused_export__ = DeleteRealtimeLogConfigCommand;
__webpack_unused_export__ = DeleteRealtimeLogConfigRequest$;
__webpack_unused_export__ = DeleteResourcePolicy$;
__webpack_unused_export__ = DeleteResourcePolicyCommand;
__webpack_unused_export__ = DeleteResourcePolicyRequest$;
__webpack_unused_export__ = DeleteResponseHeadersPolicy$;
__webpack_unused_export__ = DeleteResponseHeadersPolicyCommand;
__webpack_unused_export__ = DeleteResponseHeadersPolicyRequest$;
__webpack_unused_export__ = DeleteStreamingDistribution$;
__webpack_unused_export__ = DeleteStreamingDistributionCommand;
__webpack_unused_export__ = DeleteStreamingDistributionRequest$;
__webpack_unused_export__ = DeleteTrustStore$;
__webpack_unused_export__ = DeleteTrustStoreCommand;
__webpack_unused_export__ = DeleteTrustStoreRequest$;
__webpack_unused_export__ = DeleteVpcOrigin$;
__webpack_unused_export__ = DeleteVpcOriginCommand;
__webpack_unused_export__ = DeleteVpcOriginRequest$;
__webpack_unused_export__ = DeleteVpcOriginResult$;
__webpack_unused_export__ = DescribeConnectionFunction$;
__webpack_unused_export__ = DescribeConnectionFunctionCommand;
__webpack_unused_export__ = DescribeConnectionFunctionRequest$;
__webpack_unused_export__ = DescribeConnectionFunctionResult$;
__webpack_unused_export__ = DescribeFunction$;
__webpack_unused_export__ = DescribeFunctionCommand;
__webpack_unused_export__ = DescribeFunctionRequest$;
__webpack_unused_export__ = DescribeFunctionResult$;
__webpack_unused_export__ = DescribeKeyValueStore$;
__webpack_unused_export__ = DescribeKeyValueStoreCommand;
__webpack_unused_export__ = DescribeKeyValueStoreRequest$;
__webpack_unused_export__ = DescribeKeyValueStoreResult$;
__webpack_unused_export__ = DisassociateDistributionTenantWebACL$;
__webpack_unused_export__ = DisassociateDistributionTenantWebACLCommand;
__webpack_unused_export__ = DisassociateDistributionTenantWebACLRequest$;
__webpack_unused_export__ = DisassociateDistributionTenantWebACLResult$;
__webpack_unused_export__ = DisassociateDistributionWebACL$;
__webpack_unused_export__ = DisassociateDistributionWebACLCommand;
__webpack_unused_export__ = DisassociateDistributionWebACLRequest$;
__webpack_unused_export__ = DisassociateDistributionWebACLResult$;
__webpack_unused_export__ = Distribution$;
__webpack_unused_export__ = DistributionAlreadyExists;
__webpack_unused_export__ = DistributionAlreadyExists$;
__webpack_unused_export__ = DistributionConfig$;
__webpack_unused_export__ = DistributionConfigWithTags$;
__webpack_unused_export__ = DistributionIdList$;
__webpack_unused_export__ = DistributionIdOwner$;
__webpack_unused_export__ = DistributionIdOwnerList$;
__webpack_unused_export__ = DistributionList$;
__webpack_unused_export__ = DistributionNotDisabled;
__webpack_unused_export__ = DistributionNotDisabled$;
__webpack_unused_export__ = DistributionResourceId$;
__webpack_unused_export__ = DistributionResourceType;
__webpack_unused_export__ = DistributionSummary$;
__webpack_unused_export__ = DistributionTenant$;
__webpack_unused_export__ = DistributionTenantAssociationFilter$;
__webpack_unused_export__ = DistributionTenantSummary$;
__webpack_unused_export__ = DnsConfiguration$;
__webpack_unused_export__ = DnsConfigurationStatus;
__webpack_unused_export__ = DomainConflict$;
__webpack_unused_export__ = DomainItem$;
__webpack_unused_export__ = DomainResult$;
__webpack_unused_export__ = DomainStatus;
__webpack_unused_export__ = EncryptionEntities$;
__webpack_unused_export__ = EncryptionEntity$;
__webpack_unused_export__ = EndPoint$;
__webpack_unused_export__ = EntityAlreadyExists;
__webpack_unused_export__ = EntityAlreadyExists$;
__webpack_unused_export__ = EntityLimitExceeded;
__webpack_unused_export__ = EntityLimitExceeded$;
__webpack_unused_export__ = EntityNotFound;
__webpack_unused_export__ = EntityNotFound$;
__webpack_unused_export__ = EntitySizeLimitExceeded;
__webpack_unused_export__ = EntitySizeLimitExceeded$;
__webpack_unused_export__ = EventType;
__webpack_unused_export__ = FieldLevelEncryption$;
__webpack_unused_export__ = FieldLevelEncryptionConfig$;
__webpack_unused_export__ = FieldLevelEncryptionConfigAlreadyExists;
__webpack_unused_export__ = FieldLevelEncryptionConfigAlreadyExists$;
__webpack_unused_export__ = FieldLevelEncryptionConfigInUse;
__webpack_unused_export__ = FieldLevelEncryptionConfigInUse$;
__webpack_unused_export__ = FieldLevelEncryptionList$;
__webpack_unused_export__ = FieldLevelEncryptionProfile$;
__webpack_unused_export__ = FieldLevelEncryptionProfileAlreadyExists;
__webpack_unused_export__ = FieldLevelEncryptionProfileAlreadyExists$;
__webpack_unused_export__ = FieldLevelEncryptionProfileConfig$;
__webpack_unused_export__ = FieldLevelEncryptionProfileInUse;
__webpack_unused_export__ = FieldLevelEncryptionProfileInUse$;
__webpack_unused_export__ = FieldLevelEncryptionProfileList$;
__webpack_unused_export__ = FieldLevelEncryptionProfileSizeExceeded;
__webpack_unused_export__ = FieldLevelEncryptionProfileSizeExceeded$;
__webpack_unused_export__ = FieldLevelEncryptionProfileSummary$;
__webpack_unused_export__ = FieldLevelEncryptionSummary$;
__webpack_unused_export__ = FieldPatterns$;
__webpack_unused_export__ = Format;
__webpack_unused_export__ = ForwardedValues$;
__webpack_unused_export__ = FrameOptionsList;
__webpack_unused_export__ = FunctionAlreadyExists;
__webpack_unused_export__ = FunctionAlreadyExists$;
__webpack_unused_export__ = FunctionAssociation$;
__webpack_unused_export__ = FunctionAssociations$;
__webpack_unused_export__ = FunctionConfig$;
__webpack_unused_export__ = FunctionInUse;
__webpack_unused_export__ = FunctionInUse$;
__webpack_unused_export__ = FunctionList$;
__webpack_unused_export__ = FunctionMetadata$;
__webpack_unused_export__ = FunctionRuntime;
__webpack_unused_export__ = FunctionSizeLimitExceeded;
__webpack_unused_export__ = FunctionSizeLimitExceeded$;
__webpack_unused_export__ = FunctionStage;
__webpack_unused_export__ = FunctionSummary$;
__webpack_unused_export__ = GeoRestriction$;
__webpack_unused_export__ = GeoRestrictionCustomization$;
__webpack_unused_export__ = GeoRestrictionType;
__webpack_unused_export__ = GetAnycastIpList$;
__webpack_unused_export__ = GetAnycastIpListCommand;
__webpack_unused_export__ = GetAnycastIpListRequest$;
__webpack_unused_export__ = GetAnycastIpListResult$;
__webpack_unused_export__ = GetCachePolicy$;
__webpack_unused_export__ = GetCachePolicyCommand;
__webpack_unused_export__ = GetCachePolicyConfig$;
__webpack_unused_export__ = GetCachePolicyConfigCommand;
__webpack_unused_export__ = GetCachePolicyConfigRequest$;
__webpack_unused_export__ = GetCachePolicyConfigResult$;
__webpack_unused_export__ = GetCachePolicyRequest$;
__webpack_unused_export__ = GetCachePolicyResult$;
__webpack_unused_export__ = GetCloudFrontOriginAccessIdentity$;
__webpack_unused_export__ = GetCloudFrontOriginAccessIdentityCommand;
__webpack_unused_export__ = GetCloudFrontOriginAccessIdentityConfig$;
__webpack_unused_export__ = GetCloudFrontOriginAccessIdentityConfigCommand;
__webpack_unused_export__ = GetCloudFrontOriginAccessIdentityConfigRequest$;
__webpack_unused_export__ = GetCloudFrontOriginAccessIdentityConfigResult$;
__webpack_unused_export__ = GetCloudFrontOriginAccessIdentityRequest$;
__webpack_unused_export__ = GetCloudFrontOriginAccessIdentityResult$;
__webpack_unused_export__ = GetConnectionFunction$;
__webpack_unused_export__ = GetConnectionFunctionCommand;
__webpack_unused_export__ = GetConnectionFunctionRequest$;
__webpack_unused_export__ = GetConnectionFunctionResult$;
__webpack_unused_export__ = GetConnectionGroup$;
__webpack_unused_export__ = GetConnectionGroupByRoutingEndpoint$;
__webpack_unused_export__ = GetConnectionGroupByRoutingEndpointCommand;
__webpack_unused_export__ = GetConnectionGroupByRoutingEndpointRequest$;
__webpack_unused_export__ = GetConnectionGroupByRoutingEndpointResult$;
__webpack_unused_export__ = GetConnectionGroupCommand;
__webpack_unused_export__ = GetConnectionGroupRequest$;
__webpack_unused_export__ = GetConnectionGroupResult$;
__webpack_unused_export__ = GetContinuousDeploymentPolicy$;
__webpack_unused_export__ = GetContinuousDeploymentPolicyCommand;
__webpack_unused_export__ = GetContinuousDeploymentPolicyConfig$;
__webpack_unused_export__ = GetContinuousDeploymentPolicyConfigCommand;
__webpack_unused_export__ = GetContinuousDeploymentPolicyConfigRequest$;
__webpack_unused_export__ = GetContinuousDeploymentPolicyConfigResult$;
__webpack_unused_export__ = GetContinuousDeploymentPolicyRequest$;
__webpack_unused_export__ = GetContinuousDeploymentPolicyResult$;
__webpack_unused_export__ = GetDistribution$;
__webpack_unused_export__ = GetDistributionCommand;
__webpack_unused_export__ = GetDistributionConfig$;
exports.wNI = GetDistributionConfigCommand;
__webpack_unused_export__ = GetDistributionConfigRequest$;
__webpack_unused_export__ = GetDistributionConfigResult$;
__webpack_unused_export__ = GetDistributionRequest$;
__webpack_unused_export__ = GetDistributionResult$;
__webpack_unused_export__ = GetDistributionTenant$;
__webpack_unused_export__ = GetDistributionTenantByDomain$;
__webpack_unused_export__ = GetDistributionTenantByDomainCommand;
__webpack_unused_export__ = GetDistributionTenantByDomainRequest$;
__webpack_unused_export__ = GetDistributionTenantByDomainResult$;
__webpack_unused_export__ = GetDistributionTenantCommand;
__webpack_unused_export__ = GetDistributionTenantRequest$;
__webpack_unused_export__ = GetDistributionTenantResult$;
__webpack_unused_export__ = GetFieldLevelEncryption$;
__webpack_unused_export__ = GetFieldLevelEncryptionCommand;
__webpack_unused_export__ = GetFieldLevelEncryptionConfig$;
__webpack_unused_export__ = GetFieldLevelEncryptionConfigCommand;
__webpack_unused_export__ = GetFieldLevelEncryptionConfigRequest$;
__webpack_unused_export__ = GetFieldLevelEncryptionConfigResult$;
__webpack_unused_export__ = GetFieldLevelEncryptionProfile$;
__webpack_unused_export__ = GetFieldLevelEncryptionProfileCommand;
__webpack_unused_export__ = GetFieldLevelEncryptionProfileConfig$;
__webpack_unused_export__ = GetFieldLevelEncryptionProfileConfigCommand;
__webpack_unused_export__ = GetFieldLevelEncryptionProfileConfigRequest$;
__webpack_unused_export__ = GetFieldLevelEncryptionProfileConfigResult$;
__webpack_unused_export__ = GetFieldLevelEncryptionProfileRequest$;
__webpack_unused_export__ = GetFieldLevelEncryptionProfileResult$;
__webpack_unused_export__ = GetFieldLevelEncryptionRequest$;
__webpack_unused_export__ = GetFieldLevelEncryptionResult$;
__webpack_unused_export__ = GetFunction$;
__webpack_unused_export__ = GetFunctionCommand;
__webpack_unused_export__ = GetFunctionRequest$;
__webpack_unused_export__ = GetFunctionResult$;
__webpack_unused_export__ = GetInvalidation$;
exports.Wwh = GetInvalidationCommand;
__webpack_unused_export__ = GetInvalidationForDistributionTenant$;
__webpack_unused_export__ = GetInvalidationForDistributionTenantCommand;
__webpack_unused_export__ = GetInvalidationForDistributionTenantRequest$;
__webpack_unused_export__ = GetInvalidationForDistributionTenantResult$;
__webpack_unused_export__ = GetInvalidationRequest$;
__webpack_unused_export__ = GetInvalidationResult$;
__webpack_unused_export__ = GetKeyGroup$;
__webpack_unused_export__ = GetKeyGroupCommand;
__webpack_unused_export__ = GetKeyGroupConfig$;
__webpack_unused_export__ = GetKeyGroupConfigCommand;
__webpack_unused_export__ = GetKeyGroupConfigRequest$;
__webpack_unused_export__ = GetKeyGroupConfigResult$;
__webpack_unused_export__ = GetKeyGroupRequest$;
__webpack_unused_export__ = GetKeyGroupResult$;
__webpack_unused_export__ = GetManagedCertificateDetails$;
__webpack_unused_export__ = GetManagedCertificateDetailsCommand;
__webpack_unused_export__ = GetManagedCertificateDetailsRequest$;
__webpack_unused_export__ = GetManagedCertificateDetailsResult$;
__webpack_unused_export__ = GetMonitoringSubscription$;
__webpack_unused_export__ = GetMonitoringSubscriptionCommand;
__webpack_unused_export__ = GetMonitoringSubscriptionRequest$;
__webpack_unused_export__ = GetMonitoringSubscriptionResult$;
__webpack_unused_export__ = GetOriginAccessControl$;
__webpack_unused_export__ = GetOriginAccessControlCommand;
__webpack_unused_export__ = GetOriginAccessControlConfig$;
__webpack_unused_export__ = GetOriginAccessControlConfigCommand;
__webpack_unused_export__ = GetOriginAccessControlConfigRequest$;
__webpack_unused_export__ = GetOriginAccessControlConfigResult$;
__webpack_unused_export__ = GetOriginAccessControlRequest$;
__webpack_unused_export__ = GetOriginAccessControlResult$;
__webpack_unused_export__ = GetOriginRequestPolicy$;
__webpack_unused_export__ = GetOriginRequestPolicyCommand;
__webpack_unused_export__ = GetOriginRequestPolicyConfig$;
__webpack_unused_export__ = GetOriginRequestPolicyConfigCommand;
__webpack_unused_export__ = GetOriginRequestPolicyConfigRequest$;
__webpack_unused_export__ = GetOriginRequestPolicyConfigResult$;
__webpack_unused_export__ = GetOriginRequestPolicyRequest$;
__webpack_unused_export__ = GetOriginRequestPolicyResult$;
__webpack_unused_export__ = GetPublicKey$;
__webpack_unused_export__ = GetPublicKeyCommand;
__webpack_unused_export__ = GetPublicKeyConfig$;
__webpack_unused_export__ = GetPublicKeyConfigCommand;
__webpack_unused_export__ = GetPublicKeyConfigRequest$;
__webpack_unused_export__ = GetPublicKeyConfigResult$;
__webpack_unused_export__ = GetPublicKeyRequest$;
__webpack_unused_export__ = GetPublicKeyResult$;
__webpack_unused_export__ = GetRealtimeLogConfig$;
__webpack_unused_export__ = GetRealtimeLogConfigCommand;
__webpack_unused_export__ = GetRealtimeLogConfigRequest$;
__webpack_unused_export__ = GetRealtimeLogConfigResult$;
__webpack_unused_export__ = GetResourcePolicy$;
__webpack_unused_export__ = GetResourcePolicyCommand;
__webpack_unused_export__ = GetResourcePolicyRequest$;
__webpack_unused_export__ = GetResourcePolicyResult$;
__webpack_unused_export__ = GetResponseHeadersPolicy$;
__webpack_unused_export__ = GetResponseHeadersPolicyCommand;
__webpack_unused_export__ = GetResponseHeadersPolicyConfig$;
__webpack_unused_export__ = GetResponseHeadersPolicyConfigCommand;
__webpack_unused_export__ = GetResponseHeadersPolicyConfigRequest$;
__webpack_unused_export__ = GetResponseHeadersPolicyConfigResult$;
__webpack_unused_export__ = GetResponseHeadersPolicyRequest$;
__webpack_unused_export__ = GetResponseHeadersPolicyResult$;
__webpack_unused_export__ = GetStreamingDistribution$;
__webpack_unused_export__ = GetStreamingDistributionCommand;
__webpack_unused_export__ = GetStreamingDistributionConfig$;
__webpack_unused_export__ = GetStreamingDistributionConfigCommand;
__webpack_unused_export__ = GetStreamingDistributionConfigRequest$;
__webpack_unused_export__ = GetStreamingDistributionConfigResult$;
__webpack_unused_export__ = GetStreamingDistributionRequest$;
__webpack_unused_export__ = GetStreamingDistributionResult$;
__webpack_unused_export__ = GetTrustStore$;
__webpack_unused_export__ = GetTrustStoreCommand;
__webpack_unused_export__ = GetTrustStoreRequest$;
__webpack_unused_export__ = GetTrustStoreResult$;
__webpack_unused_export__ = GetVpcOrigin$;
__webpack_unused_export__ = GetVpcOriginCommand;
__webpack_unused_export__ = GetVpcOriginRequest$;
__webpack_unused_export__ = GetVpcOriginResult$;
__webpack_unused_export__ = GrpcConfig$;
__webpack_unused_export__ = Headers$;
__webpack_unused_export__ = HttpVersion;
__webpack_unused_export__ = ICPRecordalStatus;
__webpack_unused_export__ = IllegalDelete;
__webpack_unused_export__ = IllegalDelete$;
__webpack_unused_export__ = IllegalFieldLevelEncryptionConfigAssociationWithCacheBehavior;
__webpack_unused_export__ = IllegalFieldLevelEncryptionConfigAssociationWithCacheBehavior$;
__webpack_unused_export__ = IllegalOriginAccessConfiguration;
__webpack_unused_export__ = IllegalOriginAccessConfiguration$;
__webpack_unused_export__ = IllegalUpdate;
__webpack_unused_export__ = IllegalUpdate$;
__webpack_unused_export__ = ImportSource$;
__webpack_unused_export__ = ImportSourceType;
__webpack_unused_export__ = InconsistentQuantities;
__webpack_unused_export__ = InconsistentQuantities$;
__webpack_unused_export__ = InvalidArgument;
__webpack_unused_export__ = InvalidArgument$;
__webpack_unused_export__ = InvalidAssociation;
__webpack_unused_export__ = InvalidAssociation$;
__webpack_unused_export__ = InvalidDefaultRootObject;
__webpack_unused_export__ = InvalidDefaultRootObject$;
__webpack_unused_export__ = InvalidDomainNameForOriginAccessControl;
__webpack_unused_export__ = InvalidDomainNameForOriginAccessControl$;
__webpack_unused_export__ = InvalidErrorCode;
__webpack_unused_export__ = InvalidErrorCode$;
__webpack_unused_export__ = InvalidForwardCookies;
__webpack_unused_export__ = InvalidForwardCookies$;
__webpack_unused_export__ = InvalidFunctionAssociation;
__webpack_unused_export__ = InvalidFunctionAssociation$;
__webpack_unused_export__ = InvalidGeoRestrictionParameter;
__webpack_unused_export__ = InvalidGeoRestrictionParameter$;
__webpack_unused_export__ = InvalidHeadersForS3Origin;
__webpack_unused_export__ = InvalidHeadersForS3Origin$;
__webpack_unused_export__ = InvalidIfMatchVersion;
__webpack_unused_export__ = InvalidIfMatchVersion$;
__webpack_unused_export__ = InvalidLambdaFunctionAssociation;
__webpack_unused_export__ = InvalidLambdaFunctionAssociation$;
__webpack_unused_export__ = InvalidLocationCode;
__webpack_unused_export__ = InvalidLocationCode$;
__webpack_unused_export__ = InvalidMinimumProtocolVersion;
__webpack_unused_export__ = InvalidMinimumProtocolVersion$;
__webpack_unused_export__ = InvalidOrigin;
__webpack_unused_export__ = InvalidOrigin$;
__webpack_unused_export__ = InvalidOriginAccessControl;
__webpack_unused_export__ = InvalidOriginAccessControl$;
__webpack_unused_export__ = InvalidOriginAccessIdentity;
__webpack_unused_export__ = InvalidOriginAccessIdentity$;
__webpack_unused_export__ = InvalidOriginKeepaliveTimeout;
__webpack_unused_export__ = InvalidOriginKeepaliveTimeout$;
__webpack_unused_export__ = InvalidOriginReadTimeout;
__webpack_unused_export__ = InvalidOriginReadTimeout$;
__webpack_unused_export__ = InvalidProtocolSettings;
__webpack_unused_export__ = InvalidProtocolSettings$;
__webpack_unused_export__ = InvalidQueryStringParameters;
__webpack_unused_export__ = InvalidQueryStringParameters$;
__webpack_unused_export__ = InvalidRelativePath;
__webpack_unused_export__ = InvalidRelativePath$;
__webpack_unused_export__ = InvalidRequiredProtocol;
__webpack_unused_export__ = InvalidRequiredProtocol$;
__webpack_unused_export__ = InvalidResponseCode;
__webpack_unused_export__ = InvalidResponseCode$;
__webpack_unused_export__ = InvalidTTLOrder;
__webpack_unused_export__ = InvalidTTLOrder$;
__webpack_unused_export__ = InvalidTagging;
__webpack_unused_export__ = InvalidTagging$;
__webpack_unused_export__ = InvalidViewerCertificate;
__webpack_unused_export__ = InvalidViewerCertificate$;
__webpack_unused_export__ = InvalidWebACLId;
__webpack_unused_export__ = InvalidWebACLId$;
__webpack_unused_export__ = Invalidation$;
__webpack_unused_export__ = InvalidationBatch$;
__webpack_unused_export__ = InvalidationList$;
__webpack_unused_export__ = InvalidationSummary$;
__webpack_unused_export__ = IpAddressType;
__webpack_unused_export__ = IpamCidrConfig$;
__webpack_unused_export__ = IpamCidrStatus;
__webpack_unused_export__ = IpamConfig$;
__webpack_unused_export__ = ItemSelection;
__webpack_unused_export__ = KGKeyPairIds$;
__webpack_unused_export__ = KeyGroup$;
__webpack_unused_export__ = KeyGroupAlreadyExists;
__webpack_unused_export__ = KeyGroupAlreadyExists$;
__webpack_unused_export__ = KeyGroupConfig$;
__webpack_unused_export__ = KeyGroupList$;
__webpack_unused_export__ = KeyGroupSummary$;
__webpack_unused_export__ = KeyPairIds$;
__webpack_unused_export__ = KeyValueStore$;
__webpack_unused_export__ = KeyValueStoreAssociation$;
__webpack_unused_export__ = KeyValueStoreAssociations$;
__webpack_unused_export__ = KeyValueStoreList$;
__webpack_unused_export__ = KinesisStreamConfig$;
__webpack_unused_export__ = LambdaFunctionAssociation$;
__webpack_unused_export__ = LambdaFunctionAssociations$;
__webpack_unused_export__ = ListAnycastIpLists$;
__webpack_unused_export__ = ListAnycastIpListsCommand;
__webpack_unused_export__ = ListAnycastIpListsRequest$;
__webpack_unused_export__ = ListAnycastIpListsResult$;
__webpack_unused_export__ = ListCachePolicies$;
__webpack_unused_export__ = ListCachePoliciesCommand;
__webpack_unused_export__ = ListCachePoliciesRequest$;
__webpack_unused_export__ = ListCachePoliciesResult$;
__webpack_unused_export__ = ListCloudFrontOriginAccessIdentities$;
__webpack_unused_export__ = ListCloudFrontOriginAccessIdentitiesCommand;
__webpack_unused_export__ = ListCloudFrontOriginAccessIdentitiesRequest$;
__webpack_unused_export__ = ListCloudFrontOriginAccessIdentitiesResult$;
__webpack_unused_export__ = ListConflictingAliases$;
__webpack_unused_export__ = ListConflictingAliasesCommand;
__webpack_unused_export__ = ListConflictingAliasesRequest$;
__webpack_unused_export__ = ListConflictingAliasesResult$;
__webpack_unused_export__ = ListConnectionFunctions$;
__webpack_unused_export__ = ListConnectionFunctionsCommand;
__webpack_unused_export__ = ListConnectionFunctionsRequest$;
__webpack_unused_export__ = ListConnectionFunctionsResult$;
__webpack_unused_export__ = ListConnectionGroups$;
__webpack_unused_export__ = ListConnectionGroupsCommand;
__webpack_unused_export__ = ListConnectionGroupsRequest$;
__webpack_unused_export__ = ListConnectionGroupsResult$;
__webpack_unused_export__ = ListContinuousDeploymentPolicies$;
__webpack_unused_export__ = ListContinuousDeploymentPoliciesCommand;
__webpack_unused_export__ = ListContinuousDeploymentPoliciesRequest$;
__webpack_unused_export__ = ListContinuousDeploymentPoliciesResult$;
__webpack_unused_export__ = ListDistributionTenants$;
__webpack_unused_export__ = ListDistributionTenantsByCustomization$;
__webpack_unused_export__ = ListDistributionTenantsByCustomizationCommand;
__webpack_unused_export__ = ListDistributionTenantsByCustomizationRequest$;
__webpack_unused_export__ = ListDistributionTenantsByCustomizationResult$;
__webpack_unused_export__ = ListDistributionTenantsCommand;
__webpack_unused_export__ = ListDistributionTenantsRequest$;
__webpack_unused_export__ = ListDistributionTenantsResult$;
__webpack_unused_export__ = ListDistributions$;
__webpack_unused_export__ = ListDistributionsByAnycastIpListId$;
__webpack_unused_export__ = ListDistributionsByAnycastIpListIdCommand;
__webpack_unused_export__ = ListDistributionsByAnycastIpListIdRequest$;
__webpack_unused_export__ = ListDistributionsByAnycastIpListIdResult$;
__webpack_unused_export__ = ListDistributionsByCachePolicyId$;
__webpack_unused_export__ = ListDistributionsByCachePolicyIdCommand;
__webpack_unused_export__ = ListDistributionsByCachePolicyIdRequest$;
__webpack_unused_export__ = ListDistributionsByCachePolicyIdResult$;
__webpack_unused_export__ = ListDistributionsByConnectionFunction$;
__webpack_unused_export__ = ListDistributionsByConnectionFunctionCommand;
__webpack_unused_export__ = ListDistributionsByConnectionFunctionRequest$;
__webpack_unused_export__ = ListDistributionsByConnectionFunctionResult$;
__webpack_unused_export__ = ListDistributionsByConnectionMode$;
__webpack_unused_export__ = ListDistributionsByConnectionModeCommand;
__webpack_unused_export__ = ListDistributionsByConnectionModeRequest$;
__webpack_unused_export__ = ListDistributionsByConnectionModeResult$;
__webpack_unused_export__ = ListDistributionsByKeyGroup$;
__webpack_unused_export__ = ListDistributionsByKeyGroupCommand;
__webpack_unused_export__ = ListDistributionsByKeyGroupRequest$;
__webpack_unused_export__ = ListDistributionsByKeyGroupResult$;
__webpack_unused_export__ = ListDistributionsByOriginRequestPolicyId$;
__webpack_unused_export__ = ListDistributionsByOriginRequestPolicyIdCommand;
__webpack_unused_export__ = ListDistributionsByOriginRequestPolicyIdRequest$;
__webpack_unused_export__ = ListDistributionsByOriginRequestPolicyIdResult$;
__webpack_unused_export__ = ListDistributionsByOwnedResource$;
__webpack_unused_export__ = ListDistributionsByOwnedResourceCommand;
__webpack_unused_export__ = ListDistributionsByOwnedResourceRequest$;
__webpack_unused_export__ = ListDistributionsByOwnedResourceResult$;
__webpack_unused_export__ = ListDistributionsByRealtimeLogConfig$;
__webpack_unused_export__ = ListDistributionsByRealtimeLogConfigCommand;
__webpack_unused_export__ = ListDistributionsByRealtimeLogConfigRequest$;
__webpack_unused_export__ = ListDistributionsByRealtimeLogConfigResult$;
__webpack_unused_export__ = ListDistributionsByResponseHeadersPolicyId$;
__webpack_unused_export__ = ListDistributionsByResponseHeadersPolicyIdCommand;
__webpack_unused_export__ = ListDistributionsByResponseHeadersPolicyIdRequest$;
__webpack_unused_export__ = ListDistributionsByResponseHeadersPolicyIdResult$;
__webpack_unused_export__ = ListDistributionsByTrustStore$;
__webpack_unused_export__ = ListDistributionsByTrustStoreCommand;
__webpack_unused_export__ = ListDistributionsByTrustStoreRequest$;
__webpack_unused_export__ = ListDistributionsByTrustStoreResult$;
__webpack_unused_export__ = ListDistributionsByVpcOriginId$;
__webpack_unused_export__ = ListDistributionsByVpcOriginIdCommand;
__webpack_unused_export__ = ListDistributionsByVpcOriginIdRequest$;
__webpack_unused_export__ = ListDistributionsByVpcOriginIdResult$;
__webpack_unused_export__ = ListDistributionsByWebACLId$;
__webpack_unused_export__ = ListDistributionsByWebACLIdCommand;
__webpack_unused_export__ = ListDistributionsByWebACLIdRequest$;
__webpack_unused_export__ = ListDistributionsByWebACLIdResult$;
__webpack_unused_export__ = ListDistributionsCommand;
__webpack_unused_export__ = ListDistributionsRequest$;
__webpack_unused_export__ = ListDistributionsResult$;
__webpack_unused_export__ = ListDomainConflicts$;
__webpack_unused_export__ = ListDomainConflictsCommand;
__webpack_unused_export__ = ListDomainConflictsRequest$;
__webpack_unused_export__ = ListDomainConflictsResult$;
__webpack_unused_export__ = ListFieldLevelEncryptionConfigs$;
__webpack_unused_export__ = ListFieldLevelEncryptionConfigsCommand;
__webpack_unused_export__ = ListFieldLevelEncryptionConfigsRequest$;
__webpack_unused_export__ = ListFieldLevelEncryptionConfigsResult$;
__webpack_unused_export__ = ListFieldLevelEncryptionProfiles$;
__webpack_unused_export__ = ListFieldLevelEncryptionProfilesCommand;
__webpack_unused_export__ = ListFieldLevelEncryptionProfilesRequest$;
__webpack_unused_export__ = ListFieldLevelEncryptionProfilesResult$;
__webpack_unused_export__ = ListFunctions$;
__webpack_unused_export__ = ListFunctionsCommand;
__webpack_unused_export__ = ListFunctionsRequest$;
__webpack_unused_export__ = ListFunctionsResult$;
__webpack_unused_export__ = ListInvalidations$;
__webpack_unused_export__ = ListInvalidationsCommand;
__webpack_unused_export__ = ListInvalidationsForDistributionTenant$;
__webpack_unused_export__ = ListInvalidationsForDistributionTenantCommand;
__webpack_unused_export__ = ListInvalidationsForDistributionTenantRequest$;
__webpack_unused_export__ = ListInvalidationsForDistributionTenantResult$;
__webpack_unused_export__ = ListInvalidationsRequest$;
__webpack_unused_export__ = ListInvalidationsResult$;
__webpack_unused_export__ = ListKeyGroups$;
__webpack_unused_export__ = ListKeyGroupsCommand;
__webpack_unused_export__ = ListKeyGroupsRequest$;
__webpack_unused_export__ = ListKeyGroupsResult$;
__webpack_unused_export__ = ListKeyValueStores$;
__webpack_unused_export__ = ListKeyValueStoresCommand;
__webpack_unused_export__ = ListKeyValueStoresRequest$;
__webpack_unused_export__ = ListKeyValueStoresResult$;
__webpack_unused_export__ = ListOriginAccessControls$;
__webpack_unused_export__ = ListOriginAccessControlsCommand;
__webpack_unused_export__ = ListOriginAccessControlsRequest$;
__webpack_unused_export__ = ListOriginAccessControlsResult$;
__webpack_unused_export__ = ListOriginRequestPolicies$;
__webpack_unused_export__ = ListOriginRequestPoliciesCommand;
__webpack_unused_export__ = ListOriginRequestPoliciesRequest$;
__webpack_unused_export__ = ListOriginRequestPoliciesResult$;
__webpack_unused_export__ = ListPublicKeys$;
__webpack_unused_export__ = ListPublicKeysCommand;
__webpack_unused_export__ = ListPublicKeysRequest$;
__webpack_unused_export__ = ListPublicKeysResult$;
__webpack_unused_export__ = ListRealtimeLogConfigs$;
__webpack_unused_export__ = ListRealtimeLogConfigsCommand;
__webpack_unused_export__ = ListRealtimeLogConfigsRequest$;
__webpack_unused_export__ = ListRealtimeLogConfigsResult$;
__webpack_unused_export__ = ListResponseHeadersPolicies$;
__webpack_unused_export__ = ListResponseHeadersPoliciesCommand;
__webpack_unused_export__ = ListResponseHeadersPoliciesRequest$;
__webpack_unused_export__ = ListResponseHeadersPoliciesResult$;
__webpack_unused_export__ = ListStreamingDistributions$;
__webpack_unused_export__ = ListStreamingDistributionsCommand;
__webpack_unused_export__ = ListStreamingDistributionsRequest$;
__webpack_unused_export__ = ListStreamingDistributionsResult$;
__webpack_unused_export__ = ListTagsForResource$;
__webpack_unused_export__ = ListTagsForResourceCommand;
__webpack_unused_export__ = ListTagsForResourceRequest$;
__webpack_unused_export__ = ListTagsForResourceResult$;
__webpack_unused_export__ = ListTrustStores$;
__webpack_unused_export__ = ListTrustStoresCommand;
__webpack_unused_export__ = ListTrustStoresRequest$;
__webpack_unused_export__ = ListTrustStoresResult$;
__webpack_unused_export__ = ListVpcOrigins$;
__webpack_unused_export__ = ListVpcOriginsCommand;
__webpack_unused_export__ = ListVpcOriginsRequest$;
__webpack_unused_export__ = ListVpcOriginsResult$;
__webpack_unused_export__ = LoggingConfig$;
__webpack_unused_export__ = ManagedCertificateDetails$;
__webpack_unused_export__ = ManagedCertificateRequest$;
__webpack_unused_export__ = ManagedCertificateStatus;
__webpack_unused_export__ = Method;
__webpack_unused_export__ = MinimumProtocolVersion;
__webpack_unused_export__ = MissingBody;
__webpack_unused_export__ = MissingBody$;
__webpack_unused_export__ = MonitoringSubscription$;
__webpack_unused_export__ = MonitoringSubscriptionAlreadyExists;
__webpack_unused_export__ = MonitoringSubscriptionAlreadyExists$;
__webpack_unused_export__ = NoSuchCachePolicy;
__webpack_unused_export__ = NoSuchCachePolicy$;
__webpack_unused_export__ = NoSuchCloudFrontOriginAccessIdentity;
__webpack_unused_export__ = NoSuchCloudFrontOriginAccessIdentity$;
__webpack_unused_export__ = NoSuchContinuousDeploymentPolicy;
__webpack_unused_export__ = NoSuchContinuousDeploymentPolicy$;
__webpack_unused_export__ = NoSuchDistribution;
__webpack_unused_export__ = NoSuchDistribution$;
__webpack_unused_export__ = NoSuchFieldLevelEncryptionConfig;
__webpack_unused_export__ = NoSuchFieldLevelEncryptionConfig$;
__webpack_unused_export__ = NoSuchFieldLevelEncryptionProfile;
__webpack_unused_export__ = NoSuchFieldLevelEncryptionProfile$;
__webpack_unused_export__ = NoSuchFunctionExists;
__webpack_unused_export__ = NoSuchFunctionExists$;
__webpack_unused_export__ = NoSuchInvalidation;
__webpack_unused_export__ = NoSuchInvalidation$;
__webpack_unused_export__ = NoSuchMonitoringSubscription;
__webpack_unused_export__ = NoSuchMonitoringSubscription$;
__webpack_unused_export__ = NoSuchOrigin;
__webpack_unused_export__ = NoSuchOrigin$;
__webpack_unused_export__ = NoSuchOriginAccessControl;
__webpack_unused_export__ = NoSuchOriginAccessControl$;
__webpack_unused_export__ = NoSuchOriginRequestPolicy;
__webpack_unused_export__ = NoSuchOriginRequestPolicy$;
__webpack_unused_export__ = NoSuchPublicKey;
__webpack_unused_export__ = NoSuchPublicKey$;
__webpack_unused_export__ = NoSuchRealtimeLogConfig;
__webpack_unused_export__ = NoSuchRealtimeLogConfig$;
__webpack_unused_export__ = NoSuchResource;
__webpack_unused_export__ = NoSuchResource$;
__webpack_unused_export__ = NoSuchResponseHeadersPolicy;
__webpack_unused_export__ = NoSuchResponseHeadersPolicy$;
__webpack_unused_export__ = NoSuchStreamingDistribution;
__webpack_unused_export__ = NoSuchStreamingDistribution$;
__webpack_unused_export__ = Origin$;
__webpack_unused_export__ = OriginAccessControl$;
__webpack_unused_export__ = OriginAccessControlAlreadyExists;
__webpack_unused_export__ = OriginAccessControlAlreadyExists$;
__webpack_unused_export__ = OriginAccessControlConfig$;
__webpack_unused_export__ = OriginAccessControlInUse;
__webpack_unused_export__ = OriginAccessControlInUse$;
__webpack_unused_export__ = OriginAccessControlList$;
__webpack_unused_export__ = OriginAccessControlOriginTypes;
__webpack_unused_export__ = OriginAccessControlSigningBehaviors;
__webpack_unused_export__ = OriginAccessControlSigningProtocols;
__webpack_unused_export__ = OriginAccessControlSummary$;
__webpack_unused_export__ = OriginCustomHeader$;
__webpack_unused_export__ = OriginGroup$;
__webpack_unused_export__ = OriginGroupFailoverCriteria$;
__webpack_unused_export__ = OriginGroupMember$;
__webpack_unused_export__ = OriginGroupMembers$;
__webpack_unused_export__ = OriginGroupSelectionCriteria;
__webpack_unused_export__ = OriginGroups$;
__webpack_unused_export__ = OriginMtlsConfig$;
__webpack_unused_export__ = OriginProtocolPolicy;
__webpack_unused_export__ = OriginRequestPolicy$;
__webpack_unused_export__ = OriginRequestPolicyAlreadyExists;
__webpack_unused_export__ = OriginRequestPolicyAlreadyExists$;
__webpack_unused_export__ = OriginRequestPolicyConfig$;
__webpack_unused_export__ = OriginRequestPolicyCookieBehavior;
__webpack_unused_export__ = OriginRequestPolicyCookiesConfig$;
__webpack_unused_export__ = OriginRequestPolicyHeaderBehavior;
__webpack_unused_export__ = OriginRequestPolicyHeadersConfig$;
__webpack_unused_export__ = OriginRequestPolicyInUse;
__webpack_unused_export__ = OriginRequestPolicyInUse$;
__webpack_unused_export__ = OriginRequestPolicyList$;
__webpack_unused_export__ = OriginRequestPolicyQueryStringBehavior;
__webpack_unused_export__ = OriginRequestPolicyQueryStringsConfig$;
__webpack_unused_export__ = OriginRequestPolicySummary$;
__webpack_unused_export__ = OriginRequestPolicyType;
__webpack_unused_export__ = OriginShield$;
__webpack_unused_export__ = OriginSslProtocols$;
__webpack_unused_export__ = Origins$;
__webpack_unused_export__ = Parameter$;
__webpack_unused_export__ = ParameterDefinition$;
__webpack_unused_export__ = ParameterDefinitionSchema$;
__webpack_unused_export__ = ParametersInCacheKeyAndForwardedToOrigin$;
__webpack_unused_export__ = Paths$;
__webpack_unused_export__ = PreconditionFailed;
__webpack_unused_export__ = PreconditionFailed$;
__webpack_unused_export__ = PriceClass;
__webpack_unused_export__ = PublicKey$;
__webpack_unused_export__ = PublicKeyAlreadyExists;
__webpack_unused_export__ = PublicKeyAlreadyExists$;
__webpack_unused_export__ = PublicKeyConfig$;
__webpack_unused_export__ = PublicKeyInUse;
__webpack_unused_export__ = PublicKeyInUse$;
__webpack_unused_export__ = PublicKeyList$;
__webpack_unused_export__ = PublicKeySummary$;
__webpack_unused_export__ = PublishConnectionFunction$;
__webpack_unused_export__ = PublishConnectionFunctionCommand;
__webpack_unused_export__ = PublishConnectionFunctionRequest$;
__webpack_unused_export__ = PublishConnectionFunctionResult$;
__webpack_unused_export__ = PublishFunction$;
__webpack_unused_export__ = PublishFunctionCommand;
__webpack_unused_export__ = PublishFunctionRequest$;
__webpack_unused_export__ = PublishFunctionResult$;
__webpack_unused_export__ = PutResourcePolicy$;
__webpack_unused_export__ = PutResourcePolicyCommand;
__webpack_unused_export__ = PutResourcePolicyRequest$;
__webpack_unused_export__ = PutResourcePolicyResult$;
__webpack_unused_export__ = QueryArgProfile$;
__webpack_unused_export__ = QueryArgProfileConfig$;
__webpack_unused_export__ = QueryArgProfileEmpty;
__webpack_unused_export__ = QueryArgProfileEmpty$;
__webpack_unused_export__ = QueryArgProfiles$;
__webpack_unused_export__ = QueryStringCacheKeys$;
__webpack_unused_export__ = QueryStringNames$;
__webpack_unused_export__ = RealtimeLogConfig$;
__webpack_unused_export__ = RealtimeLogConfigAlreadyExists;
__webpack_unused_export__ = RealtimeLogConfigAlreadyExists$;
__webpack_unused_export__ = RealtimeLogConfigInUse;
__webpack_unused_export__ = RealtimeLogConfigInUse$;
__webpack_unused_export__ = RealtimeLogConfigOwnerMismatch;
__webpack_unused_export__ = RealtimeLogConfigOwnerMismatch$;
__webpack_unused_export__ = RealtimeLogConfigs$;
__webpack_unused_export__ = RealtimeMetricsSubscriptionConfig$;
__webpack_unused_export__ = RealtimeMetricsSubscriptionStatus;
__webpack_unused_export__ = ReferrerPolicyList;
__webpack_unused_export__ = ResourceInUse;
__webpack_unused_export__ = ResourceInUse$;
__webpack_unused_export__ = ResourceNotDisabled;
__webpack_unused_export__ = ResourceNotDisabled$;
__webpack_unused_export__ = ResponseHeadersPolicy$;
__webpack_unused_export__ = ResponseHeadersPolicyAccessControlAllowHeaders$;
__webpack_unused_export__ = ResponseHeadersPolicyAccessControlAllowMethods$;
__webpack_unused_export__ = ResponseHeadersPolicyAccessControlAllowMethodsValues;
__webpack_unused_export__ = ResponseHeadersPolicyAccessControlAllowOrigins$;
__webpack_unused_export__ = ResponseHeadersPolicyAccessControlExposeHeaders$;
__webpack_unused_export__ = ResponseHeadersPolicyAlreadyExists;
__webpack_unused_export__ = ResponseHeadersPolicyAlreadyExists$;
__webpack_unused_export__ = ResponseHeadersPolicyConfig$;
__webpack_unused_export__ = ResponseHeadersPolicyContentSecurityPolicy$;
__webpack_unused_export__ = ResponseHeadersPolicyContentTypeOptions$;
__webpack_unused_export__ = ResponseHeadersPolicyCorsConfig$;
__webpack_unused_export__ = ResponseHeadersPolicyCustomHeader$;
__webpack_unused_export__ = ResponseHeadersPolicyCustomHeadersConfig$;
__webpack_unused_export__ = ResponseHeadersPolicyFrameOptions$;
__webpack_unused_export__ = ResponseHeadersPolicyInUse;
__webpack_unused_export__ = ResponseHeadersPolicyInUse$;
__webpack_unused_export__ = ResponseHeadersPolicyList$;
__webpack_unused_export__ = ResponseHeadersPolicyReferrerPolicy$;
__webpack_unused_export__ = ResponseHeadersPolicyRemoveHeader$;
__webpack_unused_export__ = ResponseHeadersPolicyRemoveHeadersConfig$;
__webpack_unused_export__ = ResponseHeadersPolicySecurityHeadersConfig$;
__webpack_unused_export__ = ResponseHeadersPolicyServerTimingHeadersConfig$;
__webpack_unused_export__ = ResponseHeadersPolicyStrictTransportSecurity$;
__webpack_unused_export__ = ResponseHeadersPolicySummary$;
__webpack_unused_export__ = ResponseHeadersPolicyType;
__webpack_unused_export__ = ResponseHeadersPolicyXSSProtection$;
__webpack_unused_export__ = Restrictions$;
__webpack_unused_export__ = S3Origin$;
__webpack_unused_export__ = S3OriginConfig$;
__webpack_unused_export__ = SSLSupportMethod;
__webpack_unused_export__ = SessionStickinessConfig$;
__webpack_unused_export__ = Signer$;
__webpack_unused_export__ = SslProtocol;
__webpack_unused_export__ = StagingDistributionDnsNames$;
__webpack_unused_export__ = StagingDistributionInUse;
__webpack_unused_export__ = StagingDistributionInUse$;
__webpack_unused_export__ = StatusCodes$;
__webpack_unused_export__ = StreamingDistribution$;
__webpack_unused_export__ = StreamingDistributionAlreadyExists;
__webpack_unused_export__ = StreamingDistributionAlreadyExists$;
__webpack_unused_export__ = StreamingDistributionConfig$;
__webpack_unused_export__ = StreamingDistributionConfigWithTags$;
__webpack_unused_export__ = StreamingDistributionList$;
__webpack_unused_export__ = StreamingDistributionNotDisabled;
__webpack_unused_export__ = StreamingDistributionNotDisabled$;
__webpack_unused_export__ = StreamingDistributionSummary$;
__webpack_unused_export__ = StreamingLoggingConfig$;
__webpack_unused_export__ = StringSchemaConfig$;
__webpack_unused_export__ = Tag$;
__webpack_unused_export__ = TagKeys$;
__webpack_unused_export__ = TagResource$;
__webpack_unused_export__ = TagResourceCommand;
__webpack_unused_export__ = TagResourceRequest$;
__webpack_unused_export__ = Tags$;
__webpack_unused_export__ = TenantConfig$;
__webpack_unused_export__ = TestConnectionFunction$;
__webpack_unused_export__ = TestConnectionFunctionCommand;
__webpack_unused_export__ = TestConnectionFunctionRequest$;
__webpack_unused_export__ = TestConnectionFunctionResult$;
__webpack_unused_export__ = TestFunction$;
__webpack_unused_export__ = TestFunctionCommand;
__webpack_unused_export__ = TestFunctionFailed;
__webpack_unused_export__ = TestFunctionFailed$;
__webpack_unused_export__ = TestFunctionRequest$;
__webpack_unused_export__ = TestFunctionResult$;
__webpack_unused_export__ = TestResult$;
__webpack_unused_export__ = TooLongCSPInResponseHeadersPolicy;
__webpack_unused_export__ = TooLongCSPInResponseHeadersPolicy$;
__webpack_unused_export__ = TooManyCacheBehaviors;
__webpack_unused_export__ = TooManyCacheBehaviors$;
__webpack_unused_export__ = TooManyCachePolicies;
__webpack_unused_export__ = TooManyCachePolicies$;
__webpack_unused_export__ = TooManyCertificates;
__webpack_unused_export__ = TooManyCertificates$;
__webpack_unused_export__ = TooManyCloudFrontOriginAccessIdentities;
__webpack_unused_export__ = TooManyCloudFrontOriginAccessIdentities$;
__webpack_unused_export__ = TooManyContinuousDeploymentPolicies;
__webpack_unused_export__ = TooManyContinuousDeploymentPolicies$;
__webpack_unused_export__ = TooManyCookieNamesInWhiteList;
__webpack_unused_export__ = TooManyCookieNamesInWhiteList$;
__webpack_unused_export__ = TooManyCookiesInCachePolicy;
__webpack_unused_export__ = TooManyCookiesInCachePolicy$;
__webpack_unused_export__ = TooManyCookiesInOriginRequestPolicy;
__webpack_unused_export__ = TooManyCookiesInOriginRequestPolicy$;
__webpack_unused_export__ = TooManyCustomHeadersInResponseHeadersPolicy;
__webpack_unused_export__ = TooManyCustomHeadersInResponseHeadersPolicy$;
__webpack_unused_export__ = TooManyDistributionCNAMEs;
__webpack_unused_export__ = TooManyDistributionCNAMEs$;
__webpack_unused_export__ = TooManyDistributions;
__webpack_unused_export__ = TooManyDistributions$;
__webpack_unused_export__ = TooManyDistributionsAssociatedToCachePolicy;
__webpack_unused_export__ = TooManyDistributionsAssociatedToCachePolicy$;
__webpack_unused_export__ = TooManyDistributionsAssociatedToFieldLevelEncryptionConfig;
__webpack_unused_export__ = TooManyDistributionsAssociatedToFieldLevelEncryptionConfig$;
__webpack_unused_export__ = TooManyDistributionsAssociatedToKeyGroup;
__webpack_unused_export__ = TooManyDistributionsAssociatedToKeyGroup$;
__webpack_unused_export__ = TooManyDistributionsAssociatedToOriginAccessControl;
__webpack_unused_export__ = TooManyDistributionsAssociatedToOriginAccessControl$;
__webpack_unused_export__ = TooManyDistributionsAssociatedToOriginRequestPolicy;
__webpack_unused_export__ = TooManyDistributionsAssociatedToOriginRequestPolicy$;
__webpack_unused_export__ = TooManyDistributionsAssociatedToResponseHeadersPolicy;
__webpack_unused_export__ = TooManyDistributionsAssociatedToResponseHeadersPolicy$;
__webpack_unused_export__ = TooManyDistributionsWithFunctionAssociations;
__webpack_unused_export__ = TooManyDistributionsWithFunctionAssociations$;
__webpack_unused_export__ = TooManyDistributionsWithLambdaAssociations;
__webpack_unused_export__ = TooManyDistributionsWithLambdaAssociations$;
__webpack_unused_export__ = TooManyDistributionsWithSingleFunctionARN;
__webpack_unused_export__ = TooManyDistributionsWithSingleFunctionARN$;
__webpack_unused_export__ = TooManyFieldLevelEncryptionConfigs;
__webpack_unused_export__ = TooManyFieldLevelEncryptionConfigs$;
__webpack_unused_export__ = TooManyFieldLevelEncryptionContentTypeProfiles;
__webpack_unused_export__ = TooManyFieldLevelEncryptionContentTypeProfiles$;
__webpack_unused_export__ = TooManyFieldLevelEncryptionEncryptionEntities;
__webpack_unused_export__ = TooManyFieldLevelEncryptionEncryptionEntities$;
__webpack_unused_export__ = TooManyFieldLevelEncryptionFieldPatterns;
__webpack_unused_export__ = TooManyFieldLevelEncryptionFieldPatterns$;
__webpack_unused_export__ = TooManyFieldLevelEncryptionProfiles;
__webpack_unused_export__ = TooManyFieldLevelEncryptionProfiles$;
__webpack_unused_export__ = TooManyFieldLevelEncryptionQueryArgProfiles;
__webpack_unused_export__ = TooManyFieldLevelEncryptionQueryArgProfiles$;
__webpack_unused_export__ = TooManyFunctionAssociations;
__webpack_unused_export__ = TooManyFunctionAssociations$;
__webpack_unused_export__ = TooManyFunctions;
__webpack_unused_export__ = TooManyFunctions$;
__webpack_unused_export__ = TooManyHeadersInCachePolicy;
__webpack_unused_export__ = TooManyHeadersInCachePolicy$;
__webpack_unused_export__ = TooManyHeadersInForwardedValues;
__webpack_unused_export__ = TooManyHeadersInForwardedValues$;
__webpack_unused_export__ = TooManyHeadersInOriginRequestPolicy;
__webpack_unused_export__ = TooManyHeadersInOriginRequestPolicy$;
__webpack_unused_export__ = TooManyInvalidationsInProgress;
__webpack_unused_export__ = TooManyInvalidationsInProgress$;
__webpack_unused_export__ = TooManyKeyGroups;
__webpack_unused_export__ = TooManyKeyGroups$;
__webpack_unused_export__ = TooManyKeyGroupsAssociatedToDistribution;
__webpack_unused_export__ = TooManyKeyGroupsAssociatedToDistribution$;
__webpack_unused_export__ = TooManyLambdaFunctionAssociations;
__webpack_unused_export__ = TooManyLambdaFunctionAssociations$;
__webpack_unused_export__ = TooManyOriginAccessControls;
__webpack_unused_export__ = TooManyOriginAccessControls$;
__webpack_unused_export__ = TooManyOriginCustomHeaders;
__webpack_unused_export__ = TooManyOriginCustomHeaders$;
__webpack_unused_export__ = TooManyOriginGroupsPerDistribution;
__webpack_unused_export__ = TooManyOriginGroupsPerDistribution$;
__webpack_unused_export__ = TooManyOriginRequestPolicies;
__webpack_unused_export__ = TooManyOriginRequestPolicies$;
__webpack_unused_export__ = TooManyOrigins;
__webpack_unused_export__ = TooManyOrigins$;
__webpack_unused_export__ = TooManyPublicKeys;
__webpack_unused_export__ = TooManyPublicKeys$;
__webpack_unused_export__ = TooManyPublicKeysInKeyGroup;
__webpack_unused_export__ = TooManyPublicKeysInKeyGroup$;
__webpack_unused_export__ = TooManyQueryStringParameters;
__webpack_unused_export__ = TooManyQueryStringParameters$;
__webpack_unused_export__ = TooManyQueryStringsInCachePolicy;
__webpack_unused_export__ = TooManyQueryStringsInCachePolicy$;
__webpack_unused_export__ = TooManyQueryStringsInOriginRequestPolicy;
__webpack_unused_export__ = TooManyQueryStringsInOriginRequestPolicy$;
__webpack_unused_export__ = TooManyRealtimeLogConfigs;
__webpack_unused_export__ = TooManyRealtimeLogConfigs$;
__webpack_unused_export__ = TooManyRemoveHeadersInResponseHeadersPolicy;
__webpack_unused_export__ = TooManyRemoveHeadersInResponseHeadersPolicy$;
__webpack_unused_export__ = TooManyResponseHeadersPolicies;
__webpack_unused_export__ = TooManyResponseHeadersPolicies$;
__webpack_unused_export__ = TooManyStreamingDistributionCNAMEs;
__webpack_unused_export__ = TooManyStreamingDistributionCNAMEs$;
__webpack_unused_export__ = TooManyStreamingDistributions;
__webpack_unused_export__ = TooManyStreamingDistributions$;
__webpack_unused_export__ = TooManyTrustedSigners;
__webpack_unused_export__ = TooManyTrustedSigners$;
__webpack_unused_export__ = TrafficConfig$;
__webpack_unused_export__ = TrustStore$;
__webpack_unused_export__ = TrustStoreConfig$;
__webpack_unused_export__ = TrustStoreStatus;
__webpack_unused_export__ = TrustStoreSummary$;
__webpack_unused_export__ = TrustedKeyGroupDoesNotExist;
__webpack_unused_export__ = TrustedKeyGroupDoesNotExist$;
__webpack_unused_export__ = TrustedKeyGroups$;
__webpack_unused_export__ = TrustedSignerDoesNotExist;
__webpack_unused_export__ = TrustedSignerDoesNotExist$;
__webpack_unused_export__ = TrustedSigners$;
__webpack_unused_export__ = UnsupportedOperation;
__webpack_unused_export__ = UnsupportedOperation$;
__webpack_unused_export__ = UntagResource$;
__webpack_unused_export__ = UntagResourceCommand;
__webpack_unused_export__ = UntagResourceRequest$;
__webpack_unused_export__ = UpdateAnycastIpList$;
__webpack_unused_export__ = UpdateAnycastIpListCommand;
__webpack_unused_export__ = UpdateAnycastIpListRequest$;
__webpack_unused_export__ = UpdateAnycastIpListResult$;
__webpack_unused_export__ = UpdateCachePolicy$;
__webpack_unused_export__ = UpdateCachePolicyCommand;
__webpack_unused_export__ = UpdateCachePolicyRequest$;
__webpack_unused_export__ = UpdateCachePolicyResult$;
__webpack_unused_export__ = UpdateCloudFrontOriginAccessIdentity$;
__webpack_unused_export__ = UpdateCloudFrontOriginAccessIdentityCommand;
__webpack_unused_export__ = UpdateCloudFrontOriginAccessIdentityRequest$;
__webpack_unused_export__ = UpdateCloudFrontOriginAccessIdentityResult$;
__webpack_unused_export__ = UpdateConnectionFunction$;
__webpack_unused_export__ = UpdateConnectionFunctionCommand;
__webpack_unused_export__ = UpdateConnectionFunctionRequest$;
__webpack_unused_export__ = UpdateConnectionFunctionResult$;
__webpack_unused_export__ = UpdateConnectionGroup$;
__webpack_unused_export__ = UpdateConnectionGroupCommand;
__webpack_unused_export__ = UpdateConnectionGroupRequest$;
__webpack_unused_export__ = UpdateConnectionGroupResult$;
__webpack_unused_export__ = UpdateContinuousDeploymentPolicy$;
__webpack_unused_export__ = UpdateContinuousDeploymentPolicyCommand;
__webpack_unused_export__ = UpdateContinuousDeploymentPolicyRequest$;
__webpack_unused_export__ = UpdateContinuousDeploymentPolicyResult$;
__webpack_unused_export__ = UpdateDistribution$;
__webpack_unused_export__ = UpdateDistributionCommand;
__webpack_unused_export__ = UpdateDistributionRequest$;
__webpack_unused_export__ = UpdateDistributionResult$;
__webpack_unused_export__ = UpdateDistributionTenant$;
__webpack_unused_export__ = UpdateDistributionTenantCommand;
__webpack_unused_export__ = UpdateDistributionTenantRequest$;
__webpack_unused_export__ = UpdateDistributionTenantResult$;
__webpack_unused_export__ = UpdateDistributionWithStagingConfig$;
__webpack_unused_export__ = UpdateDistributionWithStagingConfigCommand;
__webpack_unused_export__ = UpdateDistributionWithStagingConfigRequest$;
__webpack_unused_export__ = UpdateDistributionWithStagingConfigResult$;
__webpack_unused_export__ = UpdateDomainAssociation$;
__webpack_unused_export__ = UpdateDomainAssociationCommand;
__webpack_unused_export__ = UpdateDomainAssociationRequest$;
__webpack_unused_export__ = UpdateDomainAssociationResult$;
__webpack_unused_export__ = UpdateFieldLevelEncryptionConfig$;
__webpack_unused_export__ = UpdateFieldLevelEncryptionConfigCommand;
__webpack_unused_export__ = UpdateFieldLevelEncryptionConfigRequest$;
__webpack_unused_export__ = UpdateFieldLevelEncryptionConfigResult$;
__webpack_unused_export__ = UpdateFieldLevelEncryptionProfile$;
__webpack_unused_export__ = UpdateFieldLevelEncryptionProfileCommand;
__webpack_unused_export__ = UpdateFieldLevelEncryptionProfileRequest$;
__webpack_unused_export__ = UpdateFieldLevelEncryptionProfileResult$;
__webpack_unused_export__ = UpdateFunction$;
__webpack_unused_export__ = UpdateFunctionCommand;
__webpack_unused_export__ = UpdateFunctionRequest$;
__webpack_unused_export__ = UpdateFunctionResult$;
__webpack_unused_export__ = UpdateKeyGroup$;
__webpack_unused_export__ = UpdateKeyGroupCommand;
__webpack_unused_export__ = UpdateKeyGroupRequest$;
__webpack_unused_export__ = UpdateKeyGroupResult$;
__webpack_unused_export__ = UpdateKeyValueStore$;
__webpack_unused_export__ = UpdateKeyValueStoreCommand;
__webpack_unused_export__ = UpdateKeyValueStoreRequest$;
__webpack_unused_export__ = UpdateKeyValueStoreResult$;
__webpack_unused_export__ = UpdateOriginAccessControl$;
__webpack_unused_export__ = UpdateOriginAccessControlCommand;
__webpack_unused_export__ = UpdateOriginAccessControlRequest$;
__webpack_unused_export__ = UpdateOriginAccessControlResult$;
__webpack_unused_export__ = UpdateOriginRequestPolicy$;
__webpack_unused_export__ = UpdateOriginRequestPolicyCommand;
__webpack_unused_export__ = UpdateOriginRequestPolicyRequest$;
__webpack_unused_export__ = UpdateOriginRequestPolicyResult$;
__webpack_unused_export__ = UpdatePublicKey$;
__webpack_unused_export__ = UpdatePublicKeyCommand;
__webpack_unused_export__ = UpdatePublicKeyRequest$;
__webpack_unused_export__ = UpdatePublicKeyResult$;
__webpack_unused_export__ = UpdateRealtimeLogConfig$;
__webpack_unused_export__ = UpdateRealtimeLogConfigCommand;
__webpack_unused_export__ = UpdateRealtimeLogConfigRequest$;
__webpack_unused_export__ = UpdateRealtimeLogConfigResult$;
__webpack_unused_export__ = UpdateResponseHeadersPolicy$;
__webpack_unused_export__ = UpdateResponseHeadersPolicyCommand;
__webpack_unused_export__ = UpdateResponseHeadersPolicyRequest$;
__webpack_unused_export__ = UpdateResponseHeadersPolicyResult$;
__webpack_unused_export__ = UpdateStreamingDistribution$;
__webpack_unused_export__ = UpdateStreamingDistributionCommand;
__webpack_unused_export__ = UpdateStreamingDistributionRequest$;
__webpack_unused_export__ = UpdateStreamingDistributionResult$;
__webpack_unused_export__ = UpdateTrustStore$;
__webpack_unused_export__ = UpdateTrustStoreCommand;
__webpack_unused_export__ = UpdateTrustStoreRequest$;
__webpack_unused_export__ = UpdateTrustStoreResult$;
__webpack_unused_export__ = UpdateVpcOrigin$;
__webpack_unused_export__ = UpdateVpcOriginCommand;
__webpack_unused_export__ = UpdateVpcOriginRequest$;
__webpack_unused_export__ = UpdateVpcOriginResult$;
__webpack_unused_export__ = ValidationTokenDetail$;
__webpack_unused_export__ = ValidationTokenHost;
__webpack_unused_export__ = VerifyDnsConfiguration$;
__webpack_unused_export__ = VerifyDnsConfigurationCommand;
__webpack_unused_export__ = VerifyDnsConfigurationRequest$;
__webpack_unused_export__ = VerifyDnsConfigurationResult$;
__webpack_unused_export__ = ViewerCertificate$;
__webpack_unused_export__ = ViewerMtlsConfig$;
__webpack_unused_export__ = ViewerMtlsMode;
__webpack_unused_export__ = ViewerProtocolPolicy;
__webpack_unused_export__ = VpcIpAddressType;
__webpack_unused_export__ = VpcOrigin$;
__webpack_unused_export__ = VpcOriginConfig$;
__webpack_unused_export__ = VpcOriginEndpointConfig$;
__webpack_unused_export__ = VpcOriginList$;
__webpack_unused_export__ = VpcOriginSummary$;
__webpack_unused_export__ = WebAclCustomization$;
__webpack_unused_export__ = errorTypeRegistries;
__webpack_unused_export__ = paginateListCloudFrontOriginAccessIdentities;
__webpack_unused_export__ = paginateListConnectionFunctions;
__webpack_unused_export__ = paginateListConnectionGroups;
__webpack_unused_export__ = paginateListDistributionTenants;
__webpack_unused_export__ = paginateListDistributionTenantsByCustomization;
__webpack_unused_export__ = paginateListDistributions;
__webpack_unused_export__ = paginateListDistributionsByConnectionFunction;
__webpack_unused_export__ = paginateListDistributionsByConnectionMode;
__webpack_unused_export__ = paginateListDistributionsByTrustStore;
__webpack_unused_export__ = paginateListDomainConflicts;
__webpack_unused_export__ = paginateListInvalidations;
__webpack_unused_export__ = paginateListInvalidationsForDistributionTenant;
__webpack_unused_export__ = paginateListKeyValueStores;
__webpack_unused_export__ = paginateListOriginAccessControls;
__webpack_unused_export__ = paginateListPublicKeys;
__webpack_unused_export__ = paginateListStreamingDistributions;
__webpack_unused_export__ = paginateListTrustStores;
__webpack_unused_export__ = waitForDistributionDeployed;
__webpack_unused_export__ = waitForInvalidationCompleted;
__webpack_unused_export__ = waitForInvalidationForDistributionTenantCompleted;
__webpack_unused_export__ = waitForStreamingDistributionDeployed;
__webpack_unused_export__ = waitUntilDistributionDeployed;
__webpack_unused_export__ = waitUntilInvalidationCompleted;
__webpack_unused_export__ = waitUntilInvalidationForDistributionTenantCompleted;
__webpack_unused_export__ = waitUntilStreamingDistributionDeployed;


/***/ }),

/***/ 2413:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  _: () => (/* binding */ github_context)
});

// UNUSED EXPORTS: getOctokit

// EXTERNAL MODULE: external "fs"
var external_fs_ = __webpack_require__(9896);
// EXTERNAL MODULE: external "os"
var external_os_ = __webpack_require__(857);
;// CONCATENATED MODULE: ./node_modules/@actions/github/lib/context.js


class Context {
    /**
     * Hydrate the context from the environment
     */
    constructor() {
        var _a, _b, _c;
        this.payload = {};
        if (process.env.GITHUB_EVENT_PATH) {
            if ((0,external_fs_.existsSync)(process.env.GITHUB_EVENT_PATH)) {
                this.payload = JSON.parse((0,external_fs_.readFileSync)(process.env.GITHUB_EVENT_PATH, { encoding: 'utf8' }));
            }
            else {
                const path = process.env.GITHUB_EVENT_PATH;
                process.stdout.write(`GITHUB_EVENT_PATH ${path} does not exist${external_os_.EOL}`);
            }
        }
        this.eventName = process.env.GITHUB_EVENT_NAME;
        this.sha = process.env.GITHUB_SHA;
        this.ref = process.env.GITHUB_REF;
        this.workflow = process.env.GITHUB_WORKFLOW;
        this.action = process.env.GITHUB_ACTION;
        this.actor = process.env.GITHUB_ACTOR;
        this.job = process.env.GITHUB_JOB;
        this.runAttempt = parseInt(process.env.GITHUB_RUN_ATTEMPT, 10);
        this.runNumber = parseInt(process.env.GITHUB_RUN_NUMBER, 10);
        this.runId = parseInt(process.env.GITHUB_RUN_ID, 10);
        this.apiUrl = (_a = process.env.GITHUB_API_URL) !== null && _a !== void 0 ? _a : `https://api.github.com`;
        this.serverUrl = (_b = process.env.GITHUB_SERVER_URL) !== null && _b !== void 0 ? _b : `https://github.com`;
        this.graphqlUrl =
            (_c = process.env.GITHUB_GRAPHQL_URL) !== null && _c !== void 0 ? _c : `https://api.github.com/graphql`;
    }
    get issue() {
        const payload = this.payload;
        return Object.assign(Object.assign({}, this.repo), { number: (payload.issue || payload.pull_request || payload).number });
    }
    get repo() {
        if (process.env.GITHUB_REPOSITORY) {
            const [owner, repo] = process.env.GITHUB_REPOSITORY.split('/');
            return { owner, repo };
        }
        if (this.payload.repository) {
            return {
                owner: this.payload.repository.owner.login,
                repo: this.payload.repository.name
            };
        }
        throw new Error("context.repo requires a GITHUB_REPOSITORY environment variable like 'owner/repo'");
    }
}
//# sourceMappingURL=context.js.map
// EXTERNAL MODULE: ./node_modules/@actions/github/node_modules/@actions/http-client/lib/index.js
var lib = __webpack_require__(9659);
// EXTERNAL MODULE: ./node_modules/undici/index.js
var undici = __webpack_require__(6752);
;// CONCATENATED MODULE: ./node_modules/@actions/github/lib/internal/utils.js
var __awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


function getAuthString(token, options) {
    if (!token && !options.auth) {
        throw new Error('Parameter token or opts.auth is required');
    }
    else if (token && options.auth) {
        throw new Error('Parameters token and opts.auth may not both be specified');
    }
    return typeof options.auth === 'string' ? options.auth : `token ${token}`;
}
function getProxyAgent(destinationUrl) {
    const hc = new lib.HttpClient();
    return hc.getAgent(destinationUrl);
}
function getProxyAgentDispatcher(destinationUrl) {
    const hc = new lib.HttpClient();
    return hc.getAgentDispatcher(destinationUrl);
}
function getProxyFetch(destinationUrl) {
    const httpDispatcher = getProxyAgentDispatcher(destinationUrl);
    const proxyFetch = (url, opts) => __awaiter(this, void 0, void 0, function* () {
        return (0,undici.fetch)(url, Object.assign(Object.assign({}, opts), { dispatcher: httpDispatcher }));
    });
    return proxyFetch;
}
function getApiBaseUrl() {
    return process.env['GITHUB_API_URL'] || 'https://api.github.com';
}
function getUserAgentWithOrchestrationId(baseUserAgent) {
    var _a;
    const orchId = (_a = process.env['ACTIONS_ORCHESTRATION_ID']) === null || _a === void 0 ? void 0 : _a.trim();
    if (orchId) {
        const sanitizedId = orchId.replace(/[^a-z0-9_.-]/gi, '_');
        const tag = `actions_orchestration_id/${sanitizedId}`;
        if (baseUserAgent === null || baseUserAgent === void 0 ? void 0 : baseUserAgent.includes(tag))
            return baseUserAgent;
        const ua = baseUserAgent ? `${baseUserAgent} ` : '';
        return `${ua}${tag}`;
    }
    return baseUserAgent;
}
//# sourceMappingURL=utils.js.map
;// CONCATENATED MODULE: ./node_modules/universal-user-agent/index.js
function getUserAgent() {
  if (typeof navigator === "object" && "userAgent" in navigator) {
    return navigator.userAgent;
  }

  if (typeof process === "object" && process.version !== undefined) {
    return `Node.js/${process.version.substr(1)} (${process.platform}; ${
      process.arch
    })`;
  }

  return "<environment undetectable>";
}

;// CONCATENATED MODULE: ./node_modules/before-after-hook/lib/register.js
// @ts-check

function register(state, name, method, options) {
  if (typeof method !== "function") {
    throw new Error("method for before hook must be a function");
  }

  if (!options) {
    options = {};
  }

  if (Array.isArray(name)) {
    return name.reverse().reduce((callback, name) => {
      return register.bind(null, state, name, callback, options);
    }, method)();
  }

  return Promise.resolve().then(() => {
    if (!state.registry[name]) {
      return method(options);
    }

    return state.registry[name].reduce((method, registered) => {
      return registered.hook.bind(null, method, options);
    }, method)();
  });
}

;// CONCATENATED MODULE: ./node_modules/before-after-hook/lib/add.js
// @ts-check

function addHook(state, kind, name, hook) {
  const orig = hook;
  if (!state.registry[name]) {
    state.registry[name] = [];
  }

  if (kind === "before") {
    hook = (method, options) => {
      return Promise.resolve()
        .then(orig.bind(null, options))
        .then(method.bind(null, options));
    };
  }

  if (kind === "after") {
    hook = (method, options) => {
      let result;
      return Promise.resolve()
        .then(method.bind(null, options))
        .then((result_) => {
          result = result_;
          return orig(result, options);
        })
        .then(() => {
          return result;
        });
    };
  }

  if (kind === "error") {
    hook = (method, options) => {
      return Promise.resolve()
        .then(method.bind(null, options))
        .catch((error) => {
          return orig(error, options);
        });
    };
  }

  state.registry[name].push({
    hook: hook,
    orig: orig,
  });
}

;// CONCATENATED MODULE: ./node_modules/before-after-hook/lib/remove.js
// @ts-check

function removeHook(state, name, method) {
  if (!state.registry[name]) {
    return;
  }

  const index = state.registry[name]
    .map((registered) => {
      return registered.orig;
    })
    .indexOf(method);

  if (index === -1) {
    return;
  }

  state.registry[name].splice(index, 1);
}

;// CONCATENATED MODULE: ./node_modules/before-after-hook/index.js
// @ts-check





// bind with array of arguments: https://stackoverflow.com/a/21792913
const bind = Function.bind;
const bindable = bind.bind(bind);

function bindApi(hook, state, name) {
  const removeHookRef = bindable(removeHook, null).apply(
    null,
    name ? [state, name] : [state]
  );
  hook.api = { remove: removeHookRef };
  hook.remove = removeHookRef;
  ["before", "error", "after", "wrap"].forEach((kind) => {
    const args = name ? [state, kind, name] : [state, kind];
    hook[kind] = hook.api[kind] = bindable(addHook, null).apply(null, args);
  });
}

function Singular() {
  const singularHookName = Symbol("Singular");
  const singularHookState = {
    registry: {},
  };
  const singularHook = register.bind(null, singularHookState, singularHookName);
  bindApi(singularHook, singularHookState, singularHookName);
  return singularHook;
}

function Collection() {
  const state = {
    registry: {},
  };

  const hook = register.bind(null, state);
  bindApi(hook, state);

  return hook;
}

/* harmony default export */ const before_after_hook = ({ Singular, Collection });

;// CONCATENATED MODULE: ./node_modules/@octokit/endpoint/dist-bundle/index.js
// pkg/dist-src/defaults.js


// pkg/dist-src/version.js
var VERSION = "0.0.0-development";

// pkg/dist-src/defaults.js
var userAgent = `octokit-endpoint.js/${VERSION} ${getUserAgent()}`;
var DEFAULTS = {
  method: "GET",
  baseUrl: "https://api.github.com",
  headers: {
    accept: "application/vnd.github.v3+json",
    "user-agent": userAgent
  },
  mediaType: {
    format: ""
  }
};

// pkg/dist-src/util/lowercase-keys.js
function lowercaseKeys(object) {
  if (!object) {
    return {};
  }
  return Object.keys(object).reduce((newObj, key) => {
    newObj[key.toLowerCase()] = object[key];
    return newObj;
  }, {});
}

// pkg/dist-src/util/is-plain-object.js
function isPlainObject(value) {
  if (typeof value !== "object" || value === null) return false;
  if (Object.prototype.toString.call(value) !== "[object Object]") return false;
  const proto = Object.getPrototypeOf(value);
  if (proto === null) return true;
  const Ctor = Object.prototype.hasOwnProperty.call(proto, "constructor") && proto.constructor;
  return typeof Ctor === "function" && Ctor instanceof Ctor && Function.prototype.call(Ctor) === Function.prototype.call(value);
}

// pkg/dist-src/util/merge-deep.js
function mergeDeep(defaults, options) {
  const result = Object.assign({}, defaults);
  Object.keys(options).forEach((key) => {
    if (isPlainObject(options[key])) {
      if (!(key in defaults)) Object.assign(result, { [key]: options[key] });
      else result[key] = mergeDeep(defaults[key], options[key]);
    } else {
      Object.assign(result, { [key]: options[key] });
    }
  });
  return result;
}

// pkg/dist-src/util/remove-undefined-properties.js
function removeUndefinedProperties(obj) {
  for (const key in obj) {
    if (obj[key] === void 0) {
      delete obj[key];
    }
  }
  return obj;
}

// pkg/dist-src/merge.js
function merge(defaults, route, options) {
  if (typeof route === "string") {
    let [method, url] = route.split(" ");
    options = Object.assign(url ? { method, url } : { url: method }, options);
  } else {
    options = Object.assign({}, route);
  }
  options.headers = lowercaseKeys(options.headers);
  removeUndefinedProperties(options);
  removeUndefinedProperties(options.headers);
  const mergedOptions = mergeDeep(defaults || {}, options);
  if (options.url === "/graphql") {
    if (defaults && defaults.mediaType.previews?.length) {
      mergedOptions.mediaType.previews = defaults.mediaType.previews.filter(
        (preview) => !mergedOptions.mediaType.previews.includes(preview)
      ).concat(mergedOptions.mediaType.previews);
    }
    mergedOptions.mediaType.previews = (mergedOptions.mediaType.previews || []).map((preview) => preview.replace(/-preview/, ""));
  }
  return mergedOptions;
}

// pkg/dist-src/util/add-query-parameters.js
function addQueryParameters(url, parameters) {
  const separator = /\?/.test(url) ? "&" : "?";
  const names = Object.keys(parameters);
  if (names.length === 0) {
    return url;
  }
  return url + separator + names.map((name) => {
    if (name === "q") {
      return "q=" + parameters.q.split("+").map(encodeURIComponent).join("+");
    }
    return `${name}=${encodeURIComponent(parameters[name])}`;
  }).join("&");
}

// pkg/dist-src/util/extract-url-variable-names.js
var urlVariableRegex = /\{[^{}}]+\}/g;
function removeNonChars(variableName) {
  return variableName.replace(/(?:^\W+)|(?:(?<!\W)\W+$)/g, "").split(/,/);
}
function extractUrlVariableNames(url) {
  const matches = url.match(urlVariableRegex);
  if (!matches) {
    return [];
  }
  return matches.map(removeNonChars).reduce((a, b) => a.concat(b), []);
}

// pkg/dist-src/util/omit.js
function omit(object, keysToOmit) {
  const result = { __proto__: null };
  for (const key of Object.keys(object)) {
    if (keysToOmit.indexOf(key) === -1) {
      result[key] = object[key];
    }
  }
  return result;
}

// pkg/dist-src/util/url-template.js
function encodeReserved(str) {
  return str.split(/(%[0-9A-Fa-f]{2})/g).map(function(part) {
    if (!/%[0-9A-Fa-f]/.test(part)) {
      part = encodeURI(part).replace(/%5B/g, "[").replace(/%5D/g, "]");
    }
    return part;
  }).join("");
}
function encodeUnreserved(str) {
  return encodeURIComponent(str).replace(/[!'()*]/g, function(c) {
    return "%" + c.charCodeAt(0).toString(16).toUpperCase();
  });
}
function encodeValue(operator, value, key) {
  value = operator === "+" || operator === "#" ? encodeReserved(value) : encodeUnreserved(value);
  if (key) {
    return encodeUnreserved(key) + "=" + value;
  } else {
    return value;
  }
}
function isDefined(value) {
  return value !== void 0 && value !== null;
}
function isKeyOperator(operator) {
  return operator === ";" || operator === "&" || operator === "?";
}
function getValues(context, operator, key, modifier) {
  var value = context[key], result = [];
  if (isDefined(value) && value !== "") {
    if (typeof value === "string" || typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
      value = value.toString();
      if (modifier && modifier !== "*") {
        value = value.substring(0, parseInt(modifier, 10));
      }
      result.push(
        encodeValue(operator, value, isKeyOperator(operator) ? key : "")
      );
    } else {
      if (modifier === "*") {
        if (Array.isArray(value)) {
          value.filter(isDefined).forEach(function(value2) {
            result.push(
              encodeValue(operator, value2, isKeyOperator(operator) ? key : "")
            );
          });
        } else {
          Object.keys(value).forEach(function(k) {
            if (isDefined(value[k])) {
              result.push(encodeValue(operator, value[k], k));
            }
          });
        }
      } else {
        const tmp = [];
        if (Array.isArray(value)) {
          value.filter(isDefined).forEach(function(value2) {
            tmp.push(encodeValue(operator, value2));
          });
        } else {
          Object.keys(value).forEach(function(k) {
            if (isDefined(value[k])) {
              tmp.push(encodeUnreserved(k));
              tmp.push(encodeValue(operator, value[k].toString()));
            }
          });
        }
        if (isKeyOperator(operator)) {
          result.push(encodeUnreserved(key) + "=" + tmp.join(","));
        } else if (tmp.length !== 0) {
          result.push(tmp.join(","));
        }
      }
    }
  } else {
    if (operator === ";") {
      if (isDefined(value)) {
        result.push(encodeUnreserved(key));
      }
    } else if (value === "" && (operator === "&" || operator === "?")) {
      result.push(encodeUnreserved(key) + "=");
    } else if (value === "") {
      result.push("");
    }
  }
  return result;
}
function parseUrl(template) {
  return {
    expand: expand.bind(null, template)
  };
}
function expand(template, context) {
  var operators = ["+", "#", ".", "/", ";", "?", "&"];
  template = template.replace(
    /\{([^\{\}]+)\}|([^\{\}]+)/g,
    function(_, expression, literal) {
      if (expression) {
        let operator = "";
        const values = [];
        if (operators.indexOf(expression.charAt(0)) !== -1) {
          operator = expression.charAt(0);
          expression = expression.substr(1);
        }
        expression.split(/,/g).forEach(function(variable) {
          var tmp = /([^:\*]*)(?::(\d+)|(\*))?/.exec(variable);
          values.push(getValues(context, operator, tmp[1], tmp[2] || tmp[3]));
        });
        if (operator && operator !== "+") {
          var separator = ",";
          if (operator === "?") {
            separator = "&";
          } else if (operator !== "#") {
            separator = operator;
          }
          return (values.length !== 0 ? operator : "") + values.join(separator);
        } else {
          return values.join(",");
        }
      } else {
        return encodeReserved(literal);
      }
    }
  );
  if (template === "/") {
    return template;
  } else {
    return template.replace(/\/$/, "");
  }
}

// pkg/dist-src/parse.js
function parse(options) {
  let method = options.method.toUpperCase();
  let url = (options.url || "/").replace(/:([a-z]\w+)/g, "{$1}");
  let headers = Object.assign({}, options.headers);
  let body;
  let parameters = omit(options, [
    "method",
    "baseUrl",
    "url",
    "headers",
    "request",
    "mediaType"
  ]);
  const urlVariableNames = extractUrlVariableNames(url);
  url = parseUrl(url).expand(parameters);
  if (!/^http/.test(url)) {
    url = options.baseUrl + url;
  }
  const omittedParameters = Object.keys(options).filter((option) => urlVariableNames.includes(option)).concat("baseUrl");
  const remainingParameters = omit(parameters, omittedParameters);
  const isBinaryRequest = /application\/octet-stream/i.test(headers.accept);
  if (!isBinaryRequest) {
    if (options.mediaType.format) {
      headers.accept = headers.accept.split(/,/).map(
        (format) => format.replace(
          /application\/vnd(\.\w+)(\.v3)?(\.\w+)?(\+json)?$/,
          `application/vnd$1$2.${options.mediaType.format}`
        )
      ).join(",");
    }
    if (url.endsWith("/graphql")) {
      if (options.mediaType.previews?.length) {
        const previewsFromAcceptHeader = headers.accept.match(/(?<![\w-])[\w-]+(?=-preview)/g) || [];
        headers.accept = previewsFromAcceptHeader.concat(options.mediaType.previews).map((preview) => {
          const format = options.mediaType.format ? `.${options.mediaType.format}` : "+json";
          return `application/vnd.github.${preview}-preview${format}`;
        }).join(",");
      }
    }
  }
  if (["GET", "HEAD"].includes(method)) {
    url = addQueryParameters(url, remainingParameters);
  } else {
    if ("data" in remainingParameters) {
      body = remainingParameters.data;
    } else {
      if (Object.keys(remainingParameters).length) {
        body = remainingParameters;
      }
    }
  }
  if (!headers["content-type"] && typeof body !== "undefined") {
    headers["content-type"] = "application/json; charset=utf-8";
  }
  if (["PATCH", "PUT"].includes(method) && typeof body === "undefined") {
    body = "";
  }
  return Object.assign(
    { method, url, headers },
    typeof body !== "undefined" ? { body } : null,
    options.request ? { request: options.request } : null
  );
}

// pkg/dist-src/endpoint-with-defaults.js
function endpointWithDefaults(defaults, route, options) {
  return parse(merge(defaults, route, options));
}

// pkg/dist-src/with-defaults.js
function withDefaults(oldDefaults, newDefaults) {
  const DEFAULTS2 = merge(oldDefaults, newDefaults);
  const endpoint2 = endpointWithDefaults.bind(null, DEFAULTS2);
  return Object.assign(endpoint2, {
    DEFAULTS: DEFAULTS2,
    defaults: withDefaults.bind(null, DEFAULTS2),
    merge: merge.bind(null, DEFAULTS2),
    parse
  });
}

// pkg/dist-src/index.js
var endpoint = withDefaults(null, DEFAULTS);


;// CONCATENATED MODULE: ./node_modules/content-type/dist/index.js
/*!
 * content-type
 * Copyright(c) 2015 Douglas Christopher Wilson
 * MIT Licensed
 */
const SP = 32; // " "
const HTAB = 9; // "\t"
const SEMI = 59; // ";"
const EQ = 61; // "="
const DQUOTE = 34; // '"'
const BSLASH = 92; // "\\"
const COMMA = 44; // ","
const LOWER_CASE = 1;
const OWS = 2;
const SEMI_FLAG = 4;
const COMMA_FLAG = 8;
const TOKEN_FLAG = 16;
const NON_ASCII = 0xff00;
const CASE_FLAGS = LOWER_CASE | NON_ASCII;
/**
 * Character flags used to normalize HTTP field values while scanning.
 * Out-of-range reads intentionally coerce to zero in bitwise expressions.
 */
const CHAR_MAP = new Uint8Array(0x100);
CHAR_MAP[HTAB] |= OWS;
CHAR_MAP[SP] |= OWS;
CHAR_MAP[SEMI] |= SEMI_FLAG;
CHAR_MAP[COMMA] |= COMMA_FLAG;
for (let code = 0x80 /* non-ASCII */; code <= 0xff; code++) {
    CHAR_MAP[code] |= LOWER_CASE;
}
for (const char of "!#$%&'*+-.^_`|~") {
    CHAR_MAP[char.charCodeAt(0)] |= TOKEN_FLAG;
}
for (let code = 0x30 /* 0 */; code <= 0x39 /* 9 */; code++) {
    CHAR_MAP[code] |= TOKEN_FLAG;
}
for (let code = 0x41 /* A */; code <= 0x5a /* Z */; code++) {
    CHAR_MAP[code] |= LOWER_CASE | TOKEN_FLAG;
}
for (let code = 0x61 /* a */; code <= 0x7a /* z */; code++) {
    CHAR_MAP[code] |= TOKEN_FLAG;
}
/**
 * Null object perf optimization. Faster than `Object.create(null)` and `{ __proto__: null }`.
 */
const NullObject = /* @__PURE__ */ (() => {
    const C = function () { };
    C.prototype = Object.create(null);
    return C;
})();
/**
 * Validate a type string against RFC 9110.
 */
function isTypeValid(type, start = 0, end = type.length) {
    let hasSlash = false;
    for (let index = start; index < end; index++) {
        const code = type.charCodeAt(index);
        if (code === 47 /* / */) {
            if (hasSlash || index === start || index >= end - 1)
                return false;
            hasSlash = true;
        }
        else if (!isTokenCode(code)) {
            return false;
        }
    }
    return hasSlash;
}
/**
 * Validate a token against RFC 9110.
 */
function isTokenValid(token, start = 0, end = token.length) {
    if (start >= end)
        return false;
    for (let index = start; index < end; index++) {
        if (!isTokenCode(token.charCodeAt(index)))
            return false;
    }
    return true;
}
/**
 * Check whether a character code belongs to the token production in RFC 9110.
 */
function isTokenCode(code) {
    return (CHAR_MAP[code] & TOKEN_FLAG) !== 0;
}
/**
 * Serialize a parameter value.
 */
function parameterValue(str) {
    const len = str.length;
    if (len === 0)
        return '""';
    let index = 0;
    while (index < len && isTokenCode(str.charCodeAt(index)))
        index++;
    if (index === len)
        return str;
    let result = '"';
    let start = 0;
    while (index < len) {
        const code = str.charCodeAt(index);
        if (code !== HTAB && (code < SP || code === 127 || code > 255)) {
            throw new TypeError(`Invalid parameter value: ${str}`);
        }
        if (code === 34 /* " */ || code === 92 /* \\ */) {
            result += `${str.slice(start, index)}\\`;
            start = index;
        }
        index++;
    }
    return `${result}${str.slice(start)}"`;
}
/**
 * Format an object into a `Content-Type` header.
 */
function format(obj) {
    const { type, parameters } = obj;
    if (!type || !isTypeValid(type)) {
        throw new TypeError(`Invalid type: ${type}`);
    }
    let result = type;
    if (parameters) {
        for (const param of Object.keys(parameters)) {
            if (!isTokenValid(param)) {
                throw new TypeError(`Invalid parameter name: ${param}`);
            }
            result += `; ${param}=${parameterValue(parameters[param])}`;
        }
    }
    return result;
}
/**
 * Parse a `Content-Type` header.
 */
function dist_parse(header, options) {
    const stopFlags = SEMI_FLAG | (options?.comma === true ? COMMA_FLAG : 0);
    const len = header.length;
    let valueStart = options?.start ?? 0;
    while ((CHAR_MAP[header.charCodeAt(valueStart)] & OWS) !== 0) {
        valueStart++;
    }
    let index = valueStart;
    let typeFlags = 0;
    let whitespace = -1;
    let stop = options?.parameters === false ? COMMA_FLAG : 0;
    while (index < len) {
        const code = header.charCodeAt(index);
        const flags = CHAR_MAP[code];
        if ((flags & stopFlags) !== 0) {
            stop |= flags & COMMA_FLAG;
            break;
        }
        if ((flags & OWS) !== 0) {
            if (whitespace === -1)
                whitespace = index;
        }
        else {
            whitespace = -1;
        }
        typeFlags |= (code & NON_ASCII) | flags;
        index++;
    }
    const valueEnd = whitespace === -1 ? index : whitespace;
    const value = header.slice(valueStart, valueEnd);
    const type = (typeFlags & CASE_FLAGS) === 0 ? value : value.toLowerCase();
    if (index === len || stop !== 0) {
        return { type, index, parameters: new NullObject() };
    }
    return parseParameters(header, type, index, len, stopFlags);
}
/**
 * Parses the parameters of a `Content-Type` header starting at the given index.
 */
function parseParameters(header, type, index, len, stopFlags) {
    const parameters = new NullObject();
    parameter: while (index < len) {
        index++; // Skip over ;
        while ((CHAR_MAP[header.charCodeAt(index)] & OWS) !== 0) {
            index++;
        }
        const keyStart = index;
        let keyFlags = 0;
        let keyWhitespace = -1;
        while (index < len) {
            const code = header.charCodeAt(index);
            const flags = CHAR_MAP[code];
            if ((flags & stopFlags) !== 0) {
                if ((flags & COMMA_FLAG) !== 0)
                    break parameter;
                continue parameter;
            }
            if (code === EQ) {
                const keyEnd = keyWhitespace === -1 ? index : keyWhitespace;
                const value = header.slice(keyStart, keyEnd);
                const key = (keyFlags & CASE_FLAGS) === 0 ? value : value.toLowerCase();
                index++;
                while ((CHAR_MAP[header.charCodeAt(index)] & OWS) !== 0) {
                    index++;
                }
                if (index < len && header.charCodeAt(index) === DQUOTE) {
                    const quotedStart = ++index;
                    let escaped = false;
                    while (index < len) {
                        const code = header.charCodeAt(index);
                        if (code === DQUOTE) {
                            if (parameters[key] === undefined) {
                                parameters[key] = escaped
                                    ? unescapeQuotedPairs(header, quotedStart, index)
                                    : header.slice(quotedStart, index);
                            }
                            index++;
                            let stop = 0;
                            // Discard characters between quote and delimiter.
                            while (index < len) {
                                const code = header.charCodeAt(index);
                                const flags = CHAR_MAP[code];
                                if ((flags & stopFlags) !== 0) {
                                    stop = flags & COMMA_FLAG;
                                    break;
                                }
                                index++;
                            }
                            if (stop !== 0)
                                break parameter;
                            continue parameter;
                        }
                        if (code === BSLASH && index + 1 < len) {
                            escaped = true;
                            index += 2;
                            continue;
                        }
                        index++;
                    }
                    continue parameter;
                }
                const valueStart = index;
                let stop = 0;
                let valueWhitespace = -1;
                while (index < len) {
                    const code = header.charCodeAt(index);
                    const flags = CHAR_MAP[code];
                    if ((flags & stopFlags) !== 0) {
                        stop = flags & COMMA_FLAG;
                        break;
                    }
                    if ((flags & OWS) !== 0) {
                        if (valueWhitespace === -1)
                            valueWhitespace = index;
                    }
                    else {
                        valueWhitespace = -1;
                    }
                    index++;
                }
                if (parameters[key] === undefined) {
                    const valueEnd = valueWhitespace === -1 ? index : valueWhitespace;
                    parameters[key] = header.slice(valueStart, valueEnd);
                }
                if (stop !== 0)
                    break parameter;
                continue parameter;
            }
            if ((flags & OWS) !== 0) {
                if (keyWhitespace === -1)
                    keyWhitespace = index;
            }
            else {
                keyWhitespace = -1;
            }
            keyFlags |= (code & NON_ASCII) | flags;
            index++;
        }
    }
    return { type, index, parameters };
}
/**
 * Remove backslashes from quoted pairs in a known-terminated quoted string body.
 */
function unescapeQuotedPairs(str, start, end) {
    let result = "";
    for (let index = start; index < end; index++) {
        if (str.charCodeAt(index) === BSLASH) {
            result += str.slice(start, index);
            start = ++index;
        }
    }
    return result + str.slice(start, end);
}
//# sourceMappingURL=index.js.map
;// CONCATENATED MODULE: ./node_modules/json-with-bigint/json-with-bigint.js
const intRegex = /^-?\d+$/;
const noiseValue = /^-?\d+n+$/; // Noise - strings that match the custom format before being converted to it
const originalStringify = JSON.stringify;
const originalParse = JSON.parse;
const customFormat = /^-?\d+n$/;

const bigIntsStringify = /([\[:])?"(-?\d+)n"($|\s*[,\}\]])/g;
const noiseStringify = /([\[:])?("-?\d+n+)n("$|"\s*[,\}\]])/g;

/**
 * @typedef {(this: any, key: string | number | undefined, value: any) => any} Replacer
 * @typedef {(key: string | number | undefined, value: any, context?: { source: string }) => any} Reviver
 */

/**
 * Checks if a value is unstringifiable according to native JSON.stringify rules.
 *
 * @param {any} val The value to check.
 * @returns {boolean} True if the value is undefined, a function, or a symbol.
 */
const isUnstringifiable = (val) =>
  val === undefined || typeof val === "function" || typeof val === "symbol";

/**
 * Checks if a value is a native JSON.rawJSON object (Node.js 22+).
 *
 * @param {any} val The value to check.
 * @returns {boolean} True if the value is a RawJSON instance.
 */
const isRawJSON = (val) =>
  val !== null &&
  typeof val === "object" &&
  val.constructor &&
  val.constructor.name === "RawJSON";

/**
 * Iteratively converts a JS value to a JSON string.
 * Used as a fallback when the native JSON.stringify hits the Maximum Call Stack size.
 * Fully compliant with JSON formatting (space), replacers, and toJSON behaviors.
 *
 * @param {any} rootValue The value to stringify.
 * @param {Replacer | Array<string | number> | null} [replacer] User's custom replacer function.
 * @param {string | number} [spaceParam] Indentation for pretty-printing.
 * @returns {string | undefined} The generated JSON string.
 */
const stringifyIteratively = (rootValue, replacer, spaceParam) => {
  let space = "";

  if (typeof spaceParam === "number") {
    space = " ".repeat(Math.min(10, Math.max(0, Math.floor(spaceParam))));
  } else if (typeof spaceParam === "string") {
    space = spaceParam.slice(0, 10);
  }

  const isFunctionReplacer = typeof replacer === "function";
  const propertyList = Array.isArray(replacer)
    ? new Set(replacer.map(String))
    : null;

  /**
   * Prepares a value for stringification by resolving toJSON, handling BigInts,
   * applying custom replacers, and unwrapping primitive objects.
   *
   * @param {object|Array} parent The parent object or array holding the value.
   * @param {string} key The key associated with the value.
   * @param {any} val The raw value to process.
   * @returns {any} The processed value ready for stringification.
   */
  const prepareVal = (parent, key, val) => {
    const isObject = val !== null && typeof val === "object";
    const hasToJSON = isObject && typeof val.toJSON === "function";

    if (hasToJSON) {
      val = val.toJSON(key);
    }

    const isNoise = typeof val === "string" && noiseValue.test(val);

    if (isNoise) return val + "n";

    const isBigInt = typeof val === "bigint";

    if (isBigInt) {
      const supportsRawJSON = "rawJSON" in JSON;

      if (supportsRawJSON) return JSON.rawJSON(val.toString());

      return val.toString() + "n";
    }

    if (isFunctionReplacer) {
      val = replacer.call(parent, key, val);
    }

    const isPostReplacerObject = val !== null && typeof val === "object";

    if (isPostReplacerObject) {
      const isPrimitiveWrapper =
        val instanceof Number ||
        val instanceof String ||
        val instanceof Boolean;

      if (isPrimitiveWrapper) {
        val = val.valueOf();
      }
    }

    return val;
  };

  const rootProcessed = prepareVal({ "": rootValue }, "", rootValue);

  if (isUnstringifiable(rootProcessed)) {
    return undefined;
  }

  const isRootPrimitive =
    rootProcessed === null || typeof rootProcessed !== "object";
  const isRootNativeRawJSON = isRawJSON(rootProcessed);

  if (isRootPrimitive || isRootNativeRawJSON) {
    return originalStringify(rootProcessed);
  }

  const chunks = [];
  let level = 0;

  const stack = [
    {
      parent: { "": rootProcessed },
      key: "",
      val: rootProcessed,
      isArray: Array.isArray(rootProcessed),
      keys: Array.isArray(rootProcessed) ? null : Object.keys(rootProcessed),
      index: 0,
      first: true,
    },
  ];

  const visited = new WeakSet([rootProcessed]);

  while (stack.length > 0) {
    const node = stack[stack.length - 1];

    if (node.index === 0) {
      chunks.push(node.isArray ? "[" : "{");
      level++;
    }

    let isDone = false;

    if (node.isArray) {
      if (node.index < node.val.length) {
        if (!node.first) chunks.push(",");

        if (space) chunks.push("\n" + space.repeat(level));

        const childRaw = node.val[node.index];
        const childVal = prepareVal(node.val, String(node.index), childRaw);

        if (isUnstringifiable(childVal)) {
          chunks.push("null");
          node.first = false;
          node.index++;
        } else {
          const isComplexObject =
            childVal !== null && typeof childVal === "object";
          const isNativeRaw = isRawJSON(childVal);

          if (isComplexObject && !isNativeRaw) {
            if (visited.has(childVal)) {
              throw new TypeError("Converting circular structure to JSON");
            }

            visited.add(childVal);

            stack.push({
              parent: node.val,
              key: String(node.index),
              val: childVal,
              isArray: Array.isArray(childVal),
              keys: Array.isArray(childVal) ? null : Object.keys(childVal),
              index: 0,
              first: true,
            });

            node.first = false;
            node.index++;
          } else {
            chunks.push(originalStringify(childVal));
            node.first = false;
            node.index++;
          }
        }
      } else {
        isDone = true;
      }
    } else {
      while (node.index < node.keys.length) {
        const k = node.keys[node.index++];

        const isFilteredOutByArray = propertyList && !propertyList.has(k);

        if (isFilteredOutByArray) continue;

        const childRaw = node.val[k];
        const childVal = prepareVal(node.val, k, childRaw);

        if (isUnstringifiable(childVal)) continue;

        if (!node.first) chunks.push(",");

        if (space) {
          chunks.push("\n" + space.repeat(level) + originalStringify(k) + ": ");
        } else {
          chunks.push(originalStringify(k) + ":");
        }

        const isComplexObject =
          childVal !== null && typeof childVal === "object";
        const isNativeRaw = isRawJSON(childVal);

        if (isComplexObject && !isNativeRaw) {
          if (visited.has(childVal)) {
            throw new TypeError("Converting circular structure to JSON");
          }

          visited.add(childVal);

          stack.push({
            parent: node.val,
            key: k,
            val: childVal,
            isArray: Array.isArray(childVal),
            keys: Array.isArray(childVal) ? null : Object.keys(childVal),
            index: 0,
            first: true,
          });

          node.first = false;

          break; // Stop current loop level to process the newly pushed stack node
        } else {
          chunks.push(originalStringify(childVal));
          node.first = false;
        }
      }

      const isNodeFullyProcessed =
        node.index >= node.keys.length && stack[stack.length - 1] === node;

      if (isNodeFullyProcessed) {
        isDone = true;
      }
    }

    if (isDone) {
      level--;

      if (!node.first && space) chunks.push("\n" + space.repeat(level));

      chunks.push(node.isArray ? "]" : "}");
      visited.delete(node.val);
      stack.pop();
    }
  }

  return chunks.join("");
};

/**
 * Converts a JavaScript value to a JSON string.
 *
 * Supports serialization of BigInt values using two strategies:
 * 1. Custom format "123n" → "123" (universal fallback)
 * 2. Native JSON.rawJSON() (Node.js 22+, fastest) when available
 *
 * All other values are serialized exactly like native JSON.stringify().
 *
 * @param {*} value The value to convert to a JSON string.
 * @param {Replacer | Array<string | number> | null} [replacer]
 * A function that alters the behavior of the stringification process,
 * or an array of strings/numbers to indicate properties to exclude.
 * @param {string | number} [space]
 * A string or number to specify indentation or pretty-printing.
 * @returns {string} The JSON string representation.
 */
const JSONStringify = (value, replacer, space) => {
  try {
    const supportsRawJSON = "rawJSON" in JSON;

    if (supportsRawJSON) {
      return originalStringify(
        value,
        (key, val) => {
          if (typeof val === "bigint") return JSON.rawJSON(val.toString());

          const hasFunctionReplacer = typeof replacer === "function";

          if (hasFunctionReplacer) return replacer(key, val);

          const isKeyInArrayReplacer =
            Array.isArray(replacer) && replacer.includes(key);

          if (isKeyInArrayReplacer) return val;

          return val;
        },
        space,
      );
    }

    if (!value) return originalStringify(value, replacer, space);

    const convertedToCustomJSON = originalStringify(
      value,
      (key, val) => {
        const isNoise = typeof val === "string" && noiseValue.test(val);

        if (isNoise) return val.toString() + "n"; // Mark noise values with additional "n" to offset the deletion of one "n" during the processing

        if (typeof val === "bigint") return val.toString() + "n";

        const hasFunctionReplacer = typeof replacer === "function";

        if (hasFunctionReplacer) return replacer(key, val);

        const isKeyInArrayReplacer =
          Array.isArray(replacer) && replacer.includes(key);

        if (isKeyInArrayReplacer) return val;

        return val;
      },
      space,
    );

    const processedJSON = convertedToCustomJSON.replace(
      bigIntsStringify,
      "$1$2$3",
    ); // Delete one "n" off the end of every BigInt value

    const denoisedJSON = processedJSON.replace(noiseStringify, "$1$2$3"); // Remove one "n" off the end of every noisy string

    return denoisedJSON;
  } catch (error) {
    if (error instanceof RangeError) {
      const convertedJSON = stringifyIteratively(value, replacer, space);

      if (convertedJSON === undefined) return undefined;

      const supportsRawJSON = "rawJSON" in JSON;

      if (supportsRawJSON) return convertedJSON;

      const processedJSON = convertedJSON.replace(bigIntsStringify, "$1$2$3");

      return processedJSON.replace(noiseStringify, "$1$2$3");
    }

    throw error;
  }
};

const featureCache = new Map();

/**
 * Detects if the current JSON.parse implementation supports the context.source feature.
 *
 * Uses toString() fingerprinting to cache results and automatically detect runtime
 * replacements of JSON.parse (polyfills, mocks, etc.).
 *
 * @returns {boolean} true if context.source is supported, false otherwise.
 */
const isContextSourceSupported = () => {
  const parseFingerprint = JSON.parse.toString();

  if (featureCache.has(parseFingerprint)) {
    return featureCache.get(parseFingerprint);
  }

  try {
    const result = JSON.parse(
      "1",
      (_, __, context) => !!context?.source && context.source === "1",
    );
    featureCache.set(parseFingerprint, result);

    return result;
  } catch {
    featureCache.set(parseFingerprint, false);

    return false;
  }
};

/**
 * Reviver function that converts custom-format BigInt strings back to BigInt values.
 * Also handles "noise" strings that accidentally match the BigInt format.
 *
 * @param {string | number | undefined} key The object key.
 * @param {*} value The value being parsed.
 * @param {object} [context] Parse context (if supported by JSON.parse).
 * @param {Reviver} [userReviver] User's custom reviver function.
 * @returns {any} The transformed value.
 */
const convertMarkedBigIntsReviver = (key, value, context, userReviver) => {
  const isCustomFormatBigInt =
    typeof value === "string" && customFormat.test(value);

  if (isCustomFormatBigInt) return BigInt(value.slice(0, -1));

  const isNoiseValue = typeof value === "string" && noiseValue.test(value);
  if (isNoiseValue) return value.slice(0, -1);

  const hasUserReviver = typeof userReviver === "function";

  if (!hasUserReviver) return value;

  return userReviver(key, value, context);
};

/**
 * Fast JSON.parse implementation (~2x faster than classic fallback).
 * Uses JSON.parse's context.source feature to detect integers and convert
 * large numbers directly to BigInt without string manipulation.
 *
 * Does not support legacy custom format from v1 of this library.
 *
 * @param {string} text JSON string to parse.
 * @param {Reviver} [reviver] Transform function to apply to each value.
 * @returns {any} Parsed JavaScript value.
 */
const JSONParseV2 = (text, reviver) => {
  return JSON.parse(text, (key, value, context) => {
    const isNumber = typeof value === "number";
    const isOutOfBounds =
      value > Number.MAX_SAFE_INTEGER || value < Number.MIN_SAFE_INTEGER;
    const isBigNumber = isNumber && isOutOfBounds;
    const isInt = context && intRegex.test(context.source);
    const isBigInt = isBigNumber && isInt;

    if (isBigInt) return BigInt(context.source);

    const hasCustomReviver = typeof reviver === "function";

    if (!hasCustomReviver) return value;

    return reviver(key, value, context);
  });
};

const MAX_INT = Number.MAX_SAFE_INTEGER.toString();
const MAX_DIGITS = MAX_INT.length;
const stringsOrLargeNumbers =
  /"(?:[^"\\]|\\.)*"|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/g;
const noiseValueWithQuotes = /^"-?\d+n+"$/; // Noise - strings that match the custom format before being converted to it

/**
 * Iteratively traverses the parsed object bottom-up (post-order),
 * emulating the native JSON.parse reviver behavior.
 * This avoids Call Stack overflows (RangeError) on deeply nested structures.
 *
 * @param {any} parsed The natively parsed JSON object.
 * @param {Reviver} [userReviver] User's custom reviver function.
 * @returns {any} The fully processed object.
 */
const applyReviverIteratively = (parsed, userReviver) => {
  const rootHolder = { "": parsed };
  const stack = [{ parent: rootHolder, key: "", visited: false }];

  while (stack.length > 0) {
    const node = stack[stack.length - 1];

    if (!node.visited) {
      node.visited = true;

      const value = node.parent[node.key];
      const isComplexObject = value !== null && typeof value === "object";

      if (isComplexObject) {
        const keys = Object.keys(value);

        for (let i = keys.length - 1; i >= 0; i--) {
          stack.push({ parent: value, key: keys[i], visited: false });
        }
      }
    } else {
      const { parent, key } = node;
      let value = parent[key];

      if (typeof value === "string") {
        const isCustomFormatBigInt = customFormat.test(value);

        if (isCustomFormatBigInt) {
          value = BigInt(value.slice(0, -1));
        } else {
          const isNoise = noiseValue.test(value);

          if (isNoise) value = value.slice(0, -1);
        }
      }

      const hasUserReviver = typeof userReviver === "function";

      if (hasUserReviver) {
        value = userReviver.call(parent, key, value);
      }

      const isDeleted = value === undefined;

      if (isDeleted) {
        delete parent[key];
      } else {
        parent[key] = value;
      }

      stack.pop();
    }
  }

  return rootHolder[""];
};

/**
 * Pre-processes the JSON string to mark large numbers with an 'n' suffix.
 *
 * @param {string} text The raw JSON string.
 * @returns {string} The serialized string with marked BigInts.
 */
const serializeBigInts = (text) => {
  return text.replace(
    stringsOrLargeNumbers,
    (match, digits, fractional, exponential) => {
      const isString = match[0] === '"';
      const isNoise = isString && noiseValueWithQuotes.test(match);

      if (isNoise) return match.substring(0, match.length - 1) + 'n"'; // Mark noise values with additional "n" to offset the deletion of one "n" during the processing

      const hasFractionalOrExponential = fractional || exponential;

      // With a fixed number of digits, we can correctly use lexicographical comparison to do a numeric comparison
      const isLessThanMaxSafeInt =
        digits &&
        (digits.length < MAX_DIGITS ||
          (digits.length === MAX_DIGITS && digits <= MAX_INT));

      const isStandardValue =
        isString || hasFractionalOrExponential || isLessThanMaxSafeInt;

      if (isStandardValue) return match;

      return '"' + match + 'n"';
    },
  );
};

/**
 * Converts a JSON string into a JavaScript value.
 *
 * Supports parsing of large integers using two strategies:
 * 1. Classic fallback: Marks large numbers with "123n" format, then converts to BigInt
 * 2. Fast path (JSONParseV2): Uses context.source feature (~2x faster) when available
 *
 * All other JSON values are parsed exactly like native JSON.parse().
 *
 * @param {string} text A valid JSON string.
 * @param {Reviver} [reviver]
 * A function that transforms the results. This function is called for each member
 * of the object. If a member contains nested objects, the nested objects are
 * transformed before the parent object is.
 * @returns {any} The parsed JavaScript value.
 * @throws {SyntaxError} If text is not valid JSON.
 */
const JSONParse = (text, reviver) => {
  if (!text) return originalParse(text, reviver);

  try {
    if (isContextSourceSupported()) return JSONParseV2(text, reviver); // Shortcut to a faster (2x) and simpler version

    // Find and mark big numbers with "n"
    const serializedData = serializeBigInts(text);

    return originalParse(serializedData, (key, value, context) =>
      convertMarkedBigIntsReviver(key, value, context, reviver),
    );
  } catch (error) {
    if (error instanceof RangeError) {
      const serializedData = serializeBigInts(text);
      const parsed = originalParse(serializedData);

      return applyReviverIteratively(parsed, reviver);
    }

    throw error;
  }
};



;// CONCATENATED MODULE: ./node_modules/@octokit/request-error/dist-src/index.js
class RequestError extends Error {
  name;
  /**
   * http status code
   */
  status;
  /**
   * Request options that lead to the error.
   */
  request;
  /**
   * Response object if a response was received
   */
  response;
  constructor(message, statusCode, options) {
    super(message, { cause: options.cause });
    this.name = "HttpError";
    this.status = Number.parseInt(statusCode);
    if (Number.isNaN(this.status)) {
      this.status = 0;
    }
    /* v8 ignore else -- @preserve -- Bug with vitest coverage where it sees an else branch that doesn't exist */
    if ("response" in options) {
      this.response = options.response;
    }
    const requestCopy = Object.assign({}, options.request);
    if (options.request.headers.authorization) {
      requestCopy.headers = Object.assign({}, options.request.headers, {
        authorization: options.request.headers.authorization.replace(
          /(?<! ) .*$/,
          " [REDACTED]"
        )
      });
    }
    requestCopy.url = requestCopy.url.replace(/\bclient_secret=\w+/g, "client_secret=[REDACTED]").replace(/\baccess_token=\w+/g, "access_token=[REDACTED]");
    this.request = requestCopy;
  }
}


;// CONCATENATED MODULE: ./node_modules/@octokit/request/dist-bundle/index.js
// pkg/dist-src/index.js


// pkg/dist-src/defaults.js


// pkg/dist-src/version.js
var dist_bundle_VERSION = "10.0.16";

// pkg/dist-src/defaults.js
var defaults_default = {
  headers: {
    "user-agent": `octokit-request.js/${dist_bundle_VERSION} ${getUserAgent()}`
  }
};

// pkg/dist-src/fetch-wrapper.js



// pkg/dist-src/is-plain-object.js
function dist_bundle_isPlainObject(value) {
  if (typeof value !== "object" || value === null) return false;
  if (Object.prototype.toString.call(value) !== "[object Object]") return false;
  const proto = Object.getPrototypeOf(value);
  if (proto === null) return true;
  const Ctor = Object.prototype.hasOwnProperty.call(proto, "constructor") && proto.constructor;
  return typeof Ctor === "function" && Ctor instanceof Ctor && Function.prototype.call(Ctor) === Function.prototype.call(value);
}

// pkg/dist-src/fetch-wrapper.js

var noop = () => "";
async function fetchWrapper(requestOptions) {
  const fetch = requestOptions.request?.fetch || globalThis.fetch;
  if (!fetch) {
    throw new Error(
      "fetch is not set. Please pass a fetch implementation as new Octokit({ request: { fetch }}). Learn more at https://github.com/octokit/octokit.js/#fetch-missing"
    );
  }
  const log = requestOptions.request?.log || console;
  const parseSuccessResponseBody = requestOptions.request?.parseSuccessResponseBody !== false;
  const body = dist_bundle_isPlainObject(requestOptions.body) || Array.isArray(requestOptions.body) ? JSONStringify(requestOptions.body) : requestOptions.body;
  const requestHeaders = Object.fromEntries(
    Object.entries(requestOptions.headers).map(([name, value]) => [
      name,
      String(value)
    ])
  );
  let fetchResponse;
  try {
    fetchResponse = await fetch(requestOptions.url, {
      method: requestOptions.method,
      body,
      redirect: requestOptions.request?.redirect,
      headers: requestHeaders,
      signal: requestOptions.request?.signal,
      // duplex must be set if request.body is ReadableStream or Async Iterables.
      // See https://fetch.spec.whatwg.org/#dom-requestinit-duplex.
      ...requestOptions.body && { duplex: "half" }
    });
  } catch (error) {
    let message = "Unknown Error";
    if (error instanceof Error) {
      if (error.name === "AbortError") {
        error.status = 500;
        throw error;
      }
      message = error.message;
      if (error.name === "TypeError" && "cause" in error) {
        if (error.cause instanceof Error) {
          message = error.cause.message;
        } else if (typeof error.cause === "string") {
          message = error.cause;
        }
      }
    }
    const requestError = new RequestError(message, 500, {
      request: requestOptions
    });
    requestError.cause = error;
    throw requestError;
  }
  const status = fetchResponse.status;
  const url = fetchResponse.url;
  const responseHeaders = {};
  for (const [key, value] of fetchResponse.headers) {
    responseHeaders[key] = value;
  }
  const octokitResponse = {
    url,
    status,
    headers: responseHeaders,
    data: ""
  };
  if ("deprecation" in responseHeaders) {
    const matches = responseHeaders.link && responseHeaders.link.match(/<([^<>]+)>; rel="deprecation"/);
    const deprecationLink = matches && matches.pop();
    log.warn(
      `[@octokit/request] "${requestOptions.method} ${requestOptions.url}" is deprecated. It is scheduled to be removed on ${responseHeaders.sunset}${deprecationLink ? `. See ${deprecationLink}` : ""}`
    );
  }
  if (status === 204 || status === 205) {
    return octokitResponse;
  }
  if (requestOptions.method === "HEAD") {
    if (status < 400) {
      return octokitResponse;
    }
    throw new RequestError(fetchResponse.statusText, status, {
      response: octokitResponse,
      request: requestOptions
    });
  }
  if (status === 304) {
    octokitResponse.data = await getResponseData(fetchResponse);
    throw new RequestError("Not modified", status, {
      response: octokitResponse,
      request: requestOptions
    });
  }
  if (status >= 400) {
    octokitResponse.data = await getResponseData(fetchResponse);
    throw new RequestError(toErrorMessage(octokitResponse.data), status, {
      response: octokitResponse,
      request: requestOptions
    });
  }
  octokitResponse.data = parseSuccessResponseBody ? await getResponseData(fetchResponse) : fetchResponse.body;
  return octokitResponse;
}
async function getResponseData(response) {
  const contentType = response.headers.get("content-type");
  if (!contentType) {
    return response.text().catch(noop);
  }
  const mimetype = dist_parse(contentType);
  if (isJSONResponse(mimetype)) {
    let text = "";
    try {
      text = await response.text();
      return JSONParse(text);
    } catch (err) {
      return text;
    }
  } else if (mimetype.type.startsWith("text/") || // `application/octet-stream` is the canonical "arbitrary binary" type
  // (RFC 2046) and must never be decoded as text, even when the response
  // carries a (misleading) `charset=utf-8` parameter — see #751.
  mimetype.parameters.charset?.toLowerCase() === "utf-8" && mimetype.type !== "application/octet-stream") {
    return response.text().catch(noop);
  } else {
    return response.arrayBuffer().catch(
      /* v8 ignore next -- @preserve */
      () => new ArrayBuffer(0)
    );
  }
}
function isJSONResponse(mimetype) {
  return mimetype.type === "application/json" || mimetype.type === "application/scim+json";
}
function toErrorMessage(data) {
  if (typeof data === "string") {
    return data;
  }
  if (data instanceof ArrayBuffer) {
    return "Unknown error";
  }
  if (typeof data === "object" && data !== null && "message" in data) {
    const objectData = data;
    const suffix = "documentation_url" in objectData ? ` - ${objectData.documentation_url}` : "";
    return Array.isArray(objectData.errors) ? `${objectData.message}: ${objectData.errors.map((v) => JSON.stringify(v)).join(", ")}${suffix}` : `${objectData.message}${suffix}`;
  }
  return `Unknown error: ${JSON.stringify(data)}`;
}

// pkg/dist-src/with-defaults.js
function dist_bundle_withDefaults(oldEndpoint, newDefaults) {
  const endpoint2 = oldEndpoint.defaults(newDefaults);
  const newApi = function(route, parameters) {
    const endpointOptions = endpoint2.merge(route, parameters);
    if (!endpointOptions.request || !endpointOptions.request.hook) {
      return fetchWrapper(endpoint2.parse(endpointOptions));
    }
    const request2 = (route2, parameters2) => {
      return fetchWrapper(
        endpoint2.parse(endpoint2.merge(route2, parameters2))
      );
    };
    Object.assign(request2, {
      endpoint: endpoint2,
      defaults: dist_bundle_withDefaults.bind(null, endpoint2)
    });
    return endpointOptions.request.hook(request2, endpointOptions);
  };
  return Object.assign(newApi, {
    endpoint: endpoint2,
    defaults: dist_bundle_withDefaults.bind(null, endpoint2)
  });
}

// pkg/dist-src/index.js
var request = dist_bundle_withDefaults(endpoint, defaults_default);

/* v8 ignore next -- @preserve */
/* v8 ignore else -- @preserve */

;// CONCATENATED MODULE: ./node_modules/@octokit/graphql/dist-bundle/index.js
// pkg/dist-src/index.js



// pkg/dist-src/version.js
var graphql_dist_bundle_VERSION = "0.0.0-development";

// pkg/dist-src/with-defaults.js


// pkg/dist-src/graphql.js


// pkg/dist-src/error.js
function _buildMessageForResponseErrors(data) {
  return `Request failed due to following response errors:
` + data.errors.map((e) => ` - ${e.message}`).join("\n");
}
var GraphqlResponseError = class extends Error {
  constructor(request2, headers, response) {
    super(_buildMessageForResponseErrors(response));
    this.request = request2;
    this.headers = headers;
    this.response = response;
    this.errors = response.errors;
    this.data = response.data;
    if (Error.captureStackTrace) {
      Error.captureStackTrace(this, this.constructor);
    }
  }
  request;
  headers;
  response;
  name = "GraphqlResponseError";
  errors;
  data;
};

// pkg/dist-src/graphql.js
var NON_VARIABLE_OPTIONS = [
  "method",
  "baseUrl",
  "url",
  "headers",
  "request",
  "query",
  "mediaType",
  "operationName"
];
var FORBIDDEN_VARIABLE_OPTIONS = ["query", "method", "url"];
var GHES_V3_SUFFIX_REGEX = /\/api\/v3\/?$/;
function graphql(request2, query, options) {
  if (options) {
    if (typeof query === "string" && "query" in options) {
      return Promise.reject(
        new Error(`[@octokit/graphql] "query" cannot be used as variable name`)
      );
    }
    for (const key in options) {
      if (!FORBIDDEN_VARIABLE_OPTIONS.includes(key)) continue;
      return Promise.reject(
        new Error(
          `[@octokit/graphql] "${key}" cannot be used as variable name`
        )
      );
    }
  }
  const parsedOptions = typeof query === "string" ? Object.assign({ query }, options) : query;
  const requestOptions = Object.keys(
    parsedOptions
  ).reduce((result, key) => {
    if (NON_VARIABLE_OPTIONS.includes(key)) {
      result[key] = parsedOptions[key];
      return result;
    }
    if (!result.variables) {
      result.variables = {};
    }
    result.variables[key] = parsedOptions[key];
    return result;
  }, {});
  const baseUrl = parsedOptions.baseUrl || request2.endpoint.DEFAULTS.baseUrl;
  if (GHES_V3_SUFFIX_REGEX.test(baseUrl)) {
    requestOptions.url = baseUrl.replace(GHES_V3_SUFFIX_REGEX, "/api/graphql");
  }
  return request2(requestOptions).then((response) => {
    if (response.data.errors) {
      const headers = {};
      for (const key of Object.keys(response.headers)) {
        headers[key] = response.headers[key];
      }
      throw new GraphqlResponseError(
        requestOptions,
        headers,
        response.data
      );
    }
    return response.data.data;
  });
}

// pkg/dist-src/with-defaults.js
function graphql_dist_bundle_withDefaults(request2, newDefaults) {
  const newRequest = request2.defaults(newDefaults);
  const newApi = (query, options) => {
    return graphql(newRequest, query, options);
  };
  return Object.assign(newApi, {
    defaults: graphql_dist_bundle_withDefaults.bind(null, newRequest),
    endpoint: newRequest.endpoint
  });
}

// pkg/dist-src/index.js
var graphql2 = graphql_dist_bundle_withDefaults(request, {
  headers: {
    "user-agent": `octokit-graphql.js/${graphql_dist_bundle_VERSION} ${getUserAgent()}`
  },
  method: "POST",
  url: "/graphql"
});
function withCustomRequest(customRequest) {
  return graphql_dist_bundle_withDefaults(customRequest, {
    method: "POST",
    url: "/graphql"
  });
}

/* v8 ignore if -- @preserve */

;// CONCATENATED MODULE: ./node_modules/@octokit/auth-token/dist-bundle/index.js
// pkg/dist-src/is-jwt.js
var b64url = "(?:[a-zA-Z0-9_-]+)";
var sep = "\\.";
var jwtRE = new RegExp(`^${b64url}${sep}${b64url}${sep}${b64url}$`);
var isJWT = jwtRE.test.bind(jwtRE);

// pkg/dist-src/auth.js
async function auth(token) {
  const isApp = isJWT(token);
  const isInstallation = token.startsWith("v1.") || token.startsWith("ghs_");
  const isUserToServer = token.startsWith("ghu_");
  const tokenType = isApp ? "app" : isInstallation ? "installation" : isUserToServer ? "user-to-server" : "oauth";
  return {
    type: "token",
    token,
    tokenType
  };
}

// pkg/dist-src/with-authorization-prefix.js
function withAuthorizationPrefix(token) {
  if (token.split(/\./).length === 3) {
    return `bearer ${token}`;
  }
  return `token ${token}`;
}

// pkg/dist-src/hook.js
async function hook(token, request, route, parameters) {
  const endpoint = request.endpoint.merge(
    route,
    parameters
  );
  endpoint.headers.authorization = withAuthorizationPrefix(token);
  return request(endpoint);
}

// pkg/dist-src/index.js
var createTokenAuth = function createTokenAuth2(token) {
  if (!token) {
    throw new Error("[@octokit/auth-token] No token passed to createTokenAuth");
  }
  if (typeof token !== "string") {
    throw new Error(
      "[@octokit/auth-token] Token passed to createTokenAuth is not a string"
    );
  }
  token = token.replace(/^(token|bearer) +/i, "");
  return Object.assign(auth.bind(null, token), {
    hook: hook.bind(null, token)
  });
};


;// CONCATENATED MODULE: ./node_modules/@octokit/core/dist-src/version.js
const version_VERSION = "7.0.8";


;// CONCATENATED MODULE: ./node_modules/@octokit/core/dist-src/index.js






const dist_src_noop = () => {
};
const consoleWarn = console.warn.bind(console);
const consoleError = console.error.bind(console);
function createLogger(logger = {}) {
  if (typeof logger.debug !== "function") {
    logger.debug = dist_src_noop;
  }
  if (typeof logger.info !== "function") {
    logger.info = dist_src_noop;
  }
  if (typeof logger.warn !== "function") {
    logger.warn = consoleWarn;
  }
  if (typeof logger.error !== "function") {
    logger.error = consoleError;
  }
  return logger;
}
const userAgentTrail = `octokit-core.js/${version_VERSION} ${getUserAgent()}`;
class Octokit {
  static VERSION = version_VERSION;
  static defaults(defaults) {
    const OctokitWithDefaults = class extends this {
      constructor(...args) {
        const options = args[0] || {};
        if (typeof defaults === "function") {
          super(defaults(options));
          return;
        }
        super(
          Object.assign(
            {},
            defaults,
            options,
            options.userAgent && defaults.userAgent ? {
              userAgent: `${options.userAgent} ${defaults.userAgent}`
            } : null
          )
        );
      }
    };
    return OctokitWithDefaults;
  }
  static plugins = [];
  /**
   * Attach a plugin (or many) to your Octokit instance.
   *
   * @example
   * const API = Octokit.plugin(plugin1, plugin2, plugin3, ...)
   */
  static plugin(...newPlugins) {
    const currentPlugins = this.plugins;
    const NewOctokit = class extends this {
      static plugins = currentPlugins.concat(
        newPlugins.filter((plugin) => !currentPlugins.includes(plugin))
      );
    };
    return NewOctokit;
  }
  constructor(options = {}) {
    const hook = new before_after_hook.Collection();
    const requestDefaults = {
      baseUrl: request.endpoint.DEFAULTS.baseUrl,
      headers: {},
      request: Object.assign({}, options.request, {
        // @ts-ignore internal usage only, no need to type
        hook: hook.bind(null, "request")
      }),
      mediaType: {
        previews: [],
        format: ""
      }
    };
    requestDefaults.headers["user-agent"] = options.userAgent ? `${options.userAgent} ${userAgentTrail}` : userAgentTrail;
    if (options.baseUrl) {
      requestDefaults.baseUrl = options.baseUrl;
    }
    if (options.previews) {
      requestDefaults.mediaType.previews = options.previews;
    }
    if (options.timeZone) {
      requestDefaults.headers["time-zone"] = options.timeZone;
    }
    this.request = request.defaults(requestDefaults);
    this.graphql = withCustomRequest(this.request).defaults(requestDefaults);
    this.log = createLogger(options.log);
    this.hook = hook;
    if (!options.authStrategy) {
      if (!options.auth) {
        this.auth = async () => ({
          type: "unauthenticated"
        });
      } else {
        const auth = createTokenAuth(options.auth);
        hook.wrap("request", auth.hook);
        this.auth = auth;
      }
    } else {
      const { authStrategy, ...otherOptions } = options;
      const auth = authStrategy(
        Object.assign(
          {
            request: this.request,
            log: this.log,
            // we pass the current octokit instance as well as its constructor options
            // to allow for authentication strategies that return a new octokit instance
            // that shares the same internal state as the current one. The original
            // requirement for this was the "event-octokit" authentication strategy
            // of https://github.com/probot/octokit-auth-probot.
            octokit: this,
            octokitOptions: otherOptions
          },
          options.auth
        )
      );
      hook.wrap("request", auth.hook);
      this.auth = auth;
    }
    const classConstructor = this.constructor;
    for (let i = 0; i < classConstructor.plugins.length; ++i) {
      Object.assign(this, classConstructor.plugins[i](this, options));
    }
  }
  // assigned during constructor
  request;
  graphql;
  log;
  hook;
  // TODO: type `octokit.auth` based on passed options.authStrategy
  auth;
}


;// CONCATENATED MODULE: ./node_modules/@octokit/plugin-rest-endpoint-methods/dist-src/version.js
const dist_src_version_VERSION = "17.0.0";

//# sourceMappingURL=version.js.map

;// CONCATENATED MODULE: ./node_modules/@octokit/plugin-rest-endpoint-methods/dist-src/generated/endpoints.js
const Endpoints = {
  actions: {
    addCustomLabelsToSelfHostedRunnerForOrg: [
      "POST /orgs/{org}/actions/runners/{runner_id}/labels"
    ],
    addCustomLabelsToSelfHostedRunnerForRepo: [
      "POST /repos/{owner}/{repo}/actions/runners/{runner_id}/labels"
    ],
    addRepoAccessToSelfHostedRunnerGroupInOrg: [
      "PUT /orgs/{org}/actions/runner-groups/{runner_group_id}/repositories/{repository_id}"
    ],
    addSelectedRepoToOrgSecret: [
      "PUT /orgs/{org}/actions/secrets/{secret_name}/repositories/{repository_id}"
    ],
    addSelectedRepoToOrgVariable: [
      "PUT /orgs/{org}/actions/variables/{name}/repositories/{repository_id}"
    ],
    approveWorkflowRun: [
      "POST /repos/{owner}/{repo}/actions/runs/{run_id}/approve"
    ],
    cancelWorkflowRun: [
      "POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel"
    ],
    createEnvironmentVariable: [
      "POST /repos/{owner}/{repo}/environments/{environment_name}/variables"
    ],
    createHostedRunnerForOrg: ["POST /orgs/{org}/actions/hosted-runners"],
    createOrUpdateEnvironmentSecret: [
      "PUT /repos/{owner}/{repo}/environments/{environment_name}/secrets/{secret_name}"
    ],
    createOrUpdateOrgSecret: ["PUT /orgs/{org}/actions/secrets/{secret_name}"],
    createOrUpdateRepoSecret: [
      "PUT /repos/{owner}/{repo}/actions/secrets/{secret_name}"
    ],
    createOrgVariable: ["POST /orgs/{org}/actions/variables"],
    createRegistrationTokenForOrg: [
      "POST /orgs/{org}/actions/runners/registration-token"
    ],
    createRegistrationTokenForRepo: [
      "POST /repos/{owner}/{repo}/actions/runners/registration-token"
    ],
    createRemoveTokenForOrg: ["POST /orgs/{org}/actions/runners/remove-token"],
    createRemoveTokenForRepo: [
      "POST /repos/{owner}/{repo}/actions/runners/remove-token"
    ],
    createRepoVariable: ["POST /repos/{owner}/{repo}/actions/variables"],
    createWorkflowDispatch: [
      "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches"
    ],
    deleteActionsCacheById: [
      "DELETE /repos/{owner}/{repo}/actions/caches/{cache_id}"
    ],
    deleteActionsCacheByKey: [
      "DELETE /repos/{owner}/{repo}/actions/caches{?key,ref}"
    ],
    deleteArtifact: [
      "DELETE /repos/{owner}/{repo}/actions/artifacts/{artifact_id}"
    ],
    deleteCustomImageFromOrg: [
      "DELETE /orgs/{org}/actions/hosted-runners/images/custom/{image_definition_id}"
    ],
    deleteCustomImageVersionFromOrg: [
      "DELETE /orgs/{org}/actions/hosted-runners/images/custom/{image_definition_id}/versions/{version}"
    ],
    deleteEnvironmentSecret: [
      "DELETE /repos/{owner}/{repo}/environments/{environment_name}/secrets/{secret_name}"
    ],
    deleteEnvironmentVariable: [
      "DELETE /repos/{owner}/{repo}/environments/{environment_name}/variables/{name}"
    ],
    deleteHostedRunnerForOrg: [
      "DELETE /orgs/{org}/actions/hosted-runners/{hosted_runner_id}"
    ],
    deleteOrgSecret: ["DELETE /orgs/{org}/actions/secrets/{secret_name}"],
    deleteOrgVariable: ["DELETE /orgs/{org}/actions/variables/{name}"],
    deleteRepoSecret: [
      "DELETE /repos/{owner}/{repo}/actions/secrets/{secret_name}"
    ],
    deleteRepoVariable: [
      "DELETE /repos/{owner}/{repo}/actions/variables/{name}"
    ],
    deleteSelfHostedRunnerFromOrg: [
      "DELETE /orgs/{org}/actions/runners/{runner_id}"
    ],
    deleteSelfHostedRunnerFromRepo: [
      "DELETE /repos/{owner}/{repo}/actions/runners/{runner_id}"
    ],
    deleteWorkflowRun: ["DELETE /repos/{owner}/{repo}/actions/runs/{run_id}"],
    deleteWorkflowRunLogs: [
      "DELETE /repos/{owner}/{repo}/actions/runs/{run_id}/logs"
    ],
    disableSelectedRepositoryGithubActionsOrganization: [
      "DELETE /orgs/{org}/actions/permissions/repositories/{repository_id}"
    ],
    disableWorkflow: [
      "PUT /repos/{owner}/{repo}/actions/workflows/{workflow_id}/disable"
    ],
    downloadArtifact: [
      "GET /repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}"
    ],
    downloadJobLogsForWorkflowRun: [
      "GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs"
    ],
    downloadWorkflowRunAttemptLogs: [
      "GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/logs"
    ],
    downloadWorkflowRunLogs: [
      "GET /repos/{owner}/{repo}/actions/runs/{run_id}/logs"
    ],
    enableSelectedRepositoryGithubActionsOrganization: [
      "PUT /orgs/{org}/actions/permissions/repositories/{repository_id}"
    ],
    enableWorkflow: [
      "PUT /repos/{owner}/{repo}/actions/workflows/{workflow_id}/enable"
    ],
    forceCancelWorkflowRun: [
      "POST /repos/{owner}/{repo}/actions/runs/{run_id}/force-cancel"
    ],
    generateRunnerJitconfigForOrg: [
      "POST /orgs/{org}/actions/runners/generate-jitconfig"
    ],
    generateRunnerJitconfigForRepo: [
      "POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig"
    ],
    getActionsCacheList: ["GET /repos/{owner}/{repo}/actions/caches"],
    getActionsCacheUsage: ["GET /repos/{owner}/{repo}/actions/cache/usage"],
    getActionsCacheUsageByRepoForOrg: [
      "GET /orgs/{org}/actions/cache/usage-by-repository"
    ],
    getActionsCacheUsageForOrg: ["GET /orgs/{org}/actions/cache/usage"],
    getAllowedActionsOrganization: [
      "GET /orgs/{org}/actions/permissions/selected-actions"
    ],
    getAllowedActionsRepository: [
      "GET /repos/{owner}/{repo}/actions/permissions/selected-actions"
    ],
    getArtifact: ["GET /repos/{owner}/{repo}/actions/artifacts/{artifact_id}"],
    getCustomImageForOrg: [
      "GET /orgs/{org}/actions/hosted-runners/images/custom/{image_definition_id}"
    ],
    getCustomImageVersionForOrg: [
      "GET /orgs/{org}/actions/hosted-runners/images/custom/{image_definition_id}/versions/{version}"
    ],
    getCustomOidcSubClaimForRepo: [
      "GET /repos/{owner}/{repo}/actions/oidc/customization/sub"
    ],
    getEnvironmentPublicKey: [
      "GET /repos/{owner}/{repo}/environments/{environment_name}/secrets/public-key"
    ],
    getEnvironmentSecret: [
      "GET /repos/{owner}/{repo}/environments/{environment_name}/secrets/{secret_name}"
    ],
    getEnvironmentVariable: [
      "GET /repos/{owner}/{repo}/environments/{environment_name}/variables/{name}"
    ],
    getGithubActionsDefaultWorkflowPermissionsOrganization: [
      "GET /orgs/{org}/actions/permissions/workflow"
    ],
    getGithubActionsDefaultWorkflowPermissionsRepository: [
      "GET /repos/{owner}/{repo}/actions/permissions/workflow"
    ],
    getGithubActionsPermissionsOrganization: [
      "GET /orgs/{org}/actions/permissions"
    ],
    getGithubActionsPermissionsRepository: [
      "GET /repos/{owner}/{repo}/actions/permissions"
    ],
    getHostedRunnerForOrg: [
      "GET /orgs/{org}/actions/hosted-runners/{hosted_runner_id}"
    ],
    getHostedRunnersGithubOwnedImagesForOrg: [
      "GET /orgs/{org}/actions/hosted-runners/images/github-owned"
    ],
    getHostedRunnersLimitsForOrg: [
      "GET /orgs/{org}/actions/hosted-runners/limits"
    ],
    getHostedRunnersMachineSpecsForOrg: [
      "GET /orgs/{org}/actions/hosted-runners/machine-sizes"
    ],
    getHostedRunnersPartnerImagesForOrg: [
      "GET /orgs/{org}/actions/hosted-runners/images/partner"
    ],
    getHostedRunnersPlatformsForOrg: [
      "GET /orgs/{org}/actions/hosted-runners/platforms"
    ],
    getJobForWorkflowRun: ["GET /repos/{owner}/{repo}/actions/jobs/{job_id}"],
    getOrgPublicKey: ["GET /orgs/{org}/actions/secrets/public-key"],
    getOrgSecret: ["GET /orgs/{org}/actions/secrets/{secret_name}"],
    getOrgVariable: ["GET /orgs/{org}/actions/variables/{name}"],
    getPendingDeploymentsForRun: [
      "GET /repos/{owner}/{repo}/actions/runs/{run_id}/pending_deployments"
    ],
    getRepoPermissions: [
      "GET /repos/{owner}/{repo}/actions/permissions",
      {},
      { renamed: ["actions", "getGithubActionsPermissionsRepository"] }
    ],
    getRepoPublicKey: ["GET /repos/{owner}/{repo}/actions/secrets/public-key"],
    getRepoSecret: ["GET /repos/{owner}/{repo}/actions/secrets/{secret_name}"],
    getRepoVariable: ["GET /repos/{owner}/{repo}/actions/variables/{name}"],
    getReviewsForRun: [
      "GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals"
    ],
    getSelfHostedRunnerForOrg: ["GET /orgs/{org}/actions/runners/{runner_id}"],
    getSelfHostedRunnerForRepo: [
      "GET /repos/{owner}/{repo}/actions/runners/{runner_id}"
    ],
    getWorkflow: ["GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}"],
    getWorkflowAccessToRepository: [
      "GET /repos/{owner}/{repo}/actions/permissions/access"
    ],
    getWorkflowRun: ["GET /repos/{owner}/{repo}/actions/runs/{run_id}"],
    getWorkflowRunAttempt: [
      "GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}"
    ],
    getWorkflowRunUsage: [
      "GET /repos/{owner}/{repo}/actions/runs/{run_id}/timing"
    ],
    getWorkflowUsage: [
      "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/timing"
    ],
    listArtifactsForRepo: ["GET /repos/{owner}/{repo}/actions/artifacts"],
    listCustomImageVersionsForOrg: [
      "GET /orgs/{org}/actions/hosted-runners/images/custom/{image_definition_id}/versions"
    ],
    listCustomImagesForOrg: [
      "GET /orgs/{org}/actions/hosted-runners/images/custom"
    ],
    listEnvironmentSecrets: [
      "GET /repos/{owner}/{repo}/environments/{environment_name}/secrets"
    ],
    listEnvironmentVariables: [
      "GET /repos/{owner}/{repo}/environments/{environment_name}/variables"
    ],
    listGithubHostedRunnersInGroupForOrg: [
      "GET /orgs/{org}/actions/runner-groups/{runner_group_id}/hosted-runners"
    ],
    listHostedRunnersForOrg: ["GET /orgs/{org}/actions/hosted-runners"],
    listJobsForWorkflowRun: [
      "GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs"
    ],
    listJobsForWorkflowRunAttempt: [
      "GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs"
    ],
    listLabelsForSelfHostedRunnerForOrg: [
      "GET /orgs/{org}/actions/runners/{runner_id}/labels"
    ],
    listLabelsForSelfHostedRunnerForRepo: [
      "GET /repos/{owner}/{repo}/actions/runners/{runner_id}/labels"
    ],
    listOrgSecrets: ["GET /orgs/{org}/actions/secrets"],
    listOrgVariables: ["GET /orgs/{org}/actions/variables"],
    listRepoOrganizationSecrets: [
      "GET /repos/{owner}/{repo}/actions/organization-secrets"
    ],
    listRepoOrganizationVariables: [
      "GET /repos/{owner}/{repo}/actions/organization-variables"
    ],
    listRepoSecrets: ["GET /repos/{owner}/{repo}/actions/secrets"],
    listRepoVariables: ["GET /repos/{owner}/{repo}/actions/variables"],
    listRepoWorkflows: ["GET /repos/{owner}/{repo}/actions/workflows"],
    listRunnerApplicationsForOrg: ["GET /orgs/{org}/actions/runners/downloads"],
    listRunnerApplicationsForRepo: [
      "GET /repos/{owner}/{repo}/actions/runners/downloads"
    ],
    listSelectedReposForOrgSecret: [
      "GET /orgs/{org}/actions/secrets/{secret_name}/repositories"
    ],
    listSelectedReposForOrgVariable: [
      "GET /orgs/{org}/actions/variables/{name}/repositories"
    ],
    listSelectedRepositoriesEnabledGithubActionsOrganization: [
      "GET /orgs/{org}/actions/permissions/repositories"
    ],
    listSelfHostedRunnersForOrg: ["GET /orgs/{org}/actions/runners"],
    listSelfHostedRunnersForRepo: ["GET /repos/{owner}/{repo}/actions/runners"],
    listWorkflowRunArtifacts: [
      "GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts"
    ],
    listWorkflowRuns: [
      "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs"
    ],
    listWorkflowRunsForRepo: ["GET /repos/{owner}/{repo}/actions/runs"],
    reRunJobForWorkflowRun: [
      "POST /repos/{owner}/{repo}/actions/jobs/{job_id}/rerun"
    ],
    reRunWorkflow: ["POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun"],
    reRunWorkflowFailedJobs: [
      "POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs"
    ],
    removeAllCustomLabelsFromSelfHostedRunnerForOrg: [
      "DELETE /orgs/{org}/actions/runners/{runner_id}/labels"
    ],
    removeAllCustomLabelsFromSelfHostedRunnerForRepo: [
      "DELETE /repos/{owner}/{repo}/actions/runners/{runner_id}/labels"
    ],
    removeCustomLabelFromSelfHostedRunnerForOrg: [
      "DELETE /orgs/{org}/actions/runners/{runner_id}/labels/{name}"
    ],
    removeCustomLabelFromSelfHostedRunnerForRepo: [
      "DELETE /repos/{owner}/{repo}/actions/runners/{runner_id}/labels/{name}"
    ],
    removeSelectedRepoFromOrgSecret: [
      "DELETE /orgs/{org}/actions/secrets/{secret_name}/repositories/{repository_id}"
    ],
    removeSelectedRepoFromOrgVariable: [
      "DELETE /orgs/{org}/actions/variables/{name}/repositories/{repository_id}"
    ],
    reviewCustomGatesForRun: [
      "POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule"
    ],
    reviewPendingDeploymentsForRun: [
      "POST /repos/{owner}/{repo}/actions/runs/{run_id}/pending_deployments"
    ],
    setAllowedActionsOrganization: [
      "PUT /orgs/{org}/actions/permissions/selected-actions"
    ],
    setAllowedActionsRepository: [
      "PUT /repos/{owner}/{repo}/actions/permissions/selected-actions"
    ],
    setCustomLabelsForSelfHostedRunnerForOrg: [
      "PUT /orgs/{org}/actions/runners/{runner_id}/labels"
    ],
    setCustomLabelsForSelfHostedRunnerForRepo: [
      "PUT /repos/{owner}/{repo}/actions/runners/{runner_id}/labels"
    ],
    setCustomOidcSubClaimForRepo: [
      "PUT /repos/{owner}/{repo}/actions/oidc/customization/sub"
    ],
    setGithubActionsDefaultWorkflowPermissionsOrganization: [
      "PUT /orgs/{org}/actions/permissions/workflow"
    ],
    setGithubActionsDefaultWorkflowPermissionsRepository: [
      "PUT /repos/{owner}/{repo}/actions/permissions/workflow"
    ],
    setGithubActionsPermissionsOrganization: [
      "PUT /orgs/{org}/actions/permissions"
    ],
    setGithubActionsPermissionsRepository: [
      "PUT /repos/{owner}/{repo}/actions/permissions"
    ],
    setSelectedReposForOrgSecret: [
      "PUT /orgs/{org}/actions/secrets/{secret_name}/repositories"
    ],
    setSelectedReposForOrgVariable: [
      "PUT /orgs/{org}/actions/variables/{name}/repositories"
    ],
    setSelectedRepositoriesEnabledGithubActionsOrganization: [
      "PUT /orgs/{org}/actions/permissions/repositories"
    ],
    setWorkflowAccessToRepository: [
      "PUT /repos/{owner}/{repo}/actions/permissions/access"
    ],
    updateEnvironmentVariable: [
      "PATCH /repos/{owner}/{repo}/environments/{environment_name}/variables/{name}"
    ],
    updateHostedRunnerForOrg: [
      "PATCH /orgs/{org}/actions/hosted-runners/{hosted_runner_id}"
    ],
    updateOrgVariable: ["PATCH /orgs/{org}/actions/variables/{name}"],
    updateRepoVariable: [
      "PATCH /repos/{owner}/{repo}/actions/variables/{name}"
    ]
  },
  activity: {
    checkRepoIsStarredByAuthenticatedUser: ["GET /user/starred/{owner}/{repo}"],
    deleteRepoSubscription: ["DELETE /repos/{owner}/{repo}/subscription"],
    deleteThreadSubscription: [
      "DELETE /notifications/threads/{thread_id}/subscription"
    ],
    getFeeds: ["GET /feeds"],
    getRepoSubscription: ["GET /repos/{owner}/{repo}/subscription"],
    getThread: ["GET /notifications/threads/{thread_id}"],
    getThreadSubscriptionForAuthenticatedUser: [
      "GET /notifications/threads/{thread_id}/subscription"
    ],
    listEventsForAuthenticatedUser: ["GET /users/{username}/events"],
    listNotificationsForAuthenticatedUser: ["GET /notifications"],
    listOrgEventsForAuthenticatedUser: [
      "GET /users/{username}/events/orgs/{org}"
    ],
    listPublicEvents: ["GET /events"],
    listPublicEventsForRepoNetwork: ["GET /networks/{owner}/{repo}/events"],
    listPublicEventsForUser: ["GET /users/{username}/events/public"],
    listPublicOrgEvents: ["GET /orgs/{org}/events"],
    listReceivedEventsForUser: ["GET /users/{username}/received_events"],
    listReceivedPublicEventsForUser: [
      "GET /users/{username}/received_events/public"
    ],
    listRepoEvents: ["GET /repos/{owner}/{repo}/events"],
    listRepoNotificationsForAuthenticatedUser: [
      "GET /repos/{owner}/{repo}/notifications"
    ],
    listReposStarredByAuthenticatedUser: ["GET /user/starred"],
    listReposStarredByUser: ["GET /users/{username}/starred"],
    listReposWatchedByUser: ["GET /users/{username}/subscriptions"],
    listStargazersForRepo: ["GET /repos/{owner}/{repo}/stargazers"],
    listWatchedReposForAuthenticatedUser: ["GET /user/subscriptions"],
    listWatchersForRepo: ["GET /repos/{owner}/{repo}/subscribers"],
    markNotificationsAsRead: ["PUT /notifications"],
    markRepoNotificationsAsRead: ["PUT /repos/{owner}/{repo}/notifications"],
    markThreadAsDone: ["DELETE /notifications/threads/{thread_id}"],
    markThreadAsRead: ["PATCH /notifications/threads/{thread_id}"],
    setRepoSubscription: ["PUT /repos/{owner}/{repo}/subscription"],
    setThreadSubscription: [
      "PUT /notifications/threads/{thread_id}/subscription"
    ],
    starRepoForAuthenticatedUser: ["PUT /user/starred/{owner}/{repo}"],
    unstarRepoForAuthenticatedUser: ["DELETE /user/starred/{owner}/{repo}"]
  },
  apps: {
    addRepoToInstallation: [
      "PUT /user/installations/{installation_id}/repositories/{repository_id}",
      {},
      { renamed: ["apps", "addRepoToInstallationForAuthenticatedUser"] }
    ],
    addRepoToInstallationForAuthenticatedUser: [
      "PUT /user/installations/{installation_id}/repositories/{repository_id}"
    ],
    checkToken: ["POST /applications/{client_id}/token"],
    createFromManifest: ["POST /app-manifests/{code}/conversions"],
    createInstallationAccessToken: [
      "POST /app/installations/{installation_id}/access_tokens"
    ],
    deleteAuthorization: ["DELETE /applications/{client_id}/grant"],
    deleteInstallation: ["DELETE /app/installations/{installation_id}"],
    deleteToken: ["DELETE /applications/{client_id}/token"],
    getAuthenticated: ["GET /app"],
    getBySlug: ["GET /apps/{app_slug}"],
    getInstallation: ["GET /app/installations/{installation_id}"],
    getOrgInstallation: ["GET /orgs/{org}/installation"],
    getRepoInstallation: ["GET /repos/{owner}/{repo}/installation"],
    getSubscriptionPlanForAccount: [
      "GET /marketplace_listing/accounts/{account_id}"
    ],
    getSubscriptionPlanForAccountStubbed: [
      "GET /marketplace_listing/stubbed/accounts/{account_id}"
    ],
    getUserInstallation: ["GET /users/{username}/installation"],
    getWebhookConfigForApp: ["GET /app/hook/config"],
    getWebhookDelivery: ["GET /app/hook/deliveries/{delivery_id}"],
    listAccountsForPlan: ["GET /marketplace_listing/plans/{plan_id}/accounts"],
    listAccountsForPlanStubbed: [
      "GET /marketplace_listing/stubbed/plans/{plan_id}/accounts"
    ],
    listInstallationReposForAuthenticatedUser: [
      "GET /user/installations/{installation_id}/repositories"
    ],
    listInstallationRequestsForAuthenticatedApp: [
      "GET /app/installation-requests"
    ],
    listInstallations: ["GET /app/installations"],
    listInstallationsForAuthenticatedUser: ["GET /user/installations"],
    listPlans: ["GET /marketplace_listing/plans"],
    listPlansStubbed: ["GET /marketplace_listing/stubbed/plans"],
    listReposAccessibleToInstallation: ["GET /installation/repositories"],
    listSubscriptionsForAuthenticatedUser: ["GET /user/marketplace_purchases"],
    listSubscriptionsForAuthenticatedUserStubbed: [
      "GET /user/marketplace_purchases/stubbed"
    ],
    listWebhookDeliveries: ["GET /app/hook/deliveries"],
    redeliverWebhookDelivery: [
      "POST /app/hook/deliveries/{delivery_id}/attempts"
    ],
    removeRepoFromInstallation: [
      "DELETE /user/installations/{installation_id}/repositories/{repository_id}",
      {},
      { renamed: ["apps", "removeRepoFromInstallationForAuthenticatedUser"] }
    ],
    removeRepoFromInstallationForAuthenticatedUser: [
      "DELETE /user/installations/{installation_id}/repositories/{repository_id}"
    ],
    resetToken: ["PATCH /applications/{client_id}/token"],
    revokeInstallationAccessToken: ["DELETE /installation/token"],
    scopeToken: ["POST /applications/{client_id}/token/scoped"],
    suspendInstallation: ["PUT /app/installations/{installation_id}/suspended"],
    unsuspendInstallation: [
      "DELETE /app/installations/{installation_id}/suspended"
    ],
    updateWebhookConfigForApp: ["PATCH /app/hook/config"]
  },
  billing: {
    getGithubActionsBillingOrg: ["GET /orgs/{org}/settings/billing/actions"],
    getGithubActionsBillingUser: [
      "GET /users/{username}/settings/billing/actions"
    ],
    getGithubBillingPremiumRequestUsageReportOrg: [
      "GET /organizations/{org}/settings/billing/premium_request/usage"
    ],
    getGithubBillingPremiumRequestUsageReportUser: [
      "GET /users/{username}/settings/billing/premium_request/usage"
    ],
    getGithubBillingUsageReportOrg: [
      "GET /organizations/{org}/settings/billing/usage"
    ],
    getGithubBillingUsageReportUser: [
      "GET /users/{username}/settings/billing/usage"
    ],
    getGithubPackagesBillingOrg: ["GET /orgs/{org}/settings/billing/packages"],
    getGithubPackagesBillingUser: [
      "GET /users/{username}/settings/billing/packages"
    ],
    getSharedStorageBillingOrg: [
      "GET /orgs/{org}/settings/billing/shared-storage"
    ],
    getSharedStorageBillingUser: [
      "GET /users/{username}/settings/billing/shared-storage"
    ]
  },
  campaigns: {
    createCampaign: ["POST /orgs/{org}/campaigns"],
    deleteCampaign: ["DELETE /orgs/{org}/campaigns/{campaign_number}"],
    getCampaignSummary: ["GET /orgs/{org}/campaigns/{campaign_number}"],
    listOrgCampaigns: ["GET /orgs/{org}/campaigns"],
    updateCampaign: ["PATCH /orgs/{org}/campaigns/{campaign_number}"]
  },
  checks: {
    create: ["POST /repos/{owner}/{repo}/check-runs"],
    createSuite: ["POST /repos/{owner}/{repo}/check-suites"],
    get: ["GET /repos/{owner}/{repo}/check-runs/{check_run_id}"],
    getSuite: ["GET /repos/{owner}/{repo}/check-suites/{check_suite_id}"],
    listAnnotations: [
      "GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations"
    ],
    listForRef: ["GET /repos/{owner}/{repo}/commits/{ref}/check-runs"],
    listForSuite: [
      "GET /repos/{owner}/{repo}/check-suites/{check_suite_id}/check-runs"
    ],
    listSuitesForRef: ["GET /repos/{owner}/{repo}/commits/{ref}/check-suites"],
    rerequestRun: [
      "POST /repos/{owner}/{repo}/check-runs/{check_run_id}/rerequest"
    ],
    rerequestSuite: [
      "POST /repos/{owner}/{repo}/check-suites/{check_suite_id}/rerequest"
    ],
    setSuitesPreferences: [
      "PATCH /repos/{owner}/{repo}/check-suites/preferences"
    ],
    update: ["PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}"]
  },
  codeScanning: {
    commitAutofix: [
      "POST /repos/{owner}/{repo}/code-scanning/alerts/{alert_number}/autofix/commits"
    ],
    createAutofix: [
      "POST /repos/{owner}/{repo}/code-scanning/alerts/{alert_number}/autofix"
    ],
    createVariantAnalysis: [
      "POST /repos/{owner}/{repo}/code-scanning/codeql/variant-analyses"
    ],
    deleteAnalysis: [
      "DELETE /repos/{owner}/{repo}/code-scanning/analyses/{analysis_id}{?confirm_delete}"
    ],
    deleteCodeqlDatabase: [
      "DELETE /repos/{owner}/{repo}/code-scanning/codeql/databases/{language}"
    ],
    getAlert: [
      "GET /repos/{owner}/{repo}/code-scanning/alerts/{alert_number}",
      {},
      { renamedParameters: { alert_id: "alert_number" } }
    ],
    getAnalysis: [
      "GET /repos/{owner}/{repo}/code-scanning/analyses/{analysis_id}"
    ],
    getAutofix: [
      "GET /repos/{owner}/{repo}/code-scanning/alerts/{alert_number}/autofix"
    ],
    getCodeqlDatabase: [
      "GET /repos/{owner}/{repo}/code-scanning/codeql/databases/{language}"
    ],
    getDefaultSetup: ["GET /repos/{owner}/{repo}/code-scanning/default-setup"],
    getSarif: ["GET /repos/{owner}/{repo}/code-scanning/sarifs/{sarif_id}"],
    getVariantAnalysis: [
      "GET /repos/{owner}/{repo}/code-scanning/codeql/variant-analyses/{codeql_variant_analysis_id}"
    ],
    getVariantAnalysisRepoTask: [
      "GET /repos/{owner}/{repo}/code-scanning/codeql/variant-analyses/{codeql_variant_analysis_id}/repos/{repo_owner}/{repo_name}"
    ],
    listAlertInstances: [
      "GET /repos/{owner}/{repo}/code-scanning/alerts/{alert_number}/instances"
    ],
    listAlertsForOrg: ["GET /orgs/{org}/code-scanning/alerts"],
    listAlertsForRepo: ["GET /repos/{owner}/{repo}/code-scanning/alerts"],
    listAlertsInstances: [
      "GET /repos/{owner}/{repo}/code-scanning/alerts/{alert_number}/instances",
      {},
      { renamed: ["codeScanning", "listAlertInstances"] }
    ],
    listCodeqlDatabases: [
      "GET /repos/{owner}/{repo}/code-scanning/codeql/databases"
    ],
    listRecentAnalyses: ["GET /repos/{owner}/{repo}/code-scanning/analyses"],
    updateAlert: [
      "PATCH /repos/{owner}/{repo}/code-scanning/alerts/{alert_number}"
    ],
    updateDefaultSetup: [
      "PATCH /repos/{owner}/{repo}/code-scanning/default-setup"
    ],
    uploadSarif: ["POST /repos/{owner}/{repo}/code-scanning/sarifs"]
  },
  codeSecurity: {
    attachConfiguration: [
      "POST /orgs/{org}/code-security/configurations/{configuration_id}/attach"
    ],
    attachEnterpriseConfiguration: [
      "POST /enterprises/{enterprise}/code-security/configurations/{configuration_id}/attach"
    ],
    createConfiguration: ["POST /orgs/{org}/code-security/configurations"],
    createConfigurationForEnterprise: [
      "POST /enterprises/{enterprise}/code-security/configurations"
    ],
    deleteConfiguration: [
      "DELETE /orgs/{org}/code-security/configurations/{configuration_id}"
    ],
    deleteConfigurationForEnterprise: [
      "DELETE /enterprises/{enterprise}/code-security/configurations/{configuration_id}"
    ],
    detachConfiguration: [
      "DELETE /orgs/{org}/code-security/configurations/detach"
    ],
    getConfiguration: [
      "GET /orgs/{org}/code-security/configurations/{configuration_id}"
    ],
    getConfigurationForRepository: [
      "GET /repos/{owner}/{repo}/code-security-configuration"
    ],
    getConfigurationsForEnterprise: [
      "GET /enterprises/{enterprise}/code-security/configurations"
    ],
    getConfigurationsForOrg: ["GET /orgs/{org}/code-security/configurations"],
    getDefaultConfigurations: [
      "GET /orgs/{org}/code-security/configurations/defaults"
    ],
    getDefaultConfigurationsForEnterprise: [
      "GET /enterprises/{enterprise}/code-security/configurations/defaults"
    ],
    getRepositoriesForConfiguration: [
      "GET /orgs/{org}/code-security/configurations/{configuration_id}/repositories"
    ],
    getRepositoriesForEnterpriseConfiguration: [
      "GET /enterprises/{enterprise}/code-security/configurations/{configuration_id}/repositories"
    ],
    getSingleConfigurationForEnterprise: [
      "GET /enterprises/{enterprise}/code-security/configurations/{configuration_id}"
    ],
    setConfigurationAsDefault: [
      "PUT /orgs/{org}/code-security/configurations/{configuration_id}/defaults"
    ],
    setConfigurationAsDefaultForEnterprise: [
      "PUT /enterprises/{enterprise}/code-security/configurations/{configuration_id}/defaults"
    ],
    updateConfiguration: [
      "PATCH /orgs/{org}/code-security/configurations/{configuration_id}"
    ],
    updateEnterpriseConfiguration: [
      "PATCH /enterprises/{enterprise}/code-security/configurations/{configuration_id}"
    ]
  },
  codesOfConduct: {
    getAllCodesOfConduct: ["GET /codes_of_conduct"],
    getConductCode: ["GET /codes_of_conduct/{key}"]
  },
  codespaces: {
    addRepositoryForSecretForAuthenticatedUser: [
      "PUT /user/codespaces/secrets/{secret_name}/repositories/{repository_id}"
    ],
    addSelectedRepoToOrgSecret: [
      "PUT /orgs/{org}/codespaces/secrets/{secret_name}/repositories/{repository_id}"
    ],
    checkPermissionsForDevcontainer: [
      "GET /repos/{owner}/{repo}/codespaces/permissions_check"
    ],
    codespaceMachinesForAuthenticatedUser: [
      "GET /user/codespaces/{codespace_name}/machines"
    ],
    createForAuthenticatedUser: ["POST /user/codespaces"],
    createOrUpdateOrgSecret: [
      "PUT /orgs/{org}/codespaces/secrets/{secret_name}"
    ],
    createOrUpdateRepoSecret: [
      "PUT /repos/{owner}/{repo}/codespaces/secrets/{secret_name}"
    ],
    createOrUpdateSecretForAuthenticatedUser: [
      "PUT /user/codespaces/secrets/{secret_name}"
    ],
    createWithPrForAuthenticatedUser: [
      "POST /repos/{owner}/{repo}/pulls/{pull_number}/codespaces"
    ],
    createWithRepoForAuthenticatedUser: [
      "POST /repos/{owner}/{repo}/codespaces"
    ],
    deleteForAuthenticatedUser: ["DELETE /user/codespaces/{codespace_name}"],
    deleteFromOrganization: [
      "DELETE /orgs/{org}/members/{username}/codespaces/{codespace_name}"
    ],
    deleteOrgSecret: ["DELETE /orgs/{org}/codespaces/secrets/{secret_name}"],
    deleteRepoSecret: [
      "DELETE /repos/{owner}/{repo}/codespaces/secrets/{secret_name}"
    ],
    deleteSecretForAuthenticatedUser: [
      "DELETE /user/codespaces/secrets/{secret_name}"
    ],
    exportForAuthenticatedUser: [
      "POST /user/codespaces/{codespace_name}/exports"
    ],
    getCodespacesForUserInOrg: [
      "GET /orgs/{org}/members/{username}/codespaces"
    ],
    getExportDetailsForAuthenticatedUser: [
      "GET /user/codespaces/{codespace_name}/exports/{export_id}"
    ],
    getForAuthenticatedUser: ["GET /user/codespaces/{codespace_name}"],
    getOrgPublicKey: ["GET /orgs/{org}/codespaces/secrets/public-key"],
    getOrgSecret: ["GET /orgs/{org}/codespaces/secrets/{secret_name}"],
    getPublicKeyForAuthenticatedUser: [
      "GET /user/codespaces/secrets/public-key"
    ],
    getRepoPublicKey: [
      "GET /repos/{owner}/{repo}/codespaces/secrets/public-key"
    ],
    getRepoSecret: [
      "GET /repos/{owner}/{repo}/codespaces/secrets/{secret_name}"
    ],
    getSecretForAuthenticatedUser: [
      "GET /user/codespaces/secrets/{secret_name}"
    ],
    listDevcontainersInRepositoryForAuthenticatedUser: [
      "GET /repos/{owner}/{repo}/codespaces/devcontainers"
    ],
    listForAuthenticatedUser: ["GET /user/codespaces"],
    listInOrganization: [
      "GET /orgs/{org}/codespaces",
      {},
      { renamedParameters: { org_id: "org" } }
    ],
    listInRepositoryForAuthenticatedUser: [
      "GET /repos/{owner}/{repo}/codespaces"
    ],
    listOrgSecrets: ["GET /orgs/{org}/codespaces/secrets"],
    listRepoSecrets: ["GET /repos/{owner}/{repo}/codespaces/secrets"],
    listRepositoriesForSecretForAuthenticatedUser: [
      "GET /user/codespaces/secrets/{secret_name}/repositories"
    ],
    listSecretsForAuthenticatedUser: ["GET /user/codespaces/secrets"],
    listSelectedReposForOrgSecret: [
      "GET /orgs/{org}/codespaces/secrets/{secret_name}/repositories"
    ],
    preFlightWithRepoForAuthenticatedUser: [
      "GET /repos/{owner}/{repo}/codespaces/new"
    ],
    publishForAuthenticatedUser: [
      "POST /user/codespaces/{codespace_name}/publish"
    ],
    removeRepositoryForSecretForAuthenticatedUser: [
      "DELETE /user/codespaces/secrets/{secret_name}/repositories/{repository_id}"
    ],
    removeSelectedRepoFromOrgSecret: [
      "DELETE /orgs/{org}/codespaces/secrets/{secret_name}/repositories/{repository_id}"
    ],
    repoMachinesForAuthenticatedUser: [
      "GET /repos/{owner}/{repo}/codespaces/machines"
    ],
    setRepositoriesForSecretForAuthenticatedUser: [
      "PUT /user/codespaces/secrets/{secret_name}/repositories"
    ],
    setSelectedReposForOrgSecret: [
      "PUT /orgs/{org}/codespaces/secrets/{secret_name}/repositories"
    ],
    startForAuthenticatedUser: ["POST /user/codespaces/{codespace_name}/start"],
    stopForAuthenticatedUser: ["POST /user/codespaces/{codespace_name}/stop"],
    stopInOrganization: [
      "POST /orgs/{org}/members/{username}/codespaces/{codespace_name}/stop"
    ],
    updateForAuthenticatedUser: ["PATCH /user/codespaces/{codespace_name}"]
  },
  copilot: {
    addCopilotSeatsForTeams: [
      "POST /orgs/{org}/copilot/billing/selected_teams"
    ],
    addCopilotSeatsForUsers: [
      "POST /orgs/{org}/copilot/billing/selected_users"
    ],
    cancelCopilotSeatAssignmentForTeams: [
      "DELETE /orgs/{org}/copilot/billing/selected_teams"
    ],
    cancelCopilotSeatAssignmentForUsers: [
      "DELETE /orgs/{org}/copilot/billing/selected_users"
    ],
    copilotMetricsForOrganization: ["GET /orgs/{org}/copilot/metrics"],
    copilotMetricsForTeam: ["GET /orgs/{org}/team/{team_slug}/copilot/metrics"],
    getCopilotOrganizationDetails: ["GET /orgs/{org}/copilot/billing"],
    getCopilotSeatDetailsForUser: [
      "GET /orgs/{org}/members/{username}/copilot"
    ],
    listCopilotSeats: ["GET /orgs/{org}/copilot/billing/seats"]
  },
  credentials: { revoke: ["POST /credentials/revoke"] },
  dependabot: {
    addSelectedRepoToOrgSecret: [
      "PUT /orgs/{org}/dependabot/secrets/{secret_name}/repositories/{repository_id}"
    ],
    createOrUpdateOrgSecret: [
      "PUT /orgs/{org}/dependabot/secrets/{secret_name}"
    ],
    createOrUpdateRepoSecret: [
      "PUT /repos/{owner}/{repo}/dependabot/secrets/{secret_name}"
    ],
    deleteOrgSecret: ["DELETE /orgs/{org}/dependabot/secrets/{secret_name}"],
    deleteRepoSecret: [
      "DELETE /repos/{owner}/{repo}/dependabot/secrets/{secret_name}"
    ],
    getAlert: ["GET /repos/{owner}/{repo}/dependabot/alerts/{alert_number}"],
    getOrgPublicKey: ["GET /orgs/{org}/dependabot/secrets/public-key"],
    getOrgSecret: ["GET /orgs/{org}/dependabot/secrets/{secret_name}"],
    getRepoPublicKey: [
      "GET /repos/{owner}/{repo}/dependabot/secrets/public-key"
    ],
    getRepoSecret: [
      "GET /repos/{owner}/{repo}/dependabot/secrets/{secret_name}"
    ],
    listAlertsForEnterprise: [
      "GET /enterprises/{enterprise}/dependabot/alerts"
    ],
    listAlertsForOrg: ["GET /orgs/{org}/dependabot/alerts"],
    listAlertsForRepo: ["GET /repos/{owner}/{repo}/dependabot/alerts"],
    listOrgSecrets: ["GET /orgs/{org}/dependabot/secrets"],
    listRepoSecrets: ["GET /repos/{owner}/{repo}/dependabot/secrets"],
    listSelectedReposForOrgSecret: [
      "GET /orgs/{org}/dependabot/secrets/{secret_name}/repositories"
    ],
    removeSelectedRepoFromOrgSecret: [
      "DELETE /orgs/{org}/dependabot/secrets/{secret_name}/repositories/{repository_id}"
    ],
    repositoryAccessForOrg: [
      "GET /organizations/{org}/dependabot/repository-access"
    ],
    setRepositoryAccessDefaultLevel: [
      "PUT /organizations/{org}/dependabot/repository-access/default-level"
    ],
    setSelectedReposForOrgSecret: [
      "PUT /orgs/{org}/dependabot/secrets/{secret_name}/repositories"
    ],
    updateAlert: [
      "PATCH /repos/{owner}/{repo}/dependabot/alerts/{alert_number}"
    ],
    updateRepositoryAccessForOrg: [
      "PATCH /organizations/{org}/dependabot/repository-access"
    ]
  },
  dependencyGraph: {
    createRepositorySnapshot: [
      "POST /repos/{owner}/{repo}/dependency-graph/snapshots"
    ],
    diffRange: [
      "GET /repos/{owner}/{repo}/dependency-graph/compare/{basehead}"
    ],
    exportSbom: ["GET /repos/{owner}/{repo}/dependency-graph/sbom"]
  },
  emojis: { get: ["GET /emojis"] },
  enterpriseTeamMemberships: {
    add: [
      "PUT /enterprises/{enterprise}/teams/{enterprise-team}/memberships/{username}"
    ],
    bulkAdd: [
      "POST /enterprises/{enterprise}/teams/{enterprise-team}/memberships/add"
    ],
    bulkRemove: [
      "POST /enterprises/{enterprise}/teams/{enterprise-team}/memberships/remove"
    ],
    get: [
      "GET /enterprises/{enterprise}/teams/{enterprise-team}/memberships/{username}"
    ],
    list: ["GET /enterprises/{enterprise}/teams/{enterprise-team}/memberships"],
    remove: [
      "DELETE /enterprises/{enterprise}/teams/{enterprise-team}/memberships/{username}"
    ]
  },
  enterpriseTeamOrganizations: {
    add: [
      "PUT /enterprises/{enterprise}/teams/{enterprise-team}/organizations/{org}"
    ],
    bulkAdd: [
      "POST /enterprises/{enterprise}/teams/{enterprise-team}/organizations/add"
    ],
    bulkRemove: [
      "POST /enterprises/{enterprise}/teams/{enterprise-team}/organizations/remove"
    ],
    delete: [
      "DELETE /enterprises/{enterprise}/teams/{enterprise-team}/organizations/{org}"
    ],
    getAssignment: [
      "GET /enterprises/{enterprise}/teams/{enterprise-team}/organizations/{org}"
    ],
    getAssignments: [
      "GET /enterprises/{enterprise}/teams/{enterprise-team}/organizations"
    ]
  },
  enterpriseTeams: {
    create: ["POST /enterprises/{enterprise}/teams"],
    delete: ["DELETE /enterprises/{enterprise}/teams/{team_slug}"],
    get: ["GET /enterprises/{enterprise}/teams/{team_slug}"],
    list: ["GET /enterprises/{enterprise}/teams"],
    update: ["PATCH /enterprises/{enterprise}/teams/{team_slug}"]
  },
  gists: {
    checkIsStarred: ["GET /gists/{gist_id}/star"],
    create: ["POST /gists"],
    createComment: ["POST /gists/{gist_id}/comments"],
    delete: ["DELETE /gists/{gist_id}"],
    deleteComment: ["DELETE /gists/{gist_id}/comments/{comment_id}"],
    fork: ["POST /gists/{gist_id}/forks"],
    get: ["GET /gists/{gist_id}"],
    getComment: ["GET /gists/{gist_id}/comments/{comment_id}"],
    getRevision: ["GET /gists/{gist_id}/{sha}"],
    list: ["GET /gists"],
    listComments: ["GET /gists/{gist_id}/comments"],
    listCommits: ["GET /gists/{gist_id}/commits"],
    listForUser: ["GET /users/{username}/gists"],
    listForks: ["GET /gists/{gist_id}/forks"],
    listPublic: ["GET /gists/public"],
    listStarred: ["GET /gists/starred"],
    star: ["PUT /gists/{gist_id}/star"],
    unstar: ["DELETE /gists/{gist_id}/star"],
    update: ["PATCH /gists/{gist_id}"],
    updateComment: ["PATCH /gists/{gist_id}/comments/{comment_id}"]
  },
  git: {
    createBlob: ["POST /repos/{owner}/{repo}/git/blobs"],
    createCommit: ["POST /repos/{owner}/{repo}/git/commits"],
    createRef: ["POST /repos/{owner}/{repo}/git/refs"],
    createTag: ["POST /repos/{owner}/{repo}/git/tags"],
    createTree: ["POST /repos/{owner}/{repo}/git/trees"],
    deleteRef: ["DELETE /repos/{owner}/{repo}/git/refs/{ref}"],
    getBlob: ["GET /repos/{owner}/{repo}/git/blobs/{file_sha}"],
    getCommit: ["GET /repos/{owner}/{repo}/git/commits/{commit_sha}"],
    getRef: ["GET /repos/{owner}/{repo}/git/ref/{ref}"],
    getTag: ["GET /repos/{owner}/{repo}/git/tags/{tag_sha}"],
    getTree: ["GET /repos/{owner}/{repo}/git/trees/{tree_sha}"],
    listMatchingRefs: ["GET /repos/{owner}/{repo}/git/matching-refs/{ref}"],
    updateRef: ["PATCH /repos/{owner}/{repo}/git/refs/{ref}"]
  },
  gitignore: {
    getAllTemplates: ["GET /gitignore/templates"],
    getTemplate: ["GET /gitignore/templates/{name}"]
  },
  hostedCompute: {
    createNetworkConfigurationForOrg: [
      "POST /orgs/{org}/settings/network-configurations"
    ],
    deleteNetworkConfigurationFromOrg: [
      "DELETE /orgs/{org}/settings/network-configurations/{network_configuration_id}"
    ],
    getNetworkConfigurationForOrg: [
      "GET /orgs/{org}/settings/network-configurations/{network_configuration_id}"
    ],
    getNetworkSettingsForOrg: [
      "GET /orgs/{org}/settings/network-settings/{network_settings_id}"
    ],
    listNetworkConfigurationsForOrg: [
      "GET /orgs/{org}/settings/network-configurations"
    ],
    updateNetworkConfigurationForOrg: [
      "PATCH /orgs/{org}/settings/network-configurations/{network_configuration_id}"
    ]
  },
  interactions: {
    getRestrictionsForAuthenticatedUser: ["GET /user/interaction-limits"],
    getRestrictionsForOrg: ["GET /orgs/{org}/interaction-limits"],
    getRestrictionsForRepo: ["GET /repos/{owner}/{repo}/interaction-limits"],
    getRestrictionsForYourPublicRepos: [
      "GET /user/interaction-limits",
      {},
      { renamed: ["interactions", "getRestrictionsForAuthenticatedUser"] }
    ],
    removeRestrictionsForAuthenticatedUser: ["DELETE /user/interaction-limits"],
    removeRestrictionsForOrg: ["DELETE /orgs/{org}/interaction-limits"],
    removeRestrictionsForRepo: [
      "DELETE /repos/{owner}/{repo}/interaction-limits"
    ],
    removeRestrictionsForYourPublicRepos: [
      "DELETE /user/interaction-limits",
      {},
      { renamed: ["interactions", "removeRestrictionsForAuthenticatedUser"] }
    ],
    setRestrictionsForAuthenticatedUser: ["PUT /user/interaction-limits"],
    setRestrictionsForOrg: ["PUT /orgs/{org}/interaction-limits"],
    setRestrictionsForRepo: ["PUT /repos/{owner}/{repo}/interaction-limits"],
    setRestrictionsForYourPublicRepos: [
      "PUT /user/interaction-limits",
      {},
      { renamed: ["interactions", "setRestrictionsForAuthenticatedUser"] }
    ]
  },
  issues: {
    addAssignees: [
      "POST /repos/{owner}/{repo}/issues/{issue_number}/assignees"
    ],
    addBlockedByDependency: [
      "POST /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by"
    ],
    addLabels: ["POST /repos/{owner}/{repo}/issues/{issue_number}/labels"],
    addSubIssue: [
      "POST /repos/{owner}/{repo}/issues/{issue_number}/sub_issues"
    ],
    checkUserCanBeAssigned: ["GET /repos/{owner}/{repo}/assignees/{assignee}"],
    checkUserCanBeAssignedToIssue: [
      "GET /repos/{owner}/{repo}/issues/{issue_number}/assignees/{assignee}"
    ],
    create: ["POST /repos/{owner}/{repo}/issues"],
    createComment: [
      "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"
    ],
    createLabel: ["POST /repos/{owner}/{repo}/labels"],
    createMilestone: ["POST /repos/{owner}/{repo}/milestones"],
    deleteComment: [
      "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}"
    ],
    deleteLabel: ["DELETE /repos/{owner}/{repo}/labels/{name}"],
    deleteMilestone: [
      "DELETE /repos/{owner}/{repo}/milestones/{milestone_number}"
    ],
    get: ["GET /repos/{owner}/{repo}/issues/{issue_number}"],
    getComment: ["GET /repos/{owner}/{repo}/issues/comments/{comment_id}"],
    getEvent: ["GET /repos/{owner}/{repo}/issues/events/{event_id}"],
    getLabel: ["GET /repos/{owner}/{repo}/labels/{name}"],
    getMilestone: ["GET /repos/{owner}/{repo}/milestones/{milestone_number}"],
    getParent: ["GET /repos/{owner}/{repo}/issues/{issue_number}/parent"],
    list: ["GET /issues"],
    listAssignees: ["GET /repos/{owner}/{repo}/assignees"],
    listComments: ["GET /repos/{owner}/{repo}/issues/{issue_number}/comments"],
    listCommentsForRepo: ["GET /repos/{owner}/{repo}/issues/comments"],
    listDependenciesBlockedBy: [
      "GET /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by"
    ],
    listDependenciesBlocking: [
      "GET /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocking"
    ],
    listEvents: ["GET /repos/{owner}/{repo}/issues/{issue_number}/events"],
    listEventsForRepo: ["GET /repos/{owner}/{repo}/issues/events"],
    listEventsForTimeline: [
      "GET /repos/{owner}/{repo}/issues/{issue_number}/timeline"
    ],
    listForAuthenticatedUser: ["GET /user/issues"],
    listForOrg: ["GET /orgs/{org}/issues"],
    listForRepo: ["GET /repos/{owner}/{repo}/issues"],
    listLabelsForMilestone: [
      "GET /repos/{owner}/{repo}/milestones/{milestone_number}/labels"
    ],
    listLabelsForRepo: ["GET /repos/{owner}/{repo}/labels"],
    listLabelsOnIssue: [
      "GET /repos/{owner}/{repo}/issues/{issue_number}/labels"
    ],
    listMilestones: ["GET /repos/{owner}/{repo}/milestones"],
    listSubIssues: [
      "GET /repos/{owner}/{repo}/issues/{issue_number}/sub_issues"
    ],
    lock: ["PUT /repos/{owner}/{repo}/issues/{issue_number}/lock"],
    removeAllLabels: [
      "DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels"
    ],
    removeAssignees: [
      "DELETE /repos/{owner}/{repo}/issues/{issue_number}/assignees"
    ],
    removeDependencyBlockedBy: [
      "DELETE /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by/{issue_id}"
    ],
    removeLabel: [
      "DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}"
    ],
    removeSubIssue: [
      "DELETE /repos/{owner}/{repo}/issues/{issue_number}/sub_issue"
    ],
    reprioritizeSubIssue: [
      "PATCH /repos/{owner}/{repo}/issues/{issue_number}/sub_issues/priority"
    ],
    setLabels: ["PUT /repos/{owner}/{repo}/issues/{issue_number}/labels"],
    unlock: ["DELETE /repos/{owner}/{repo}/issues/{issue_number}/lock"],
    update: ["PATCH /repos/{owner}/{repo}/issues/{issue_number}"],
    updateComment: ["PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}"],
    updateLabel: ["PATCH /repos/{owner}/{repo}/labels/{name}"],
    updateMilestone: [
      "PATCH /repos/{owner}/{repo}/milestones/{milestone_number}"
    ]
  },
  licenses: {
    get: ["GET /licenses/{license}"],
    getAllCommonlyUsed: ["GET /licenses"],
    getForRepo: ["GET /repos/{owner}/{repo}/license"]
  },
  markdown: {
    render: ["POST /markdown"],
    renderRaw: [
      "POST /markdown/raw",
      { headers: { "content-type": "text/plain; charset=utf-8" } }
    ]
  },
  meta: {
    get: ["GET /meta"],
    getAllVersions: ["GET /versions"],
    getOctocat: ["GET /octocat"],
    getZen: ["GET /zen"],
    root: ["GET /"]
  },
  migrations: {
    deleteArchiveForAuthenticatedUser: [
      "DELETE /user/migrations/{migration_id}/archive"
    ],
    deleteArchiveForOrg: [
      "DELETE /orgs/{org}/migrations/{migration_id}/archive"
    ],
    downloadArchiveForOrg: [
      "GET /orgs/{org}/migrations/{migration_id}/archive"
    ],
    getArchiveForAuthenticatedUser: [
      "GET /user/migrations/{migration_id}/archive"
    ],
    getStatusForAuthenticatedUser: ["GET /user/migrations/{migration_id}"],
    getStatusForOrg: ["GET /orgs/{org}/migrations/{migration_id}"],
    listForAuthenticatedUser: ["GET /user/migrations"],
    listForOrg: ["GET /orgs/{org}/migrations"],
    listReposForAuthenticatedUser: [
      "GET /user/migrations/{migration_id}/repositories"
    ],
    listReposForOrg: ["GET /orgs/{org}/migrations/{migration_id}/repositories"],
    listReposForUser: [
      "GET /user/migrations/{migration_id}/repositories",
      {},
      { renamed: ["migrations", "listReposForAuthenticatedUser"] }
    ],
    startForAuthenticatedUser: ["POST /user/migrations"],
    startForOrg: ["POST /orgs/{org}/migrations"],
    unlockRepoForAuthenticatedUser: [
      "DELETE /user/migrations/{migration_id}/repos/{repo_name}/lock"
    ],
    unlockRepoForOrg: [
      "DELETE /orgs/{org}/migrations/{migration_id}/repos/{repo_name}/lock"
    ]
  },
  oidc: {
    getOidcCustomSubTemplateForOrg: [
      "GET /orgs/{org}/actions/oidc/customization/sub"
    ],
    updateOidcCustomSubTemplateForOrg: [
      "PUT /orgs/{org}/actions/oidc/customization/sub"
    ]
  },
  orgs: {
    addSecurityManagerTeam: [
      "PUT /orgs/{org}/security-managers/teams/{team_slug}",
      {},
      {
        deprecated: "octokit.rest.orgs.addSecurityManagerTeam() is deprecated, see https://docs.github.com/rest/orgs/security-managers#add-a-security-manager-team"
      }
    ],
    assignTeamToOrgRole: [
      "PUT /orgs/{org}/organization-roles/teams/{team_slug}/{role_id}"
    ],
    assignUserToOrgRole: [
      "PUT /orgs/{org}/organization-roles/users/{username}/{role_id}"
    ],
    blockUser: ["PUT /orgs/{org}/blocks/{username}"],
    cancelInvitation: ["DELETE /orgs/{org}/invitations/{invitation_id}"],
    checkBlockedUser: ["GET /orgs/{org}/blocks/{username}"],
    checkMembershipForUser: ["GET /orgs/{org}/members/{username}"],
    checkPublicMembershipForUser: ["GET /orgs/{org}/public_members/{username}"],
    convertMemberToOutsideCollaborator: [
      "PUT /orgs/{org}/outside_collaborators/{username}"
    ],
    createArtifactStorageRecord: [
      "POST /orgs/{org}/artifacts/metadata/storage-record"
    ],
    createInvitation: ["POST /orgs/{org}/invitations"],
    createIssueType: ["POST /orgs/{org}/issue-types"],
    createWebhook: ["POST /orgs/{org}/hooks"],
    customPropertiesForOrgsCreateOrUpdateOrganizationValues: [
      "PATCH /organizations/{org}/org-properties/values"
    ],
    customPropertiesForOrgsGetOrganizationValues: [
      "GET /organizations/{org}/org-properties/values"
    ],
    customPropertiesForReposCreateOrUpdateOrganizationDefinition: [
      "PUT /orgs/{org}/properties/schema/{custom_property_name}"
    ],
    customPropertiesForReposCreateOrUpdateOrganizationDefinitions: [
      "PATCH /orgs/{org}/properties/schema"
    ],
    customPropertiesForReposCreateOrUpdateOrganizationValues: [
      "PATCH /orgs/{org}/properties/values"
    ],
    customPropertiesForReposDeleteOrganizationDefinition: [
      "DELETE /orgs/{org}/properties/schema/{custom_property_name}"
    ],
    customPropertiesForReposGetOrganizationDefinition: [
      "GET /orgs/{org}/properties/schema/{custom_property_name}"
    ],
    customPropertiesForReposGetOrganizationDefinitions: [
      "GET /orgs/{org}/properties/schema"
    ],
    customPropertiesForReposGetOrganizationValues: [
      "GET /orgs/{org}/properties/values"
    ],
    delete: ["DELETE /orgs/{org}"],
    deleteAttestationsBulk: ["POST /orgs/{org}/attestations/delete-request"],
    deleteAttestationsById: [
      "DELETE /orgs/{org}/attestations/{attestation_id}"
    ],
    deleteAttestationsBySubjectDigest: [
      "DELETE /orgs/{org}/attestations/digest/{subject_digest}"
    ],
    deleteIssueType: ["DELETE /orgs/{org}/issue-types/{issue_type_id}"],
    deleteWebhook: ["DELETE /orgs/{org}/hooks/{hook_id}"],
    disableSelectedRepositoryImmutableReleasesOrganization: [
      "DELETE /orgs/{org}/settings/immutable-releases/repositories/{repository_id}"
    ],
    enableSelectedRepositoryImmutableReleasesOrganization: [
      "PUT /orgs/{org}/settings/immutable-releases/repositories/{repository_id}"
    ],
    get: ["GET /orgs/{org}"],
    getImmutableReleasesSettings: [
      "GET /orgs/{org}/settings/immutable-releases"
    ],
    getImmutableReleasesSettingsRepositories: [
      "GET /orgs/{org}/settings/immutable-releases/repositories"
    ],
    getMembershipForAuthenticatedUser: ["GET /user/memberships/orgs/{org}"],
    getMembershipForUser: ["GET /orgs/{org}/memberships/{username}"],
    getOrgRole: ["GET /orgs/{org}/organization-roles/{role_id}"],
    getOrgRulesetHistory: ["GET /orgs/{org}/rulesets/{ruleset_id}/history"],
    getOrgRulesetVersion: [
      "GET /orgs/{org}/rulesets/{ruleset_id}/history/{version_id}"
    ],
    getWebhook: ["GET /orgs/{org}/hooks/{hook_id}"],
    getWebhookConfigForOrg: ["GET /orgs/{org}/hooks/{hook_id}/config"],
    getWebhookDelivery: [
      "GET /orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}"
    ],
    list: ["GET /organizations"],
    listAppInstallations: ["GET /orgs/{org}/installations"],
    listArtifactStorageRecords: [
      "GET /orgs/{org}/artifacts/{subject_digest}/metadata/storage-records"
    ],
    listAttestationRepositories: ["GET /orgs/{org}/attestations/repositories"],
    listAttestations: ["GET /orgs/{org}/attestations/{subject_digest}"],
    listAttestationsBulk: [
      "POST /orgs/{org}/attestations/bulk-list{?per_page,before,after}"
    ],
    listBlockedUsers: ["GET /orgs/{org}/blocks"],
    listFailedInvitations: ["GET /orgs/{org}/failed_invitations"],
    listForAuthenticatedUser: ["GET /user/orgs"],
    listForUser: ["GET /users/{username}/orgs"],
    listInvitationTeams: ["GET /orgs/{org}/invitations/{invitation_id}/teams"],
    listIssueTypes: ["GET /orgs/{org}/issue-types"],
    listMembers: ["GET /orgs/{org}/members"],
    listMembershipsForAuthenticatedUser: ["GET /user/memberships/orgs"],
    listOrgRoleTeams: ["GET /orgs/{org}/organization-roles/{role_id}/teams"],
    listOrgRoleUsers: ["GET /orgs/{org}/organization-roles/{role_id}/users"],
    listOrgRoles: ["GET /orgs/{org}/organization-roles"],
    listOrganizationFineGrainedPermissions: [
      "GET /orgs/{org}/organization-fine-grained-permissions"
    ],
    listOutsideCollaborators: ["GET /orgs/{org}/outside_collaborators"],
    listPatGrantRepositories: [
      "GET /orgs/{org}/personal-access-tokens/{pat_id}/repositories"
    ],
    listPatGrantRequestRepositories: [
      "GET /orgs/{org}/personal-access-token-requests/{pat_request_id}/repositories"
    ],
    listPatGrantRequests: ["GET /orgs/{org}/personal-access-token-requests"],
    listPatGrants: ["GET /orgs/{org}/personal-access-tokens"],
    listPendingInvitations: ["GET /orgs/{org}/invitations"],
    listPublicMembers: ["GET /orgs/{org}/public_members"],
    listSecurityManagerTeams: [
      "GET /orgs/{org}/security-managers",
      {},
      {
        deprecated: "octokit.rest.orgs.listSecurityManagerTeams() is deprecated, see https://docs.github.com/rest/orgs/security-managers#list-security-manager-teams"
      }
    ],
    listWebhookDeliveries: ["GET /orgs/{org}/hooks/{hook_id}/deliveries"],
    listWebhooks: ["GET /orgs/{org}/hooks"],
    pingWebhook: ["POST /orgs/{org}/hooks/{hook_id}/pings"],
    redeliverWebhookDelivery: [
      "POST /orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}/attempts"
    ],
    removeMember: ["DELETE /orgs/{org}/members/{username}"],
    removeMembershipForUser: ["DELETE /orgs/{org}/memberships/{username}"],
    removeOutsideCollaborator: [
      "DELETE /orgs/{org}/outside_collaborators/{username}"
    ],
    removePublicMembershipForAuthenticatedUser: [
      "DELETE /orgs/{org}/public_members/{username}"
    ],
    removeSecurityManagerTeam: [
      "DELETE /orgs/{org}/security-managers/teams/{team_slug}",
      {},
      {
        deprecated: "octokit.rest.orgs.removeSecurityManagerTeam() is deprecated, see https://docs.github.com/rest/orgs/security-managers#remove-a-security-manager-team"
      }
    ],
    reviewPatGrantRequest: [
      "POST /orgs/{org}/personal-access-token-requests/{pat_request_id}"
    ],
    reviewPatGrantRequestsInBulk: [
      "POST /orgs/{org}/personal-access-token-requests"
    ],
    revokeAllOrgRolesTeam: [
      "DELETE /orgs/{org}/organization-roles/teams/{team_slug}"
    ],
    revokeAllOrgRolesUser: [
      "DELETE /orgs/{org}/organization-roles/users/{username}"
    ],
    revokeOrgRoleTeam: [
      "DELETE /orgs/{org}/organization-roles/teams/{team_slug}/{role_id}"
    ],
    revokeOrgRoleUser: [
      "DELETE /orgs/{org}/organization-roles/users/{username}/{role_id}"
    ],
    setImmutableReleasesSettings: [
      "PUT /orgs/{org}/settings/immutable-releases"
    ],
    setImmutableReleasesSettingsRepositories: [
      "PUT /orgs/{org}/settings/immutable-releases/repositories"
    ],
    setMembershipForUser: ["PUT /orgs/{org}/memberships/{username}"],
    setPublicMembershipForAuthenticatedUser: [
      "PUT /orgs/{org}/public_members/{username}"
    ],
    unblockUser: ["DELETE /orgs/{org}/blocks/{username}"],
    update: ["PATCH /orgs/{org}"],
    updateIssueType: ["PUT /orgs/{org}/issue-types/{issue_type_id}"],
    updateMembershipForAuthenticatedUser: [
      "PATCH /user/memberships/orgs/{org}"
    ],
    updatePatAccess: ["POST /orgs/{org}/personal-access-tokens/{pat_id}"],
    updatePatAccesses: ["POST /orgs/{org}/personal-access-tokens"],
    updateWebhook: ["PATCH /orgs/{org}/hooks/{hook_id}"],
    updateWebhookConfigForOrg: ["PATCH /orgs/{org}/hooks/{hook_id}/config"]
  },
  packages: {
    deletePackageForAuthenticatedUser: [
      "DELETE /user/packages/{package_type}/{package_name}"
    ],
    deletePackageForOrg: [
      "DELETE /orgs/{org}/packages/{package_type}/{package_name}"
    ],
    deletePackageForUser: [
      "DELETE /users/{username}/packages/{package_type}/{package_name}"
    ],
    deletePackageVersionForAuthenticatedUser: [
      "DELETE /user/packages/{package_type}/{package_name}/versions/{package_version_id}"
    ],
    deletePackageVersionForOrg: [
      "DELETE /orgs/{org}/packages/{package_type}/{package_name}/versions/{package_version_id}"
    ],
    deletePackageVersionForUser: [
      "DELETE /users/{username}/packages/{package_type}/{package_name}/versions/{package_version_id}"
    ],
    getAllPackageVersionsForAPackageOwnedByAnOrg: [
      "GET /orgs/{org}/packages/{package_type}/{package_name}/versions",
      {},
      { renamed: ["packages", "getAllPackageVersionsForPackageOwnedByOrg"] }
    ],
    getAllPackageVersionsForAPackageOwnedByTheAuthenticatedUser: [
      "GET /user/packages/{package_type}/{package_name}/versions",
      {},
      {
        renamed: [
          "packages",
          "getAllPackageVersionsForPackageOwnedByAuthenticatedUser"
        ]
      }
    ],
    getAllPackageVersionsForPackageOwnedByAuthenticatedUser: [
      "GET /user/packages/{package_type}/{package_name}/versions"
    ],
    getAllPackageVersionsForPackageOwnedByOrg: [
      "GET /orgs/{org}/packages/{package_type}/{package_name}/versions"
    ],
    getAllPackageVersionsForPackageOwnedByUser: [
      "GET /users/{username}/packages/{package_type}/{package_name}/versions"
    ],
    getPackageForAuthenticatedUser: [
      "GET /user/packages/{package_type}/{package_name}"
    ],
    getPackageForOrganization: [
      "GET /orgs/{org}/packages/{package_type}/{package_name}"
    ],
    getPackageForUser: [
      "GET /users/{username}/packages/{package_type}/{package_name}"
    ],
    getPackageVersionForAuthenticatedUser: [
      "GET /user/packages/{package_type}/{package_name}/versions/{package_version_id}"
    ],
    getPackageVersionForOrganization: [
      "GET /orgs/{org}/packages/{package_type}/{package_name}/versions/{package_version_id}"
    ],
    getPackageVersionForUser: [
      "GET /users/{username}/packages/{package_type}/{package_name}/versions/{package_version_id}"
    ],
    listDockerMigrationConflictingPackagesForAuthenticatedUser: [
      "GET /user/docker/conflicts"
    ],
    listDockerMigrationConflictingPackagesForOrganization: [
      "GET /orgs/{org}/docker/conflicts"
    ],
    listDockerMigrationConflictingPackagesForUser: [
      "GET /users/{username}/docker/conflicts"
    ],
    listPackagesForAuthenticatedUser: ["GET /user/packages"],
    listPackagesForOrganization: ["GET /orgs/{org}/packages"],
    listPackagesForUser: ["GET /users/{username}/packages"],
    restorePackageForAuthenticatedUser: [
      "POST /user/packages/{package_type}/{package_name}/restore{?token}"
    ],
    restorePackageForOrg: [
      "POST /orgs/{org}/packages/{package_type}/{package_name}/restore{?token}"
    ],
    restorePackageForUser: [
      "POST /users/{username}/packages/{package_type}/{package_name}/restore{?token}"
    ],
    restorePackageVersionForAuthenticatedUser: [
      "POST /user/packages/{package_type}/{package_name}/versions/{package_version_id}/restore"
    ],
    restorePackageVersionForOrg: [
      "POST /orgs/{org}/packages/{package_type}/{package_name}/versions/{package_version_id}/restore"
    ],
    restorePackageVersionForUser: [
      "POST /users/{username}/packages/{package_type}/{package_name}/versions/{package_version_id}/restore"
    ]
  },
  privateRegistries: {
    createOrgPrivateRegistry: ["POST /orgs/{org}/private-registries"],
    deleteOrgPrivateRegistry: [
      "DELETE /orgs/{org}/private-registries/{secret_name}"
    ],
    getOrgPrivateRegistry: ["GET /orgs/{org}/private-registries/{secret_name}"],
    getOrgPublicKey: ["GET /orgs/{org}/private-registries/public-key"],
    listOrgPrivateRegistries: ["GET /orgs/{org}/private-registries"],
    updateOrgPrivateRegistry: [
      "PATCH /orgs/{org}/private-registries/{secret_name}"
    ]
  },
  projects: {
    addItemForOrg: ["POST /orgs/{org}/projectsV2/{project_number}/items"],
    addItemForUser: [
      "POST /users/{username}/projectsV2/{project_number}/items"
    ],
    deleteItemForOrg: [
      "DELETE /orgs/{org}/projectsV2/{project_number}/items/{item_id}"
    ],
    deleteItemForUser: [
      "DELETE /users/{username}/projectsV2/{project_number}/items/{item_id}"
    ],
    getFieldForOrg: [
      "GET /orgs/{org}/projectsV2/{project_number}/fields/{field_id}"
    ],
    getFieldForUser: [
      "GET /users/{username}/projectsV2/{project_number}/fields/{field_id}"
    ],
    getForOrg: ["GET /orgs/{org}/projectsV2/{project_number}"],
    getForUser: ["GET /users/{username}/projectsV2/{project_number}"],
    getOrgItem: ["GET /orgs/{org}/projectsV2/{project_number}/items/{item_id}"],
    getUserItem: [
      "GET /users/{username}/projectsV2/{project_number}/items/{item_id}"
    ],
    listFieldsForOrg: ["GET /orgs/{org}/projectsV2/{project_number}/fields"],
    listFieldsForUser: [
      "GET /users/{username}/projectsV2/{project_number}/fields"
    ],
    listForOrg: ["GET /orgs/{org}/projectsV2"],
    listForUser: ["GET /users/{username}/projectsV2"],
    listItemsForOrg: ["GET /orgs/{org}/projectsV2/{project_number}/items"],
    listItemsForUser: [
      "GET /users/{username}/projectsV2/{project_number}/items"
    ],
    updateItemForOrg: [
      "PATCH /orgs/{org}/projectsV2/{project_number}/items/{item_id}"
    ],
    updateItemForUser: [
      "PATCH /users/{username}/projectsV2/{project_number}/items/{item_id}"
    ]
  },
  pulls: {
    checkIfMerged: ["GET /repos/{owner}/{repo}/pulls/{pull_number}/merge"],
    create: ["POST /repos/{owner}/{repo}/pulls"],
    createReplyForReviewComment: [
      "POST /repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies"
    ],
    createReview: ["POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews"],
    createReviewComment: [
      "POST /repos/{owner}/{repo}/pulls/{pull_number}/comments"
    ],
    deletePendingReview: [
      "DELETE /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}"
    ],
    deleteReviewComment: [
      "DELETE /repos/{owner}/{repo}/pulls/comments/{comment_id}"
    ],
    dismissReview: [
      "PUT /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/dismissals"
    ],
    get: ["GET /repos/{owner}/{repo}/pulls/{pull_number}"],
    getReview: [
      "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}"
    ],
    getReviewComment: ["GET /repos/{owner}/{repo}/pulls/comments/{comment_id}"],
    list: ["GET /repos/{owner}/{repo}/pulls"],
    listCommentsForReview: [
      "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments"
    ],
    listCommits: ["GET /repos/{owner}/{repo}/pulls/{pull_number}/commits"],
    listFiles: ["GET /repos/{owner}/{repo}/pulls/{pull_number}/files"],
    listRequestedReviewers: [
      "GET /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers"
    ],
    listReviewComments: [
      "GET /repos/{owner}/{repo}/pulls/{pull_number}/comments"
    ],
    listReviewCommentsForRepo: ["GET /repos/{owner}/{repo}/pulls/comments"],
    listReviews: ["GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews"],
    merge: ["PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge"],
    removeRequestedReviewers: [
      "DELETE /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers"
    ],
    requestReviewers: [
      "POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers"
    ],
    submitReview: [
      "POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/events"
    ],
    update: ["PATCH /repos/{owner}/{repo}/pulls/{pull_number}"],
    updateBranch: [
      "PUT /repos/{owner}/{repo}/pulls/{pull_number}/update-branch"
    ],
    updateReview: [
      "PUT /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}"
    ],
    updateReviewComment: [
      "PATCH /repos/{owner}/{repo}/pulls/comments/{comment_id}"
    ]
  },
  rateLimit: { get: ["GET /rate_limit"] },
  reactions: {
    createForCommitComment: [
      "POST /repos/{owner}/{repo}/comments/{comment_id}/reactions"
    ],
    createForIssue: [
      "POST /repos/{owner}/{repo}/issues/{issue_number}/reactions"
    ],
    createForIssueComment: [
      "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"
    ],
    createForPullRequestReviewComment: [
      "POST /repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions"
    ],
    createForRelease: [
      "POST /repos/{owner}/{repo}/releases/{release_id}/reactions"
    ],
    createForTeamDiscussionCommentInOrg: [
      "POST /orgs/{org}/teams/{team_slug}/discussions/{discussion_number}/comments/{comment_number}/reactions"
    ],
    createForTeamDiscussionInOrg: [
      "POST /orgs/{org}/teams/{team_slug}/discussions/{discussion_number}/reactions"
    ],
    deleteForCommitComment: [
      "DELETE /repos/{owner}/{repo}/comments/{comment_id}/reactions/{reaction_id}"
    ],
    deleteForIssue: [
      "DELETE /repos/{owner}/{repo}/issues/{issue_number}/reactions/{reaction_id}"
    ],
    deleteForIssueComment: [
      "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions/{reaction_id}"
    ],
    deleteForPullRequestComment: [
      "DELETE /repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions/{reaction_id}"
    ],
    deleteForRelease: [
      "DELETE /repos/{owner}/{repo}/releases/{release_id}/reactions/{reaction_id}"
    ],
    deleteForTeamDiscussion: [
      "DELETE /orgs/{org}/teams/{team_slug}/discussions/{discussion_number}/reactions/{reaction_id}"
    ],
    deleteForTeamDiscussionComment: [
      "DELETE /orgs/{org}/teams/{team_slug}/discussions/{discussion_number}/comments/{comment_number}/reactions/{reaction_id}"
    ],
    listForCommitComment: [
      "GET /repos/{owner}/{repo}/comments/{comment_id}/reactions"
    ],
    listForIssue: ["GET /repos/{owner}/{repo}/issues/{issue_number}/reactions"],
    listForIssueComment: [
      "GET /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"
    ],
    listForPullRequestReviewComment: [
      "GET /repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions"
    ],
    listForRelease: [
      "GET /repos/{owner}/{repo}/releases/{release_id}/reactions"
    ],
    listForTeamDiscussionCommentInOrg: [
      "GET /orgs/{org}/teams/{team_slug}/discussions/{discussion_number}/comments/{comment_number}/reactions"
    ],
    listForTeamDiscussionInOrg: [
      "GET /orgs/{org}/teams/{team_slug}/discussions/{discussion_number}/reactions"
    ]
  },
  repos: {
    acceptInvitation: [
      "PATCH /user/repository_invitations/{invitation_id}",
      {},
      { renamed: ["repos", "acceptInvitationForAuthenticatedUser"] }
    ],
    acceptInvitationForAuthenticatedUser: [
      "PATCH /user/repository_invitations/{invitation_id}"
    ],
    addAppAccessRestrictions: [
      "POST /repos/{owner}/{repo}/branches/{branch}/protection/restrictions/apps",
      {},
      { mapToData: "apps" }
    ],
    addCollaborator: ["PUT /repos/{owner}/{repo}/collaborators/{username}"],
    addStatusCheckContexts: [
      "POST /repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks/contexts",
      {},
      { mapToData: "contexts" }
    ],
    addTeamAccessRestrictions: [
      "POST /repos/{owner}/{repo}/branches/{branch}/protection/restrictions/teams",
      {},
      { mapToData: "teams" }
    ],
    addUserAccessRestrictions: [
      "POST /repos/{owner}/{repo}/branches/{branch}/protection/restrictions/users",
      {},
      { mapToData: "users" }
    ],
    cancelPagesDeployment: [
      "POST /repos/{owner}/{repo}/pages/deployments/{pages_deployment_id}/cancel"
    ],
    checkAutomatedSecurityFixes: [
      "GET /repos/{owner}/{repo}/automated-security-fixes"
    ],
    checkCollaborator: ["GET /repos/{owner}/{repo}/collaborators/{username}"],
    checkImmutableReleases: ["GET /repos/{owner}/{repo}/immutable-releases"],
    checkPrivateVulnerabilityReporting: [
      "GET /repos/{owner}/{repo}/private-vulnerability-reporting"
    ],
    checkVulnerabilityAlerts: [
      "GET /repos/{owner}/{repo}/vulnerability-alerts"
    ],
    codeownersErrors: ["GET /repos/{owner}/{repo}/codeowners/errors"],
    compareCommits: ["GET /repos/{owner}/{repo}/compare/{base}...{head}"],
    compareCommitsWithBasehead: [
      "GET /repos/{owner}/{repo}/compare/{basehead}"
    ],
    createAttestation: ["POST /repos/{owner}/{repo}/attestations"],
    createAutolink: ["POST /repos/{owner}/{repo}/autolinks"],
    createCommitComment: [
      "POST /repos/{owner}/{repo}/commits/{commit_sha}/comments"
    ],
    createCommitSignatureProtection: [
      "POST /repos/{owner}/{repo}/branches/{branch}/protection/required_signatures"
    ],
    createCommitStatus: ["POST /repos/{owner}/{repo}/statuses/{sha}"],
    createDeployKey: ["POST /repos/{owner}/{repo}/keys"],
    createDeployment: ["POST /repos/{owner}/{repo}/deployments"],
    createDeploymentBranchPolicy: [
      "POST /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies"
    ],
    createDeploymentProtectionRule: [
      "POST /repos/{owner}/{repo}/environments/{environment_name}/deployment_protection_rules"
    ],
    createDeploymentStatus: [
      "POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses"
    ],
    createDispatchEvent: ["POST /repos/{owner}/{repo}/dispatches"],
    createForAuthenticatedUser: ["POST /user/repos"],
    createFork: ["POST /repos/{owner}/{repo}/forks"],
    createInOrg: ["POST /orgs/{org}/repos"],
    createOrUpdateEnvironment: [
      "PUT /repos/{owner}/{repo}/environments/{environment_name}"
    ],
    createOrUpdateFileContents: ["PUT /repos/{owner}/{repo}/contents/{path}"],
    createOrgRuleset: ["POST /orgs/{org}/rulesets"],
    createPagesDeployment: ["POST /repos/{owner}/{repo}/pages/deployments"],
    createPagesSite: ["POST /repos/{owner}/{repo}/pages"],
    createRelease: ["POST /repos/{owner}/{repo}/releases"],
    createRepoRuleset: ["POST /repos/{owner}/{repo}/rulesets"],
    createUsingTemplate: [
      "POST /repos/{template_owner}/{template_repo}/generate"
    ],
    createWebhook: ["POST /repos/{owner}/{repo}/hooks"],
    customPropertiesForReposCreateOrUpdateRepositoryValues: [
      "PATCH /repos/{owner}/{repo}/properties/values"
    ],
    customPropertiesForReposGetRepositoryValues: [
      "GET /repos/{owner}/{repo}/properties/values"
    ],
    declineInvitation: [
      "DELETE /user/repository_invitations/{invitation_id}",
      {},
      { renamed: ["repos", "declineInvitationForAuthenticatedUser"] }
    ],
    declineInvitationForAuthenticatedUser: [
      "DELETE /user/repository_invitations/{invitation_id}"
    ],
    delete: ["DELETE /repos/{owner}/{repo}"],
    deleteAccessRestrictions: [
      "DELETE /repos/{owner}/{repo}/branches/{branch}/protection/restrictions"
    ],
    deleteAdminBranchProtection: [
      "DELETE /repos/{owner}/{repo}/branches/{branch}/protection/enforce_admins"
    ],
    deleteAnEnvironment: [
      "DELETE /repos/{owner}/{repo}/environments/{environment_name}"
    ],
    deleteAutolink: ["DELETE /repos/{owner}/{repo}/autolinks/{autolink_id}"],
    deleteBranchProtection: [
      "DELETE /repos/{owner}/{repo}/branches/{branch}/protection"
    ],
    deleteCommitComment: ["DELETE /repos/{owner}/{repo}/comments/{comment_id}"],
    deleteCommitSignatureProtection: [
      "DELETE /repos/{owner}/{repo}/branches/{branch}/protection/required_signatures"
    ],
    deleteDeployKey: ["DELETE /repos/{owner}/{repo}/keys/{key_id}"],
    deleteDeployment: [
      "DELETE /repos/{owner}/{repo}/deployments/{deployment_id}"
    ],
    deleteDeploymentBranchPolicy: [
      "DELETE /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies/{branch_policy_id}"
    ],
    deleteFile: ["DELETE /repos/{owner}/{repo}/contents/{path}"],
    deleteInvitation: [
      "DELETE /repos/{owner}/{repo}/invitations/{invitation_id}"
    ],
    deleteOrgRuleset: ["DELETE /orgs/{org}/rulesets/{ruleset_id}"],
    deletePagesSite: ["DELETE /repos/{owner}/{repo}/pages"],
    deletePullRequestReviewProtection: [
      "DELETE /repos/{owner}/{repo}/branches/{branch}/protection/required_pull_request_reviews"
    ],
    deleteRelease: ["DELETE /repos/{owner}/{repo}/releases/{release_id}"],
    deleteReleaseAsset: [
      "DELETE /repos/{owner}/{repo}/releases/assets/{asset_id}"
    ],
    deleteRepoRuleset: ["DELETE /repos/{owner}/{repo}/rulesets/{ruleset_id}"],
    deleteWebhook: ["DELETE /repos/{owner}/{repo}/hooks/{hook_id}"],
    disableAutomatedSecurityFixes: [
      "DELETE /repos/{owner}/{repo}/automated-security-fixes"
    ],
    disableDeploymentProtectionRule: [
      "DELETE /repos/{owner}/{repo}/environments/{environment_name}/deployment_protection_rules/{protection_rule_id}"
    ],
    disableImmutableReleases: [
      "DELETE /repos/{owner}/{repo}/immutable-releases"
    ],
    disablePrivateVulnerabilityReporting: [
      "DELETE /repos/{owner}/{repo}/private-vulnerability-reporting"
    ],
    disableVulnerabilityAlerts: [
      "DELETE /repos/{owner}/{repo}/vulnerability-alerts"
    ],
    downloadArchive: [
      "GET /repos/{owner}/{repo}/zipball/{ref}",
      {},
      { renamed: ["repos", "downloadZipballArchive"] }
    ],
    downloadTarballArchive: ["GET /repos/{owner}/{repo}/tarball/{ref}"],
    downloadZipballArchive: ["GET /repos/{owner}/{repo}/zipball/{ref}"],
    enableAutomatedSecurityFixes: [
      "PUT /repos/{owner}/{repo}/automated-security-fixes"
    ],
    enableImmutableReleases: ["PUT /repos/{owner}/{repo}/immutable-releases"],
    enablePrivateVulnerabilityReporting: [
      "PUT /repos/{owner}/{repo}/private-vulnerability-reporting"
    ],
    enableVulnerabilityAlerts: [
      "PUT /repos/{owner}/{repo}/vulnerability-alerts"
    ],
    generateReleaseNotes: [
      "POST /repos/{owner}/{repo}/releases/generate-notes"
    ],
    get: ["GET /repos/{owner}/{repo}"],
    getAccessRestrictions: [
      "GET /repos/{owner}/{repo}/branches/{branch}/protection/restrictions"
    ],
    getAdminBranchProtection: [
      "GET /repos/{owner}/{repo}/branches/{branch}/protection/enforce_admins"
    ],
    getAllDeploymentProtectionRules: [
      "GET /repos/{owner}/{repo}/environments/{environment_name}/deployment_protection_rules"
    ],
    getAllEnvironments: ["GET /repos/{owner}/{repo}/environments"],
    getAllStatusCheckContexts: [
      "GET /repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks/contexts"
    ],
    getAllTopics: ["GET /repos/{owner}/{repo}/topics"],
    getAppsWithAccessToProtectedBranch: [
      "GET /repos/{owner}/{repo}/branches/{branch}/protection/restrictions/apps"
    ],
    getAutolink: ["GET /repos/{owner}/{repo}/autolinks/{autolink_id}"],
    getBranch: ["GET /repos/{owner}/{repo}/branches/{branch}"],
    getBranchProtection: [
      "GET /repos/{owner}/{repo}/branches/{branch}/protection"
    ],
    getBranchRules: ["GET /repos/{owner}/{repo}/rules/branches/{branch}"],
    getClones: ["GET /repos/{owner}/{repo}/traffic/clones"],
    getCodeFrequencyStats: ["GET /repos/{owner}/{repo}/stats/code_frequency"],
    getCollaboratorPermissionLevel: [
      "GET /repos/{owner}/{repo}/collaborators/{username}/permission"
    ],
    getCombinedStatusForRef: ["GET /repos/{owner}/{repo}/commits/{ref}/status"],
    getCommit: ["GET /repos/{owner}/{repo}/commits/{ref}"],
    getCommitActivityStats: ["GET /repos/{owner}/{repo}/stats/commit_activity"],
    getCommitComment: ["GET /repos/{owner}/{repo}/comments/{comment_id}"],
    getCommitSignatureProtection: [
      "GET /repos/{owner}/{repo}/branches/{branch}/protection/required_signatures"
    ],
    getCommunityProfileMetrics: ["GET /repos/{owner}/{repo}/community/profile"],
    getContent: ["GET /repos/{owner}/{repo}/contents/{path}"],
    getContributorsStats: ["GET /repos/{owner}/{repo}/stats/contributors"],
    getCustomDeploymentProtectionRule: [
      "GET /repos/{owner}/{repo}/environments/{environment_name}/deployment_protection_rules/{protection_rule_id}"
    ],
    getDeployKey: ["GET /repos/{owner}/{repo}/keys/{key_id}"],
    getDeployment: ["GET /repos/{owner}/{repo}/deployments/{deployment_id}"],
    getDeploymentBranchPolicy: [
      "GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies/{branch_policy_id}"
    ],
    getDeploymentStatus: [
      "GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses/{status_id}"
    ],
    getEnvironment: [
      "GET /repos/{owner}/{repo}/environments/{environment_name}"
    ],
    getLatestPagesBuild: ["GET /repos/{owner}/{repo}/pages/builds/latest"],
    getLatestRelease: ["GET /repos/{owner}/{repo}/releases/latest"],
    getOrgRuleSuite: ["GET /orgs/{org}/rulesets/rule-suites/{rule_suite_id}"],
    getOrgRuleSuites: ["GET /orgs/{org}/rulesets/rule-suites"],
    getOrgRuleset: ["GET /orgs/{org}/rulesets/{ruleset_id}"],
    getOrgRulesets: ["GET /orgs/{org}/rulesets"],
    getPages: ["GET /repos/{owner}/{repo}/pages"],
    getPagesBuild: ["GET /repos/{owner}/{repo}/pages/builds/{build_id}"],
    getPagesDeployment: [
      "GET /repos/{owner}/{repo}/pages/deployments/{pages_deployment_id}"
    ],
    getPagesHealthCheck: ["GET /repos/{owner}/{repo}/pages/health"],
    getParticipationStats: ["GET /repos/{owner}/{repo}/stats/participation"],
    getPullRequestReviewProtection: [
      "GET /repos/{owner}/{repo}/branches/{branch}/protection/required_pull_request_reviews"
    ],
    getPunchCardStats: ["GET /repos/{owner}/{repo}/stats/punch_card"],
    getReadme: ["GET /repos/{owner}/{repo}/readme"],
    getReadmeInDirectory: ["GET /repos/{owner}/{repo}/readme/{dir}"],
    getRelease: ["GET /repos/{owner}/{repo}/releases/{release_id}"],
    getReleaseAsset: ["GET /repos/{owner}/{repo}/releases/assets/{asset_id}"],
    getReleaseByTag: ["GET /repos/{owner}/{repo}/releases/tags/{tag}"],
    getRepoRuleSuite: [
      "GET /repos/{owner}/{repo}/rulesets/rule-suites/{rule_suite_id}"
    ],
    getRepoRuleSuites: ["GET /repos/{owner}/{repo}/rulesets/rule-suites"],
    getRepoRuleset: ["GET /repos/{owner}/{repo}/rulesets/{ruleset_id}"],
    getRepoRulesetHistory: [
      "GET /repos/{owner}/{repo}/rulesets/{ruleset_id}/history"
    ],
    getRepoRulesetVersion: [
      "GET /repos/{owner}/{repo}/rulesets/{ruleset_id}/history/{version_id}"
    ],
    getRepoRulesets: ["GET /repos/{owner}/{repo}/rulesets"],
    getStatusChecksProtection: [
      "GET /repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks"
    ],
    getTeamsWithAccessToProtectedBranch: [
      "GET /repos/{owner}/{repo}/branches/{branch}/protection/restrictions/teams"
    ],
    getTopPaths: ["GET /repos/{owner}/{repo}/traffic/popular/paths"],
    getTopReferrers: ["GET /repos/{owner}/{repo}/traffic/popular/referrers"],
    getUsersWithAccessToProtectedBranch: [
      "GET /repos/{owner}/{repo}/branches/{branch}/protection/restrictions/users"
    ],
    getViews: ["GET /repos/{owner}/{repo}/traffic/views"],
    getWebhook: ["GET /repos/{owner}/{repo}/hooks/{hook_id}"],
    getWebhookConfigForRepo: [
      "GET /repos/{owner}/{repo}/hooks/{hook_id}/config"
    ],
    getWebhookDelivery: [
      "GET /repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{delivery_id}"
    ],
    listActivities: ["GET /repos/{owner}/{repo}/activity"],
    listAttestations: [
      "GET /repos/{owner}/{repo}/attestations/{subject_digest}"
    ],
    listAutolinks: ["GET /repos/{owner}/{repo}/autolinks"],
    listBranches: ["GET /repos/{owner}/{repo}/branches"],
    listBranchesForHeadCommit: [
      "GET /repos/{owner}/{repo}/commits/{commit_sha}/branches-where-head"
    ],
    listCollaborators: ["GET /repos/{owner}/{repo}/collaborators"],
    listCommentsForCommit: [
      "GET /repos/{owner}/{repo}/commits/{commit_sha}/comments"
    ],
    listCommitCommentsForRepo: ["GET /repos/{owner}/{repo}/comments"],
    listCommitStatusesForRef: [
      "GET /repos/{owner}/{repo}/commits/{ref}/statuses"
    ],
    listCommits: ["GET /repos/{owner}/{repo}/commits"],
    listContributors: ["GET /repos/{owner}/{repo}/contributors"],
    listCustomDeploymentRuleIntegrations: [
      "GET /repos/{owner}/{repo}/environments/{environment_name}/deployment_protection_rules/apps"
    ],
    listDeployKeys: ["GET /repos/{owner}/{repo}/keys"],
    listDeploymentBranchPolicies: [
      "GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies"
    ],
    listDeploymentStatuses: [
      "GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses"
    ],
    listDeployments: ["GET /repos/{owner}/{repo}/deployments"],
    listForAuthenticatedUser: ["GET /user/repos"],
    listForOrg: ["GET /orgs/{org}/repos"],
    listForUser: ["GET /users/{username}/repos"],
    listForks: ["GET /repos/{owner}/{repo}/forks"],
    listInvitations: ["GET /repos/{owner}/{repo}/invitations"],
    listInvitationsForAuthenticatedUser: ["GET /user/repository_invitations"],
    listLanguages: ["GET /repos/{owner}/{repo}/languages"],
    listPagesBuilds: ["GET /repos/{owner}/{repo}/pages/builds"],
    listPublic: ["GET /repositories"],
    listPullRequestsAssociatedWithCommit: [
      "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls"
    ],
    listReleaseAssets: [
      "GET /repos/{owner}/{repo}/releases/{release_id}/assets"
    ],
    listReleases: ["GET /repos/{owner}/{repo}/releases"],
    listTags: ["GET /repos/{owner}/{repo}/tags"],
    listTeams: ["GET /repos/{owner}/{repo}/teams"],
    listWebhookDeliveries: [
      "GET /repos/{owner}/{repo}/hooks/{hook_id}/deliveries"
    ],
    listWebhooks: ["GET /repos/{owner}/{repo}/hooks"],
    merge: ["POST /repos/{owner}/{repo}/merges"],
    mergeUpstream: ["POST /repos/{owner}/{repo}/merge-upstream"],
    pingWebhook: ["POST /repos/{owner}/{repo}/hooks/{hook_id}/pings"],
    redeliverWebhookDelivery: [
      "POST /repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{delivery_id}/attempts"
    ],
    removeAppAccessRestrictions: [
      "DELETE /repos/{owner}/{repo}/branches/{branch}/protection/restrictions/apps",
      {},
      { mapToData: "apps" }
    ],
    removeCollaborator: [
      "DELETE /repos/{owner}/{repo}/collaborators/{username}"
    ],
    removeStatusCheckContexts: [
      "DELETE /repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks/contexts",
      {},
      { mapToData: "contexts" }
    ],
    removeStatusCheckProtection: [
      "DELETE /repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks"
    ],
    removeTeamAccessRestrictions: [
      "DELETE /repos/{owner}/{repo}/branches/{branch}/protection/restrictions/teams",
      {},
      { mapToData: "teams" }
    ],
    removeUserAccessRestrictions: [
      "DELETE /repos/{owner}/{repo}/branches/{branch}/protection/restrictions/users",
      {},
      { mapToData: "users" }
    ],
    renameBranch: ["POST /repos/{owner}/{repo}/branches/{branch}/rename"],
    replaceAllTopics: ["PUT /repos/{owner}/{repo}/topics"],
    requestPagesBuild: ["POST /repos/{owner}/{repo}/pages/builds"],
    setAdminBranchProtection: [
      "POST /repos/{owner}/{repo}/branches/{branch}/protection/enforce_admins"
    ],
    setAppAccessRestrictions: [
      "PUT /repos/{owner}/{repo}/branches/{branch}/protection/restrictions/apps",
      {},
      { mapToData: "apps" }
    ],
    setStatusCheckContexts: [
      "PUT /repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks/contexts",
      {},
      { mapToData: "contexts" }
    ],
    setTeamAccessRestrictions: [
      "PUT /repos/{owner}/{repo}/branches/{branch}/protection/restrictions/teams",
      {},
      { mapToData: "teams" }
    ],
    setUserAccessRestrictions: [
      "PUT /repos/{owner}/{repo}/branches/{branch}/protection/restrictions/users",
      {},
      { mapToData: "users" }
    ],
    testPushWebhook: ["POST /repos/{owner}/{repo}/hooks/{hook_id}/tests"],
    transfer: ["POST /repos/{owner}/{repo}/transfer"],
    update: ["PATCH /repos/{owner}/{repo}"],
    updateBranchProtection: [
      "PUT /repos/{owner}/{repo}/branches/{branch}/protection"
    ],
    updateCommitComment: ["PATCH /repos/{owner}/{repo}/comments/{comment_id}"],
    updateDeploymentBranchPolicy: [
      "PUT /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies/{branch_policy_id}"
    ],
    updateInformationAboutPagesSite: ["PUT /repos/{owner}/{repo}/pages"],
    updateInvitation: [
      "PATCH /repos/{owner}/{repo}/invitations/{invitation_id}"
    ],
    updateOrgRuleset: ["PUT /orgs/{org}/rulesets/{ruleset_id}"],
    updatePullRequestReviewProtection: [
      "PATCH /repos/{owner}/{repo}/branches/{branch}/protection/required_pull_request_reviews"
    ],
    updateRelease: ["PATCH /repos/{owner}/{repo}/releases/{release_id}"],
    updateReleaseAsset: [
      "PATCH /repos/{owner}/{repo}/releases/assets/{asset_id}"
    ],
    updateRepoRuleset: ["PUT /repos/{owner}/{repo}/rulesets/{ruleset_id}"],
    updateStatusCheckPotection: [
      "PATCH /repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks",
      {},
      { renamed: ["repos", "updateStatusCheckProtection"] }
    ],
    updateStatusCheckProtection: [
      "PATCH /repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks"
    ],
    updateWebhook: ["PATCH /repos/{owner}/{repo}/hooks/{hook_id}"],
    updateWebhookConfigForRepo: [
      "PATCH /repos/{owner}/{repo}/hooks/{hook_id}/config"
    ],
    uploadReleaseAsset: [
      "POST /repos/{owner}/{repo}/releases/{release_id}/assets{?name,label}",
      { baseUrl: "https://uploads.github.com" }
    ]
  },
  search: {
    code: ["GET /search/code"],
    commits: ["GET /search/commits"],
    issuesAndPullRequests: ["GET /search/issues"],
    labels: ["GET /search/labels"],
    repos: ["GET /search/repositories"],
    topics: ["GET /search/topics"],
    users: ["GET /search/users"]
  },
  secretScanning: {
    createPushProtectionBypass: [
      "POST /repos/{owner}/{repo}/secret-scanning/push-protection-bypasses"
    ],
    getAlert: [
      "GET /repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}"
    ],
    getScanHistory: ["GET /repos/{owner}/{repo}/secret-scanning/scan-history"],
    listAlertsForOrg: ["GET /orgs/{org}/secret-scanning/alerts"],
    listAlertsForRepo: ["GET /repos/{owner}/{repo}/secret-scanning/alerts"],
    listLocationsForAlert: [
      "GET /repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}/locations"
    ],
    listOrgPatternConfigs: [
      "GET /orgs/{org}/secret-scanning/pattern-configurations"
    ],
    updateAlert: [
      "PATCH /repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}"
    ],
    updateOrgPatternConfigs: [
      "PATCH /orgs/{org}/secret-scanning/pattern-configurations"
    ]
  },
  securityAdvisories: {
    createFork: [
      "POST /repos/{owner}/{repo}/security-advisories/{ghsa_id}/forks"
    ],
    createPrivateVulnerabilityReport: [
      "POST /repos/{owner}/{repo}/security-advisories/reports"
    ],
    createRepositoryAdvisory: [
      "POST /repos/{owner}/{repo}/security-advisories"
    ],
    createRepositoryAdvisoryCveRequest: [
      "POST /repos/{owner}/{repo}/security-advisories/{ghsa_id}/cve"
    ],
    getGlobalAdvisory: ["GET /advisories/{ghsa_id}"],
    getRepositoryAdvisory: [
      "GET /repos/{owner}/{repo}/security-advisories/{ghsa_id}"
    ],
    listGlobalAdvisories: ["GET /advisories"],
    listOrgRepositoryAdvisories: ["GET /orgs/{org}/security-advisories"],
    listRepositoryAdvisories: ["GET /repos/{owner}/{repo}/security-advisories"],
    updateRepositoryAdvisory: [
      "PATCH /repos/{owner}/{repo}/security-advisories/{ghsa_id}"
    ]
  },
  teams: {
    addOrUpdateMembershipForUserInOrg: [
      "PUT /orgs/{org}/teams/{team_slug}/memberships/{username}"
    ],
    addOrUpdateRepoPermissionsInOrg: [
      "PUT /orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}"
    ],
    checkPermissionsForRepoInOrg: [
      "GET /orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}"
    ],
    create: ["POST /orgs/{org}/teams"],
    createDiscussionCommentInOrg: [
      "POST /orgs/{org}/teams/{team_slug}/discussions/{discussion_number}/comments"
    ],
    createDiscussionInOrg: ["POST /orgs/{org}/teams/{team_slug}/discussions"],
    deleteDiscussionCommentInOrg: [
      "DELETE /orgs/{org}/teams/{team_slug}/discussions/{discussion_number}/comments/{comment_number}"
    ],
    deleteDiscussionInOrg: [
      "DELETE /orgs/{org}/teams/{team_slug}/discussions/{discussion_number}"
    ],
    deleteInOrg: ["DELETE /orgs/{org}/teams/{team_slug}"],
    getByName: ["GET /orgs/{org}/teams/{team_slug}"],
    getDiscussionCommentInOrg: [
      "GET /orgs/{org}/teams/{team_slug}/discussions/{discussion_number}/comments/{comment_number}"
    ],
    getDiscussionInOrg: [
      "GET /orgs/{org}/teams/{team_slug}/discussions/{discussion_number}"
    ],
    getMembershipForUserInOrg: [
      "GET /orgs/{org}/teams/{team_slug}/memberships/{username}"
    ],
    list: ["GET /orgs/{org}/teams"],
    listChildInOrg: ["GET /orgs/{org}/teams/{team_slug}/teams"],
    listDiscussionCommentsInOrg: [
      "GET /orgs/{org}/teams/{team_slug}/discussions/{discussion_number}/comments"
    ],
    listDiscussionsInOrg: ["GET /orgs/{org}/teams/{team_slug}/discussions"],
    listForAuthenticatedUser: ["GET /user/teams"],
    listMembersInOrg: ["GET /orgs/{org}/teams/{team_slug}/members"],
    listPendingInvitationsInOrg: [
      "GET /orgs/{org}/teams/{team_slug}/invitations"
    ],
    listReposInOrg: ["GET /orgs/{org}/teams/{team_slug}/repos"],
    removeMembershipForUserInOrg: [
      "DELETE /orgs/{org}/teams/{team_slug}/memberships/{username}"
    ],
    removeRepoInOrg: [
      "DELETE /orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}"
    ],
    updateDiscussionCommentInOrg: [
      "PATCH /orgs/{org}/teams/{team_slug}/discussions/{discussion_number}/comments/{comment_number}"
    ],
    updateDiscussionInOrg: [
      "PATCH /orgs/{org}/teams/{team_slug}/discussions/{discussion_number}"
    ],
    updateInOrg: ["PATCH /orgs/{org}/teams/{team_slug}"]
  },
  users: {
    addEmailForAuthenticated: [
      "POST /user/emails",
      {},
      { renamed: ["users", "addEmailForAuthenticatedUser"] }
    ],
    addEmailForAuthenticatedUser: ["POST /user/emails"],
    addSocialAccountForAuthenticatedUser: ["POST /user/social_accounts"],
    block: ["PUT /user/blocks/{username}"],
    checkBlocked: ["GET /user/blocks/{username}"],
    checkFollowingForUser: ["GET /users/{username}/following/{target_user}"],
    checkPersonIsFollowedByAuthenticated: ["GET /user/following/{username}"],
    createGpgKeyForAuthenticated: [
      "POST /user/gpg_keys",
      {},
      { renamed: ["users", "createGpgKeyForAuthenticatedUser"] }
    ],
    createGpgKeyForAuthenticatedUser: ["POST /user/gpg_keys"],
    createPublicSshKeyForAuthenticated: [
      "POST /user/keys",
      {},
      { renamed: ["users", "createPublicSshKeyForAuthenticatedUser"] }
    ],
    createPublicSshKeyForAuthenticatedUser: ["POST /user/keys"],
    createSshSigningKeyForAuthenticatedUser: ["POST /user/ssh_signing_keys"],
    deleteAttestationsBulk: [
      "POST /users/{username}/attestations/delete-request"
    ],
    deleteAttestationsById: [
      "DELETE /users/{username}/attestations/{attestation_id}"
    ],
    deleteAttestationsBySubjectDigest: [
      "DELETE /users/{username}/attestations/digest/{subject_digest}"
    ],
    deleteEmailForAuthenticated: [
      "DELETE /user/emails",
      {},
      { renamed: ["users", "deleteEmailForAuthenticatedUser"] }
    ],
    deleteEmailForAuthenticatedUser: ["DELETE /user/emails"],
    deleteGpgKeyForAuthenticated: [
      "DELETE /user/gpg_keys/{gpg_key_id}",
      {},
      { renamed: ["users", "deleteGpgKeyForAuthenticatedUser"] }
    ],
    deleteGpgKeyForAuthenticatedUser: ["DELETE /user/gpg_keys/{gpg_key_id}"],
    deletePublicSshKeyForAuthenticated: [
      "DELETE /user/keys/{key_id}",
      {},
      { renamed: ["users", "deletePublicSshKeyForAuthenticatedUser"] }
    ],
    deletePublicSshKeyForAuthenticatedUser: ["DELETE /user/keys/{key_id}"],
    deleteSocialAccountForAuthenticatedUser: ["DELETE /user/social_accounts"],
    deleteSshSigningKeyForAuthenticatedUser: [
      "DELETE /user/ssh_signing_keys/{ssh_signing_key_id}"
    ],
    follow: ["PUT /user/following/{username}"],
    getAuthenticated: ["GET /user"],
    getById: ["GET /user/{account_id}"],
    getByUsername: ["GET /users/{username}"],
    getContextForUser: ["GET /users/{username}/hovercard"],
    getGpgKeyForAuthenticated: [
      "GET /user/gpg_keys/{gpg_key_id}",
      {},
      { renamed: ["users", "getGpgKeyForAuthenticatedUser"] }
    ],
    getGpgKeyForAuthenticatedUser: ["GET /user/gpg_keys/{gpg_key_id}"],
    getPublicSshKeyForAuthenticated: [
      "GET /user/keys/{key_id}",
      {},
      { renamed: ["users", "getPublicSshKeyForAuthenticatedUser"] }
    ],
    getPublicSshKeyForAuthenticatedUser: ["GET /user/keys/{key_id}"],
    getSshSigningKeyForAuthenticatedUser: [
      "GET /user/ssh_signing_keys/{ssh_signing_key_id}"
    ],
    list: ["GET /users"],
    listAttestations: ["GET /users/{username}/attestations/{subject_digest}"],
    listAttestationsBulk: [
      "POST /users/{username}/attestations/bulk-list{?per_page,before,after}"
    ],
    listBlockedByAuthenticated: [
      "GET /user/blocks",
      {},
      { renamed: ["users", "listBlockedByAuthenticatedUser"] }
    ],
    listBlockedByAuthenticatedUser: ["GET /user/blocks"],
    listEmailsForAuthenticated: [
      "GET /user/emails",
      {},
      { renamed: ["users", "listEmailsForAuthenticatedUser"] }
    ],
    listEmailsForAuthenticatedUser: ["GET /user/emails"],
    listFollowedByAuthenticated: [
      "GET /user/following",
      {},
      { renamed: ["users", "listFollowedByAuthenticatedUser"] }
    ],
    listFollowedByAuthenticatedUser: ["GET /user/following"],
    listFollowersForAuthenticatedUser: ["GET /user/followers"],
    listFollowersForUser: ["GET /users/{username}/followers"],
    listFollowingForUser: ["GET /users/{username}/following"],
    listGpgKeysForAuthenticated: [
      "GET /user/gpg_keys",
      {},
      { renamed: ["users", "listGpgKeysForAuthenticatedUser"] }
    ],
    listGpgKeysForAuthenticatedUser: ["GET /user/gpg_keys"],
    listGpgKeysForUser: ["GET /users/{username}/gpg_keys"],
    listPublicEmailsForAuthenticated: [
      "GET /user/public_emails",
      {},
      { renamed: ["users", "listPublicEmailsForAuthenticatedUser"] }
    ],
    listPublicEmailsForAuthenticatedUser: ["GET /user/public_emails"],
    listPublicKeysForUser: ["GET /users/{username}/keys"],
    listPublicSshKeysForAuthenticated: [
      "GET /user/keys",
      {},
      { renamed: ["users", "listPublicSshKeysForAuthenticatedUser"] }
    ],
    listPublicSshKeysForAuthenticatedUser: ["GET /user/keys"],
    listSocialAccountsForAuthenticatedUser: ["GET /user/social_accounts"],
    listSocialAccountsForUser: ["GET /users/{username}/social_accounts"],
    listSshSigningKeysForAuthenticatedUser: ["GET /user/ssh_signing_keys"],
    listSshSigningKeysForUser: ["GET /users/{username}/ssh_signing_keys"],
    setPrimaryEmailVisibilityForAuthenticated: [
      "PATCH /user/email/visibility",
      {},
      { renamed: ["users", "setPrimaryEmailVisibilityForAuthenticatedUser"] }
    ],
    setPrimaryEmailVisibilityForAuthenticatedUser: [
      "PATCH /user/email/visibility"
    ],
    unblock: ["DELETE /user/blocks/{username}"],
    unfollow: ["DELETE /user/following/{username}"],
    updateAuthenticated: ["PATCH /user"]
  }
};
var endpoints_default = Endpoints;

//# sourceMappingURL=endpoints.js.map

;// CONCATENATED MODULE: ./node_modules/@octokit/plugin-rest-endpoint-methods/dist-src/endpoints-to-methods.js

const endpointMethodsMap = /* @__PURE__ */ new Map();
for (const [scope, endpoints] of Object.entries(endpoints_default)) {
  for (const [methodName, endpoint] of Object.entries(endpoints)) {
    const [route, defaults, decorations] = endpoint;
    const [method, url] = route.split(/ /);
    const endpointDefaults = Object.assign(
      {
        method,
        url
      },
      defaults
    );
    if (!endpointMethodsMap.has(scope)) {
      endpointMethodsMap.set(scope, /* @__PURE__ */ new Map());
    }
    endpointMethodsMap.get(scope).set(methodName, {
      scope,
      methodName,
      endpointDefaults,
      decorations
    });
  }
}
const handler = {
  has({ scope }, methodName) {
    return endpointMethodsMap.get(scope).has(methodName);
  },
  getOwnPropertyDescriptor(target, methodName) {
    return {
      value: this.get(target, methodName),
      // ensures method is in the cache
      configurable: true,
      writable: true,
      enumerable: true
    };
  },
  defineProperty(target, methodName, descriptor) {
    Object.defineProperty(target.cache, methodName, descriptor);
    return true;
  },
  deleteProperty(target, methodName) {
    delete target.cache[methodName];
    return true;
  },
  ownKeys({ scope }) {
    return [...endpointMethodsMap.get(scope).keys()];
  },
  set(target, methodName, value) {
    return target.cache[methodName] = value;
  },
  get({ octokit, scope, cache }, methodName) {
    if (cache[methodName]) {
      return cache[methodName];
    }
    const method = endpointMethodsMap.get(scope).get(methodName);
    if (!method) {
      return void 0;
    }
    const { endpointDefaults, decorations } = method;
    if (decorations) {
      cache[methodName] = decorate(
        octokit,
        scope,
        methodName,
        endpointDefaults,
        decorations
      );
    } else {
      cache[methodName] = octokit.request.defaults(endpointDefaults);
    }
    return cache[methodName];
  }
};
function endpointsToMethods(octokit) {
  const newMethods = {};
  for (const scope of endpointMethodsMap.keys()) {
    newMethods[scope] = new Proxy({ octokit, scope, cache: {} }, handler);
  }
  return newMethods;
}
function decorate(octokit, scope, methodName, defaults, decorations) {
  const requestWithDefaults = octokit.request.defaults(defaults);
  function withDecorations(...args) {
    let options = requestWithDefaults.endpoint.merge(...args);
    if (decorations.mapToData) {
      options = Object.assign({}, options, {
        data: options[decorations.mapToData],
        [decorations.mapToData]: void 0
      });
      return requestWithDefaults(options);
    }
    if (decorations.renamed) {
      const [newScope, newMethodName] = decorations.renamed;
      octokit.log.warn(
        `octokit.${scope}.${methodName}() has been renamed to octokit.${newScope}.${newMethodName}()`
      );
    }
    if (decorations.deprecated) {
      octokit.log.warn(decorations.deprecated);
    }
    if (decorations.renamedParameters) {
      const options2 = requestWithDefaults.endpoint.merge(...args);
      for (const [name, alias] of Object.entries(
        decorations.renamedParameters
      )) {
        if (name in options2) {
          octokit.log.warn(
            `"${name}" parameter is deprecated for "octokit.${scope}.${methodName}()". Use "${alias}" instead`
          );
          if (!(alias in options2)) {
            options2[alias] = options2[name];
          }
          delete options2[name];
        }
      }
      return requestWithDefaults(options2);
    }
    return requestWithDefaults(...args);
  }
  return Object.assign(withDecorations, requestWithDefaults);
}

//# sourceMappingURL=endpoints-to-methods.js.map

;// CONCATENATED MODULE: ./node_modules/@octokit/plugin-rest-endpoint-methods/dist-src/index.js


function restEndpointMethods(octokit) {
  const api = endpointsToMethods(octokit);
  return {
    rest: api
  };
}
restEndpointMethods.VERSION = dist_src_version_VERSION;
function legacyRestEndpointMethods(octokit) {
  const api = endpointsToMethods(octokit);
  return {
    ...api,
    rest: api
  };
}
legacyRestEndpointMethods.VERSION = dist_src_version_VERSION;

//# sourceMappingURL=index.js.map

;// CONCATENATED MODULE: ./node_modules/@octokit/plugin-paginate-rest/dist-bundle/index.js
// pkg/dist-src/version.js
var plugin_paginate_rest_dist_bundle_VERSION = "0.0.0-development";

// pkg/dist-src/normalize-paginated-list-response.js
function normalizePaginatedListResponse(response) {
  if (!response.data) {
    return {
      ...response,
      data: []
    };
  }
  const responseNeedsNormalization = ("total_count" in response.data || "total_commits" in response.data) && !("url" in response.data);
  if (!responseNeedsNormalization) return response;
  const incompleteResults = response.data.incomplete_results;
  const repositorySelection = response.data.repository_selection;
  const totalCount = response.data.total_count;
  const totalCommits = response.data.total_commits;
  delete response.data.incomplete_results;
  delete response.data.repository_selection;
  delete response.data.total_count;
  delete response.data.total_commits;
  const namespaceKey = Object.keys(response.data)[0];
  const data = response.data[namespaceKey];
  response.data = data;
  if (typeof incompleteResults !== "undefined") {
    response.data.incomplete_results = incompleteResults;
  }
  if (typeof repositorySelection !== "undefined") {
    response.data.repository_selection = repositorySelection;
  }
  response.data.total_count = totalCount;
  response.data.total_commits = totalCommits;
  return response;
}

// pkg/dist-src/iterator.js
function iterator(octokit, route, parameters) {
  const options = typeof route === "function" ? route.endpoint(parameters) : octokit.request.endpoint(route, parameters);
  const requestMethod = typeof route === "function" ? route : octokit.request;
  const method = options.method;
  const headers = options.headers;
  let url = options.url;
  return {
    [Symbol.asyncIterator]: () => ({
      async next() {
        if (!url) return { done: true };
        try {
          const response = await requestMethod({ method, url, headers });
          const normalizedResponse = normalizePaginatedListResponse(response);
          url = ((normalizedResponse.headers.link || "").match(
            /<([^<>]+)>;\s*rel="next"/
          ) || [])[1];
          if (!url && "total_commits" in normalizedResponse.data) {
            const parsedUrl = new URL(normalizedResponse.url);
            const params = parsedUrl.searchParams;
            const page = parseInt(params.get("page") || "1", 10);
            const per_page = parseInt(params.get("per_page") || "250", 10);
            if (page * per_page < normalizedResponse.data.total_commits) {
              params.set("page", String(page + 1));
              url = parsedUrl.toString();
            }
          }
          return { value: normalizedResponse };
        } catch (error) {
          if (error.status !== 409) throw error;
          url = "";
          return {
            value: {
              status: 200,
              headers: {},
              data: []
            }
          };
        }
      }
    })
  };
}

// pkg/dist-src/paginate.js
function paginate(octokit, route, parameters, mapFn) {
  if (typeof parameters === "function") {
    mapFn = parameters;
    parameters = void 0;
  }
  return gather(
    octokit,
    [],
    iterator(octokit, route, parameters)[Symbol.asyncIterator](),
    mapFn
  );
}
function gather(octokit, results, iterator2, mapFn) {
  return iterator2.next().then((result) => {
    if (result.done) {
      return results;
    }
    let earlyExit = false;
    function done() {
      earlyExit = true;
    }
    results = results.concat(
      mapFn ? mapFn(result.value, done) : result.value.data
    );
    if (earlyExit) {
      return results;
    }
    return gather(octokit, results, iterator2, mapFn);
  });
}

// pkg/dist-src/compose-paginate.js
var composePaginateRest = Object.assign(paginate, {
  iterator
});

// pkg/dist-src/generated/paginating-endpoints.js
var paginatingEndpoints = (/* unused pure expression or super */ null && ([
  "GET /advisories",
  "GET /app/hook/deliveries",
  "GET /app/installation-requests",
  "GET /app/installations",
  "GET /assignments/{assignment_id}/accepted_assignments",
  "GET /classrooms",
  "GET /classrooms/{classroom_id}/assignments",
  "GET /enterprises/{enterprise}/code-security/configurations",
  "GET /enterprises/{enterprise}/code-security/configurations/{configuration_id}/repositories",
  "GET /enterprises/{enterprise}/dependabot/alerts",
  "GET /enterprises/{enterprise}/teams",
  "GET /enterprises/{enterprise}/teams/{enterprise-team}/memberships",
  "GET /enterprises/{enterprise}/teams/{enterprise-team}/organizations",
  "GET /events",
  "GET /gists",
  "GET /gists/public",
  "GET /gists/starred",
  "GET /gists/{gist_id}/comments",
  "GET /gists/{gist_id}/commits",
  "GET /gists/{gist_id}/forks",
  "GET /installation/repositories",
  "GET /issues",
  "GET /licenses",
  "GET /marketplace_listing/plans",
  "GET /marketplace_listing/plans/{plan_id}/accounts",
  "GET /marketplace_listing/stubbed/plans",
  "GET /marketplace_listing/stubbed/plans/{plan_id}/accounts",
  "GET /networks/{owner}/{repo}/events",
  "GET /notifications",
  "GET /organizations",
  "GET /organizations/{org}/dependabot/repository-access",
  "GET /orgs/{org}/actions/cache/usage-by-repository",
  "GET /orgs/{org}/actions/hosted-runners",
  "GET /orgs/{org}/actions/permissions/repositories",
  "GET /orgs/{org}/actions/permissions/self-hosted-runners/repositories",
  "GET /orgs/{org}/actions/runner-groups",
  "GET /orgs/{org}/actions/runner-groups/{runner_group_id}/hosted-runners",
  "GET /orgs/{org}/actions/runner-groups/{runner_group_id}/repositories",
  "GET /orgs/{org}/actions/runner-groups/{runner_group_id}/runners",
  "GET /orgs/{org}/actions/runners",
  "GET /orgs/{org}/actions/secrets",
  "GET /orgs/{org}/actions/secrets/{secret_name}/repositories",
  "GET /orgs/{org}/actions/variables",
  "GET /orgs/{org}/actions/variables/{name}/repositories",
  "GET /orgs/{org}/attestations/repositories",
  "GET /orgs/{org}/attestations/{subject_digest}",
  "GET /orgs/{org}/blocks",
  "GET /orgs/{org}/campaigns",
  "GET /orgs/{org}/code-scanning/alerts",
  "GET /orgs/{org}/code-security/configurations",
  "GET /orgs/{org}/code-security/configurations/{configuration_id}/repositories",
  "GET /orgs/{org}/codespaces",
  "GET /orgs/{org}/codespaces/secrets",
  "GET /orgs/{org}/codespaces/secrets/{secret_name}/repositories",
  "GET /orgs/{org}/copilot/billing/seats",
  "GET /orgs/{org}/copilot/metrics",
  "GET /orgs/{org}/dependabot/alerts",
  "GET /orgs/{org}/dependabot/secrets",
  "GET /orgs/{org}/dependabot/secrets/{secret_name}/repositories",
  "GET /orgs/{org}/events",
  "GET /orgs/{org}/failed_invitations",
  "GET /orgs/{org}/hooks",
  "GET /orgs/{org}/hooks/{hook_id}/deliveries",
  "GET /orgs/{org}/insights/api/route-stats/{actor_type}/{actor_id}",
  "GET /orgs/{org}/insights/api/subject-stats",
  "GET /orgs/{org}/insights/api/user-stats/{user_id}",
  "GET /orgs/{org}/installations",
  "GET /orgs/{org}/invitations",
  "GET /orgs/{org}/invitations/{invitation_id}/teams",
  "GET /orgs/{org}/issues",
  "GET /orgs/{org}/members",
  "GET /orgs/{org}/members/{username}/codespaces",
  "GET /orgs/{org}/migrations",
  "GET /orgs/{org}/migrations/{migration_id}/repositories",
  "GET /orgs/{org}/organization-roles/{role_id}/teams",
  "GET /orgs/{org}/organization-roles/{role_id}/users",
  "GET /orgs/{org}/outside_collaborators",
  "GET /orgs/{org}/packages",
  "GET /orgs/{org}/packages/{package_type}/{package_name}/versions",
  "GET /orgs/{org}/personal-access-token-requests",
  "GET /orgs/{org}/personal-access-token-requests/{pat_request_id}/repositories",
  "GET /orgs/{org}/personal-access-tokens",
  "GET /orgs/{org}/personal-access-tokens/{pat_id}/repositories",
  "GET /orgs/{org}/private-registries",
  "GET /orgs/{org}/projects",
  "GET /orgs/{org}/projectsV2",
  "GET /orgs/{org}/projectsV2/{project_number}/fields",
  "GET /orgs/{org}/projectsV2/{project_number}/items",
  "GET /orgs/{org}/properties/values",
  "GET /orgs/{org}/public_members",
  "GET /orgs/{org}/repos",
  "GET /orgs/{org}/rulesets",
  "GET /orgs/{org}/rulesets/rule-suites",
  "GET /orgs/{org}/rulesets/{ruleset_id}/history",
  "GET /orgs/{org}/secret-scanning/alerts",
  "GET /orgs/{org}/security-advisories",
  "GET /orgs/{org}/settings/immutable-releases/repositories",
  "GET /orgs/{org}/settings/network-configurations",
  "GET /orgs/{org}/team/{team_slug}/copilot/metrics",
  "GET /orgs/{org}/teams",
  "GET /orgs/{org}/teams/{team_slug}/discussions",
  "GET /orgs/{org}/teams/{team_slug}/discussions/{discussion_number}/comments",
  "GET /orgs/{org}/teams/{team_slug}/discussions/{discussion_number}/comments/{comment_number}/reactions",
  "GET /orgs/{org}/teams/{team_slug}/discussions/{discussion_number}/reactions",
  "GET /orgs/{org}/teams/{team_slug}/invitations",
  "GET /orgs/{org}/teams/{team_slug}/members",
  "GET /orgs/{org}/teams/{team_slug}/projects",
  "GET /orgs/{org}/teams/{team_slug}/repos",
  "GET /orgs/{org}/teams/{team_slug}/teams",
  "GET /projects/{project_id}/collaborators",
  "GET /repos/{owner}/{repo}/actions/artifacts",
  "GET /repos/{owner}/{repo}/actions/caches",
  "GET /repos/{owner}/{repo}/actions/organization-secrets",
  "GET /repos/{owner}/{repo}/actions/organization-variables",
  "GET /repos/{owner}/{repo}/actions/runners",
  "GET /repos/{owner}/{repo}/actions/runs",
  "GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts",
  "GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs",
  "GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs",
  "GET /repos/{owner}/{repo}/actions/secrets",
  "GET /repos/{owner}/{repo}/actions/variables",
  "GET /repos/{owner}/{repo}/actions/workflows",
  "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs",
  "GET /repos/{owner}/{repo}/activity",
  "GET /repos/{owner}/{repo}/assignees",
  "GET /repos/{owner}/{repo}/attestations/{subject_digest}",
  "GET /repos/{owner}/{repo}/branches",
  "GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations",
  "GET /repos/{owner}/{repo}/check-suites/{check_suite_id}/check-runs",
  "GET /repos/{owner}/{repo}/code-scanning/alerts",
  "GET /repos/{owner}/{repo}/code-scanning/alerts/{alert_number}/instances",
  "GET /repos/{owner}/{repo}/code-scanning/analyses",
  "GET /repos/{owner}/{repo}/codespaces",
  "GET /repos/{owner}/{repo}/codespaces/devcontainers",
  "GET /repos/{owner}/{repo}/codespaces/secrets",
  "GET /repos/{owner}/{repo}/collaborators",
  "GET /repos/{owner}/{repo}/comments",
  "GET /repos/{owner}/{repo}/comments/{comment_id}/reactions",
  "GET /repos/{owner}/{repo}/commits",
  "GET /repos/{owner}/{repo}/commits/{commit_sha}/comments",
  "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls",
  "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
  "GET /repos/{owner}/{repo}/commits/{ref}/check-suites",
  "GET /repos/{owner}/{repo}/commits/{ref}/status",
  "GET /repos/{owner}/{repo}/commits/{ref}/statuses",
  "GET /repos/{owner}/{repo}/compare/{basehead}",
  "GET /repos/{owner}/{repo}/compare/{base}...{head}",
  "GET /repos/{owner}/{repo}/contributors",
  "GET /repos/{owner}/{repo}/dependabot/alerts",
  "GET /repos/{owner}/{repo}/dependabot/secrets",
  "GET /repos/{owner}/{repo}/deployments",
  "GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
  "GET /repos/{owner}/{repo}/environments",
  "GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies",
  "GET /repos/{owner}/{repo}/environments/{environment_name}/deployment_protection_rules/apps",
  "GET /repos/{owner}/{repo}/environments/{environment_name}/secrets",
  "GET /repos/{owner}/{repo}/environments/{environment_name}/variables",
  "GET /repos/{owner}/{repo}/events",
  "GET /repos/{owner}/{repo}/forks",
  "GET /repos/{owner}/{repo}/hooks",
  "GET /repos/{owner}/{repo}/hooks/{hook_id}/deliveries",
  "GET /repos/{owner}/{repo}/invitations",
  "GET /repos/{owner}/{repo}/issues",
  "GET /repos/{owner}/{repo}/issues/comments",
  "GET /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
  "GET /repos/{owner}/{repo}/issues/events",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocking",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/events",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/labels",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/reactions",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/sub_issues",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/timeline",
  "GET /repos/{owner}/{repo}/keys",
  "GET /repos/{owner}/{repo}/labels",
  "GET /repos/{owner}/{repo}/milestones",
  "GET /repos/{owner}/{repo}/milestones/{milestone_number}/labels",
  "GET /repos/{owner}/{repo}/notifications",
  "GET /repos/{owner}/{repo}/pages/builds",
  "GET /repos/{owner}/{repo}/projects",
  "GET /repos/{owner}/{repo}/pulls",
  "GET /repos/{owner}/{repo}/pulls/comments",
  "GET /repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/comments",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/commits",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/files",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments",
  "GET /repos/{owner}/{repo}/releases",
  "GET /repos/{owner}/{repo}/releases/{release_id}/assets",
  "GET /repos/{owner}/{repo}/releases/{release_id}/reactions",
  "GET /repos/{owner}/{repo}/rules/branches/{branch}",
  "GET /repos/{owner}/{repo}/rulesets",
  "GET /repos/{owner}/{repo}/rulesets/rule-suites",
  "GET /repos/{owner}/{repo}/rulesets/{ruleset_id}/history",
  "GET /repos/{owner}/{repo}/secret-scanning/alerts",
  "GET /repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}/locations",
  "GET /repos/{owner}/{repo}/security-advisories",
  "GET /repos/{owner}/{repo}/stargazers",
  "GET /repos/{owner}/{repo}/subscribers",
  "GET /repos/{owner}/{repo}/tags",
  "GET /repos/{owner}/{repo}/teams",
  "GET /repos/{owner}/{repo}/topics",
  "GET /repositories",
  "GET /search/code",
  "GET /search/commits",
  "GET /search/issues",
  "GET /search/labels",
  "GET /search/repositories",
  "GET /search/topics",
  "GET /search/users",
  "GET /teams/{team_id}/discussions",
  "GET /teams/{team_id}/discussions/{discussion_number}/comments",
  "GET /teams/{team_id}/discussions/{discussion_number}/comments/{comment_number}/reactions",
  "GET /teams/{team_id}/discussions/{discussion_number}/reactions",
  "GET /teams/{team_id}/invitations",
  "GET /teams/{team_id}/members",
  "GET /teams/{team_id}/projects",
  "GET /teams/{team_id}/repos",
  "GET /teams/{team_id}/teams",
  "GET /user/blocks",
  "GET /user/codespaces",
  "GET /user/codespaces/secrets",
  "GET /user/emails",
  "GET /user/followers",
  "GET /user/following",
  "GET /user/gpg_keys",
  "GET /user/installations",
  "GET /user/installations/{installation_id}/repositories",
  "GET /user/issues",
  "GET /user/keys",
  "GET /user/marketplace_purchases",
  "GET /user/marketplace_purchases/stubbed",
  "GET /user/memberships/orgs",
  "GET /user/migrations",
  "GET /user/migrations/{migration_id}/repositories",
  "GET /user/orgs",
  "GET /user/packages",
  "GET /user/packages/{package_type}/{package_name}/versions",
  "GET /user/public_emails",
  "GET /user/repos",
  "GET /user/repository_invitations",
  "GET /user/social_accounts",
  "GET /user/ssh_signing_keys",
  "GET /user/starred",
  "GET /user/subscriptions",
  "GET /user/teams",
  "GET /users",
  "GET /users/{username}/attestations/{subject_digest}",
  "GET /users/{username}/events",
  "GET /users/{username}/events/orgs/{org}",
  "GET /users/{username}/events/public",
  "GET /users/{username}/followers",
  "GET /users/{username}/following",
  "GET /users/{username}/gists",
  "GET /users/{username}/gpg_keys",
  "GET /users/{username}/keys",
  "GET /users/{username}/orgs",
  "GET /users/{username}/packages",
  "GET /users/{username}/projects",
  "GET /users/{username}/projectsV2",
  "GET /users/{username}/projectsV2/{project_number}/fields",
  "GET /users/{username}/projectsV2/{project_number}/items",
  "GET /users/{username}/received_events",
  "GET /users/{username}/received_events/public",
  "GET /users/{username}/repos",
  "GET /users/{username}/social_accounts",
  "GET /users/{username}/ssh_signing_keys",
  "GET /users/{username}/starred",
  "GET /users/{username}/subscriptions"
]));

// pkg/dist-src/paginating-endpoints.js
function isPaginatingEndpoint(arg) {
  if (typeof arg === "string") {
    return paginatingEndpoints.includes(arg);
  } else {
    return false;
  }
}

// pkg/dist-src/index.js
function paginateRest(octokit) {
  return {
    paginate: Object.assign(paginate.bind(null, octokit), {
      iterator: iterator.bind(null, octokit)
    })
  };
}
paginateRest.VERSION = plugin_paginate_rest_dist_bundle_VERSION;


;// CONCATENATED MODULE: ./node_modules/@actions/github/lib/utils.js


// octokit + plugins



const context = new Context();
const baseUrl = getApiBaseUrl();
const defaults = {
    baseUrl,
    request: {
        agent: getProxyAgent(baseUrl),
        fetch: getProxyFetch(baseUrl)
    }
};
const utils_GitHub = Octokit.plugin(restEndpointMethods, paginateRest).defaults(defaults);

/**
 * Convience function to correctly format Octokit Options to pass into the constructor.
 *
 * @param     token    the repo PAT or GITHUB_TOKEN
 * @param     options  other options to set
 */
function utils_getOctokitOptions(token, options) {
    const opts = Object.assign({}, options || {}); // Shallow clone - don't mutate the object provided by the caller
    // Auth
    const auth = Utils.getAuthString(token, opts);
    if (auth) {
        opts.auth = auth;
    }
    // Orchestration ID
    const userAgent = Utils.getUserAgentWithOrchestrationId(opts.userAgent);
    if (userAgent) {
        opts.userAgent = userAgent;
    }
    return opts;
}
//# sourceMappingURL=utils.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/github/lib/github.js


const github_context = new Context();
/**
 * Returns a hydrated octokit ready to use for GitHub Actions
 *
 * @param     token    the repo PAT or GITHUB_TOKEN
 * @param     options  other options to set
 */
function getOctokit(token, options, ...additionalPlugins) {
    const GitHubWithPlugins = GitHub.plugin(...additionalPlugins);
    return new GitHubWithPlugins(getOctokitOptions(token, options));
}
//# sourceMappingURL=github.js.map

/***/ })

};
