// Runs an ONNX model in ONNX Runtime (npm onnxruntime-node) on the rows of a CSV file and
// writes "class,p0,...": the same columns as `graph-runner predict`, at float32's full
// precision. A header line is skipped and a column named "label" is ignored.
//   node tools/onnx/ort_predict.js MODEL.onnx INPUT.csv OUTPUT.csv
// onnxruntime-node is looked up in NODE_PATH (tools/onnx/check_exports.py sets it to the
// cache folder where tools/setup.sh --data installs it).
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function readCsv(path) {
  const lines = fs.readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
  let labelColumn = -1;
  if (lines.length > 0 && !/^[-0-9.]/.test(lines[0])) {
    labelColumn = lines[0].split(',').indexOf('label');
    lines.shift();
  }
  const rows = lines.map((l) => l.split(',').filter((_, i) => i !== labelColumn).map(Number));
  return rows;
}

async function main() {
  const [modelPath, inputPath, outputPath] = process.argv.slice(2);
  if (!outputPath) {
    console.error('usage: node ort_predict.js MODEL.onnx INPUT.csv OUTPUT.csv');
    process.exit(2);
  }
  const session = await ort.InferenceSession.create(modelPath);
  const rows = readCsv(inputPath);
  const width = rows[0].length;
  const data = new Float32Array(rows.length * width);
  rows.forEach((r, i) => data.set(r, i * width));
  // The model's input keeps the per-sample shape the graph declared; the batch is first.
  const meta = session.inputMetadata ? session.inputMetadata[0] : null;
  const sample = meta && meta.shape ? meta.shape.slice(1) : [width];
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data, [rows.length, ...sample])};
  const result = await session.run(feeds);
  const out = result[session.outputNames[0]];
  const k = out.data.length / rows.length;
  const text = ['class,' + Array.from({length: k}, (_, c) => 'p' + c).join(',')];
  for (let r = 0; r < rows.length; ++r) {
    const p = Array.from(out.data.subarray(r * k, (r + 1) * k));
    let best = 0;
    for (let c = 1; c < k; ++c) if (p[c] > p[best]) best = c;
    text.push(best + ',' + p.map((v) => v.toPrecision(9)).join(','));
  }
  fs.writeFileSync(outputPath, text.join('\n') + '\n');
}

main().catch((e) => {
  console.error('ort_predict.js: ' + e.message);
  process.exit(1);
});
