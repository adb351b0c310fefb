/* Jest transformer for NestJS 12's ES modules: Jest on Node 20 cannot require ES modules, so Babel
 * turns them into CommonJS. Their `createRequire(import.meta.url)` becomes the CommonJS `require`
 * first (Babel cannot translate import.meta to CommonJS). The built service does not use this. */
const babelJest = require('babel-jest').default;

const babel = babelJest.createTransformer({
  babelrc: false,
  configFile: false,
  presets: [[require.resolve('@babel/preset-env'), { targets: { node: '20' }, modules: 'commonjs' }]],
});

function rewrite(src) {
  return src
    .replace(/^\s*const require = createRequire\(import\.meta\.url\);?\s*$/m, '')
    .replace(/createRequire\(import\.meta\.url\)/g, 'require')
    .replace(/import\.meta\.url/g, 'require("url").pathToFileURL(__filename).href');
}

module.exports = {
  canInstrument: false,
  getCacheKey(src, filename, options) {
    return babel.getCacheKey(rewrite(src), filename, options) + ':esm-to-cjs-1';
  },
  process(src, filename, options) {
    return babel.process(rewrite(src), filename, options);
  },
};
