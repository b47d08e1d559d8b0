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

TEST_CASE("csv: a number beyond float's range is not 'not a number'", "[data][csv]") {
  std::string message =
      input_error_of([] { parse_csv("a,label\n3.5e38,0\n", "big.csv", "label"); });
  CHECK_THAT(message,
             Contains("big.csv:2:1: error: '3.5e38' is beyond the range of a 32-bit float"));
  CHECK_THAT(message, !Contains("not a number"));
}

TEST_CASE("csv: predict's reader reads the data set's files the same way", "[data][csv]") {
  // One reader: whatever the data set accepts, predict reads to the same features.
  const std::string text =
      "\xEF\xBB\xBF\"x 1\", x2 ,label\r\n 1 , \"2\" ,+3\r\n\r\n\"-4.5\",+5e-1,6\r1e-50,7,0\n";
  auto split = parse_csv(text, "t.csv", "label");
  gradflow::FeatureCsvOptions options;
  options.expected_columns = 2;
  auto rows = gradflow::parse_feature_csv(text, "t.csv", options);
  CHECK(rows.rows == split.size);
  CHECK(rows.columns == 2);
  CHECK(rows.x == split.x);
  CHECK(rows.x == std::vector<float>{1, 2, -4.5f, 0.5f, 0, 7});  // 1e-50 is 0 in float

  // A data set whose label column has another name: predict skips that one.
  options.label_column = "cls";
  auto custom = gradflow::parse_feature_csv("a,cls,b\n1,9,2\n", "c.csv", options);
  CHECK(custom.x == std::vector<float>{1, 2});
}

TEST_CASE("csv: the header rule of predict's reader", "[data][csv]") {
  using gradflow::CsvHeader;
  using gradflow::parse_feature_csv;
  auto rows = [](const std::string& text, CsvHeader header = CsvHeader::automatic) {
    return parse_feature_csv(text, "p.csv", {header}).rows;
  };
  auto error = [](const std::string& text, CsvHeader header = CsvHeader::automatic) {
    return input_error_of([&] { parse_feature_csv(text, "p.csv", {header}); });
  };
  // Only a row of names is a header; a row of number spellings is data, even when those are
  // refused later (nan, inf, 1e39) or have a sign, spaces or a BOM in front.
  CHECK(rows("a,b\n1,2\n") == 1);
  CHECK(rows("+1,2\n3,4\n") == 2);
  CHECK(rows(" 1,2\n3,4\n") == 2);
  CHECK(rows("\xEF\xBB\xBF"
             "1,2\n3,4\n") == 2);
  CHECK_THAT(error("NaN,2\n3,4\n"), Contains("p.csv:1:1") && Contains("not a finite number"));
  CHECK_THAT(error("-inf,2\n"), Contains("p.csv:1:1") && Contains("not a finite number"));
  CHECK_THAT(error("1e39,2\n"), Contains("p.csv:1:1") && Contains("beyond the range"));
  CHECK_THAT(error(",2\n3,4\n"), Contains("p.csv:1:1") && Contains("empty cell"));
  // Names and numbers together: no guess.
  CHECK_THAT(error("a,2\n3,4\n"), Contains("p.csv:1:1") && Contains("--header yes"));
  CHECK_THAT(error("a,,b\n1,2,3\n"), Contains("cannot tell"));
  CHECK(rows("a,2\n3,4\n", CsvHeader::yes) == 1);
  CHECK_THAT(error("a,2\n3,4\n", CsvHeader::no), Contains("p.csv:1:1") && Contains("'a'"));
  // Without a header, the first row sets the width.
  CHECK_THAT(error("1,2\n3,4,5\n"), Contains("p.csv:2:5") && Contains("the first row has 2"));
  CHECK_THAT(error("label\n1\n"), Contains("no feature columns"));
  CHECK_THAT(error("a,a\n1,2\n"), Contains("p.csv:1:3") && Contains("duplicate column name 'a'"));
}

TEST_CASE("csv: messages quote at most a few dozen bytes of a cell", "[data][csv]") {
  std::string cell(100000, 'q');
  auto m = input_error_of([&] { parse_csv("a,label\n" + cell + ",1\n", "c.csv", "label"); });
  CHECK_THAT(m, Contains("c.csv:2:1") && Contains("(100000 characters)"));
  CHECK(m.size() < 300);
  // A file whose lines end in CR alone is read line by line, not as one giant line.
  auto s = parse_csv("a,label\r1,0\r2,1\r", "cr.csv", "label");
  CHECK(s.size == 2);
}
