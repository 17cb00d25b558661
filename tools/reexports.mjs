// Finds re-exports of other @lowbit packages' names in a source file. check-boundaries.mjs uses it to keep the
// private testing package from handing test code a package its module boundary excludes (a test of kernels may
// import @lowbit/testing, so testing re-exporting @lowbit/onnx-ir would let it reach onnx-ir after all).
import ts from 'typescript';

/**
 * The @lowbit names `text` re-exports, as [{ spec, names }]: `export { a } from '@lowbit/x'`, `export * from
 * '@lowbit/x'` (names ['*']), `export * as ns from '@lowbit/x'`, and `export { a }` / `export type { A }` of a name
 * imported from '@lowbit/x'. Type-only re-exports count too (a type names the other package's API just the same).
 */
export function lowbitReexports(text, fileName = 'source.ts') {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const imported = new Map(); // local name -> module specifier
  const found = new Map(); // spec -> names
  const add = (spec, name) => {
    if (!found.has(spec)) found.set(spec, []);
    found.get(spec).push(name);
  };
  const isLowbit = (node) => node !== undefined && ts.isStringLiteral(node) && node.text.startsWith('@lowbit/');
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && isLowbit(st.moduleSpecifier) && st.importClause) {
      const spec = st.moduleSpecifier.text;
      const c = st.importClause;
      if (c.name) imported.set(c.name.text, spec);
      if (c.namedBindings && ts.isNamespaceImport(c.namedBindings)) imported.set(c.namedBindings.name.text, spec);
      if (c.namedBindings && ts.isNamedImports(c.namedBindings)) for (const e of c.namedBindings.elements) imported.set(e.name.text, spec);
    }
  }
  for (const st of sf.statements) {
    if (!ts.isExportDeclaration(st)) continue;
    if (st.moduleSpecifier !== undefined) {
      if (!isLowbit(st.moduleSpecifier)) continue;
      const spec = st.moduleSpecifier.text;
      if (st.exportClause === undefined) add(spec, '*');
      else if (ts.isNamespaceExport(st.exportClause)) add(spec, `* as ${st.exportClause.name.text}`);
      else for (const e of st.exportClause.elements) add(spec, e.name.text);
      continue;
    }
    if (st.exportClause && ts.isNamedExports(st.exportClause)) {
      for (const e of st.exportClause.elements) {
        const local = (e.propertyName ?? e.name).text;
        if (imported.has(local)) add(imported.get(local), e.name.text);
      }
    }
  }
  return [...found].map(([spec, names]) => ({ spec, names }));
}
