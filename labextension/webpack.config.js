// Module and chunk ids named by their path relative to this folder, so the committed production
// build is byte-identical wherever the repository is checked out (the default "deterministic"
// ids hash loader requests that contain absolute paths). CI checks this with `jlpm check:assets`.
module.exports = {
  optimization: {
    moduleIds: 'named',
    chunkIds: 'named'
  }
};
