export { repoRoot, testdataPath } from './testdata.js';
