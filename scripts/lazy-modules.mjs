// Rewrites the bundle's module factories so that V8 compiles each one when it is first required, not all of
// them at start. ncc (webpack) writes every CommonJS module as an arrow function in parentheses, and V8
// parses such a function eagerly: at start, the whole bundle went through one parse whose zone grew to 11 MB,
// and left memory behind that the deploy's peak carried to the end (measured on 20,000 files / 2 GiB, node
// bench/scale.mjs big: 7-8 MB lower on a first deploy and on a deploy with no change). A plain function
// expression is parsed lazily; it runs the same, given `this` (webpack calls each factory with
// module.exports as `this`), so a module whose own code reads `this`, `arguments` or `new.target` is left
// as written.
//   node scripts/lazy-modules.mjs [FILE...]   (default: every .js file in dist/)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The table of module factories, a top-level declaration: `var __webpack_modules__ = ({...})` in the bundle,
 * `export const modules = {...}` in a chunk.
 */
function factoryTable(statement) {
  if (!ts.isVariableStatement(statement)) return undefined;
  const exported = statement.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword) ?? false;
  for (const declaration of statement.declarationList.declarations) {
    const name = ts.isIdentifier(declaration.name) ? declaration.name.text : '';
    if (name !== '__webpack_modules__' && !(exported && name === 'modules')) continue;
    const table = declaration.initializer && unwrapParentheses(declaration.initializer);
    if (table && ts.isObjectLiteralExpression(table)) return table;
  }
  return undefined;
}

/** Code that binds its own `this` and `arguments` (a function, a class member's body or initializer). */
function bindsThis(node) {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node) ||
    ts.isClassStaticBlockDeclaration(node) ||
    ts.isPropertyDeclaration(node)
  );
}

/** Whether the function's own code (not a nested function's) reads `this`, `arguments` or `new.target`. */
function readsOwnThis(fn) {
  let found = false;
  const visit = (node) => {
    if (found) return;
    if (bindsThis(node)) {
      // A computed member name is evaluated where the class is.
      if (node.name && ts.isComputedPropertyName(node.name)) visit(node.name);
      return;
    }
    if (
      node.kind === ts.SyntaxKind.ThisKeyword ||
      (ts.isIdentifier(node) && node.text === 'arguments') ||
      (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.NewKeyword)
    ) {
      found = true;
      return;
    }
    ts.forEachChild(node, visit);
  };
  fn.parameters.forEach(visit);
  visit(fn.body);
  return found;
}

function unwrapParentheses(node) {
  let inner = node;
  while (ts.isParenthesizedExpression(inner)) inner = inner.expression;
  return inner;
}

/**
 * The source with each factory written as a plain function expression. `lazy` counts the factories
 * rewritten, `kept` those left as they were (they read their own `this`).
 */
export function lazyModules(source, fileName = 'bundle.js') {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const edits = [];
  let lazy = 0;
  let kept = 0;
  for (const table of file.statements.map(factoryTable)) {
    for (const property of table?.properties ?? []) {
      if (!ts.isPropertyAssignment(property)) continue;
      const written = property.initializer;
      const factory = unwrapParentheses(written);
      const start = written.getStart(file);
      if (ts.isArrowFunction(factory) && ts.isBlock(factory.body) && !factory.modifiers?.length) {
        if (readsOwnThis(factory)) {
          kept++;
          continue;
        }
        const parameters = factory.parameters.map((parameter) => parameter.getText(file)).join(', ');
        edits.push([start, factory.body.getStart(file), `function (${parameters}) `]);
        edits.push([factory.body.end, written.end, '']);
        lazy++;
      } else if (ts.isFunctionExpression(factory) && factory !== written) {
        // Only its parentheses, which also make V8 compile a function at once.
        edits.push([start, factory.getStart(file), '']);
        edits.push([factory.end, written.end, '']);
        lazy++;
      }
    }
  }
  let code = source;
  for (const [from, to, text] of edits.sort((a, b) => b[0] - a[0])) code = code.slice(0, from) + text + code.slice(to);
  return { code, lazy, kept };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files =
    process.argv.length > 2
      ? process.argv.slice(2)
      : fs
          .readdirSync('dist')
          .filter((name) => name.endsWith('.js'))
          .map((name) => path.join('dist', name));
  for (const file of files) {
    const { code, lazy, kept } = lazyModules(fs.readFileSync(file, 'utf8'), file);
    fs.writeFileSync(file, code);
    // The rewritten file must still parse (dist/package.json makes it a module).
    execFileSync(process.execPath, ['--check', file]);
    console.log(
      `${file}: ${lazy} module factories compiled when first required${kept > 0 ? `, ${kept} left as written (they read their own this)` : ''}`,
    );
  }
}
