#include "report/report_files.hpp"

#include <gradflow/atomic_file.hpp>
#include <gradflow/diagnostics.hpp>

#include "io/run_files.hpp"
#include "plots/svg_writer.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>

namespace gradflow::report {
namespace {

using nlohmann::json;

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Limits for what a run folder may claim, so a doctored file cannot make the report huge.
constexpr int64_t kMaxClasses = 1000;
constexpr int64_t kMaxImageSide = 512;

template <class F>
auto parsed(const std::string& text, const std::string& source, F&& read) {
  try {
    return read(json::parse(text));
  } catch (const json::exception& e) {
    throw InputError(source + ": malformed report file: " + e.what());
  }
}

int64_t bounded(const json& j, const char* key, int64_t lo, int64_t hi, const std::string& source) {
  const int64_t v = j.at(key).get<int64_t>();
  if (v < lo || v > hi)
    throw InputError(source + ": '" + key + "' is " + std::to_string(v) + ", outside [" +
                     std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v;
}

// Metrics that were NaN (no accuracy without `predict`) are stored as null.
double number_or_nan(const json& j, const char* key) {
  return j.at(key).is_null() ? NAN : j.at(key).get<double>();
}

json number_or_null(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

}  // namespace

std::string base64_encode(const std::vector<uint8_t>& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const uint32_t b0 = bytes[i];
    const uint32_t b1 = i + 1 < bytes.size() ? bytes[i + 1] : 0;
    const uint32_t b2 = i + 2 < bytes.size() ? bytes[i + 2] : 0;
    const uint32_t v = b0 << 16 | b1 << 8 | b2;
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += i + 1 < bytes.size() ? kAlphabet[v >> 6 & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[v & 63] : '=';
  }
  return out;
}

std::vector<uint8_t> base64_decode(std::string_view text, const std::string& source) {
  if (text.size() % 4 != 0) throw InputError(source + ": base64 text of a bad length");
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    std::array<uint32_t, 4> v{};
    int pad = 0;
    for (size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      const size_t pos = kAlphabet.find(c);
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        ++pad;
      } else if (pos == std::string_view::npos || pad > 0) {
        throw InputError(source + ": not base64 text");
      } else {
        v[k] = static_cast<uint32_t>(pos);
      }
    }
    const uint32_t n = v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3];
    out.push_back(static_cast<uint8_t>(n >> 16));
    if (pad < 2) out.push_back(static_cast<uint8_t>(n >> 8 & 255));
    if (pad < 1) out.push_back(static_cast<uint8_t>(n & 255));
  }
  return out;
}

std::string frames_json(const DecisionFrames& f) {
  json frames = json::array();
  for (const auto& cells : f.cells) frames.push_back(base64_encode(cells));
  json points = json::array();
  for (const auto& p : f.points) points.push_back({p.x, p.y, p.label, p.test ? 1 : 0});
  return json{{"x_min", f.x_min},   {"x_max", f.x_max}, {"y_min", f.y_min},
              {"y_max", f.y_max},   {"grid", f.grid},   {"classes", f.classes},
              {"epochs", f.epochs}, {"frames", frames}, {"points", points}}
             .dump() +
         "\n";
}

DecisionFrames parse_frames_json(const std::string& text, const std::string& source) {
  return parsed(text, source, [&](const json& j) {
    DecisionFrames f;
    f.x_min = j.at("x_min").get<double>();
    f.x_max = j.at("x_max").get<double>();
    f.y_min = j.at("y_min").get<double>();
    f.y_max = j.at("y_max").get<double>();
    if (!(f.x_min < f.x_max) || !(f.y_min < f.y_max) || !std::isfinite(f.x_max - f.x_min) ||
        !std::isfinite(f.y_max - f.y_min))
      throw InputError(source + ": the plane of the frames is empty or not finite");
    f.grid = bounded(j, "grid", 1, 200, source);
    f.classes = bounded(j, "classes", 1, kMaxClasses, source);
    f.epochs = j.at("epochs").get<std::vector<int64_t>>();
    const auto& frames = j.at("frames");
    if (frames.size() != f.epochs.size() || frames.size() > kMaxFrames)
      throw InputError(source + ": frames and epochs do not match");
    for (const auto& frame : frames) {
      f.cells.push_back(base64_decode(frame.get<std::string>(), source));
      if (static_cast<int64_t>(f.cells.back().size()) != f.grid * f.grid)
        throw InputError(source + ": a frame does not have grid x grid cells");
    }
    const auto& points = j.at("points");
    if (points.size() > kMaxFramePoints) throw InputError(source + ": too many points");
    for (const auto& p : points)
      f.points.push_back({p.at(0).get<float>(), p.at(1).get<float>(), p.at(2).get<int32_t>(),
                          p.at(3).get<int>() != 0});
    return f;
  });
}

std::string evaluation_json(const EvaluationRecord& e) {
  json wrong = json::array();
  for (const auto& m : e.misclassified)
    wrong.push_back({{"index", m.index},
                     {"truth", m.truth},
                     {"guess", m.guess},
                     {"pixels", base64_encode(m.pixels)}});
  return json{{"classes", e.classes},   {"class_names", e.class_names}, {"confusion", e.confusion},
              {"channels", e.channels}, {"height", e.height},           {"width", e.width},
              {"misclassified", wrong}}
             .dump() +
         "\n";
}

EvaluationRecord parse_evaluation_json(const std::string& text, const std::string& source) {
  return parsed(text, source, [&](const json& j) {
    EvaluationRecord e;
    e.classes = bounded(j, "classes", 0, kMaxClasses, source);
    for (const auto& name : j.at("class_names"))
      e.class_names.push_back(svg::clean_text(name.get<std::string>()));
    e.confusion = j.at("confusion").get<std::vector<int64_t>>();
    if (!e.confusion.empty() && static_cast<int64_t>(e.confusion.size()) != e.classes * e.classes)
      throw InputError(source + ": the confusion matrix is not classes x classes");
    e.channels = bounded(j, "channels", 0, 4, source);
    e.height = bounded(j, "height", 0, kMaxImageSide, source);
    e.width = bounded(j, "width", 0, kMaxImageSide, source);
    const auto& wrong = j.at("misclassified");
    if (wrong.size() > kMaxMisclassifiedImages) throw InputError(source + ": too many images");
    for (const auto& m : wrong) {
      MisclassifiedImage image{m.at("index").get<int64_t>(), m.at("truth").get<int32_t>(),
                               m.at("guess").get<int32_t>(),
                               base64_decode(m.at("pixels").get<std::string>(), source)};
      if (static_cast<int64_t>(image.pixels.size()) != e.channels * e.height * e.width)
        throw InputError(source + ": an image does not have channels x height x width pixels");
      e.misclassified.push_back(std::move(image));
    }
    return e;
  });
}

std::string run_json(const RunRecord& r) {
  const RunSettings& s = r.settings;
  const EpochMetrics& m = r.final_metrics;
  json settings{{"graph_name", s.graph_name},
                {"graph_path", s.graph_path},
                {"description", s.description},
                {"dataset", s.dataset},
                {"train_size", s.train_size},
                {"test_size", s.test_size},
                {"classes", s.classes},
                {"feature_shape", s.feature_shape},
                {"batch", s.batch},
                {"full_batch", s.full_batch},
                {"epochs", s.epochs},
                {"optimizer", s.optimizer},
                {"lr", s.lr},
                {"seed", s.seed},
                {"threads", s.threads},
                {"parameters", s.parameters},
                {"overrides", s.overrides}};
  json final_metrics{{"epoch", m.epoch},
                     {"train_loss", number_or_null(m.train_loss)},
                     {"train_accuracy", number_or_null(m.train_accuracy)},
                     {"test_loss", number_or_null(m.test_loss)},
                     {"test_accuracy", number_or_null(m.test_accuracy)}};
  return json{{"format", "gradflow-run/1"},
              {"settings", settings},
              {"final", final_metrics},
              {"seconds", r.seconds}}
             .dump(1) +
         "\n";
}

RunRecord parse_run_json(const std::string& text, const std::string& source) {
  return parsed(text, source, [&](const json& j) {
    if (j.at("format").get<std::string>() != "gradflow-run/1")
      throw InputError(source + ": not a gradflow run.json (format gradflow-run/1)");
    RunRecord r;
    const json& s = j.at("settings");
    RunSettings& o = r.settings;
    o.graph_name = svg::clean_text(s.at("graph_name").get<std::string>());
    o.graph_path = svg::clean_text(s.at("graph_path").get<std::string>());
    o.description = svg::clean_text(s.at("description").get<std::string>());
    o.dataset = svg::clean_text(s.at("dataset").get<std::string>());
    o.train_size = s.at("train_size").get<int64_t>();
    o.test_size = s.at("test_size").get<int64_t>();
    o.classes = bounded(s, "classes", 0, kMaxClasses, source);
    o.feature_shape = s.at("feature_shape").get<std::vector<int64_t>>();
    o.batch = s.at("batch").get<int64_t>();
    o.full_batch = s.at("full_batch").get<bool>();
    o.epochs = s.at("epochs").get<int64_t>();
    o.optimizer = svg::clean_text(s.at("optimizer").get<std::string>());
    o.lr = s.at("lr").get<double>();
    o.seed = s.at("seed").get<uint64_t>();
    o.threads = s.at("threads").get<int>();
    o.parameters = s.at("parameters").get<int64_t>();
    for (const auto& text : s.at("overrides"))
      o.overrides.push_back(svg::clean_text(text.get<std::string>()));
    const json& m = j.at("final");
    r.final_metrics = {m.at("epoch").get<int64_t>(),       number_or_nan(m, "train_loss"),
                       number_or_nan(m, "train_accuracy"), number_or_nan(m, "test_loss"),
                       number_or_nan(m, "test_accuracy"),  0};
    r.seconds = j.at("seconds").get<double>();
    return r;
  });
}

}  // namespace gradflow::report

namespace gradflow {

RunRecord read_run_record(const std::string& dir) {
  const std::string path = dir + "/run.json";
  return report::parse_run_json(read_file(path), path);
}

std::vector<EpochMetrics> read_run_history(const std::string& dir) {
  const std::string path = dir + "/metrics.csv";
  return parse_metrics_csv(read_file(path), path);
}

}  // namespace gradflow
