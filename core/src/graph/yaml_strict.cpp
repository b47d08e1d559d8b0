#include "graph/yaml_strict.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <map>
#include <optional>
#include <sstream>
#include <vector>

namespace gradflow {
namespace {

constexpr int kMaxReported = 20;

// Keys and paths are the user's text; a 100 kB key must not make a 100 kB message.
std::string clip(const std::string& text) {
  constexpr size_t kMax = 80;
  if (text.size() <= kMax) return text;
  size_t cut = kMax;  // not inside a UTF-8 sequence
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "...";
}

// Thrown by the handler to stop the parser once the rest of the text no longer matters.
struct StopParsing {};

struct KeySeen {
  int line;
  int column;
};

// One open mapping or sequence. A mapping alternates key, value, key, ...
struct Frame {
  bool is_map = false;
  bool expecting_key = true;
  std::string key;   // the current key, for the path in messages
  size_t index = 0;  // sequences: the next item's index
  std::map<std::string, KeySeen> keys;
};

class StrictnessHandler : public YAML::EventHandler {
 public:
  StrictnessHandler(std::string file, DiagnosticList& diags)
      : file_(std::move(file)), diags_(diags) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ < 2) return;
    diags_.error(at(mark),
                 "a second YAML document starts here; a graph file holds exactly one (remove "
                 "the '---' and what follows, or merge it into the first document)");
    throw StopParsing{};
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    remember_scalar(anchor, "null");
    item(mark, std::string("null"));
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = scalar_anchors_.find(anchor);
    item(mark, it == scalar_anchors_.end() ? std::nullopt : std::optional(it->second));
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    remember_scalar(anchor, value);
    item(mark, value);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    item(mark, std::nullopt);
    stack_.push_back(Frame{});
  }
  void OnSequenceEnd() override { stack_.pop_back(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    item(mark, std::nullopt);
    Frame map;
    map.is_map = true;
    stack_.push_back(std::move(map));
  }
  void OnMapEnd() override { stack_.pop_back(); }

 private:
  SourceLocation at(const YAML::Mark& mark) const {
    return {file_, mark.line + 1, mark.column + 1};
  }

  void remember_scalar(YAML::anchor_t anchor, const std::string& value) {
    if (anchor != YAML::NullAnchor) scalar_anchors_[anchor] = value;
  }

  // "train.data.bind", "nodes[2].init": where in the document the current mapping is.
  std::string path() const {
    std::string out;
    for (size_t i = 0; i + 1 < stack_.size(); ++i) {
      const Frame& f = stack_[i];
      if (f.is_map)
        out += (out.empty() ? "" : ".") + f.key;
      else
        out += "[" + std::to_string(f.index - 1) + "]";
    }
    return out;
  }

  // Every node that starts: a key or a value of the enclosing mapping, or a sequence item.
  // `key_text` is the node's text when it is a scalar (or an alias of one).
  void item(const YAML::Mark& mark, const std::optional<std::string>& key_text) {
    if (stack_.empty()) return;
    Frame& top = stack_.back();
    if (!top.is_map) {
      ++top.index;
      return;
    }
    top.expecting_key = !top.expecting_key;
    if (top.expecting_key) return;  // that was a value
    top.key = key_text.value_or("?");
    if (!key_text) return;  // complex keys: the loader says keys must be plain text
    check_key(mark, top, *key_text);
  }

  void check_key(const YAML::Mark& mark, Frame& map, const std::string& key) {
    if (key == "<<") {
      report(mark, "merge keys ('<<')" + in_path() +
                       " are not supported: write the keys out (plain anchors and aliases such "
                       "as 'init: *w' are fine)");
      return;
    }
    auto [it, fresh] = map.keys.emplace(key, KeySeen{mark.line + 1, mark.column + 1});
    if (!fresh)
      report(mark, "duplicate key '" + clip(key) + "'" + in_path() + " (first at line " +
                       std::to_string(it->second.line) + ", column " +
                       std::to_string(it->second.column) + ")");
  }

  std::string in_path() const {
    std::string where = path();
    return where.empty() ? "" : " in '" + clip(where) + "'";
  }

  // A file made of nothing but duplicates must not produce a message per line.
  void report(const YAML::Mark& mark, std::string message) {
    diags_.error(at(mark), std::move(message));
    if (++reported_ < kMaxReported) return;
    diags_.error(at(mark), "too many problems; stopping here");
    throw StopParsing{};
  }

  std::string file_;
  DiagnosticList& diags_;
  int documents_ = 0;
  int reported_ = 0;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, std::string> scalar_anchors_;
};

// NUL bytes end a C string early and make yaml-cpp report unrelated escapes; say where.
bool report_nul(const std::string& text, const std::string& file, DiagnosticList& diags) {
  size_t at = text.find('\0');
  if (at == std::string::npos) return false;
  size_t line_start = text.rfind('\n', at);
  line_start = line_start == std::string::npos ? 0 : line_start + 1;
  int line = 1;
  for (size_t i = 0; i < line_start; ++i) line += text[i] == '\n';
  diags.error({file, line, static_cast<int>(at - line_start) + 1},
              "NUL byte in the file: a graph file is text, not binary data");
  return true;
}

}  // namespace

void check_yaml_strictness(const std::string& text, const std::string& file,
                           DiagnosticList& diags) {
  if (report_nul(text, file, diags)) return;
  std::istringstream stream(text);
  StrictnessHandler handler(file, diags);
  try {
    YAML::Parser parser(stream);
    while (parser.HandleNextDocument(handler)) {
    }
  } catch (const StopParsing&) {
  } catch (const YAML::Exception&) {
    // Syntax errors: the caller's parse of the document reports them with their position.
  }
}

}  // namespace gradflow
