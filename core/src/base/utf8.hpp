// Text that ends up in a file header (safetensors metadata is JSON, which must be UTF-8) is
// checked when it is read from the user, so that a run never trains and then fails at save.
#pragma once

#include <string_view>

namespace gradflow {

// Well-formed UTF-8: no stray continuation bytes, no overlong forms, no surrogates, nothing
// above U+10FFFF.
bool is_valid_utf8(std::string_view text);

}  // namespace gradflow
