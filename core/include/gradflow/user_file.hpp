// Every file a user names -- graph, data set, weights, checkpoint, CSV, plugin -- is opened
// through here. A FIFO, a device, a socket or a directory is refused before anything could
// block on it or read it without end: the path is opened non-blocking and the open descriptor
// is checked with fstat, so there is no window between the check and the read.
#pragma once

#include <cstdint>
#include <string>

namespace gradflow {

// Far above any graph, checkpoint or data file gradflow is meant for; a bound, so that a
// sparse or enormous file is refused from its size instead of exhausting memory.
inline constexpr uint64_t kMaxUserFileBytes = uint64_t{4} << 30;

// Throws InputError "<path>: error: ..." unless `path` (after following links) is a regular
// file that can be opened for reading. `what` names the file in messages ("graph file",
// "plugin", "weights file", ...): "no such plugin", "is a directory, not a weights file".
void check_regular_file(const std::string& path, const std::string& what = "file");

// Reads a whole regular file of at most `max_bytes`, with the checks of check_regular_file.
std::string read_file(const std::string& path, const std::string& what = "file",
                      uint64_t max_bytes = kMaxUserFileBytes);

}  // namespace gradflow
