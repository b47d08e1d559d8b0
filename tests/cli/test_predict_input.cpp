// graph-runner predict --input reads its CSV with the data set's reader: quoting, spaces, BOM
// and line ends are treated alike, the header is decided by an explicit rule (or --header),
// and every bad row gets a located message. A first data row is never dropped as a "header".
#include "cli/cli_support.hpp"

#include "unit/graph_test_support.hpp"

#include <sstream>

using namespace gradflow::test;
using Catch::Matchers::Contains;

namespace {

// One trained model shared by the cases: training is not what they test.
struct Trained {
  TempDir dir;
  std::string graph = source_path("graphs/circles_mlp.yaml");
  std::string weights;
  Trained() {
    ProcessResult r = run_runner({"train", graph, "--epochs", "1", "--out", dir / "run"});
    REQUIRE(r.exit_code == 0);
    weights = dir / "run/model.safetensors";
  }
};

const Trained& trained() {
  static const Trained model;
  return model;
}

ProcessResult predict(const std::string& input, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"predict",         trained().graph, "--weights",
                                trained().weights, "--input",       input};
  args.insert(args.end(), extra.begin(), extra.end());
  ProcessResult r = run_runner(args);
  require_no_crash(r);
  return r;
}

std::vector<std::string> rows_of(const std::string& out) {
  std::vector<std::string> rows;
  std::istringstream in(out);
  std::string line;
  std::getline(in, line);  // class,p0,p1
  while (std::getline(in, line)) rows.push_back(line);
  return rows;
}

}  // namespace

TEST_CASE("predict keeps every data row, however the first one is written", "[cli][predict]") {
  TempDir tmp;
  ProcessResult reference = predict(tmp.write("plain.csv", "0.5,0.25\n1,-1\n"));
  REQUIRE(reference.exit_code == 0);
  REQUIRE(rows_of(reference.out).size() == 2);
  const std::vector<std::string> inputs = {
      "+0.5,0.25\n1,-1\n",   // a sign
      " 0.5, 0.25\n1,-1\n",  // spaces
      "\xEF\xBB\xBF"
      "0.5,0.25\n1,-1\n",                   // a byte-order mark
      "\"0.5\",\" 0.25\"\n1,-1\n",          // quotes (the data set's reader accepts them)
      "0.5,0.25\r\n1,-1\r\n",               // CRLF
      "0.5,0.25\r1,-1\r",                   // CR alone
      "x0,x1\n0.5,0.25\n1,-1\n",            // a header
      "x0,label,x1\n0.5,7,0.25\n1,0,-1\n",  // a header with a label column, skipped
  };
  for (const auto& text : inputs) {
    INFO(text);
    ProcessResult r = predict(tmp.write("in.csv", text));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(rows_of(r.out) == rows_of(reference.out));
  }
}

TEST_CASE("predict refuses bad cells and rows with the file, line and column", "[cli][predict]") {
  TempDir tmp;
  struct Case {
    const char* text;
    const char* where;  // "line:column"
    const char* says;
  };
  const std::vector<Case> cases = {
      {"nan,0.25\n1,1\n", "1:1", "'nan' is not a finite number"},
      {",0.25\n1,1\n", "1:1", "empty cell: expected a number"},
      {"0.5,0.25\n1,inf\n", "2:3", "'inf' is not a finite number"},
      {"0.5,0.25\n1,3.5e38\n", "2:3", "'3.5e38' is beyond the range of a 32-bit float"},
      {"0.5,0.25,9\n", "1:10", "3 fields, but the model takes 2 features"},
      {"0.5\n", "1:4", "1 fields, but the model takes 2 features"},
      {"x0,x1\n0.5,0.25,1\n", "2:10", "3 fields, but the header has 2 columns"},
      {"a,b,c\n1,2,3\n", "1:1", "the header names 3 feature columns, but the model takes 2"},
      {"x0,1\n0.5,0.25\n", "1:1", "cannot tell whether the first row is a header"},
      {"\"0.5,0.25\n", "1:1", "unterminated quoted field"},
      {"x0,x1\n", "1:", "no data rows after the header"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    std::string input = tmp.write("in.csv", c.text);
    ProcessResult r = predict(input);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Contains(input + ":" + c.where) && Contains(c.says));
  }
  ProcessResult empty = predict(tmp.write("empty.csv", ""));
  CHECK(empty.exit_code == 2);
  CHECK_THAT(empty.err, Contains("empty.csv") && Contains("file is empty"));
}

TEST_CASE("predict --header says what the first row is", "[cli][predict]") {
  TempDir tmp;
  std::string mixed = tmp.write("mixed.csv", "x0,1\n0.5,0.25\n");
  ProcessResult yes = predict(mixed, {"--header", "yes"});
  CHECK(yes.exit_code == 0);
  CHECK(rows_of(yes.out).size() == 1);
  ProcessResult no = predict(mixed, {"--header", "no"});
  CHECK(no.exit_code == 2);
  CHECK_THAT(no.err, Contains(mixed + ":1:1") && Contains("'x0' is not a number"));
  // A numeric header, which auto would take for data.
  ProcessResult numeric = predict(tmp.write("n.csv", "1,2\n0.5,0.25\n"), {"--header", "yes"});
  CHECK(rows_of(numeric.out).size() == 1);
  ProcessResult bogus = predict(mixed, {"--header", "maybe"});
  CHECK(bogus.exit_code == 2);
}

TEST_CASE("predict refuses a folder and keeps messages short", "[cli][predict]") {
  TempDir tmp;
  ProcessResult folder = predict(tmp.path().string());
  CHECK(folder.exit_code == 2);
  CHECK_THAT(folder.err, Contains("is a directory"));
  CHECK(folder.out.empty());

  // A 100 kB cell, and a 100 kB line without a newline: the message quotes a few dozen bytes.
  std::string huge(100000, 'z');
  for (const std::string& text : {"0.5," + huge + "\n", huge}) {
    ProcessResult r = predict(tmp.write("big.csv", text));
    CHECK(r.exit_code == 2);
    CHECK(r.err.size() < 600);
  }
}
