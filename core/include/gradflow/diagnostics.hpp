// Errors caused by what a user gave us (graph files, data files, checkpoints, plugins, flags).
// They carry every problem found in one stage, each with a file position where there is one,
// and make graph-runner exit with status 2.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gradflow {

struct SourceLocation {
  std::string file;
  int line = 0;  // 1-based; 0 = no position in the file
  int column = 0;
};

struct Diagnostic {
  SourceLocation where;
  std::string message;

  // "file:line:col: error: message", leaving out the parts that are unknown.
  std::string format() const;
};

class InputError : public std::runtime_error {
 public:
  explicit InputError(std::vector<Diagnostic> diagnostics);
  InputError(SourceLocation where, std::string message);
  explicit InputError(std::string message);

  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// Collects the problems of one stage so that all of them are reported together.
class DiagnosticList {
 public:
  void error(SourceLocation where, std::string message) {
    items_.push_back({std::move(where), std::move(message)});
  }
  bool empty() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  void throw_if_any() const {
    if (!items_.empty()) throw InputError(items_);
  }

 private:
  std::vector<Diagnostic> items_;
};

// The closest candidate by edit distance, for "did you mean ...?"; empty if none is close.
// Bounded work whatever the input: candidates whose length alone rules them out are skipped,
// and the comparison stops after a fixed budget (returning the best match found so far).
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// Text from a file, quoted for a message: bytes outside printable ASCII become \xNN, and
// anything beyond `max_chars` is cut and replaced by "... (N bytes)". Keeps control bytes
// and megabyte-long "cells" off the user's terminal.
std::string quoted_excerpt(std::string_view text, size_t max_chars = 60);

}  // namespace gradflow
