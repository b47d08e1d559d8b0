#include <gradflow/trainer.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace gradflow {
namespace {

std::string shell_word(const std::string& word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("._-/+=:,@%").find(c) != std::string_view::npos;
  });
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

std::string resume_command(const std::string& graph_path, const TrainOptions& options,
                           const std::string& out_dir, const std::string& checkpoint) {
  std::vector<std::string> words{"graph-runner"};
  for (const auto& p : options.plugins) words.insert(words.end(), {"--plugin", p});
  words.insert(words.end(), {"train", graph_path, "--out", out_dir});
  for (const auto& o : options.overrides) words.insert(words.end(), {"--set", o});
  if (options.epochs) words.insert(words.end(), {"--epochs", std::to_string(*options.epochs)});
  if (options.batch_size)
    words.insert(words.end(),
                 {"--batch-size", *options.batch_size == 0 ? std::string("full")
                                                           : std::to_string(*options.batch_size)});
  // {} prints the shortest text that reads back as the same double.
  if (options.lr) words.insert(words.end(), {"--lr", fmt::format("{}", *options.lr)});
  if (options.seed) words.insert(words.end(), {"--seed", std::to_string(*options.seed)});
  if (options.threads != 1)
    words.insert(words.end(), {"--threads", std::to_string(options.threads)});
  words.insert(words.end(), {"--resume", checkpoint});
  std::string command;
  for (const auto& w : words) command += (command.empty() ? "" : " ") + shell_word(w);
  return command;
}

}  // namespace gradflow
