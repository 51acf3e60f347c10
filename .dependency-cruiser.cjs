/**
 * Import rules checked by `npm run cycles` (part of `npm test`): no cycles between files, and the
 * layers of src/ point one way (docs/architecture.md), which also rules out cycles between folders.
 */
const layer = (folder) => `^src/${folder}/`;
const shared = '^src/(config|logger|startup-error)\\.ts$';

/** A folder of src/ may import only itself, the folders listed and the shared leaf modules. */
function onlyImports(folder, allowed) {
  return {
    name: `${folder}-imports-only-below`,
    comment: `src/${folder}/ may import only ${allowed.length > 0 ? allowed.join(', ') : 'itself'} (and config, logger)`,
    severity: 'error',
    from: { path: layer(folder) },
    to: { path: '^src/', pathNot: [layer(folder), shared, ...allowed.map(layer)] },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'an import cycle between files',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'domain/ is pure: no I/O, no packages, nothing of the edges',
      from: { path: layer('domain') },
      to: { pathNot: layer('domain') },
    },
    onlyImports('alibaba', ['domain']),
    onlyImports('hbr', ['alibaba', 'domain']),
    onlyImports('ecs', ['alibaba', 'domain']),
    onlyImports('redis', []),
    onlyImports('store', ['redis', 'domain']),
    onlyImports('ops', ['store', 'redis', 'hbr', 'ecs', 'alibaba', 'domain']),
    onlyImports('jobs', ['store', 'redis', 'hbr', 'ecs', 'alibaba', 'domain']),
    onlyImports('slack', ['jobs', 'store', 'redis', 'hbr', 'ecs', 'alibaba', 'domain']),
    {
      name: 'shared-modules-are-leaves',
      severity: 'error',
      comment: 'config, logger and startup-error are imported everywhere, so they import only domain/',
      from: { path: shared },
      to: { path: '^src/', pathNot: [shared, layer('domain')] },
    },
    {
      name: 'src-stands-alone',
      severity: 'error',
      comment: 'the bot never imports the sandbox, the tests or the bench (main.ts loads the sandbox by path)',
      from: { path: '^src/' },
      to: { path: '^(sandbox|test|bench)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'an import that resolves to nothing',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
    },
  },
};
