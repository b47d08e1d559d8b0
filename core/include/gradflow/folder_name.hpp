// The one place where a name that came from a file (a graph's `name:`) becomes part of a
// path. A safe name is 1 to 100 characters of A-Z a-z 0-9 '.' '_' '-', starting with a letter,
// a digit or '_': no '/', no "..", no hidden file, nothing a shell or a terminal would read as
// an option or a control sequence, and always valid UTF-8 in file headers.
#pragma once

#include <string>
#include <string_view>

namespace gradflow {

inline constexpr size_t kMaxFolderNameLength = 100;

bool is_safe_folder_name(std::string_view name);

// The rule above in words, for messages.
std::string folder_name_rule();

// "runs/<name>", the default output folder of `graph-runner train`; throws InputError if
// `name` is not safe (the graph loader already refused such names, this is the last guard).
std::string default_run_folder(const std::string& name);

// "<folder>/<name><extension>" for a name that came from a file (an imported ONNX model's
// graph name); throws InputError if `name` is not safe.
std::string file_in_folder(const std::string& folder, const std::string& name,
                           const std::string& extension);

}  // namespace gradflow
