// A Vite plugin that records every import of a Node built-in (`node:*` or a bare built-in name) during a browser
// build. The one allowed: protobufjs's guarded `require("fs")` in src/util/fs.js, which protobufjs itself maps to
// nothing for browsers (`"browser": { "fs": false }` in its package.json).
import { builtinModules } from 'node:module';

const BUILTINS = new Set(builtinModules);
const ALLOWED = [/node_modules[\\/]protobufjs[\\/]src[\\/]util[\\/]fs\.js$/];

export const isNodeBuiltin = (id) => id.startsWith('node:') || BUILTINS.has(id) || BUILTINS.has(id.split('/')[0]);

/** `found` collects `"spec (from importer)"`; with `fail`, the build stops at the end when any was found. */
export function noNodeBuiltins({ found = [], fail = false, root = '' } = {}) {
  return {
    name: 'lowbit-no-node-builtins',
    enforce: 'pre',
    resolveId(source, importer) {
      if (isNodeBuiltin(source) && !ALLOWED.some((re) => re.test(importer ?? ''))) found.push(`${source} (from ${(importer ?? '?').replace(root, '')})`);
      return null;
    },
    buildEnd() {
      if (fail && found.length) this.error(`Node built-ins reached the browser bundle: ${[...new Set(found)].join(', ')}`);
    },
  };
}
