// Every file gradflow writes for a user goes through here: the bytes go to a temporary file
// in the same folder, are flushed to disk, and only then renamed over the target, so an
// interruption (Ctrl-C, SIGKILL, full disk) leaves either the old file or the new one.
#pragma once

#include <string>
#include <string_view>

namespace gradflow {

// Throws InputError naming the path if the folder cannot be written.
void write_file_atomically(const std::string& path, std::string_view contents);

// Reads a whole file; throws InputError naming the path if it cannot be read.
std::string read_file(const std::string& path);

}  // namespace gradflow
