// Internal helpers shared by the SVG plots: text escaping, fixed number formatting, "nice"
// axis ticks and a small element builder. Not part of the installed interface; header-only so
// the two plot files need nothing else.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace gradflow::svg {

// Length of the well-formed, shortest-form UTF-8 sequence (outside the surrogate range) that
// starts at text[i], or 0 if none does. text[i] must be a byte >= 0x80.
inline size_t utf8_sequence_length(std::string_view text, size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
  if (c > 0xF4) len = 0;
  bool ok = len > 0 && i + len <= text.size();
  for (size_t k = 1; ok && k < len; ++k) {
    ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
  }
  if (ok && len >= 3) {
    const auto c1 = static_cast<unsigned char>(text[i + 1]);
    if (c == 0xE0 && c1 < 0xA0) ok = false;   // overlong
    if (c == 0xED && c1 >= 0xA0) ok = false;  // UTF-16 surrogates
    if (c == 0xF0 && c1 < 0x90) ok = false;   // overlong
    if (c == 0xF4 && c1 >= 0x90) ok = false;  // beyond U+10FFFF
  }
  return ok ? len : 0;
}

// Text safe to show anywhere: control characters (but tab and newline) and malformed UTF-8
// become '?'. For text that came from outside (plugins, files).
inline std::string clean_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out += (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f ? '?' : static_cast<char>(c);
      ++i;
    } else if (size_t len = utf8_sequence_length(text, i)) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

// Escapes XML metacharacters and replaces what XML 1.0 cannot carry at all (control characters,
// malformed UTF-8) with '?', so arbitrary titles never make the document unparsable.
inline std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&apos;";
          break;
        default:
          out += (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f
                     ? '?'
                     : static_cast<char>(c);
      }
      ++i;
      continue;
    }
    if (size_t len = utf8_sequence_length(text, i)) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

// Fixed two-decimal form for coordinates, identical run after run and never "-0.00".
// Non-finite input (a caller bug) is written as 0 to keep the XML valid.
inline std::string num(double value) {
  if (!std::isfinite(value)) value = 0;
  std::string s = fmt::format("{:.2f}", value);
  if (s == "-0.00") s = "0.00";
  return s;
}

struct Axis {
  double lo = 0, hi = 1;  // the range the axis spans
  double step = 1;
  std::vector<double> ticks;
  int decimals = 0;  // for tick labels, enough to tell neighbours apart
};

// Ticks at 1, 2 or 5 times a power of ten, about `target` of them. With `expand` the range
// grows outwards to whole steps (learning curves); without, it stays as given and only ticks
// inside it are kept (the decision plot, whose grid covers exactly the given plane).
// `integer_steps` keeps steps >= 1 for epoch axes. Empty or non-finite ranges get a default.
inline Axis nice_axis(double lo, double hi, int target, bool expand, bool integer_steps = false) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (lo > hi) std::swap(lo, hi);
  // Keep spans well inside double range so (hi - lo) and the tick arithmetic cannot overflow.
  constexpr double kLimit = 1e15;
  lo = std::clamp(lo, -kLimit, kLimit);
  hi = std::clamp(hi, -kLimit, kLimit);
  if (hi - lo < 1e-12 * std::max(1.0, std::abs(lo))) {
    // A constant series still needs a visible band around it.
    const double pad = std::max(integer_steps ? 1.0 : 0.5, std::abs(lo) * 0.1);
    lo -= pad;
    hi += pad;
  }
  target = std::max(target, 2);
  const double raw = (hi - lo) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / magnitude;
  double step = (fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10) * magnitude;
  if (integer_steps) step = std::max(1.0, std::round(step));

  Axis axis;
  axis.step = step;
  // Small tolerance so a bound that is a whole step up to rounding error still gets its tick.
  const double eps = 1e-9;
  if (expand) {
    axis.lo = std::floor(lo / step + eps) * step;
    axis.hi = std::ceil(hi / step - eps) * step;
  } else {
    axis.lo = lo;
    axis.hi = hi;
  }
  const double first = std::ceil(axis.lo / step - eps);
  const double last = std::floor(axis.hi / step + eps);
  for (double k = first; k <= last && axis.ticks.size() < 50; k += 1) {
    double t = k * step;
    if (std::abs(t) < step * 1e-9) t = 0;
    axis.ticks.push_back(t);
  }
  axis.decimals = std::clamp(static_cast<int>(-std::floor(std::log10(step) + eps)), 0, 8);
  return axis;
}

inline std::string tick_label(double value, int decimals) {
  std::string s = fmt::format("{:.{}f}", value, decimals);
  if (s.size() > 1 && s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

// Appends elements to an SVG document; every attribute value passes through num() or
// escape(), so the output is well-formed whatever the numbers and strings are.
class Writer {
 public:
  Writer(double width, double height) {
    out_ = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
        "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\">\n",
        num(width), num(height));
  }

  // For fixed markup written by the plot code itself (group tags, clip paths).
  void raw(std::string_view markup) { out_ += markup; }

  void rect(double x, double y, double w, double h, std::string_view style) {
    out_ += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" {}/>\n", num(x), num(y),
                        num(std::max(w, 0.0)), num(std::max(h, 0.0)), style);
  }
  void line(double x1, double y1, double x2, double y2, std::string_view style) {
    out_ += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {}/>\n", num(x1), num(y1),
                        num(x2), num(y2), style);
  }
  void circle(double cx, double cy, double r, std::string_view style) {
    out_ +=
        fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\" {}/>\n", num(cx), num(cy), num(r), style);
  }
  void polyline(const std::vector<std::pair<double, double>>& points, std::string_view style) {
    out_ += "<polyline points=\"";
    for (size_t i = 0; i < points.size(); ++i) {
      if (i > 0) out_ += ' ';
      out_ += num(points[i].first) + ',' + num(points[i].second);
    }
    out_ += fmt::format("\" fill=\"none\" {}/>\n", style);
  }
  // anchor is "start", "middle" or "end"; rotate (degrees) turns the text about (x, y).
  void text(double x, double y, std::string_view content, std::string_view anchor, double size = 12,
            double rotate = 0) {
    out_ += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{}\"", num(x),
                        num(y), num(size), anchor);
    if (rotate != 0)
      out_ += fmt::format(" transform=\"rotate({} {} {})\"", num(rotate), num(x), num(y));
    out_ += '>' + escape(content) + "</text>\n";
  }

  // Closes the document; it ends exactly with "</svg>".
  std::string finish() {
    out_ += "</svg>";
    return std::move(out_);
  }

 private:
  std::string out_;
};

}  // namespace gradflow::svg
