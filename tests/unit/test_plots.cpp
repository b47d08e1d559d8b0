#include <catch2/catch.hpp>

#include <gradflow/plots.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

using gradflow::DecisionPlot;
using gradflow::EpochMetrics;
using gradflow::PlotPoint;
using gradflow::render_curves_svg;
using gradflow::render_decision_svg;

namespace {

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// A small well-formedness check: tags balance, attribute values are quoted and free of '<',
// every '&' starts an entity, and there is exactly one root element.
bool well_formed(const std::string& svg, std::string* why) {
  std::vector<std::string> open;
  size_t roots = 0;
  for (size_t i = 0; i < svg.size();) {
    if (svg[i] == '&') {
      const size_t semi = svg.find(';', i);
      const std::string entity = semi == std::string::npos ? "" : svg.substr(i, semi - i + 1);
      if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" &&
          entity != "&apos;") {
        *why = "bare '&' at " + std::to_string(i);
        return false;
      }
      i = semi + 1;
      continue;
    }
    if (svg[i] == '>') {
      *why = "stray '>' at " + std::to_string(i);
      return false;
    }
    if (svg[i] != '<') {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(svg[i]))) {
        *why = "text outside the root at " + std::to_string(i);
        return false;
      }
      ++i;
      continue;
    }
    // Find the end of the tag, skipping quoted attribute values.
    size_t j = i + 1;
    char quote = 0;
    for (; j < svg.size(); ++j) {
      if (quote) {
        if (svg[j] == '<') {
          *why = "'<' inside an attribute at " + std::to_string(j);
          return false;
        }
        if (svg[j] == quote) quote = 0;
      } else if (svg[j] == '"' || svg[j] == '\'') {
        quote = svg[j];
      } else if (svg[j] == '>') {
        break;
      }
    }
    if (j >= svg.size()) {
      *why = "unterminated tag at " + std::to_string(i);
      return false;
    }
    const std::string tag = svg.substr(i + 1, j - i - 1);
    if (!tag.empty() && tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1)) {
        *why = "mismatched </" + tag.substr(1) + ">";
        return false;
      }
      open.pop_back();
    } else if (tag.empty() || !std::isalpha(static_cast<unsigned char>(tag[0]))) {
      *why = "unexpected markup <" + tag.substr(0, 10);
      return false;
    } else {
      if (open.empty()) ++roots;
      if (tag.back() != '/') open.push_back(tag.substr(0, tag.find_first_of(" \t\n")));
    }
    i = j + 1;
  }
  if (!open.empty()) {
    *why = "unclosed <" + open.back() + ">";
    return false;
  }
  if (roots != 1) {
    *why = std::to_string(roots) + " root elements";
    return false;
  }
  return true;
}

void check_svg(const std::string& svg) {
  REQUIRE(svg.rfind("<svg", 0) == 0);
  REQUIRE(svg.size() >= 6);
  CHECK(svg.compare(svg.size() - 6, 6, "</svg>") == 0);
  std::string why;
  const bool ok = well_formed(svg, &why);
  INFO(why);
  CHECK(ok);
  const std::string text = lower(svg);
  CHECK(text.find("nan") == std::string::npos);
  CHECK(text.find("inf") == std::string::npos);
}

std::vector<EpochMetrics> history(int epochs) {
  std::vector<EpochMetrics> h;
  for (int e = 1; e <= epochs; ++e) {
    h.push_back({e, 1.0 / e, 1.0 - 0.5 / e, 1.2 / e, 0.9 - 0.5 / e, 0.01});
  }
  return h;
}

// The circles that stand for data points, which sit in the clipped group.
std::string point_group(const std::string& svg) {
  const size_t begin = svg.find("<g clip-path=");
  const size_t end = svg.find("</g>", begin);
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  return svg.substr(begin, end - begin);
}

DecisionPlot two_regions(int64_t w, int64_t h) {
  DecisionPlot plot;
  plot.x_min = -2;
  plot.x_max = 2;
  plot.y_min = -1.5;
  plot.y_max = 1.5;
  plot.grid_w = w;
  plot.grid_h = h;
  for (int64_t r = 0; r < h; ++r) {
    for (int64_t c = 0; c < w; ++c) plot.grid_labels.push_back(c * 2 < w ? 0 : 1);
  }
  plot.title = "moons: decision boundary";
  return plot;
}

}  // namespace

TEST_CASE("well_formed test helper catches broken markup", "[plots]") {
  std::string why;
  CHECK(well_formed("<svg><g><rect a=\"1\"/></g><text>a &amp; b</text></svg>", &why));
  CHECK_FALSE(well_formed("<svg><g></svg>", &why));
  CHECK_FALSE(well_formed("<svg><text>a & b</text></svg>", &why));
  CHECK_FALSE(well_formed("<svg><text>a < b</text></svg>", &why));
  CHECK_FALSE(well_formed("<svg/><svg/>", &why));
}

TEST_CASE("learning curves: two panels, legend, ticks", "[plots]") {
  const std::string svg = render_curves_svg(history(20), "xor <run> & \"friends\"");
  check_svg(svg);
  CHECK(svg.find("xor &lt;run&gt; &amp; &quot;friends&quot;") != std::string::npos);
  CHECK(svg.find(">train</text>") != std::string::npos);
  CHECK(svg.find(">test</text>") != std::string::npos);
  CHECK(svg.find(">loss</text>") != std::string::npos);
  CHECK(svg.find(">accuracy</text>") != std::string::npos);
  CHECK(count(svg, ">epoch</text>") == 2);
  // One line per series per panel, in two distinct colours.
  CHECK(count(svg, "<polyline") == 4);
  CHECK(count(svg, "<polyline points=\"") == 4);
  CHECK(count(svg, "stroke=\"#1f77b4\" stroke-width=\"2\"/>") == 2 + 1);  // + legend
  CHECK(count(svg, "stroke=\"#d62728\" stroke-width=\"2\"/>") == 2 + 1);  // + legend
  // Nice epoch ticks: whole numbers in steps of 1, 2 or 5 of a power of ten.
  CHECK(svg.find(">20</text>") != std::string::npos);
  CHECK(svg.find(">1.0</text>") != std::string::npos);  // accuracy axis reaches 1
  CHECK(render_curves_svg(history(20), "xor <run> & \"friends\"") == svg);
}

TEST_CASE("learning curves: edge cases", "[plots]") {
  SECTION("single epoch draws markers, not lines") {
    const std::string svg = render_curves_svg(history(1), "one");
    check_svg(svg);
    CHECK(count(svg, "<polyline") == 0);
    CHECK(count(svg, "<circle") == 4 + 2);  // four values plus the two legend markers
  }
  SECTION("no epochs at all") {
    const std::string svg = render_curves_svg({}, "empty");
    check_svg(svg);
    CHECK(count(svg, ">no data</text>") == 2);
  }
  SECTION("NaN and infinity are skipped and split the line") {
    auto h = history(10);
    h[4].train_loss = std::numeric_limits<double>::quiet_NaN();
    h[5].test_loss = std::numeric_limits<double>::infinity();
    h[0].test_loss = -std::numeric_limits<double>::infinity();
    for (auto& m : h) m.test_accuracy = std::numeric_limits<double>::quiet_NaN();
    const std::string svg = render_curves_svg(h, "diverged");
    check_svg(svg);
    // Train loss splits in two, test loss in two (1..4 after the leading -inf, 6..9); train
    // accuracy is whole and test accuracy has nothing left to draw.
    CHECK(count(svg, "<polyline") == 5);
  }
  SECTION("constant series and huge values") {
    std::vector<EpochMetrics> h = {{3, 0.5, 0.5, 0.5, 0.5, 0}, {4, 0.5, 0.5, 0.5, 0.5, 0}};
    check_svg(render_curves_svg(h, "flat"));
    h[1].train_loss = 1e300;
    h[0].test_loss = -1e300;
    check_svg(render_curves_svg(h, "wild"));
  }
  SECTION("titles with control characters and broken UTF-8 stay valid XML") {
    const std::string svg = render_curves_svg(history(3), std::string("a\x01\x02\xff\xc3(b", 7));
    check_svg(svg);
    CHECK(svg.find(">a???\?(b</text>") != std::string::npos);
  }
}

TEST_CASE("decision plot: merged grid cells, points, legend", "[plots]") {
  DecisionPlot plot = two_regions(100, 100);
  for (int i = 0; i < 7; ++i) plot.points.push_back({-1.5f + 0.4f * i, 0.1f * i, i % 2, false});
  for (int i = 0; i < 3; ++i) plot.points.push_back({0.5f * i, -1.0f, 1, true});
  plot.points.push_back({std::nanf(""), 0.0f, 0, false});  // not drawn
  plot.points.push_back({100.0f, 100.0f, 0, false});       // drawn, clipped
  const std::string svg = render_decision_svg(plot);
  check_svg(svg);

  // One rect per row per region, plus background, clip path, frame and two legend swatches.
  CHECK(count(svg, "<rect") == 100 * 2 + 5);
  CHECK(count(svg, "fill=\"#aec7e8\"") == 100 + 1);
  CHECK(count(svg, "fill=\"#ffbb78\"") == 100 + 1);

  const std::string points = point_group(svg);
  CHECK(count(points, "<circle") == 7 + 3 + 1);
  CHECK(count(points, "fill=\"none\"") == 3);
  CHECK(count(points, "fill=\"#1f77b4\"") == 4 + 1);
  CHECK(count(points, "fill=\"#ff7f0e\"") == 3);

  CHECK(svg.find(">class 0</text>") != std::string::npos);
  CHECK(svg.find(">class 1</text>") != std::string::npos);
  CHECK(svg.find(">class 2</text>") == std::string::npos);
  CHECK(svg.find(">train</text>") != std::string::npos);
  CHECK(svg.find(">test</text>") != std::string::npos);
  CHECK(svg.find(">moons: decision boundary</text>") != std::string::npos);
  // Ticks stay inside the plane, at nice values.
  CHECK(svg.find(">-2.0</text>") != std::string::npos);
  CHECK(svg.find(">1.5</text>") != std::string::npos);
  CHECK(svg.size() < 40000);
  CHECK(render_decision_svg(plot) == svg);
}

TEST_CASE("decision plot: edge cases", "[plots]") {
  SECTION("grid and labels must agree") {
    DecisionPlot plot = two_regions(4, 4);
    plot.grid_labels.pop_back();
    CHECK_THROWS_AS(render_decision_svg(plot), std::invalid_argument);
    plot.grid_w = -1;
    CHECK_THROWS_AS(render_decision_svg(plot), std::invalid_argument);
  }
  SECTION("empty grid, degenerate and non-finite ranges") {
    DecisionPlot plot;
    plot.x_min = plot.x_max = 3;
    plot.y_min = std::numeric_limits<double>::quiet_NaN();
    plot.points = {{3.0f, 0.5f, 0, false}, {3.0f, 0.2f, 1, true}};
    const std::string svg = render_decision_svg(plot);
    check_svg(svg);
    CHECK(count(point_group(svg), "<circle") == 2);
  }
  SECTION("many classes cycle colours and cap the legend") {
    DecisionPlot plot;
    plot.classes = 25;
    plot.grid_w = 25;
    plot.grid_h = 1;
    for (int32_t c = 0; c < 25; ++c) plot.grid_labels.push_back(c);
    plot.grid_labels[3] = -1;
    plot.points = {{0, 0, 24, false}, {0, 0, -5, true}};
    const std::string svg = render_decision_svg(plot);
    check_svg(svg);
    CHECK(svg.find(">class 9</text>") != std::string::npos);
    CHECK(svg.find(">class 10</text>") == std::string::npos);
    CHECK(svg.find("(colours repeat)") != std::string::npos);
  }
  SECTION("a worst-case checkerboard stays bounded") {
    DecisionPlot plot = two_regions(100, 100);
    for (size_t i = 0; i < plot.grid_labels.size(); ++i) {
      plot.grid_labels[i] = static_cast<int32_t>((i + i / 100) % 2);
    }
    const std::string svg = render_decision_svg(plot);
    check_svg(svg);
    CHECK(count(svg, "<rect") == 100 * 100 + 5);
    CHECK(svg.size() < 1000000);
  }
}

TEST_CASE("decision plot: millions of points make a picture of bounded size that says so",
          "[plots]") {
  DecisionPlot plot = two_regions(100, 100);
  const int n = 2'000'000;
  plot.points.reserve(n);
  for (int i = 0; i < n; ++i)
    plot.points.push_back({-1.5f + 3.0f * static_cast<float>(i % 1000) / 1000.0f,
                           -1.5f + 3.0f * static_cast<float>(i / 1000) / 2000.0f, i % 2,
                           i % 3 == 0});
  const std::string svg = render_decision_svg(plot);
  check_svg(svg);
  CHECK(svg.size() < 4'000'000);
  const size_t drawn = count(point_group(svg), "<circle");
  CHECK(drawn >= 10000);
  CHECK(drawn <= 20000);
  CHECK(svg.find("points: 1 in 100 of 2000000 drawn") != std::string::npos);
}
