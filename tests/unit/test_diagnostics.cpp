// "Did you mean": the closest name by edit distance, found in bounded time; text from files
// quoted for messages without control bytes or megabytes.
#include <gradflow/diagnostics.hpp>

#include "support/cpu_time.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using gradflow::closest_match;
using gradflow::quoted_excerpt;

TEST_CASE("closest_match finds the nearest name, or none", "[diagnostics]") {
  const std::vector<std::string> names = {"hidden", "logits", "yhat", "loss", "x", "y"};
  CHECK(closest_match("hiden", names) == "hidden");
  CHECK(closest_match("HIDDEN", names) == "hidden");  // case does not count
  CHECK(closest_match("logtis", names) == "logits");  // a swap is two edits
  CHECK(closest_match("los", names) == "loss");
  CHECK(closest_match("yhta", names) == "yhat");
  CHECK(closest_match("completely-else", names).empty());
  CHECK(closest_match("", names) == "x");          // two edits away at most for short words
  CHECK(closest_match("x", {"", "xyz"}).empty());  // an empty name is one edit from "x"
  // Of equally close names the first wins; a strictly closer later one replaces it.
  CHECK(closest_match("ab", {"xb", "ax", "ab"}) == "ab");
  CHECK(closest_match("abcd", {"abxx", "abcx"}) == "abcx");
  // Up to a third of a long word may be wrong.
  CHECK(closest_match("convolution_layer_12", {"convolution_layer_1"}) == "convolution_layer_1");
  CHECK(closest_match("convolution_layer_12", {"pooling_stage_12"}).empty());
}

TEST_CASE("closest_match is bounded however long and many the names", "[diagnostics]") {
  const std::string word(100000, 'a');
  std::vector<std::string> candidates(2000, std::string(100000, 'b'));
  candidates.push_back(word);
  const double start = gradflow::test::process_cpu_seconds();
  std::string found = closest_match(word, candidates);
  CHECK(gradflow::test::process_cpu_seconds() - start < 0.5 * gradflow::test::kSanitizerSlowdown);
  // The budget may run out before the exact match is reached; it must never pick a far one.
  CHECK((found.empty() || found == word));
}

TEST_CASE("quoted_excerpt keeps control bytes and long text off the terminal", "[diagnostics]") {
  CHECK(quoted_excerpt("abc") == "'abc'");
  CHECK(quoted_excerpt("a\x1b[31mb\xff") == "'a\\x1B[31mb\\xFF'");
  CHECK(quoted_excerpt(std::string(1000, 'z'), 5) == "'zzzzz'... (1000 bytes)");
}
