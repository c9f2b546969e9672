/**
 * The shape of js/, checked by `npm run lint` (and so by `make test`): the layers below may not
 * import the layers above, and no module imports itself through others.
 *
 *   contract/     the messages, model keys and wire decoders: imports nothing else of js/
 *   scene/        the renderer and what it draws: never ui/ or view/
 *   ui/           DOM widgets: never view/
 *   view/         binders that tie the model to the scene and the UI (the top, with widget.ts)
 *
 * Tests and their helpers (js/testing.ts) are left out of the graph: a test may import what it tests.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "A module must not depend on itself through others: build parts in order and pass what they need.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "scene-not-ui-or-view",
      comment: "The scene draws what it is given; the view feeds it, the UI is beside it.",
      severity: "error",
      from: { path: "^js/scene/" },
      to: { path: "^js/(ui|view)/" },
    },
    {
      name: "ui-not-view",
      comment: "UI widgets report through their handlers; the view binds them.",
      severity: "error",
      from: { path: "^js/ui/" },
      to: { path: "^js/view/" },
    },
    {
      name: "contract-stands-alone",
      comment: "The contract (protocol, model keys, wire decoders) is the bottom layer: it imports nothing else of js/.",
      severity: "error",
      from: { path: "^js/contract/" },
      to: { path: "^js/", pathNot: "^js/contract/" },
    },
    {
      name: "no-orphans",
      comment: "Every module is reachable from the entry (js/widget.ts); one that is not is dead code.",
      severity: "error",
      from: { orphan: true, pathNot: ["^js/widget\\.ts$", "\\.d\\.ts$"] },
      to: {},
    },
  ],
  options: {
    exclude: { path: ["\\.test\\.ts$", "^js/testing\\.ts$"] },
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
