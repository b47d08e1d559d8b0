#include <gradflow/diagnostics.hpp>
#include <gradflow/folder_name.hpp>

namespace gradflow {
namespace {

bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

bool is_safe_folder_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxFolderNameLength) return false;
  if (!is_ascii_alnum(name.front()) && name.front() != '_') return false;
  for (char c : name)
    if (!is_ascii_alnum(c) && c != '_' && c != '-' && c != '.') return false;
  return true;
}

std::string folder_name_rule() {
  return "1 to " + std::to_string(kMaxFolderNameLength) +
         " characters of A-Z, a-z, 0-9, '.', '_' and '-', starting with a letter, a digit "
         "or '_'";
}

std::string default_run_folder(const std::string& name) {
  if (!is_safe_folder_name(name))
    throw InputError("the graph name cannot be a folder name (it must be " + folder_name_rule() +
                     "); give --out");
  return "runs/" + name;
}

std::string file_in_folder(const std::string& folder, const std::string& name,
                           const std::string& extension) {
  if (!is_safe_folder_name(name))
    throw InputError("the name '" + name + "' cannot be a file name (it must be " +
                     folder_name_rule() + ")");
  return folder + "/" + name + extension;
}

}  // namespace gradflow
