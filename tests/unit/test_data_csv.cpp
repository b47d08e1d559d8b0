#include <gradflow/atomic_file.hpp>
#include <gradflow/datasets.hpp>

#include "unit/test_data_support.hpp"

#include <algorithm>
#include <cmath>

using Catch::Matchers::Contains;
using gradflow::load_csv;
using gradflow::parse_csv;
using gradflow::Split;
using gradflow::test::input_error_of;
using gradflow::test::TempDir;

TEST_CASE("csv: features and a label column anywhere in the row", "[data][csv]") {
  auto s = parse_csv("a,label,b\n1.5,2,-3\n0,0,1e-3\n", "t.csv", "label");
  CHECK(s.size == 2);
  CHECK(s.feature_shape == std::vector<int64_t>{2});
  CHECK(s.x == std::vector<float>{1.5f, -3.0f, 0.0f, 1e-3f});
  CHECK(s.labels == std::vector<int32_t>{2, 0});
}

TEST_CASE("csv: CRLF, BOM, spaces, quotes, blank lines and a custom label name", "[data][csv]") {
  auto s = parse_csv("\xEF\xBB\xBF\"x 1\", x2 ,cls\r\n 1 , \"2\" ,+3\r\n\r\n4,5,6\r\n\n", "t.csv",
                     "cls");
  CHECK(s.size == 2);
  CHECK(s.x == std::vector<float>{1, 2, 4, 5});
  CHECK(s.labels == std::vector<int32_t>{3, 6});
}

TEST_CASE("csv: errors carry file, line and column", "[data][csv]") {
  SECTION("empty file") {
    CHECK_THAT(input_error_of([] { parse_csv("", "e.csv", "label"); }),
               Contains("e.csv") && Contains("empty"));
    CHECK_THAT(input_error_of([] { parse_csv("\n \n", "e.csv", "label"); }), Contains("empty"));
  }
  SECTION("header only") {
    CHECK_THAT(input_error_of([] { parse_csv("a,label\n", "h.csv", "label"); }),
               Contains("h.csv") && Contains("no data rows"));
  }
  SECTION("missing label column, with a suggestion") {
    auto m = input_error_of([] { parse_csv("x,lable\n1,2\n", "m.csv", "label"); });
    CHECK_THAT(m, Contains("m.csv:1:") && Contains("no label column 'label'") &&
                      Contains("did you mean 'lable'"));
  }
  SECTION("only a label column") {
    CHECK_THAT(input_error_of([] { parse_csv("label\n1\n", "o.csv", "label"); }),
               Contains("no feature columns"));
  }
  SECTION("duplicate column names") {
    CHECK_THAT(input_error_of([] { parse_csv("a,a,label\n1,2,0\n", "d.csv", "label"); }),
               Contains("d.csv:1:3") && Contains("duplicate column name 'a'"));
  }
  SECTION("non-numeric cell: line and column of the cell") {
    auto m = input_error_of([] { parse_csv("a,b,label\n1,2,0\n3,abc,1\n", "n.csv", "label"); });
    CHECK_THAT(m, Contains("n.csv:3:3: error:") && Contains("'abc' is not a number"));
  }
  SECTION("every bad row is reported, not only the first") {
    auto m = input_error_of(
        [] { parse_csv("a,b,label\n1,x,0\n1,2,0\n1,2\ny,2,1\n", "all.csv", "label"); });
    CHECK_THAT(m, Contains("all.csv:2:3") && Contains("all.csv:4:") &&
                      Contains("2 fields, but the header has 3 columns") &&
                      Contains("all.csv:5:1"));
  }
  SECTION("too many fields: column of the first extra one") {
    CHECK_THAT(input_error_of([] { parse_csv("a,label\n1,2,3\n", "w.csv", "label"); }),
               Contains("w.csv:2:5:") && Contains("3 fields"));
  }
  SECTION("bad labels") {
    CHECK_THAT(input_error_of([] { parse_csv("a,label\n1,-1\n", "l.csv", "label"); }),
               Contains("l.csv:2:3") && Contains("non-negative integer"));
    CHECK_THAT(input_error_of([] { parse_csv("a,label\n1,1.5\n", "l.csv", "label"); }),
               Contains("l.csv:2:3"));
    CHECK_THAT(input_error_of([] { parse_csv("a,label\n1,99999999999\n", "l.csv", "label"); }),
               Contains("l.csv:2:3"));
  }
  SECTION("non-finite and empty cells") {
    CHECK_THAT(input_error_of([] { parse_csv("a,label\ninf,1\n", "f.csv", "label"); }),
               Contains("f.csv:2:1") && Contains("finite"));
    CHECK_THAT(input_error_of([] { parse_csv("a,b,label\n1,,1\n", "f.csv", "label"); }),
               Contains("f.csv:2:3") && Contains("empty cell"));
  }
  SECTION("unterminated quote") {
    CHECK_THAT(input_error_of([] { parse_csv("a,label\n\"1,2\n", "q.csv", "label"); }),
               Contains("q.csv:2:1") && Contains("unterminated"));
  }
  SECTION("binary data") {
    CHECK_THAT(
        input_error_of([] { parse_csv(std::string("a,label\n1\0,2\n", 13), "b.csv", "label"); }),
        Contains("b.csv:2") && Contains("binary"));
  }
  SECTION("an endless stream of bad rows stops after a bounded number of errors") {
    std::string text = "a,label\n";
    for (int i = 0; i < 1000; ++i) text += "x,0\n";
    auto m = input_error_of([&] { parse_csv(text, "many.csv", "label"); });
    CHECK_THAT(m, Contains("too many errors"));
    CHECK(std::count(m.begin(), m.end(), '\n') < 30);
  }
}

TEST_CASE("csv: load_csv names the path; write_csv round-trips exactly", "[data][csv]") {
  TempDir dir;
  Split s;
  s.size = 3;
  s.feature_shape = {2};
  s.x = {0.1f, -1e-7f, 3.14159274f, 1e30f, std::nextafter(1.0f, 2.0f), -0.0f};
  s.labels = {1, 0, 7};
  std::string path = dir.file("out.csv");
  gradflow::write_csv(s, path);
  std::string text = gradflow::read_file(path);
  CHECK(text.rfind("x0,x1,label\n", 0) == 0);
  auto back = load_csv(path, "label");
  CHECK(back.size == 3);
  CHECK(back.x == s.x);
  CHECK(back.labels == s.labels);

  std::string bad = dir.write("bad.csv", "x,label\n1,a\n");
  CHECK_THAT(input_error_of([&] { load_csv(bad, "label"); }), Contains(bad + ":2:3"));
  CHECK_THAT(input_error_of([&] { load_csv(dir.file("missing.csv"), "label"); }),
             Contains("missing.csv"));
}

TEST_CASE("csv: write_csv into a missing folder is an InputError naming the path", "[data][csv]") {
  TempDir dir;
  Split s;
  s.size = 1;
  s.feature_shape = {1};
  s.x = {1};
  s.labels = {0};
  std::string path = dir.file("no/such/folder/out.csv");
  CHECK_THAT(input_error_of([&] { gradflow::write_csv(s, path); }), Contains(path));
}

TEST_CASE("csv: out-of-range numbers, CR line endings and huge cells get short, true messages",
          "[data][csv]") {
  SECTION("beyond float's range is not 'not a number'") {
    std::string message =
        input_error_of([] { parse_csv("a,label\n3.5e38,0\n", "big.csv", "label"); });
    CHECK_THAT(message, Contains("big.csv:2:1: error: '3.5e38' is out of the range of a 32-bit "
                                 "float"));
    CHECK_THAT(message, !Contains("not a number"));
  }
  SECTION("too small for a float is zero, a value like any other") {
    auto s = parse_csv("a,label\n1e-50,0\n-1e-60,1\n", "tiny.csv", "label");
    CHECK(s.x == std::vector<float>{0.0f, -0.0f});
  }
  SECTION("a file with CR line endings only") {
    std::string text = "a,b,label";
    for (int i = 0; i < 2000; ++i) text += "\r1,2,0";
    std::string message = input_error_of([&] { parse_csv(text, "mac.csv", "label"); });
    CHECK_THAT(message, Contains("mac.csv:1: error: the file uses CR line endings"));
    CHECK(message.size() < 300);
  }
  SECTION("a megabyte-long cell is quoted in part") {
    std::string message = input_error_of(
        [] { parse_csv("a,label\n" + std::string(1 << 20, 'z') + ",0\n", "long.csv", "label"); });
    CHECK_THAT(message, Contains("long.csv:2:1: error: 'zzz") && Contains("(1048576 bytes)"));
    CHECK(message.size() < 300);
  }
}
