#include <gradflow/diagnostics.hpp>

#include <algorithm>
#include <cctype>

namespace gradflow {
namespace {

std::string join_messages(const std::vector<Diagnostic>& diagnostics) {
  std::string text;
  for (const auto& d : diagnostics) {
    if (!text.empty()) text += '\n';
    text += d.format();
  }
  return text;
}

// Per closest_match call: about a millisecond, enough to compare a word with thousands of
// names, and a bound that keeps thousands of calls on a hostile file from taking minutes.
constexpr size_t kMaxComparedCells = size_t{1} << 20;

size_t length_gap(std::string_view a, std::string_view b) {
  return a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
}

// Case-insensitive Levenshtein distance, or limit + 1 as soon as it must exceed `limit`:
// only the band of cells within `limit` of the diagonal is computed, and the work is taken
// from `budget` (which may run out, giving limit + 1 as well).
size_t bounded_edit_distance(std::string_view a, std::string_view b, size_t limit, size_t& budget) {
  const size_t over = limit + 1;
  if (length_gap(a, b) > limit) return over;
  if (b.empty()) return a.size();  // no band to walk; the gap check bounded it already
  std::vector<size_t> row(b.size() + 1, over);
  for (size_t j = 0; j <= std::min(b.size(), limit); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    const size_t lo = i > limit ? i - limit : 1;
    const size_t hi = std::min(b.size(), i + limit);
    if (hi < lo) return over;
    if (budget < hi - lo + 1) {
      budget = 0;
      return over;
    }
    budget -= hi - lo + 1;
    size_t diagonal = row[lo - 1];
    row[lo - 1] = lo == 1 && i <= limit ? i : over;
    size_t smallest = row[lo - 1];
    for (size_t j = lo; j <= hi; ++j) {
      const size_t above = row[j];
      const size_t cost = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                                  std::tolower(static_cast<unsigned char>(b[j - 1]))
                              ? 0
                              : 1;
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + cost, over});
      diagonal = above;
      smallest = std::min(smallest, row[j]);
    }
    if (smallest > limit) return over;
  }
  return std::min(row[b.size()], over);
}

}  // namespace

std::string Diagnostic::format() const {
  std::string out;
  if (!where.file.empty()) {
    out += where.file;
    if (where.line > 0) {
      out += ':' + std::to_string(where.line);
      if (where.column > 0) out += ':' + std::to_string(where.column);
    }
    out += ": ";
  }
  return out + "error: " + message;
}

InputError::InputError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(join_messages(diagnostics)), diagnostics_(std::move(diagnostics)) {}

InputError::InputError(SourceLocation where, std::string message)
    : InputError(std::vector<Diagnostic>{{std::move(where), std::move(message)}}) {}

InputError::InputError(std::string message) : InputError(SourceLocation{}, std::move(message)) {}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  // Accepted: at most a third of the word's letters wrong (two for short words); after a
  // match, only a strictly closer one replaces it, so the first of equals wins.
  size_t limit = std::max<size_t>(2, word.size() / 3);
  size_t budget = kMaxComparedCells;
  for (const auto& c : candidates) {
    size_t d = bounded_edit_distance(word, c, limit, budget);
    if (d > limit) {
      if (budget == 0) break;
      continue;
    }
    best = c;
    if (d == 0) break;
    limit = d - 1;
  }
  return best;
}

std::string quoted_excerpt(std::string_view text, size_t max_chars) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "'";
  size_t shown = 0;
  for (char c : text) {
    if (shown == max_chars) {
      return out + "'... (" + std::to_string(text.size()) + " bytes)";
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7F) {
      out += c;
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
    ++shown;
  }
  return out + "'";
}

}  // namespace gradflow
