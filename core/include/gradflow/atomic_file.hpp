// Every file gradflow writes for a user goes through here: the bytes go to a temporary file
// in the same folder, are flushed to disk, and only then renamed over the target, so an
// interruption (Ctrl-C, SIGKILL, full disk) leaves either the old file or the new one.
//
// The temporary is "<target>.tmp.<token>", created with O_EXCL and O_NOFOLLOW: never an
// existing file, never through a symbolic link someone planted. The token is random and
// belongs to this process; a run folder's lock file records it (core/src/io/run_lock.hpp), which is
// how the next run knows which leftovers are gradflow's own and removes only those.
#pragma once

#include <gradflow/user_file.hpp>

#include <string>
#include <string_view>

namespace gradflow {

// Throws InputError naming the path if the folder cannot be written.
void write_file_atomically(const std::string& path, std::string_view contents);

// The same for a file the user names (`export -o`, `import -o`): without `replace`, anything
// already at `path` -- a file, a folder, a link, even a dangling one -- is left alone and the
// write refused ("exists; pass --force to replace it"), checked again at the rename itself
// (RENAME_NOREPLACE), so a file that appears meanwhile is not overwritten either.
void write_new_file(const std::string& path, std::string_view contents, bool replace);
// Throws that same InputError now if `path` exists and `replace` is false: for commands that
// write several files, before they write the first.
void check_new_file(const std::string& path, bool replace);

// This process's token: 32 lowercase hex digits, drawn once per process (a forked child
// draws its own).
const std::string& temporary_token();
// "<target>.tmp.<token>" with this process's token.
std::string temporary_path(const std::string& target);
// True for text shaped like a token (32 lowercase hex digits).
bool is_temporary_token(std::string_view text);

}  // namespace gradflow
