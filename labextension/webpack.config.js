// Module and chunk ids named by their path relative to this folder, so the committed production
// build is byte-identical wherever the repository is checked out (the default "deterministic"
// ids hash loader requests that contain absolute paths). CI checks this with `jlpm check:assets`.
//
// The stylesheet is minified on its way into the bundle (rspack's built-in Lightning CSS loader
// runs before the base config's css-loader and style-loader, which webpack-merge keeps): the
// shipped asset is smaller, and it no longer repeats style/base.css line for line.
module.exports = {
  module: {
    rules: [
      {
        test: /(?<!\.raw)\.css$/,
        use: [{ loader: 'builtin:lightningcss-loader', options: { minify: true } }]
      }
    ]
  },
  optimization: {
    moduleIds: 'named',
    chunkIds: 'named'
  }
};
