// The graph's picture for report.html: Graphviz's `dot -Tsvg` on the run folder's graph.dot
// when dot is installed (killed after kDotSeconds), else a plain drawing of the DOT file's
// boxes, one per row, with their edges.
#include "report/graph_svg.hpp"

#include "plots/svg_writer.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>

extern char** environ;

namespace gradflow::report {
namespace {

constexpr size_t kMaxSvgBytes = 8u << 20;
constexpr int kDotSeconds = 10;

// Runs `dot -Tsvg DOT_PATH`; empty when dot is missing, fails or takes too long.
std::string run_dot(const std::string& dot_path) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  char* argv[] = {const_cast<char*>("dot"), const_cast<char*>("-Tsvg"),
                  const_cast<char*>(dot_path.c_str()), nullptr};
  pid_t pid = -1;
  const int spawned = ::posix_spawnp(&pid, "dot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (spawned != 0) {
    ::close(out[0]);
    return {};
  }
  std::string svg;
  bool ok = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kDotSeconds);
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    pollfd fd{out[0], POLLIN, 0};
    if (left <= 0 || ::poll(&fd, 1, static_cast<int>(left)) <= 0) {
      ok = false;
      break;
    }
    char buffer[65536];
    const ssize_t n = ::read(out[0], buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || svg.size() + static_cast<size_t>(n) > kMaxSvgBytes) {
      ok = false;
      break;
    }
    svg.append(buffer, static_cast<size_t>(n));
  }
  ::close(out[0]);
  if (!ok) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return {};
  const size_t start = svg.find("<svg");
  return start == std::string::npos ? std::string() : svg.substr(start);
}

// Unquotes a DOT string written by to_dot(): "a\"b" -> a"b.
std::string unquote(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      ++i;
      out += s[i] == 'n' ? ' ' : s[i];
    } else {
      out += s[i] == '\n' ? ' ' : s[i];
    }
  }
  return out;
}

// The end (one past the closing quote) of the DOT string that starts at text[i] == '"'.
size_t quoted_end(const std::string& text, size_t i) {
  for (++i; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return std::string::npos;
}

// The label="..." of the attribute list that starts at text[i] == '['.
std::string label_in(const std::string& text, size_t i) {
  while (i < text.size() && text[i] != ']') {
    if (text[i] == '"') {
      i = quoted_end(text, i);
      if (i == std::string::npos) return "";
      continue;
    }
    if (text.compare(i, 7, "label=\"") == 0) {
      const size_t end = quoted_end(text, i + 6);
      return end == std::string::npos ? "" : unquote(text.substr(i + 7, end - i - 8));
    }
    ++i;
  }
  return "";
}

}  // namespace

std::string fallback_graph_svg(const std::string& dot) {
  std::vector<std::pair<std::string, std::string>> nodes;  // id, label
  std::map<std::string, size_t> row;
  std::vector<std::pair<std::string, std::string>> edges;
  // Statements of to_dot(): "id" [..., label="..."]; and "from" -> "to" [...];
  for (size_t i = dot.find('"'); i != std::string::npos && nodes.size() < 2000;) {
    const size_t end = quoted_end(dot, i);
    if (end == std::string::npos) break;
    const std::string id = unquote(dot.substr(i + 1, end - i - 2));
    const size_t next = dot.find_first_not_of(" \t", end);
    if (next != std::string::npos && dot.compare(next, 2, "->") == 0) {
      const size_t to = dot.find('"', next);
      const size_t to_end = to == std::string::npos ? to : quoted_end(dot, to);
      if (to_end == std::string::npos) break;
      edges.emplace_back(id, unquote(dot.substr(to + 1, to_end - to - 2)));
      i = dot.find('"', to_end);
      continue;
    }
    if (next != std::string::npos && dot[next] == '[' && !row.count(id)) {
      row[id] = nodes.size();
      nodes.emplace_back(id, label_in(dot, next));
    }
    i = dot.find('"', end);
  }
  const double pitch = 44, width = 520;
  svg::Writer svg(width, pitch * static_cast<double>(nodes.size()) + 20);
  for (const auto& [from, to] : edges) {
    if (!row.count(from) || !row.count(to)) continue;
    const double y0 = 10 + pitch * static_cast<double>(row[from]) + 30;
    const double y1 = 10 + pitch * static_cast<double>(row[to]);
    const double bend = 200 + 12 * std::abs(static_cast<double>(row[to]) - row[from]);
    svg.raw(
        fmt::format("<path d=\"M {0} {1} C {2} {1}, {2} {3}, {0} {3}\" fill=\"none\" "
                    "stroke=\"#888\" marker-end=\"url(#arrow)\"/>\n",
                    svg::num(200), svg::num(y0), svg::num(bend), svg::num(y1)));
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    const double y = 10 + pitch * static_cast<double>(i);
    svg.rect(20, y, 360, 30, "fill=\"#ffffff\" stroke=\"#444444\" rx=\"4\"");
    svg.text(200, y + 19, nodes[i].second, "middle", 12);
  }
  svg.raw(
      "<defs><marker id=\"arrow\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" refY=\"4\" "
      "orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"#888\"/></marker></defs>\n");
  return svg.finish();
}

std::string graph_svg(const std::string& dot_path, const std::string& dot, bool* from_graphviz) {
  std::string svg = run_dot(dot_path);
  if (from_graphviz) *from_graphviz = !svg.empty();
  return svg.empty() ? fallback_graph_svg(dot) : svg;
}

}  // namespace gradflow::report
