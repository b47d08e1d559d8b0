// The style sheet and script inlined into report.html and sweep.html: no network, no library,
// so the pages open from disk anywhere.
#include "report/report_page.hpp"

#include "plots/svg_writer.hpp"

namespace gradflow::report {

const char* const kReportCss = R"css(
body { font-family: sans-serif; margin: 0 auto; max-width: 1000px; padding: 16px 24px;
       color: #222; background: #fafafa; }
h1 { font-size: 24px; margin-bottom: 4px; }
h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; font-size: 14px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: right; }
th { background: #f0f0f0; }
td.text, th.text { text-align: left; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 8px 14px; }
.card b { display: block; font-size: 22px; }
.figure { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 8px;
          overflow-x: auto; }
.figure svg { max-width: 100%; height: auto; }
#decision-box { display: flex; gap: 16px; align-items: flex-start; flex-wrap: wrap; }
#decision { border: 1px solid #444; background: #fff; }
.controls { display: flex; align-items: center; gap: 10px; margin-top: 8px; }
.controls input[type=range] { width: 320px; }
.legend span { display: inline-block; width: 12px; height: 12px; margin-right: 4px;
               vertical-align: middle; border-radius: 6px; }
.mistakes { display: flex; flex-wrap: wrap; gap: 10px; }
.mistake { text-align: center; font-size: 12px; }
.mistake canvas { width: 56px; height: 56px; image-rendering: pixelated; border: 1px solid #ccc; }
.formula { font-family: "DejaVu Sans Mono", monospace; white-space: pre-wrap; }
.node { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 6px 12px;
        margin: 8px 0; }
.node .shapes { color: #555; font-size: 13px; }
.muted { color: #777; }
)css";

// Reads the JSON in #report-data. report.html: the decision-boundary frames (slider, play
// button) and the misclassified images. Every element it needs may be absent.
const char* const kReportScript = R"js(
(function () {
  'use strict';
  var source = document.getElementById('report-data');
  if (!source) return;
  var data = JSON.parse(source.textContent);
  var DARK = [[31,119,180],[255,127,14],[44,160,44],[214,39,40],[148,103,189],[140,86,75],
              [227,119,194],[127,127,127],[188,189,34],[23,190,207]];
  function colour(k) { return DARK[((k % 10) + 10) % 10]; }
  function bytes(b64) {
    var s = atob(b64), a = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
    return a;
  }
  function metricsAt(epoch) {
    var m = data.metrics || [];
    for (var i = 0; i < m.length; i++) if (m[i][0] === epoch) return m[i];
    return null;
  }
  function percent(v) { return v === null || v === undefined ? 'n/a' : (100 * v).toFixed(1) + ' %'; }

  function setupFrames(f) {
    var canvas = document.getElementById('decision');
    var slider = document.getElementById('frame-slider');
    var play = document.getElementById('frame-play');
    var label = document.getElementById('frame-label');
    if (!canvas || !slider || !play || !label || !f.frames.length) return;
    var ctx = canvas.getContext('2d'), size = canvas.width, n = f.grid;
    var small = document.createElement('canvas');
    small.width = n; small.height = n;
    var sctx = small.getContext('2d'), image = sctx.createImageData(n, n);
    var frames = f.frames.map(bytes);
    var px = function (x) { return (x - f.x_min) / (f.x_max - f.x_min) * size; };
    var py = function (y) { return size - (y - f.y_min) / (f.y_max - f.y_min) * size; };
    function draw(k) {
      var cells = frames[k];
      for (var r = 0; r < n; r++) {
        for (var c = 0; c < n; c++) {
          var v = cells[r * n + c], rgb = colour(v >> 4), t = 0.12 + 0.55 * (v & 15) / 15;
          var i = ((n - 1 - r) * n + c) * 4;  // row 0 is the bottom of the plane
          for (var ch = 0; ch < 3; ch++) image.data[i + ch] = Math.round(255 + (rgb[ch] - 255) * t);
          image.data[i + 3] = 255;
        }
      }
      sctx.putImageData(image, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.clearRect(0, 0, size, size);
      ctx.drawImage(small, 0, 0, size, size);
      f.points.forEach(function (p) {
        var rgb = colour(p[2]);
        ctx.beginPath();
        ctx.arc(px(p[0]), py(p[1]), 3.5, 0, 2 * Math.PI);
        if (p[3]) {
          ctx.lineWidth = 1.5; ctx.strokeStyle = 'rgb(' + rgb.join(',') + ')'; ctx.stroke();
        } else {
          ctx.fillStyle = 'rgb(' + rgb.join(',') + ')'; ctx.fill();
          ctx.lineWidth = 0.8; ctx.strokeStyle = '#fff'; ctx.stroke();
        }
      });
      var epoch = f.epochs[k], m = metricsAt(epoch);
      canvas.setAttribute('data-epoch', String(epoch));
      label.textContent = 'epoch ' + epoch + (epoch === 0 ? ' (before training)' : '') +
          (m ? ' · train accuracy ' + percent(m[2]) + ' · test accuracy ' + percent(m[4]) : '');
    }
    var timer = null;
    function stop() { if (timer !== null) { clearInterval(timer); timer = null; } play.textContent = '▶ Play'; }
    slider.max = String(frames.length - 1);
    slider.value = String(frames.length - 1);
    slider.addEventListener('input', function () { stop(); draw(Number(slider.value)); });
    play.addEventListener('click', function () {
      if (timer !== null) { stop(); return; }
      if (Number(slider.value) >= frames.length - 1) slider.value = '0';
      draw(Number(slider.value));
      play.textContent = '❚❚ Pause';
      timer = setInterval(function () {
        var k = Number(slider.value) + 1;
        if (k >= frames.length) { stop(); return; }
        slider.value = String(k);
        draw(k);
      }, 250);
    });
    draw(frames.length - 1);
  }

  function setupImages(im) {
    var box = document.getElementById('mistakes');
    if (!box) return;
    im.items.forEach(function (item) {
      var figure = document.createElement('div');
      figure.className = 'mistake';
      var canvas = document.createElement('canvas');
      canvas.width = im.width; canvas.height = im.height;
      var ctx = canvas.getContext('2d'), image = ctx.createImageData(im.width, im.height);
      var px = bytes(item.pixels), plane = im.width * im.height;
      for (var i = 0; i < plane; i++) {
        for (var ch = 0; ch < 3; ch++) image.data[4 * i + ch] = px[(im.channels === 3 ? ch : 0) * plane + i];
        image.data[4 * i + 3] = 255;
      }
      ctx.putImageData(image, 0, 0);
      var caption = document.createElement('div');
      caption.textContent = 'true ' + item.truth + ' → ' + item.guess;
      figure.appendChild(canvas);
      figure.appendChild(caption);
      box.appendChild(figure);
    });
  }

  if (data.frames) setupFrames(data.frames);
  if (data.images) setupImages(data.images);
})();
)js";

std::string script_json(const std::string& json_text) {
  std::string out;
  out.reserve(json_text.size());
  // '<' only occurs inside JSON strings, where \u003c means the same character.
  for (char c : json_text) out += c == '<' ? std::string("\\u003c") : std::string(1, c);
  return out;
}

std::string html(const std::string& text) {
  return svg::escape(text);
}

}  // namespace gradflow::report
