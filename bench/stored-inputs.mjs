// The merge inputs of a stored index: every file of its current generation with its fragment
// copied out of the store, as mergeFragments takes them. Shared by the merge-only benchmarks
// (resolve-scale.mjs, merge-edges.mjs). Main thread; needs the compiled dist/ (npx tsc -p .).
const dist = new URL('../dist', import.meta.url).pathname;
const { IndexReader } = await import(`${dist}/src/store/read.js`);
const { FragmentReader } = await import(`${dist}/src/graph/fragment.js`);
const { LANGUAGES } = await import(`${dist}/src/protocol.js`);

export async function storedMergeInputs(indexDir) {
  const reader = IndexReader.open(indexDir);
  const files = reader.fileTable();
  const inputs = files.relPath.map((relPath, i) => ({
    relPath,
    language: LANGUAGES[files.language[i]],
    contentHash: files.contentHash[i],
    size: files.size[i],
    mtimeMs: files.mtimeMs[i],
    fragment: new FragmentReader(reader.fragment(files.contentHash[i]).slice()),
  }));
  await reader.close();
  return inputs;
}
