// scripts/lazy-modules.mjs on a bundle shaped as ncc writes it: each factory becomes a plain function
// (compiled when first required), one that reads its own `this` stays as written, and the modules export
// the same values before and after.
import vm from 'node:vm';
import { lazyModules } from '../scripts/lazy-modules.mjs';

const BUNDLE = `var __webpack_modules__ = ({

/***/ 1:
/***/ ((module, exports, __nccwpck_require__) => {

exports.value = __nccwpck_require__(2).base + 1;
exports.inner = function () { return this === exports; };
class Counter { start = this; }
exports.counted = new Counter().start instanceof Counter;

/***/ }),

/***/ 2:
/***/ ((module, exports) => {

exports.base = this === undefined ? 10 : 20;

/***/ }),

/***/ 3:
/***/ (function(module) {

module.exports = { self: this === module.exports };

/***/ }),

/***/ 4:
/***/ ((module, exports) => {

exports.f = () => this;

/***/ })

});
var cache = {};
function __nccwpck_require__(id) {
  if (cache[id]) return cache[id].exports;
  var module = (cache[id] = { exports: {} });
  __webpack_modules__[id].call(module.exports, module, module.exports, __nccwpck_require__);
  return module.exports;
}
return [1, 2, 3, 4].map((id) => __nccwpck_require__(id));
`;

/** Runs a bundle as strict code (a module's top-level `this` is undefined) and returns what each module exports. */
function exportsOf(code: string): unknown {
  const modules = vm.runInThisContext(`'use strict';\n(function () {\n${code}\n})();`) as Array<
    Record<string, unknown>
  >;
  return modules.map((exported) =>
    Object.fromEntries(
      Object.entries(exported).map(([name, value]) => [
        name,
        typeof value === 'function' ? value.call(exported) : value,
      ]),
    ),
  );
}

describe('lazyModules', () => {
  const { code, lazy, kept } = lazyModules(BUNDLE);

  it('writes each factory as a plain function, leaving one that reads its own this as it was', () => {
    expect(code).toContain('/***/ 1:\n/***/ function (module, exports, __nccwpck_require__) {');
    expect(code).toContain('/***/ 3:\n/***/ function(module) {');
    expect(code).toContain('/***/ 2:\n/***/ ((module, exports) => {');
    expect(code).toContain('/***/ 4:\n/***/ ((module, exports) => {');
    expect(code).toContain('new Counter().start instanceof Counter;\n\n/***/ },\n');
    expect({ lazy, kept }).toEqual({ lazy: 2, kept: 2 });
  });

  it('leaves what every module exports unchanged', () => {
    expect(exportsOf(code)).toEqual(exportsOf(BUNDLE));
    expect(exportsOf(code)).toEqual([
      { value: 11, inner: true, counted: true },
      { base: 10 },
      { self: true },
      { f: undefined },
    ]);
  });

  it('changes nothing outside the module table', () => {
    const plain = 'const modules = { 1: (a) => { return a; } };\nexport const f = (a) => { return a; };\n';
    expect(lazyModules(plain)).toEqual({ code: plain, lazy: 0, kept: 0 });
  });
});
