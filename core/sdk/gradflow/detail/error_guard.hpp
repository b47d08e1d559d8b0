// Where C++ meets the C ABI (a plugin's entry points, the host's callbacks): no exception may
// cross, so a thrown message is copied into the caller's gf_error and a failure value returned.
#pragma once

#include <gradflow/plugin_abi.h>

#include <cstring>
#include <exception>

namespace gradflow::detail {

inline void set_error(gf_error* err, const char* message) {
  if (!err) return;
  std::strncpy(err->message, message, GF_ERROR_CAPACITY - 1);
  err->message[GF_ERROR_CAPACITY - 1] = '\0';
}

// Runs `body`; returns GF_OK, or GF_FAIL with the message in `err`.
template <class F>
int guarded(gf_error* err, F&& body) {
  try {
    body();
    return GF_OK;
  } catch (const std::exception& e) {
    set_error(err, e.what());
  } catch (...) {
    set_error(err, "unknown exception");
  }
  return GF_FAIL;
}

// Runs `body` that returns a value; returns it, or `failed` with the message in `err`.
template <class R, class F>
R guarded_value(gf_error* err, R failed, F&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    set_error(err, e.what());
  } catch (...) {
    set_error(err, "unknown exception");
  }
  return failed;
}

}  // namespace gradflow::detail
