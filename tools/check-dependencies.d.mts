/** See check-dependencies.mjs: one line per undeclared import or unused dependency of the packages under `root`. */
export function checkDependencies(root: string): string[];
